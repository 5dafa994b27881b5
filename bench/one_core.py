"""What the one-core step benchmarks (bench/ner.py, bench/topics.py) share: options, CPU pinning, input.

Both measure one enrichment step the way the pipeline runs it (one worker per core) on real articles read at
run time from ``../shared/data`` (never copied into the repository), or on the caller's own sample text.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def parse_and_pin(doc: str | None, *, articles: int, repeat: int) -> argparse.Namespace:
    """``--data``, ``--articles``, ``--repeat`` with the benchmark's defaults; then pin this process to one core."""
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--articles", type=int, default=articles)
    ap.add_argument("--repeat", type=int, default=repeat)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the pipeline runs it
    return args


def read_articles(path: Path, n: int) -> list[tuple[str, str]] | None:
    """The first ``n`` (title, text) pairs of a JSON-lines article file; None when the file is absent."""
    if not path.exists():
        return None
    out: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            out.append((rec.get("title") or "", rec.get("text") or ""))
            if len(out) >= n:
                break
    return out
