"""Portable model bundle: linear topic and geo classifiers plus keyword document frequencies.

``training.topics`` writes it. One ``.npz`` file (``numpy.savez_compressed``, loaded with ``allow_pickle=False``) holds:

* ``meta``: UTF-8 JSON (feature configuration, class names, temperatures, metrics, attribution);
* ``topic_W``/``topic_b`` and ``geo_W``/``geo_b``: float16 weights ``(n_features, n_classes)`` and
  float32 intercepts of one-vs-rest linear classifiers;
* ``kw_df``: gzip-compressed UTF-8 JSON of the keyword document-frequency table.

Probabilities are ``softmax(margins / T)`` with a temperature ``T`` fitted on held-out outlets, so
scores are calibrated for text from outlets the model was not trained on.

Next to the bundle, ``meta.json`` records the text folding and outlet stripping the bundle was built with
(:data:`TEXT_VERSIONS`); :func:`load_bundle` refuses a bundle built for others, and a missing or unreadable
file, with a :class:`~processors.model_files.ModelError` naming the file.
"""

from __future__ import annotations

import gzip
import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from processors.arabic import TOPICS_NORMALISATION
from processors.model_files import META_FILE, ModelError, read_meta, require
from processors.topics.boilerplate import OUTLET_STRIPPING
from processors.topics.hashing import FeatureConfig
from processors.topics.keywords import DocFreq

FORMAT_VERSION = 1  # bumped when the array layout of the bundle changes
TEXT_VERSIONS = {"normalisation": TOPICS_NORMALISATION, "outlet_stripping": OUTLET_STRIPPING}


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


def meta_path(bundle_path: Path) -> Path:
    """The ``meta.json`` that goes with a bundle file: the one in its directory."""
    return bundle_path.parent / META_FILE


def load_bundle(path: Path) -> ModelBundle:
    """Read a bundle written by ``training.topics.train_topics.save_bundle``, after checking its ``meta.json``."""
    read_meta(path.parent, TEXT_VERSIONS)
    require(path)
    try:
        with path.open("rb") as fh, np.load(fh, allow_pickle=False) as z:  # fh: closed even when not a zip
            meta: dict[str, Any] = json.loads(z["meta"].tobytes().decode("utf-8"))
            topic_w = z["topic_W"].astype(np.float32)
            topic_b = z["topic_b"].astype(np.float64)
            geo_w = z["geo_W"].astype(np.float32)
            geo_b = z["geo_b"].astype(np.float64)
            kw = json.loads(gzip.decompress(z["kw_df"].tobytes()).decode("utf-8"))
        if meta.get("format_version") != FORMAT_VERSION:
            raise ModelError(path, f"unsupported topic model format {meta.get('format_version')!r}")
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
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile, zlib.error) as exc:
        raise ModelError(path, f"unreadable ({type(exc).__name__}: {exc})") from exc
    return ModelBundle(features=features, topic=topic, geo=geo, keyword_df=df, meta=meta)
