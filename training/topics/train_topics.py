"""Train, evaluate and export the topic/geo/keyword bundle from the labelled news sets.

Data (JSON lines, see ``../shared/data/README.md``): SANAD AlKhaleej, ANT v1.1 (JawharaFM) and ANT
v2.1 multi-source (AlArabiya, CNN, France24, SkyNews). Labels come from ``topic_unified`` and
``geo_scope``; rows where they are null are skipped for that head. Nothing else is read.

Method: hashed stem uni/bigram + char 3-4-gram features (:mod:`processors.topics.hashing`), one
SGD logistic-regression (one-vs-rest) per head, sample weights that balance source x label cells
(``1/sqrt(cell size)``) so no outlet's style dominates a label, ``misc`` down-weighted (a single
outlet's catch-all section that otherwise swallows culture/science news from other outlets), and a
softmax temperature fitted on leave-one-outlet-out predictions so probabilities are calibrated
for unseen outlets. Everything is seeded; the same data gives the same bundle bit for bit.
"""

from __future__ import annotations

import gzip
import json
import math
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score

from processors.arabic import fold_for_topics
from processors.topics.boilerplate import strip_boilerplate
from processors.topics.bundle import FORMAT_VERSION, TEXT_VERSIONS, LinearModel, ModelBundle, meta_path, softmax
from processors.topics.geo import GEO_LEAD_CHARS, decide_scope
from processors.topics.hashing import FeatureConfig, Featurizer
from processors.topics.words import MAX_FEATURE_CHARS, MAX_TITLE_CHARS
from training.topics.doc_freq import build_doc_freq
from training.topics.evaluate import macro_f1, top_label_ece

SEED = 13  # fixed seed: training is reproducible bit for bit
SGD_ALPHA = 1e-6  # L2 strength; 5e-7..2e-6 all within 0.01 LOO macro-F1, 1e-6 best on average
SGD_EPOCHS = 12  # passes over the data; more did not change dev or LOO scores
MISC_WEIGHT = 0.2  # 'misc' is JawharaFM's catch-all section; at full weight it absorbed other outlets' culture/science
GEO_TEXT_CHARS = 3000  # body prefix cleaned before the geo lead is cut, as in tag_article
DATA_FILES = ("sanad_alkhaleej.jsonl", "ant_v1.jsonl", "ant_multisource.jsonl")  # never the unlabelled set
MULTISOURCE_OUTLETS = ("Alarabia", "CNN", "France24", "SkyNews")  # leave-one-outlet-out folds

ATTRIBUTION = [
    "SANAD (AlKhaleej portion): Einea, Elnagar & Al Debsi, 'SANAD: Single-label Arabic News Articles Dataset "
    "for automatic text categorization', Data in Brief 25 (2019) 104076, doi:10.1016/j.dib.2019.104076; CC BY 4.0.",
    "ANT Corpus v1.1 (JawharaFM): A. Chouigui, O. Ben Khiroun, B. Elayeb, 'ANT Corpus: An Arabic News Text "
    "Collection for Textual Classification', AICCSA 2017, pp. 135-142; citation licence.",
    "ANT Corpus v2.1 multi-source: A. Chouigui, O. Ben Khiroun, B. Elayeb, 'An Arabic Multi-source News Corpus: "
    "Experimenting on Single-document Extractive Summarization', Arabian J. Sci. Eng. 46(8), 2021; citation licence.",
]


@dataclass(frozen=True)
class Row:
    source: str
    split: str
    topic: str | None
    geo: str | None
    title: str
    text: str


def load_rows(data_dir: Path) -> list[Row]:
    """Labelled rows of the three training sets found in ``data_dir``."""
    rows: list[Row] = []
    for name in DATA_FILES:
        path = data_dir / name
        if not path.exists():
            raise FileNotFoundError(f"missing training file {path}")
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                r = json.loads(line)
                rows.append(
                    Row(
                        source=str(r.get("source") or name),
                        split=str(r.get("split") or "train"),
                        topic=r.get("topic_unified"),
                        geo=r.get("geo_scope"),
                        title=str(r.get("title") or ""),
                        text=str(r.get("text") or ""),
                    )
                )
    return rows


def cell_weights(sources: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """``1/sqrt(|source x label cell|)`` weights, misc down-weighted, rescaled to mean 1."""
    cells = Counter(zip(sources, labels, strict=True))
    w = np.array([1.0 / math.sqrt(cells[(s, y)]) for s, y in zip(sources, labels, strict=True)])
    w *= np.array([MISC_WEIGHT if y == "misc" else 1.0 for y in labels])
    return np.asarray(w * len(w) / w.sum())


def fit_linear(x: sp.csr_matrix, y: Sequence[str], sources: Sequence[str], *, seed: int = SEED) -> LinearModel:
    """SGD logistic regression (one-vs-rest) with source x label balancing."""
    clf = SGDClassifier(loss="log_loss", alpha=SGD_ALPHA, max_iter=SGD_EPOCHS, tol=None, random_state=seed)
    clf.fit(x, np.asarray(y), sample_weight=cell_weights(sources, y))
    classes = tuple(str(c) for c in clf.classes_)
    coef = np.asarray(clf.coef_, dtype=np.float32)
    intercept = np.asarray(clf.intercept_, dtype=np.float64)
    if len(classes) == 2:  # binary SGD keeps one row: expand to one column per class
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]])
    return LinearModel(classes=classes, weights=np.ascontiguousarray(coef.T), intercept=intercept)


def fit_temperature(margins: np.ndarray, gold_idx: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood of ``softmax(margins / T)``."""

    def nll(t: float) -> float:
        p = softmax(margins / t)
        return float(-np.mean(np.log(np.clip(p[np.arange(len(gold_idx)), gold_idx], 1e-12, None))))

    res = minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded")
    return float(res.x)


def _predict(model: LinearModel, x: sp.csr_matrix) -> list[str]:
    return [model.classes[i] for i in model.margins(x).argmax(axis=1)]


def _sel(items: Sequence[Any], idx: Iterable[int]) -> list[Any]:
    return [items[i] for i in idx]


def _geo_scores(
    classes: tuple[str, ...],
    probs: np.ndarray,
    idx: Sequence[int],
    gold: Sequence[str],
    texts: Sequence[tuple[str, str]],
) -> dict[str, Any]:
    """Accuracy of the shipped geo decision (null counts as wrong), coverage and accuracy where not null."""
    from processors.topics import DEFAULT_GEO_MIN_CONFIDENCE, GEO_LOCAL_MIN_CONFIDENCE

    preds = [
        decide_scope(
            classes,
            [float(v) for v in probs[k]],
            texts[i][0],
            texts[i][1],
            local_min=GEO_LOCAL_MIN_CONFIDENCE,
            model_min=DEFAULT_GEO_MIN_CONFIDENCE,
        )
        for k, i in enumerate(idx)
    ]
    g = [gold[i] for i in idx]
    covered = [(a, b) for a, b in zip(g, preds, strict=True) if b is not None]
    return {
        "geo_accuracy": round(sum(a == b for a, b in zip(g, preds, strict=True)) / max(len(g), 1), 4),
        "geo_coverage": round(len(covered) / max(len(g), 1), 4),
        "geo_accuracy_when_set": round(sum(a == b for a, b in covered) / max(len(covered), 1), 4),
        "geo_n": len(g),
    }


def _log(msg: str) -> None:
    print(f"[topics-train {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def train(data_dir: Path, out: Path, *, seed: int = SEED, run_loo: bool = True) -> dict[str, Any]:
    """Train the bundle, evaluate it (dev + leave-one-outlet-out) and write it to ``out``. Returns metrics."""
    rows = load_rows(data_dir)
    _log(f"{len(rows)} labelled rows from {data_dir}")
    feat = Featurizer(FeatureConfig())
    x = feat.transform([(r.title, r.text) for r in rows])
    _log(f"features {x.shape}, nnz {x.nnz}")
    src = [r.source for r in rows]
    topic = [r.topic or "" for r in rows]
    geo = [r.geo or "" for r in rows]
    metrics: dict[str, Any] = {}

    # --- leave-one-outlet-out: cross-outlet quality and calibration temperatures -------------------
    loo_topic_margins: list[np.ndarray] = []
    loo_topic_gold: list[int] = []
    loo_geo_margins: list[np.ndarray] = []
    loo_geo_gold: list[int] = []
    loo_geo_idx: list[list[int]] = []
    loo_geo_classes: list[tuple[str, ...]] = []
    geo_text = [
        (
            fold_for_topics(strip_boilerplate(r.title[:MAX_TITLE_CHARS])),
            fold_for_topics(strip_boilerplate(r.text[:GEO_TEXT_CHARS])[:MAX_FEATURE_CHARS])[:GEO_LEAD_CHARS],
        )
        for r in rows
    ]
    if run_loo:
        loo: dict[str, Any] = {}
        for outlet in MULTISOURCE_OUTLETS:
            tr = [i for i, r in enumerate(rows) if r.source != outlet and r.topic]
            te = [i for i, r in enumerate(rows) if r.source == outlet and r.topic]
            m = fit_linear(x[tr], _sel(topic, tr), _sel(src, tr), seed=seed)
            margins = m.margins(x[te])
            pred = [m.classes[i] for i in margins.argmax(axis=1)]
            gold = _sel(topic, te)
            loo[outlet] = {
                "macro_f1": round(macro_f1(gold, pred), 4),
                "accuracy": round(float(accuracy_score(gold, pred)), 4),
                "labels": sorted(set(gold)),
                "n": len(te),
            }
            loo_topic_margins.append(margins)
            loo_topic_gold.extend(m.classes.index(g) for g in gold)
            # geo: world vs middle_east on the held-out outlet
            gtr = [i for i, r in enumerate(rows) if r.source != outlet and r.geo]
            gte = [i for i, r in enumerate(rows) if r.source == outlet and r.geo]
            gm = fit_linear(x[gtr], _sel(geo, gtr), _sel(src, gtr), seed=seed)
            gmargins = gm.margins(x[gte])
            gpred = [gm.classes[i] for i in gmargins.argmax(axis=1)]
            ggold = _sel(geo, gte)
            loo[outlet]["geo_accuracy_model_only"] = round(float(accuracy_score(ggold, gpred)), 4)
            loo_geo_idx.append(gte)
            loo_geo_classes.append(gm.classes)
            loo_geo_margins.append(gmargins)
            loo_geo_gold.extend(gm.classes.index(g) for g in ggold)
            _log(f"LOO {outlet}: {loo[outlet]}")
        loo["mean_macro_f1"] = round(float(np.mean([loo[o]["macro_f1"] for o in MULTISOURCE_OUTLETS])), 4)
        metrics["leave_one_outlet_out"] = loo
    topic_t = fit_temperature(np.vstack(loo_topic_margins), np.array(loo_topic_gold)) if loo_topic_gold else 1.0
    geo_t = fit_temperature(np.vstack(loo_geo_margins), np.array(loo_geo_gold)) if loo_geo_gold else 1.0
    if run_loo:
        for outlet, gte, gmargins, gcls in zip(
            MULTISOURCE_OUTLETS, loo_geo_idx, loo_geo_margins, loo_geo_classes, strict=True
        ):
            scores = _geo_scores(gcls, softmax(gmargins / geo_t), gte, geo, geo_text)
            loo[outlet].update(scores)
            _log(f"LOO geo {outlet}: {scores}")
        loo["mean_geo_accuracy"] = round(float(np.mean([loo[o]["geo_accuracy"] for o in MULTISOURCE_OUTLETS])), 4)
    _log(f"temperatures topic={topic_t:.3f} geo={geo_t:.3f}")
    if loo_topic_gold:
        pooled = np.vstack(loo_topic_margins)
        gold_idx = np.array(loo_topic_gold)
        metrics["leave_one_outlet_out"]["topic_ece_uncalibrated"] = round(top_label_ece(softmax(pooled), gold_idx), 4)
        metrics["leave_one_outlet_out"]["topic_ece_calibrated"] = round(
            top_label_ece(softmax(pooled / topic_t), gold_idx), 4
        )
        metrics["topic_temperature"] = round(topic_t, 4)
        metrics["geo_temperature"] = round(geo_t, 4)

    # --- final models on the train split; dev figures are those of the shipped bundle ----------------
    tr = [i for i, r in enumerate(rows) if r.split == "train" and r.topic]
    topic_model = fit_linear(x[tr], _sel(topic, tr), _sel(src, tr), seed=seed)
    topic_model = LinearModel(topic_model.classes, topic_model.weights, topic_model.intercept, topic_t)
    gtr = [i for i, r in enumerate(rows) if r.split == "train" and r.geo]
    geo_model = fit_linear(x[gtr], _sel(geo, gtr), _sel(src, gtr), seed=seed)
    geo_model = LinearModel(geo_model.classes, geo_model.weights, geo_model.intercept, geo_t)

    dev = [i for i, r in enumerate(rows) if r.split == "dev" and r.topic]
    pred = _predict(topic_model, x[dev])
    gold = _sel(topic, dev)
    dev_m: dict[str, Any] = {
        "topic_ece": round(
            top_label_ece(topic_model.proba(x[dev]), np.array([topic_model.classes.index(g) for g in gold])), 4
        ),
        "overall_macro_f1": round(macro_f1(gold, pred), 4),
        "overall_accuracy": round(float(accuracy_score(gold, pred)), 4),
        "n": len(dev),
    }
    for s in sorted(set(src)):
        k = [j for j, i in enumerate(dev) if src[i] == s]
        if k:
            dev_m[s] = {
                "macro_f1": round(macro_f1(_sel(gold, k), _sel(pred, k)), 4),
                "accuracy": round(float(accuracy_score(_sel(gold, k), _sel(pred, k))), 4),
                "n": len(k),
            }
    gdev = [i for i, r in enumerate(rows) if r.split == "dev" and r.geo]
    dev_m["geo"] = _geo_scores(geo_model.classes, geo_model.proba(x[gdev]), gdev, geo, geo_text)
    dev_m["geo_model_only_accuracy"] = round(float(accuracy_score(_sel(geo, gdev), _predict(geo_model, x[gdev]))), 4)
    metrics["dev"] = dev_m
    _log(f"dev: {dev_m}")

    kw_df = build_doc_freq([(r.title, r.text) for r in rows if r.split == "train"])
    _log(f"keyword df: {len(kw_df.unigrams)} unigrams, {len(kw_df.bigrams)} bigrams over {kw_df.n_docs} docs")
    meta = {
        "trained_on": list(DATA_FILES),
        "seed": seed,
        "sgd_alpha": SGD_ALPHA,
        "sgd_epochs": SGD_EPOCHS,
        "misc_weight": MISC_WEIGHT,
        "metrics": metrics,
        "attribution": ATTRIBUTION,
    }
    save_bundle(out, ModelBundle(feat.config, topic_model, geo_model, kw_df, meta))
    _log(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return metrics


def _json_bytes(obj: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(obj, ensure_ascii=False, sort_keys=True).encode("utf-8"), dtype=np.uint8)


def save_bundle(path: Path, bundle: ModelBundle) -> None:
    """Write the bundle as one compressed ``.npz`` (no pickles), and next to it the ``meta.json`` naming the text
    folding and outlet stripping it was built with (``processors.topics.bundle.load_bundle`` checks them)."""
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
    meta_path(path).write_text(
        json.dumps({"bundle": path.name, **TEXT_VERSIONS}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
