"""A bundle written by training loads at run time, without pickles, with its meta.json."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

from processors.topics.bundle import LinearModel, ModelBundle, load_bundle
from processors.topics.hashing import FeatureConfig, Featurizer
from processors.topics.keywords import DocFreq
from training.topics.train_topics import save_bundle


def test_bundle_round_trip_without_pickle(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    cfg = FeatureConfig(n_features_log2=10)
    topic = LinearModel(("a", "b"), rng.normal(size=(1024, 2)).astype(np.float32), np.zeros(2), 2.0)
    geo = LinearModel(("world", "local"), rng.normal(size=(1024, 2)).astype(np.float32), np.ones(2), 3.0)
    df = DocFreq(n_docs=10, unigrams={"كلمة": 3}, bigrams={"كلمة اخرى": 2})
    path = tmp_path / "m.npz"
    save_bundle(path, ModelBundle(cfg, topic, geo, df, {"attribution": ["x"]}))
    with np.load(path, allow_pickle=False) as z:
        assert set(z.files) == {"meta", "topic_W", "topic_b", "geo_W", "geo_b", "kw_df"}
        kw = json.loads(gzip.decompress(z["kw_df"].tobytes()))
        assert kw["unigrams"] == {"كلمة": 3}
    b = load_bundle(path)
    assert b.features == cfg and b.topic.classes == ("a", "b") and b.geo.temperature == 3.0
    assert np.allclose(b.topic.weights, topic.weights, atol=1e-2)
    x = Featurizer(cfg).transform([("كلمة", "نص")])
    p = b.topic.proba(x)
    assert p.shape == (1, 2) and abs(float(p.sum()) - 1.0) < 1e-6
