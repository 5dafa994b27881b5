"""Scores of the topic bundle: macro-F1, top-label calibration error, and ``akhbar eval topics`` on JSON lines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

ECE_BINS = 10  # equal-width confidence bins for the expected calibration error


def top_label_ece(probs: np.ndarray, gold_idx: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error of the top label: mean |accuracy - confidence| over confidence bins."""
    if len(gold_idx) == 0:
        return 0.0
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == gold_idx).astype(np.float64)
    which = np.minimum((conf * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(ece)


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Macro-F1 over the labels present in ``gold`` (predictions of other labels count as errors)."""
    labels = sorted(set(gold))
    return float(f1_score(list(gold), list(pred), labels=labels, average="macro", zero_division=0))


def evaluate_jsonl(path: Path, *, model_path: Path | None = None) -> dict[str, Any]:
    """Top-label accuracy and macro-F1 of the shipped (or given) bundle on JSON lines with ``topic_unified``."""
    from processors.topics import tag_article, use_bundle

    if model_path is not None:
        use_bundle(model_path)
    gold: list[str] = []
    pred: list[str] = []
    geo_gold: list[str] = []
    geo_pred: list[str | None] = []
    skipped = 0
    bad = 0
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            label = r.get("topic_unified")
            g = r.get("geo_scope")
            if not label and not g:
                skipped += 1
                continue
            tags = tag_article(str(r.get("title") or ""), str(r.get("text") or ""), max_keywords=0)
            if label:
                gold.append(str(label))
                pred.append(tags["topics"][0]["label"])
            else:
                skipped += 1
            if g:
                geo_gold.append(str(g))
                geo_pred.append(tags["geo_scope"])
    out: dict[str, Any] = {
        "n": len(gold),
        "skipped_null_topic": skipped,
        "invalid_lines": bad,
        "accuracy": round(float(accuracy_score(gold, pred)), 4) if gold else None,
        "macro_f1": round(macro_f1(gold, pred), 4) if gold else None,
        "labels": sorted(set(gold)),
    }
    if gold:
        per = f1_score(gold, pred, labels=sorted(set(gold)), average=None, zero_division=0)
        out["f1_per_label"] = {lab: round(float(v), 4) for lab, v in zip(sorted(set(gold)), per, strict=True)}
    if geo_gold:
        out["geo_n"] = len(geo_gold)
        out["geo_accuracy"] = round(sum(g == p for g, p in zip(geo_gold, geo_pred, strict=True)) / len(geo_gold), 4)
        out["geo_null_rate"] = round(sum(p is None for p in geo_pred) / len(geo_pred), 4)
    return out
