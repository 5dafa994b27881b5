"""The shipped tagger: lazy, cached loading of the model directory and sentence-level tagging.

A feature CRF (``python-crfsuite``) and, when ``neural.pt`` is shipped and torch is importable, a BiLSTM-CRF
ensemble (``neural.py``): the token posteriors of the CRF and of each net are averaged and decoded with a
BIO-constrained Viterbi.  Without torch (or without ``neural.pt``) the CRF alone tags, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from processors.ner.consistency import single_word_filter
from processors.ner.features import Featurizer, Resources, load_gazetteer

MODEL_DIR = Path(__file__).resolve().parent / "model"  # shipped artefacts live inside the package
MODEL_FILE = "ner.crfsuite"
CLUSTERS_FILE = "clusters.tsv.gz"
CLUSTERS2_FILE = "clusters2.tsv.gz"
GAZETTEER_FILE = "gazetteer.tsv.gz"
PRIORS_FILE = "priors.tsv.gz"
SILVER_FILE = "silver.tsv.gz"
GUIDE_FILE = "guide.crfsuite"
NEURAL_FILE = "neural.pt"
MAX_SENT_TOKENS = 120  # long unpunctuated runs are cut: CRF cost is linear but features beyond +-2 don't help


class CrfTagger:
    """A crfsuite model plus the feature resources it was trained with, and the BiLSTM-CRF net(s) if shipped."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        import pycrfsuite

        from processors.ner.clusters import load_clusters

        self.model_dir = model_dir
        self.counts: dict[str, int] = {}
        res = Resources()
        if (model_dir / CLUSTERS_FILE).exists():
            res.clusters = load_clusters(model_dir / CLUSTERS_FILE, self.counts)
        if (model_dir / CLUSTERS2_FILE).exists():
            res.alt_clusters = load_clusters(model_dir / CLUSTERS2_FILE)
        if (model_dir / GAZETTEER_FILE).exists():
            res.person_tokens, res.places, res.lexicon = load_gazetteer(model_dir / GAZETTEER_FILE)
        if (model_dir / PRIORS_FILE).exists():
            from processors.ner.priors import load_priors

            res.priors = load_priors(model_dir / PRIORS_FILE)
        if (model_dir / SILVER_FILE).exists():
            from processors.ner.priors import load_priors

            res.silver = load_priors(model_dir / SILVER_FILE)
        self._tagger: Any = pycrfsuite.Tagger()
        self._tagger.open(str(model_dir / MODEL_FILE))
        keep = frozenset(attr for attr, _label in self._tagger.info().state_features)
        self.featurizer = Featurizer(res, keep)
        self._guide: Any = None
        self._guide_feat: Featurizer | None = None
        if (model_dir / GUIDE_FILE).exists():  # stacking: the Wikipedia-trained CRF's tags are features
            self._guide = pycrfsuite.Tagger()
            self._guide.open(str(model_dir / GUIDE_FILE))
            gkeep = frozenset(attr for attr, _label in self._guide.info().state_features)
            gres = Resources(clusters=res.clusters, person_tokens=res.person_tokens, places=res.places)
            self._guide_feat = Featurizer(gres, gkeep)
        self._lock = threading.Lock()  # crfsuite's Tagger holds per-call state: one sentence at a time
        self._allow = single_word_filter(self.counts, res.priors)
        self._res = res
        self._nets: list[Any] = []
        self._scorer: Any = None
        self._fused: Any = None
        self._neural_tried = False
        self.crf_weight = 1.0

    def _neural_ready(self) -> bool:
        """Load the BiLSTM-CRF net(s) on first use (torch takes ~5 s and ~500 MB); False = the CRF alone."""
        if not self._neural_tried:
            self._neural_tried = True
            if (self.model_dir / NEURAL_FILE).exists() and self._guide is None:
                self._load_neural(self._res)
        return bool(self._nets)

    def _load_neural(self, res: Resources) -> None:
        try:
            import torch
        except ImportError:  # torch missing: the CRF alone (about 1.5-3 F1 lower)
            return
        from processors.ner.neural import CrfScorer, NeuralEnsemble, load_model

        torch.set_num_threads(1)  # tiny matrices: intra-op threads only add overhead (the step runs on one core)
        self._nets, self.crf_weight = load_model(self.model_dir, res)
        self._scorer = CrfScorer(self._tagger, self.featurizer)
        self._fused = NeuralEnsemble(self._nets)

    def allow_single(self, norm: str) -> bool:
        """Consistency filter for one-word names (see ``consistency.single_word_filter``)."""
        return self._allow(norm)

    def tag(self, tokens: Sequence[str], *, neural: bool = True) -> list[str]:
        """BIO tags (ANERcorp scheme: B-PERS, I-LOC, ...) for one pre-tokenised sentence.

        ``neural``: the CRF + BiLSTM-CRF ensemble when shipped (else, or with False, the CRF alone).
        """
        if not tokens:
            return []
        if neural and self._neural_ready():
            return self.tag_sents([tokens])[0]
        out: list[str] = []
        for i in range(0, len(tokens), MAX_SENT_TOKENS):
            chunk = tokens[i : i + MAX_SENT_TOKENS]
            with self._lock:
                guide = None
                if self._guide is not None and self._guide_feat is not None:
                    guide = self._guide.tag(self._guide_feat.sentence(chunk))
                out.extend(self._tagger.tag(self.featurizer.sentence(chunk, guide)))
        return out

    def tag_sents(self, sents: Sequence[Sequence[str]], *, neural: bool = True) -> list[list[str]]:
        """Tag several sentences (with the neural ensemble: all at once, as one padded batch)."""
        if not (neural and self._neural_ready()):
            return [self.tag(s, neural=False) for s in sents]
        chunks: list[Sequence[str]] = []
        owner: list[int] = []
        for k, s in enumerate(sents):
            for i in range(0, len(s), MAX_SENT_TOKENS):
                chunks.append(s[i : i + MAX_SENT_TOKENS])
                owner.append(k)
        out: list[list[str]] = [[] for _ in sents]
        if not chunks:
            return out
        for k, tags in zip(owner, self._ensemble(chunks), strict=True):
            out[k].extend(tags)
        return out

    def _ensemble(self, chunks: Sequence[Sequence[str]]) -> list[list[str]]:
        from processors.ner.neural import ensemble_decode_fast

        with self._lock:  # the caches are plain dicts: one batch at a time
            return ensemble_decode_fast(self._scorer, self._fused, chunks, self.crf_weight)


@lru_cache(maxsize=4)
def get_tagger(model_dir: Path = MODEL_DIR) -> CrfTagger:
    """The process-wide tagger for ``model_dir`` (loaded on first use)."""
    return CrfTagger(model_dir)
