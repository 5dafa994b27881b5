"""Clustering scores used by the story benchmark and tests: pairwise precision/recall and BCubed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence


def pairwise(truth: Sequence[Hashable], found: Sequence[Hashable]) -> tuple[float, float]:
    """Precision and recall over all pairs of items: a pair is positive when both are in one cluster."""
    pairs_found = Counter(found)
    pairs_truth = Counter(truth)
    both = Counter(zip(truth, found, strict=True))
    tp = sum(n * (n - 1) // 2 for n in both.values())
    found_pairs = sum(n * (n - 1) // 2 for n in pairs_found.values())
    truth_pairs = sum(n * (n - 1) // 2 for n in pairs_truth.values())
    return (tp / found_pairs if found_pairs else 1.0), (tp / truth_pairs if truth_pairs else 1.0)


def bcubed(truth: Sequence[Hashable], found: Sequence[Hashable]) -> tuple[float, float, float]:
    """BCubed precision, recall and F1 (Bagga and Baldwin): per item, the share of its cluster that is right."""
    both = Counter(zip(truth, found, strict=True))
    size_found, size_truth = Counter(found), Counter(truth)
    n = len(truth)
    p = sum(both[(t, f)] / size_found[f] for t, f in zip(truth, found, strict=True)) / n
    r = sum(both[(t, f)] / size_truth[t] for t, f in zip(truth, found, strict=True)) / n
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)
