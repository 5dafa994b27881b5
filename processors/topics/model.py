"""Portable model bundle: linear topic and geo classifiers plus keyword document frequencies.

One ``.npz`` file (``numpy.savez_compressed``, loaded with ``allow_pickle=False``) holds:

* ``meta``: UTF-8 JSON (feature configuration, class names, temperatures, metrics, attribution);
* ``topic_W``/``topic_b`` and ``geo_W``/``geo_b``: float16 weights ``(n_features, n_classes)`` and
  float32 intercepts of one-vs-rest linear classifiers;
* ``kw_df``: gzip-compressed UTF-8 JSON of the keyword document-frequency table.

Probabilities are ``softmax(margins / T)`` with a temperature ``T`` fitted on held-out outlets, so
scores are calibrated for text from outlets the model was not trained on.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from processors.topics.features import FeatureConfig
from processors.topics.keywords import DocFreq

FORMAT_VERSION = 1  # bumped when the array layout of the bundle changes


@dataclass(frozen=True)
class LinearModel:
    """A calibrated linear classifier over hashed features."""

    classes: tuple[str, ...]
    weights: np.ndarray  # (n_features, n_classes), float32 in memory
    intercept: np.ndarray  # (n_classes,)
    temperature: float = 1.0

    def margins(self, x: sp.csr_matrix) -> np.ndarray:
        """Raw one-vs-rest margins, shape ``(n_rows, n_classes)``."""
        out = np.empty((x.shape[0], len(self.classes)), dtype=np.float64)
        for i in range(x.shape[0]):
            lo, hi = x.indptr[i], x.indptr[i + 1]
            idx = x.indices[lo:hi]
            out[i] = x.data[lo:hi] @ np.take(self.weights, idx, axis=0) if hi > lo else 0.0
        return out + self.intercept

    def proba_one(self, indices: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of one sparse row given as (indices, values); no scipy overhead."""
        z = values @ np.take(self.weights, indices, axis=0) if len(indices) else np.zeros(len(self.classes))
        return softmax(((z + self.intercept) / self.temperature)[None, :])[0]

    def proba(self, x: sp.csr_matrix) -> np.ndarray:
        """Calibrated class probabilities (rows sum to 1)."""
        return softmax(self.margins(x) / self.temperature)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class ModelBundle:
    """Everything :func:`processors.topics.tag_article` needs."""

    features: FeatureConfig
    topic: LinearModel
    geo: LinearModel
    keyword_df: DocFreq
    meta: dict[str, Any]


def _json_bytes(obj: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(obj, ensure_ascii=False, sort_keys=True).encode("utf-8"), dtype=np.uint8)


def save_bundle(path: Path, bundle: ModelBundle) -> None:
    """Write the bundle as one compressed ``.npz`` (no pickles)."""
    meta = dict(bundle.meta)
    meta.update(
        {
            "format_version": FORMAT_VERSION,
            "features": {
                "n_features_log2": bundle.features.n_features_log2,
                "char_min": bundle.features.char_min,
                "char_max": bundle.features.char_max,
                "max_chars": bundle.features.max_chars,
                "word_bigrams": bundle.features.word_bigrams,
            },
            "topic_classes": list(bundle.topic.classes),
            "topic_temperature": bundle.topic.temperature,
            "geo_classes": list(bundle.geo.classes),
            "geo_temperature": bundle.geo.temperature,
            "keyword_n_docs": bundle.keyword_df.n_docs,
        }
    )
    kw = {"unigrams": dict(bundle.keyword_df.unigrams), "bigrams": dict(bundle.keyword_df.bigrams)}
    kw_bytes = gzip.compress(json.dumps(kw, ensure_ascii=False, sort_keys=True).encode("utf-8"), mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez_compressed(
            fh,
            meta=_json_bytes(meta),
            topic_W=bundle.topic.weights.astype(np.float16),
            topic_b=bundle.topic.intercept.astype(np.float32),
            geo_W=bundle.geo.weights.astype(np.float16),
            geo_b=bundle.geo.intercept.astype(np.float32),
            kw_df=np.frombuffer(kw_bytes, dtype=np.uint8),
        )


def load_bundle(path: Path) -> ModelBundle:
    """Read a bundle written by :func:`save_bundle`."""
    with np.load(path, allow_pickle=False) as z:
        meta: dict[str, Any] = json.loads(z["meta"].tobytes().decode("utf-8"))
        topic_w = z["topic_W"].astype(np.float32)
        topic_b = z["topic_b"].astype(np.float64)
        geo_w = z["geo_W"].astype(np.float32)
        geo_b = z["geo_b"].astype(np.float64)
        kw = json.loads(gzip.decompress(z["kw_df"].tobytes()).decode("utf-8"))
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"unsupported topic model format {meta.get('format_version')!r} in {path}")
    f = meta["features"]
    features = FeatureConfig(
        n_features_log2=int(f["n_features_log2"]),
        char_min=int(f["char_min"]),
        char_max=int(f["char_max"]),
        max_chars=int(f["max_chars"]),
        word_bigrams=bool(f["word_bigrams"]),
    )
    topic = LinearModel(tuple(meta["topic_classes"]), topic_w, topic_b, float(meta["topic_temperature"]))
    geo = LinearModel(tuple(meta["geo_classes"]), geo_w, geo_b, float(meta["geo_temperature"]))
    df = DocFreq(n_docs=int(meta["keyword_n_docs"]), unigrams=kw["unigrams"], bigrams=kw["bigrams"])
    return ModelBundle(features=features, topic=topic, geo=geo, keyword_df=df, meta=meta)
