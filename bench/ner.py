"""Benchmark the NER enrichment step (tokenise + tag + canonicalise) on one core; prints JSON.

Usage: ``python bench/ner.py [--data ../shared/data] [--articles 300] [--repeat 2]``

Reports wall-clock throughput pinned to one core and throughput per CPU-second (the two agree on an idle
machine; on a shared one the CPU-time figure is the step's own cost).
Articles come from ``DATA/topics/sanad_alkhaleej.jsonl`` when available (read at run time, never copied into
the repository); otherwise a synthetic text built from our own sentences is used.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from one_core import parse_and_pin, read_articles  # bench/ is the script's own directory

DEFAULT_ARTICLES = 300  # ~100k tokens: long enough for a stable rate, short enough for CI
DEFAULT_REPEAT = 2  # the first pass warms the feature cache, the reported rate is the best pass
FALLBACK_TEXT = (
    "قال وزير الخارجية المصري سامح شكري في القاهرة اليوم إن المحادثات مع الوفد الأردني كانت مثمرة. "
    "وأضاف أن الأمم المتحدة ستعقد اجتماعا في جنيف الأسبوع المقبل لبحث الأوضاع في اليمن وسوريا. "
)


def _load_articles(data: Path, n: int) -> list[tuple[str, str]]:
    return read_articles(data / "topics" / "sanad_alkhaleej.jsonl", n) or [("", FALLBACK_TEXT * 20)] * n


def main() -> None:
    args = parse_and_pin(__doc__, articles=DEFAULT_ARTICLES, repeat=DEFAULT_REPEAT)

    from processors.ner import extract_entities
    from processors.ner.tokens import tokenize

    articles = _load_articles(args.data, args.articles)
    n_tokens = sum(len(tokenize(t)) + len(tokenize(b)) for t, b in articles)
    t0 = time.perf_counter()
    extract_entities("", "تمهيد", backend="shipped")  # model load, not part of the rate
    load_s = time.perf_counter() - t0
    best = best_cpu = float("inf")
    n_entities = 0
    for _ in range(args.repeat):
        t = time.perf_counter()
        c = time.process_time()
        n_entities = sum(len(extract_entities(ti, bo, backend="shipped")) for ti, bo in articles)
        best_cpu = min(best_cpu, time.process_time() - c)
        best = min(best, time.perf_counter() - t)
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "step": "ner (tokenise + CRF & BiLSTM-CRF tag + canonicalise)",
                "articles": len(articles),
                "tokens": n_tokens,
                "entities": n_entities,
                "seconds": round(best, 3),
                "cpu_seconds": round(best_cpu, 3),
                "tokens_per_s_one_core": round(n_tokens / best),  # wall clock, pinned to one core
                "tokens_per_s_cpu_time": round(n_tokens / best_cpu),  # unaffected by other processes' load
                "model_load_s": round(load_s, 2),
                "peak_rss_mb": round(rss_kb / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
