"""Hashed sparse features shared by the topic and geo models.

One hashing space holds three feature families computed on :func:`processors.topics.words.prepare`
output (boilerplate stripped, orthography folded, truncated):

* ``w<stem>``: light-stemmed words, robust to clitics and inflection;
* ``b<stem> <stem>``: adjacent stem pairs ("كره قدم", "سوق مال");
* ``c<ngram>``: character 3-4-grams inside space-padded words (spelling variants, unseen names,
  transliterations), the family that transfers best to unseen outlets.

Features are hashed with scikit-learn's MurmurHash3 (stateless, so nothing but the configuration
is shipped), then sublinear tf (``1 + log tf``) and L2 normalisation are applied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils import murmurhash3_32

from processors.topics.words import MAX_FEATURE_CHARS, light_stem, prepare, tokens

N_FEATURES_LOG2 = 19  # 2^19 buckets: collisions cost < 0.5 F1 points and 9 classes fit in ~9 MB as float16
CHAR_NGRAM_MIN = 3  # bigrams of letters are mostly clitics; 3-grams are the smallest useful roots
CHAR_NGRAM_MAX = 4  # 5-grams doubled feature time for no measured cross-outlet gain
WORD_CACHE_SIZE = 100_000  # per-word feature cache; news vocabulary repeats, ~40 MB at this bound
BIGRAM_MULT = 0x9E3779B1  # odd 32-bit multiplier (golden ratio) mixing the first stem hash into a bigram bucket
BIGRAM_SALT = 0x5BD1E995  # keeps bigram buckets off the unigram ones for identical stems


@dataclass(frozen=True)
class FeatureConfig:
    """Everything needed to recompute features exactly; saved next to the weights."""

    n_features_log2: int = N_FEATURES_LOG2
    char_min: int = CHAR_NGRAM_MIN
    char_max: int = CHAR_NGRAM_MAX
    max_chars: int = MAX_FEATURE_CHARS
    word_bigrams: bool = True

    @property
    def n_features(self) -> int:
        return 1 << self.n_features_log2


class Featurizer:
    """Turns ``(title, body)`` pairs into L2-normalised sublinear-tf hashed vectors.

    Hashing: ``murmurhash3_32(feature, seed=0, positive=True) % n_features`` for word and char
    features; a stem bigram's bucket is derived arithmetically from its two stem hashes, so no
    string is built for it. Per-word results are cached (bounded), which makes streaming fast.
    """

    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = config or FeatureConfig()
        self._cache: dict[str, tuple[int, np.ndarray]] = {}

    def _word(self, word: str) -> tuple[int, np.ndarray]:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        cfg = self.config
        n = cfg.n_features
        stem = light_stem(word)
        stem_hash = int(murmurhash3_32("w" + stem, seed=0, positive=True))
        padded = " " + word + " "
        feats = [
            "c" + padded[i : i + k] for k in range(cfg.char_min, cfg.char_max + 1) for i in range(len(padded) - k + 1)
        ]
        idx = np.fromiter(
            (int(murmurhash3_32(f, seed=0, positive=True)) % n for f in feats), dtype=np.int64, count=len(feats)
        )
        out = (stem_hash, np.concatenate([np.array([stem_hash % n], dtype=np.int64), idx]))
        if len(self._cache) >= WORD_CACHE_SIZE:
            self._cache.clear()
        self._cache[word] = out
        return out

    def indices(self, text: str) -> np.ndarray:
        """Bucket of every feature occurrence in one prepared text (with repeats)."""
        words = tokens(text)
        if not words:
            return np.zeros(0, dtype=np.int64)
        cache = self._cache
        parts = [cache.get(w) or self._word(w) for w in words]
        arrays = [p[1] for p in parts]
        if self.config.word_bigrams and len(parts) > 1:
            h = np.array([p[0] for p in parts], dtype=np.uint64)
            big = (
                (h[:-1] * np.uint64(BIGRAM_MULT) + h[1:] + np.uint64(BIGRAM_SALT)) & np.uint64(0xFFFFFFFF)
            ) % np.uint64(self.config.n_features)
            arrays.append(big.astype(np.int64))
        return np.concatenate(arrays)

    def prepare(self, title: str, body: str) -> str:
        return prepare(title, body, max_chars=self.config.max_chars)

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Sparse row of one prepared text as (sorted bucket indices, L2-normalised 1+log tf values)."""
        uniq, counts = np.unique(self.indices(text), return_counts=True)
        vals = (1.0 + np.log(counts.astype(np.float32))).astype(np.float32)
        norm = float(np.sqrt(np.dot(vals, vals)))
        if norm > 0:
            vals /= norm
        return uniq, vals

    def transform_prepared(self, texts: list[str]) -> sp.csr_matrix:
        """Hashed, sublinear-tf, L2-normalised rows for already prepared texts."""
        indptr = [0]
        all_idx: list[np.ndarray] = []
        all_val: list[np.ndarray] = []
        for t in texts:
            uniq, vals = self.vector(t)
            all_idx.append(uniq)
            all_val.append(vals)
            indptr.append(indptr[-1] + len(uniq))
        indices = np.concatenate(all_idx) if all_idx else np.zeros(0, dtype=np.int64)
        data = np.concatenate(all_val) if all_val else np.zeros(0, dtype=np.float32)
        return sp.csr_matrix(
            (data, indices.astype(np.int32), np.array(indptr, dtype=np.int64)),
            shape=(len(texts), self.config.n_features),
        )

    def transform(self, pairs: list[tuple[str, str]]) -> sp.csr_matrix:
        return self.transform_prepared([self.prepare(t, b) for t, b in pairs])
