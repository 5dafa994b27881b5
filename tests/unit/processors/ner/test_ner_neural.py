"""The shipped neural half of the tagger (BiLSTM-CRF nets ensembled with the feature CRF) loads and tags."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from processors.ner.neural import LABELS, NEURAL_FILE, crf_marginals_batch, viterbi_bio_batch
from processors.ner.tagger import MODEL_DIR, get_tagger

pytest.importorskip("torch")

# Our own sentences (not from any corpus).
SENTS = [
    ["استقبل", "الرئيس", "التونسي", "قيس", "سعيد", "في", "قصر", "قرطاج", "وفدا", "من", "البنك", "الدولي", "."],
    ["وصلت", "بعثة", "الأمم", "المتحدة", "إلى", "مدينة", "بنغازي", "صباح", "الأحد", "."],
    [],
]


def test_neural_model_shipped_and_loaded() -> None:
    assert (MODEL_DIR / NEURAL_FILE).exists()
    tagger = get_tagger()
    assert tagger._neural_ready(), "the neural nets did not load"
    assert tagger._nets
    assert 0.0 < tagger.crf_weight < 1.0


def test_neural_posteriors_are_distributions() -> None:
    tagger = get_tagger()
    assert tagger._neural_ready()
    net = tagger._nets[0]
    post = net.posteriors([s for s in SENTS if s])
    for p, s in zip(post, [s for s in SENTS if s], strict=True):
        assert p.shape == (len(s), len(LABELS))
        assert np.allclose(p.sum(axis=1), 1.0)


def test_ensemble_tags_our_sentence() -> None:
    tags = get_tagger().tag_sents(SENTS)
    assert [len(t) for t in tags] == [len(s) for s in SENTS]
    first = tags[0]
    assert first[3] == "B-PERS" and first[4] == "I-PERS"  # قيس سعيد
    assert first[7] == "B-LOC"  # قرطاج
    assert tags[1][6] == "B-LOC"  # بنغازي
    for ys in tags:  # BIO-valid: an I-X only continues an X
        for prev, cur in zip(["O", *ys], ys, strict=False):
            assert not cur.startswith("I-") or prev[2:] == cur[2:]
    assert get_tagger().tag(SENTS[1]) == tags[1]  # one sentence alone = the same sentence in a batch


def test_long_sentence_is_chunked() -> None:
    long = (SENTS[1][:-1] * 40)[:300]
    tags = get_tagger().tag(long)
    assert len(tags) == 300


def test_marginals_match_brute_force() -> None:
    import itertools

    rng = np.random.default_rng(0)
    n_lab = 3
    em = rng.normal(size=(2, 3, n_lab))
    trans, start, end = rng.normal(size=(n_lab, n_lab)), rng.normal(size=n_lab), rng.normal(size=n_lab)
    post = crf_marginals_batch(em, [3, 2], trans, start, end)
    for b, n in enumerate([3, 2]):
        expect = np.zeros((n, n_lab))
        for seq in itertools.product(range(n_lab), repeat=n):
            sc = start[seq[0]] + em[b, 0, seq[0]] + end[seq[-1]]
            sc += sum(trans[seq[i - 1], seq[i]] + em[b, i, seq[i]] for i in range(1, n))
            for i, y in enumerate(seq):
                expect[i, y] += np.exp(sc)
        assert np.allclose(expect / expect.sum(axis=1, keepdims=True), post[b, :n])


def test_viterbi_respects_bio() -> None:
    logp = np.full((1, 2, len(LABELS)), -5.0)
    logp[0, 0, LABELS.index("B-LOC")] = -0.1
    logp[0, 1, LABELS.index("I-PERS")] = -0.1  # best alone, but I-PERS cannot follow B-LOC
    logp[0, 1, LABELS.index("I-LOC")] = -1.0
    assert viterbi_bio_batch(logp, [2]) == [["B-LOC", "I-LOC"]]


def test_import_stays_light() -> None:
    code = "import sys, processors.ner; assert 'torch' not in sys.modules and 'pycrfsuite' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_torch_the_crf_alone_tags() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from processors.ner.tagger import get_tagger\n"
        "t = get_tagger()\n"
        "print(t.tag(['زار', 'الرئيس', 'مدينة', 'القاهرة', 'أمس', '.'])[3])\n"
        "assert not t._nets\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "B-LOC"


def test_the_crf_backend_never_loads_torch() -> None:
    code = (
        "import sys\n"
        "from processors.ner import tag_tokens\n"
        "tags = tag_tokens([['زار', 'الرئيس', 'مدينة', 'القاهرة', 'أمس', '.']], backend='crf')\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "print(tags[0][3])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "B-LOC"
