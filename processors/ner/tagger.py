"""The shipped tagger: loading the model directory, and sentence-level tagging.

A feature CRF (``python-crfsuite``) and, when torch is importable, the BiLSTM-CRF ensemble (``neural.py``): the
token posteriors of the CRF and of each net are averaged and decoded with a BIO-constrained Viterbi. Without
torch the CRF alone tags (the ``crf`` backend, about 1.5-3 F1 lower).

The model directory is checked when it is loaded: ``meta.json`` must name the text folding this code uses
(``processors.arabic.NER_NORMALISATION``), and every file the model was trained with must be there and
readable; otherwise :class:`~processors.model_files.ModelError` names the file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from processors.arabic import NER_NORMALISATION
from processors.model_files import ModelError, read_meta, require
from processors.ner.consistency import single_word_filter
from processors.ner.crf_features import Featurizer
from processors.ner.neural import NEURAL_FILE
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

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parent / "model"  # shipped artefacts live inside the package
MODEL_FILE = "ner.crfsuite"
MAX_SENT_TOKENS = 120  # long unpunctuated runs are cut: CRF cost is linear but features beyond +-2 don't help


def _uses(config: dict[str, Any], key: str) -> bool:
    return bool(config.get(key, True))


class CrfTagger:
    """A crfsuite model plus the feature resources it was trained with, and the BiLSTM-CRF net(s)."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        import pycrfsuite

        self.model_dir = model_dir
        self.meta = read_meta(model_dir, {"normalisation": NER_NORMALISATION})
        config = self.meta.get("config", {})
        self.counts: dict[str, int] = {}
        res = Resources()
        if _uses(config, "use_clusters"):
            res.clusters = load_clusters(model_dir / CLUSTERS_FILE, self.counts)
            if _uses(config, "alt_clusters"):
                res.alt_clusters = load_clusters(model_dir / CLUSTERS2_FILE)
        if _uses(config, "use_gazetteer"):
            res.person_tokens, res.places, res.lexicon = load_gazetteer(model_dir / GAZETTEER_FILE)
        if _uses(config, "use_priors"):
            res.priors = load_priors(model_dir / PRIORS_FILE)
        path = require(model_dir / MODEL_FILE)
        self._tagger: Any = pycrfsuite.Tagger()
        try:
            self._tagger.open(str(path))
        except (OSError, ValueError) as exc:
            raise ModelError(path, f"unreadable ({exc})") from exc
        keep = frozenset(attr for attr, _label in self._tagger.info().state_features)
        self.featurizer = Featurizer(res, keep)
        self._lock = threading.Lock()  # crfsuite's Tagger holds per-call state: one sentence at a time
        self._allow = single_word_filter(self.counts, res.priors)
        self._res = res
        self.has_neural = _uses(config, "neural")
        if self.has_neural:
            require(model_dir / NEURAL_FILE)  # checked now; loaded on first use (torch takes ~5 s and ~500 MB)
        self._nets: list[Any] = []
        self._scorer: Any = None
        self._fused: Any = None
        self._neural_tried = False
        self.crf_weight = 1.0

    def _neural_ready(self) -> bool:
        """Load the BiLSTM-CRF net(s) on first use; False = the CRF alone (no nets shipped, or no torch)."""
        if not self._neural_tried:
            self._neural_tried = True
            if self.has_neural:
                self._load_neural(self._res)
        return bool(self._nets)

    def _load_neural(self, res: Resources) -> None:
        try:
            import torch
        except ImportError:
            log.warning("torch is not installed: the NER CRF tags alone, without its BiLSTM-CRF half")
            return
        from processors.ner.neural import CrfScorer, NeuralEnsemble, load_model

        torch.set_num_threads(1)  # tiny matrices: intra-op threads only add overhead (the step runs on one core)
        self._nets, self.crf_weight = load_model(self.model_dir, res)
        self._scorer = CrfScorer(self._tagger, self.featurizer)
        self._fused = NeuralEnsemble(self._nets)

    def load_all(self, *, neural: bool) -> None:
        """Load everything now (with ``neural``: the nets too), so a broken file fails here and not later."""
        if neural:
            self._neural_ready()

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
                out.extend(self._tagger.tag(self.featurizer.sentence(chunk)))
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
