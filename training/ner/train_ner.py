"""Train the shipped Arabic NER model (CRF over lexical + cluster + gazetteer features, ensembled with a BiLSTM-CRF).

Reproduce the shipped artefacts (from the repository root, data at ../shared/data)::

    bin/akhbar train ner --data ../shared/data --out processors/ner/model --seed 13

Steps: (1) word clusters from unlabelled news text (``clusters.py``; SaudiNewsNet excluded for licence
reasons); (2) gazetteer table from Wikidata person-name tokens (CC0) and country names; (3) CRF (L-BFGS,
elastic net) on ANERcorp train; (4) a char-CNN + word-vector BiLSTM-CRF (``neural.py``, torch, one thread) whose
token posteriors are averaged with the CRF's.  The dev step holds out the last 10% of sentences and reports dev
F1 (``--no-dev`` skips it); the full step (``--no-full`` skips it) then retrains everything on all sentences.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from processors.arabic import NER_NORMALISATION
from processors.model_files import META_FILE
from processors.ner.conll import read_conll
from processors.ner.crf_features import Featurizer
from processors.ner.neural import NEURAL_FILE, VECTORS_SHIP_FILE
from processors.ner.resources import (
    CLUSTERS2_FILE,
    CLUSTERS_FILE,
    GAZETTEER_FILE,
    PRIORS_FILE,
    Resources,
    load_clusters,
    load_gazetteer,
    load_priors,
)
from processors.ner.tagger import MAX_SENT_TOKENS, MODEL_FILE
from processors.ner.tokens import normalize, split_clitics, tokenize
from training.ner.evaluate import evaluate

log = logging.getLogger(__name__)

DEFAULT_SEED = 13  # any fixed value; recorded in the model metadata
DEV_FRACTION = 0.10  # the house rule: the LAST 10% of ANERcorp train sentences are the dev split
CRF_C1 = 0.05  # L1 weight: prunes the long tail of rare attributes (smaller, faster model) with no F1 loss
CRF_C2 = 0.05  # L2 weight, chosen on the dev split among {0.01, 0.05, 0.1, 0.5}
CRF_MAX_ITER = 200  # L-BFGS converges on ~110k tokens within 150-250 iterations
CRF_MIN_FREQ = 1  # keep every attribute seen in training; L1 does the pruning
MIN_PERSON_TOKEN_LEN = 2  # one-letter Wikidata "name tokens" are transliteration debris
PERSON_COUNT_BUCKETS = (1, 5, 50)  # Wikidata token frequency thresholds -> rare / seen / common / very common
ALT_SEED_OFFSET = 1  # the second clustering differs only in its SVD/k-means seed
WIKI_KEEP_EMPTY = 0.2  # share of entity-less Wikipedia sentences kept (they teach "O" but are 10x cheaper)
VECTORS_FILE = "vectors.npz"  # training-time only, never shipped (tens of MB)
NEURAL_SEEDS = 1  # nets averaged (seeds seed, seed+1, ...): 2 nets measured 0.794 vs 0.799 and slower
NEURAL_EPOCHS = 20  # Adam 2e-3 decayed linearly to 10%; dev F1 flattens after ~13 epochs
NEURAL_HIDDEN = 100  # LSTM units per direction
NEURAL_CHAR_FILTERS = 50  # char-CNN filters (width 3)
NEURAL_WORD_DROPOUT = 0.0  # share of word vectors hidden per batch in training
NEURAL_VOCAB = 60_000  # most frequent words whose vectors ship (int8): ~7.7 MB; rarer words rely on clusters
CRF_WEIGHT = 0.5  # share of the CRF's marginals in the averaged posteriors (chosen on the dev split)
# The net first reads WikiFANE Gold + AQMAR (coarse tags, ~14 k sentences, 4x ANERcorp) for 3 epochs, then trains
# on ANERcorp as before: dev F1 +1.5 / +1.9 with net seeds 13 / 14 (0.790 -> 0.805, 0.782 -> 0.801), mostly PERS.
NEURAL_PRETRAIN_EPOCHS = 3


@dataclass
class TrainConfig:
    """Knobs for experiments (defaults = the shipped configuration)."""

    c1: float = CRF_C1
    c2: float = CRF_C2
    max_iter: int = CRF_MAX_ITER
    use_clusters: bool = True
    alt_clusters: bool = True  # k-means on 128-d vectors varies +-1.3 F1 with the seed; two clusterings average it
    use_gazetteer: bool = True
    use_priors: bool = True
    neural: bool = True  # BiLSTM-CRF nets ensembled with the CRF (``neural.py``); needs torch at train time
    neural_seeds: int = NEURAL_SEEDS
    neural_epochs: int = NEURAL_EPOCHS
    neural_hidden: int = NEURAL_HIDDEN
    neural_char_filters: int = NEURAL_CHAR_FILTERS
    neural_word_dropout: float = NEURAL_WORD_DROPOUT
    neural_vocab: int = NEURAL_VOCAB
    crf_weight: float = CRF_WEIGHT
    neural_pretrain_epochs: int = NEURAL_PRETRAIN_EPOCHS  # epochs on WikiFANE + AQMAR before ANERcorp's


def build_gazetteer(data_dir: Path, out_path: Path) -> None:
    """Write ``per``/``loc`` lookup rows (normalised tokens) from the gazetteers in ``data_dir/gazetteers``."""
    gdir = data_dir / "gazetteers"
    per_counts: dict[str, int] = {}
    per_path = gdir / "wikidata_person_name_tokens.tsv"
    if per_path.exists():
        for line in per_path.open(encoding="utf-8"):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or not parts[2].isdigit():
                continue
            tok = normalize(parts[1].replace(" ", ""))
            if len(tok) >= MIN_PERSON_TOKEN_LEN:
                per_counts[tok] = per_counts.get(tok, 0) + int(parts[2])
    places: dict[str, str] = {}
    c_path = gdir / "countries_ar_en.tsv"
    if c_path.exists():
        rows = c_path.open(encoding="utf-8").read().splitlines()
        header = rows[0].split("\t")
        cols = [header.index(c) for c in ("name_ar_common", "name_ar_official") if c in header]
        for row in rows[1:]:
            parts = row.split("\t")
            for ci in cols:
                if ci >= len(parts):
                    continue
                toks = [normalize(t.text) for t in tokenize(parts[ci])]
                if len(toks) == 1:
                    places[toks[0]] = "S"
                    if toks[0].startswith("ال"):
                        places.setdefault(toks[0][2:], "S")
                else:
                    for t in toks:
                        places.setdefault(t, "P")
    lexicon = build_entity_lexicon(data_dir)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out_path, "wt", encoding="utf-8", compresslevel=9) as fh:
        for tok, val in sorted(lexicon.items()):
            fh.write(f"lex\t{tok}\t{val}\n")
        for tok, cnt in sorted(per_counts.items()):
            bucket = sum(cnt >= b for b in PERSON_COUNT_BUCKETS)
            fh.write(f"per\t{tok}\t{bucket}\n")
        for tok, kind in sorted(places.items()):
            fh.write(f"loc\t{tok}\t{kind}\n")


# WikiFANE fine classes -> ANERcorp coarse types (None = not an ANERcorp-style entity, ignored).
WIKIFANE_COARSE: dict[str, str | None] = {
    **{
        c: "PERS"
        for c in (
            "Politician",
            "Religious_PER",
            "Other_PER",
            "Artist",
            "Scientist",
            "Athlete",
            "Businessperson",
            "Engineer",
            "Lawyer",
            "Police",
        )
    },
    **{
        c: "ORG"
        for c in (
            "Government",
            "Non-Governmental",
            "Commercial",
            "Educational",
            "Media",
            "Religious_ORG",
            "Sports",
            "Entertainment",
            "Medical-Science",
        )
    },
    **{
        c: "LOC"
        for c in (
            "Nation",
            "Population-Center",
            "State-or-Province",
            "County-or-District",
            "GPE-Cluster",
            "Continent",
            "Water-Body",
            "Land-Region-Natural",
            "Building-Grounds",
            "Airport",
            "Path",
            "Subarea-Facility",
        )
    },
    **{
        c: "MISC"
        for c in (
            "Book",
            "Movie",
            "Sound",
            "Software",
            "Hardware",
            "Projectile",
            "Food",
            "Drug",
            "Nuclear",
            "Blunt",
            "Shooting",
            "Exploding",
            "Sharp",
            "Chemical",
        )
    },
    "Group": None,
    "Celestial": None,
    "Plant": None,
    "Water": None,
    "Land": None,
    "Air": None,
}
LEXICON_MIN_COUNT = 2  # a token must occur inside >= 2 entity mentions to get a lexicon feature
LEXICON_MIN_SHARE = 0.3  # ... and this type must be >= 30% of its entity uses
ENTITY_RATIO_BUCKETS = (0.1, 0.3, 0.6, 0.9)  # share of a token's occurrences that are inside an entity


def coarse_tag(tag: str, source: str) -> str:
    """Map a WikiFANE/AQMAR tag to ANERcorp's coarse BIO scheme (``O`` when unmapped)."""
    if len(tag) < 3 or tag[1] != "-" or tag[0] not in "BI":
        return "O"
    typ = tag[2:]
    if source == "wikifane":
        coarse = WIKIFANE_COARSE.get(typ)
    elif typ.startswith("MIS"):
        coarse = "MISC"
    else:
        coarse = {"PER": "PERS", "LOC": "LOC", "ORG": "ORG"}.get(typ)
    return f"{tag[0]}-{coarse}" if coarse else "O"


def build_entity_lexicon(data_dir: Path) -> dict[str, str]:
    """Token -> ``TYPE:ratio-bucket`` from WikiFANE Gold and AQMAR entity mentions (Wikipedia, not news).

    Used as a *feature* rather than as extra training sentences: the external corpora tell the tagger which
    words tend to be names of which type without importing their annotation conventions and domain.
    """
    ner = data_dir / "ner"
    files = [(ner / "wikifane_gold" / "wikifane_gold.conll", "wikifane")]
    files += [(p, "aqmar") for p in sorted((ner / "aqmar" / "articles").glob("*.txt"))]
    total: dict[str, int] = {}
    ent: dict[str, dict[str, int]] = {}
    for path, source in files:
        if not path.exists():
            continue
        sents, tags = read_conll(path)
        for toks, ys in zip(sents, tags, strict=True):
            for tok, y in zip(toks, ys, strict=True):
                stem = split_clitics(normalize(tok)).stem
                total[stem] = total.get(stem, 0) + 1
                c = coarse_tag(y, source)
                if c != "O":
                    d = ent.setdefault(stem, {})
                    d[c[2:]] = d.get(c[2:], 0) + 1
    lex: dict[str, str] = {}
    for stem, d in ent.items():
        n = sum(d.values())
        if n < LEXICON_MIN_COUNT:
            continue
        ratio = n / total[stem]
        bucket = sum(ratio >= b for b in ENTITY_RATIO_BUCKETS)
        types = [t for t, c in sorted(d.items()) if c / n >= LEXICON_MIN_SHARE]
        lex[stem] = "+".join(types) + f":{bucket}"
    return lex


def split_dev(sents: list[list[str]], tags: list[list[str]]) -> tuple[list[int], list[int]]:
    """Indices of train (first 90%) and dev (last 10%) sentences."""
    n_dev = round(len(sents) * DEV_FRACTION)
    cut = len(sents) - n_dev
    return list(range(cut)), list(range(cut, len(sents)))


def train_crf(
    feat: Featurizer,
    sents: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    model_path: Path,
    cfg: TrainConfig,
) -> None:
    """Fit a CRF with L-BFGS and write it to ``model_path``."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for toks, ys in zip(sents, tags, strict=True):
        trainer.append(feat.sentence(toks), list(ys))
    trainer.set_params(
        {
            "c1": cfg.c1,
            "c2": cfg.c2,
            "max_iterations": cfg.max_iter,
            "feature.possible_transitions": True,
            "feature.minfreq": CRF_MIN_FREQ,
        }
    )
    model_path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(model_path))


def tag_sents(
    feat: Featurizer,
    model_path: Path,
    sents: Sequence[Sequence[str]],
) -> list[list[str]]:
    """Tag sentences with a CRF model file."""
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(model_path))
    return [list(tagger.tag(feat.sentence(s))) if s else [] for s in sents]


def wiki_sentences(data_dir: Path, seed: int) -> tuple[list[list[str]], list[list[str]]]:
    """WikiFANE Gold + AQMAR sentences with coarse tags: all with an entity, ~20% of the others."""
    rng = random.Random(seed)
    ner = data_dir / "ner"
    files = [(ner / "wikifane_gold" / "wikifane_gold.conll", "wikifane")]
    files += [(p, "aqmar") for p in sorted((ner / "aqmar" / "articles").glob("*.txt"))]
    out_s: list[list[str]] = []
    out_y: list[list[str]] = []
    for path, src in files:
        if not path.exists():
            continue
        ss, yy = read_conll(path)
        for s, y in zip(ss, yy, strict=True):
            c = [coarse_tag(t, src) for t in y]
            if any(t != "O" for t in c) or rng.random() < WIKI_KEEP_EMPTY:
                out_s.append(s[:MAX_SENT_TOKENS])
                out_y.append(c[:MAX_SENT_TOKENS])
    return out_s, out_y


def load_resources(model_dir: Path, cfg: TrainConfig) -> Resources:
    """Resources from a model directory (clusters, gazetteer and priors files if present and enabled)."""
    res = Resources()
    if cfg.use_clusters and (model_dir / CLUSTERS_FILE).exists():
        res.clusters = load_clusters(model_dir / CLUSTERS_FILE)
    if cfg.use_clusters and cfg.alt_clusters and (model_dir / CLUSTERS2_FILE).exists():
        res.alt_clusters = load_clusters(model_dir / CLUSTERS2_FILE)
    if cfg.use_gazetteer and (model_dir / GAZETTEER_FILE).exists():
        res.person_tokens, res.places, res.lexicon = load_gazetteer(model_dir / GAZETTEER_FILE)
    if cfg.use_priors and (model_dir / PRIORS_FILE).exists():
        res.priors = load_priors(model_dir / PRIORS_FILE)
    return res


def neural_config(cfg: TrainConfig) -> dict[str, object]:
    """What the run-time loader needs to rebuild the nets (and the ensemble weight)."""
    return {
        "hidden": cfg.neural_hidden,
        "char_filters": cfg.neural_char_filters,
        "crf_weight": cfg.crf_weight,
        "seeds": cfg.neural_seeds,
    }


def train_neural(
    res: Resources,
    vectors: Path,
    sents: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    seed: int,
    cfg: TrainConfig,
    data_dir: Path | None = None,
) -> tuple[list[Any], Any, tuple[Any, Any]]:
    """Train ``cfg.neural_seeds`` BiLSTM-CRF nets; returns them, their featuriser and the int8 vectors + scales."""
    import torch

    from processors.ner.neural import NeuralTagger, WordFeats
    from training.ner.fit_neural import build_vocabs, ship_vectors, train_network

    torch.set_num_threads(1)
    windex, table, q, scale = ship_vectors(vectors, cfg.neural_vocab)
    wf = WordFeats(res, windex, {})
    pre_s: list[list[str]] = []
    pre_y: list[list[str]] = []
    if cfg.neural_pretrain_epochs and data_dir is not None:
        pre_s, pre_y = wiki_sentences(data_dir, seed)
        log.info("pretraining on %d WikiFANE/AQMAR sentences", len(pre_s))
    wf.vocabs = build_vocabs(wf, [*sents, *pre_s])
    nets = []
    for k in range(cfg.neural_seeds):
        common = functools.partial(
            train_network,
            wf,
            table,
            seed=seed + k,
            hidden=cfg.neural_hidden,
            char_filters=cfg.neural_char_filters,
            word_dropout=cfg.neural_word_dropout,
        )
        # Wikipedia first, news last: the net learns names from 4x more sentences, then ANERcorp's conventions
        init = common(pre_s, pre_y, epochs=cfg.neural_pretrain_epochs) if pre_s else None
        net = common(sents, tags, epochs=cfg.neural_epochs, init=init)
        nets.append(NeuralTagger(net, wf))
    return nets, wf, (q, scale)


def ensemble_tag(
    feat: Featurizer, crf_path: Path, nets: Sequence[Any], sents: Sequence[Sequence[str]], crf_weight: float
) -> list[list[str]]:
    """Tags of the CRF + nets ensemble, as the run-time tagger computes them (chunks of ``MAX_SENT_TOKENS``)."""
    import pycrfsuite

    from training.ner.fit_neural import ensemble_decode

    tagger = pycrfsuite.Tagger()
    tagger.open(str(crf_path))
    out: list[list[str]] = []
    for s in sents:
        tags: list[str] = []
        for i in range(0, len(s), MAX_SENT_TOKENS):
            tags.extend(ensemble_decode(tagger, feat, nets, [s[i : i + MAX_SENT_TOKENS]], crf_weight)[0])
        out.append(tags)
    return out


def run(
    data_dir: Path,
    out_dir: Path,
    *,
    seed: int,
    dev: bool,
    full: bool,
    cfg: TrainConfig,
    work_dir: Path | None = None,
) -> dict[str, object]:
    """Build resources, train (dev and/or full), write the model directory and return the metadata.

    ``work_dir`` keeps the (large, not shipped) word vectors between runs; default: a temporary directory.
    """
    import tempfile

    from processors.ner.consistency import propagate_windows, single_word_filter
    from training.ner.priors import fit_priors, save_priors

    random.seed(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = None
    if work_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="akhbar-ner-")
        work_dir = Path(tmp.name)
    work_dir.mkdir(parents=True, exist_ok=True)
    vectors = work_dir / VECTORS_FILE
    t0 = time.time()
    if cfg.use_clusters and (not (out_dir / CLUSTERS_FILE).exists() or (cfg.use_priors and not vectors.exists())):
        from training.ner.clusters import build_clusters, iter_corpus_texts

        build_clusters(iter_corpus_texts(data_dir), out_dir / CLUSTERS_FILE, seed=seed, vectors_out=vectors)
    if cfg.use_clusters and cfg.alt_clusters and not (out_dir / CLUSTERS2_FILE).exists():
        from training.ner.clusters import build_clusters, iter_corpus_texts

        build_clusters(iter_corpus_texts(data_dir), out_dir / CLUSTERS2_FILE, seed=seed + ALT_SEED_OFFSET)
    if cfg.use_gazetteer and not (out_dir / GAZETTEER_FILE).exists():
        build_gazetteer(data_dir, out_dir / GAZETTEER_FILE)
    cfg_no_priors = TrainConfig(**{**cfg.__dict__, "use_priors": False})
    res = load_resources(out_dir, cfg_no_priors)
    sents, tags = read_conll(data_dir / "ner" / "anercorp" / "train.txt")
    meta: dict[str, object] = {
        "normalisation": NER_NORMALISATION,  # the folding the features were computed with (checked at load)
        "seed": seed,
        "config": cfg.__dict__,
        "train_sentences": len(sents),
        "data": "ANERcorp train (CAMeL split), CC BY-SA 4.0",
    }
    if dev:
        tr, dv = split_dev(sents, tags)
        tr_s, tr_y = [sents[i] for i in tr], [tags[i] for i in tr]
        if cfg.use_priors:
            res.priors = fit_priors(vectors, tr_s, tr_y)  # priors from the 90% only: an honest dev figure
        dev_model = work_dir / "dev.crfsuite"
        train_crf(Featurizer(res), tr_s, tr_y, dev_model, cfg)
        feat = Featurizer(res)
        dev_s, dev_y = [sents[i] for i in dv], [tags[i] for i in dv]
        pred = tag_sents(feat, dev_model, dev_s)
        meta["dev_sentence_level"] = evaluate(dev_y, pred)
        counts: dict[str, int] = {}
        if (out_dir / CLUSTERS_FILE).exists():
            load_clusters(out_dir / CLUSTERS_FILE, counts)
        allow = single_word_filter(counts, res.priors)
        meta["dev"] = evaluate(dev_y, propagate_windows(dev_s, pred, allow=allow))
        if cfg.neural:
            meta["dev_crf_only_sentence_level"] = meta["dev_sentence_level"]
            meta["dev_crf_only"] = meta["dev"]
            nets, _wf, _vectors = train_neural(res, vectors, tr_s, tr_y, seed, cfg, data_dir)
            pred = ensemble_tag(feat, dev_model, nets, dev_s, cfg.crf_weight)
            meta["dev_sentence_level"] = evaluate(dev_y, pred)
            meta["dev"] = evaluate(dev_y, propagate_windows(dev_s, pred, allow=allow))
        log.info("dev (sentence level): %s", json.dumps(meta["dev_sentence_level"]["micro"]))  # type: ignore[index]
        log.info("dev (with consistency): %s", json.dumps(meta["dev"]["micro"]))  # type: ignore[index]
    if full:
        if cfg.use_priors:
            res.priors = fit_priors(vectors, sents, tags)
            save_priors(res.priors, out_dir / PRIORS_FILE)
        train_crf(Featurizer(res), sents, tags, out_dir / MODEL_FILE, cfg)
        if cfg.neural:
            from training.ner.fit_neural import save_model

            nets, wf, (q, scale) = train_neural(res, vectors, sents, tags, seed, cfg, data_dir)
            save_model(out_dir, nets, wf.vocabs, wf.word_index, q, scale, neural_config(cfg))
        else:
            for name in (NEURAL_FILE, VECTORS_SHIP_FILE):
                (out_dir / name).unlink(missing_ok=True)
    meta["train_seconds"] = round(time.time() - t0, 1)
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if tmp is not None:
        tmp.cleanup()
    return meta
