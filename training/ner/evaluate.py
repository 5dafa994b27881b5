"""Seqeval-style span evaluation of BIO tags (exact span match, micro and per type).

Entity spans follow seqeval's default (non-strict) IOB2 reading: an ``I-X`` that does not continue an ``X``
entity starts a new one (``processors.ner.conll.bio_spans``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from processors.ner.conll import bio_spans


def evaluate(gold: Iterable[Sequence[str]], pred: Iterable[Sequence[str]]) -> dict[str, dict[str, float]]:
    """Precision/recall/F1 per type and ``micro`` over exact spans, like ``seqeval.classification_report``."""
    tp: dict[str, int] = {}
    n_gold: dict[str, int] = {}
    n_pred: dict[str, int] = {}
    for g, p in zip(gold, pred, strict=True):
        gs = set(bio_spans(g))
        ps = set(bio_spans(p))
        for t, _, _ in gs:
            n_gold[t] = n_gold.get(t, 0) + 1
        for t, _, _ in ps:
            n_pred[t] = n_pred.get(t, 0) + 1
        for t, _, _ in gs & ps:
            tp[t] = tp.get(t, 0) + 1
    report: dict[str, dict[str, float]] = {}

    def prf(a: int, ng: int, np_: int) -> dict[str, float]:
        p = a / np_ if np_ else 0.0
        r = a / ng if ng else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": ng}

    for t in sorted(set(n_gold) | set(n_pred)):
        report[t] = prf(tp.get(t, 0), n_gold.get(t, 0), n_pred.get(t, 0))
    report["micro"] = prf(sum(tp.values()), sum(n_gold.values()), sum(n_pred.values()))
    return report
