"""Benchmark the topics step (topics + geo scope + keywords) on one core; prints JSON.

Usage: ``python bench/topics.py [--data ../shared/data] [--articles 2000] [--repeat 2]``

Input: the real articles of ``DATA/topics/saudinewsnet_unlabelled.jsonl`` when present (read at run
time for benchmarking only, never copied into the repository or trained on), else our own sample
text. Reports wall-clock throughput pinned to one core and throughput per CPU-second (they agree on
an idle machine; on a shared one the CPU-time figure is the step's own cost), model load time and
peak RSS.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from one_core import parse_and_pin, read_articles  # bench/ is the script's own directory

DEFAULT_ARTICLES = 2000  # about half the benchmark file: a stable rate in a few seconds
DEFAULT_REPEAT = 1  # one cold pass, as a stream of new articles sees it (--repeat N reports the best of N)
FALLBACK_TITLE = "الحكومة تعلن خطة لدعم الشركات الصغيرة"
FALLBACK_BODY = (
    "أعلنت الحكومة اليوم خطة جديدة لدعم الشركات الصغيرة والمتوسطة تتضمن قروضا ميسرة وإعفاءات ضريبية، "
    "وقال وزير الاقتصاد إن الخطة تهدف إلى خلق آلاف الوظائف للشباب وتنويع مصادر الدخل. "
    "ورحبت غرفة التجارة بالقرار، فيما طالب خبراء بتسريع الإجراءات وتبسيط شروط التمويل. "
) * 6


def _load_articles(data: Path, n: int) -> tuple[list[tuple[str, str]], str]:
    path = data / "topics" / "saudinewsnet_unlabelled.jsonl"
    real = read_articles(path, n)
    return (real, path.name) if real is not None else ([(FALLBACK_TITLE, FALLBACK_BODY)] * n, "own-sample")


def main() -> None:
    args = parse_and_pin(__doc__, articles=DEFAULT_ARTICLES, repeat=DEFAULT_REPEAT)

    from processors.topics import MODEL_PATH, tag_article

    articles, source = _load_articles(args.data, args.articles)
    t0 = time.perf_counter()
    tag_article("", "تمهيد")  # model load, not part of the rate
    load_s = time.perf_counter() - t0

    best_wall = best_cpu = 0.0
    n_multi = n_geo = n_kw = 0
    for _ in range(max(1, args.repeat)):
        w0, c0 = time.perf_counter(), time.process_time()
        n_multi = n_geo = n_kw = 0
        for title, body in articles:
            out = tag_article(title, body)
            n_multi += len(out["topics"]) > 1
            n_geo += out["geo_scope"] is not None
            n_kw += len(out["keywords"])
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        best_wall = max(best_wall, len(articles) / wall if wall > 0 else 0.0)
        best_cpu = max(best_cpu, len(articles) / cpu if cpu > 0 else 0.0)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {
        "step": "topics+geo+keywords",
        "input": source,
        "articles": len(articles),
        "articles_per_s_wall_one_core": round(best_wall, 1),
        "articles_per_cpu_s": round(best_cpu, 1),
        "model_load_s": round(load_s, 3),
        "model_file_mb": round(MODEL_PATH.stat().st_size / 1e6, 2),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "share_multi_topic": round(n_multi / max(len(articles), 1), 3),
        "share_geo_set": round(n_geo / max(len(articles), 1), 3),
        "mean_keywords": round(n_kw / max(len(articles), 1), 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
