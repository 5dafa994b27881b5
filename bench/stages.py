"""Each Python stage of the pipeline alone, over a topic filled beforehand: its own CPU per article and rate.

``bench/e2e.py`` runs every stage at once on the same two cores, so a stage's figure there moves with what the
others (and the VM) do. Here each stage runs by itself on a backlog, one after the other:

  1. producer: the corpus (``--passes`` copies) from a JSON-lines file into a fresh ``raw`` topic;
  2. processor: one faust worker drains that backlog into ``enriched`` (and the DLQ);
  3. sink: one sink drains ``enriched`` into a fresh index (Elasticsearch's CPU reported beside it).

For the processor and the sink, the timed window opens at the first output (their interpreter start-up and
group join are not steady state) and closes when every input has an output; CPU is sampled at both ends.
The producer's window is its whole run, start-up included (it is reported apart).

    python bench/stages.py [--steps clean,dates,language,normalise] [--passes 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e import (
    PASSES,
    TIMEOUT_S,
    RssSampler,
    cleanup,
    copies,
    load_articles,
    phase_settings,
    settings_with_steps,
    spawn,
)

import devstack as stack
from akhbar.pipeline import end_offsets
from akhbar.settings import Settings
from akhbar.wiring import ensure_topics, es_client, kafka_client_config
from sinks.index import ensure_index

POLL_S = 0.05  # how often the outputs are counted: the window's ends are known to within 50 ms


def _count(s: Settings, topics: list[str]) -> int:
    offsets = end_offsets(kafka_client_config(s.kafka), topics)
    return sum(offsets[t] for t in topics)


def _drain(
    name: str,
    args: list[str],
    s: Settings,
    work: Path,
    sampler: RssSampler,
    expected: int,
    done: Callable[[], int],
    extra_cpu: tuple[str, ...],
) -> dict[str, Any]:
    """Run ``akhbar <args>`` as stage ``name`` and time it from its first output to its last: rate and CPU per
    article of ``name`` (and of ``extra_cpu``). Reported on stderr as it finishes."""
    proc = spawn(args, s, work / f"{name}.log")
    sampler.watch(name, proc.pid)
    deadline = time.monotonic() + TIMEOUT_S
    while (first := done()) == 0:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{name} produced no output (exit code {proc.returncode})")
        time.sleep(POLL_S)
    t0, cpu0 = time.monotonic(), sampler.sample()
    while (n := done()) < expected:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{name} stopped at {n} of {expected} (exit code {proc.returncode})")
        time.sleep(POLL_S)
    t1, cpu1 = time.monotonic(), sampler.sample()
    proc.terminate()
    proc.wait(timeout=60)
    timed = n - first
    result = {
        "articles_timed": timed,
        "seconds": round(t1 - t0, 2),
        "articles_per_s": round(timed / (t1 - t0), 1),
        "cpu_ms_per_article": {
            k: round(1000 * (cpu1[k] - cpu0[k]) / max(timed, 1), 3) for k in (name, *extra_cpu) if k in cpu1
        },
        "peak_rss_mb": round(sampler.peak.get(name, 0) / 2**20, 1),
    }
    print(f"{name}: {json.dumps(result)}", file=sys.stderr)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=None, help="articles of the corpus (default: all)")
    ap.add_argument("--steps", default=None, help="comma-separated enrichment steps (default: settings.enrich.steps)")
    ap.add_argument("--passes", type=int, default=PASSES, help="copies of the corpus")
    args = ap.parse_args()
    base = settings_with_steps(args.steps)
    stack.up(base.stack)
    articles, source = load_articles(args.count)
    feed_rows = copies(articles, args.passes)
    s = phase_settings(base, uuid.uuid4().hex[:8])
    ensure_topics(s.kafka)
    es = es_client(s.elasticsearch)
    ensure_index(es, s.elasticsearch.alias)
    status = stack.status(s.stack)
    report: dict[str, Any] = {"input": source, "articles": len(feed_rows), "steps": args.steps or "all"}
    with tempfile.TemporaryDirectory(prefix="akhbar-stages-") as tmp:
        work = Path(tmp)
        feed = work / "feed.jsonl"
        feed.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in feed_rows), encoding="utf-8")
        sampler = RssSampler()
        for component in (status.kafka, status.elasticsearch):
            if component.pid is not None:
                sampler.watch(component.name, component.pid)

        t0 = time.monotonic()
        producer = spawn(["produce", "--no-progress", str(feed)], s, work / "producer.log")
        sampler.watch("producer", producer.pid)
        cpu0 = sampler.sample()
        while producer.poll() is None:
            sampler.sample()
            time.sleep(POLL_S)
        seconds = time.monotonic() - t0
        cpu1 = sampler.cpu
        produced = _count(s, [s.kafka.raw_topic, s.kafka.dlq_topic])
        report["producer"] = {
            "articles": produced,
            "seconds_incl_start": round(seconds, 2),
            "articles_per_s_incl_start": round(produced / seconds, 1),
            "cpu_ms_per_article_incl_start": {
                k: round(1000 * (cpu1[k] - cpu0.get(k, 0.0)) / produced, 3) for k in ("producer", "kafka")
            },
        }
        print(f"producer: {json.dumps(report['producer'])}", file=sys.stderr)

        raw_dlq = _count(s, [s.kafka.dlq_topic])
        report["processor"] = _drain(
            "processor",
            ["process", "--loglevel", "warning"],
            s,
            work,
            sampler,
            produced,
            lambda: _count(s, [s.kafka.enriched_topic, s.kafka.dlq_topic]) - raw_dlq,
            ("kafka",),
        )
        report["sink"] = _drain(
            "sink",
            ["sink"],
            s,
            work,
            sampler,
            _count(s, [s.kafka.enriched_topic]),
            lambda: int(es.count(index=s.elasticsearch.alias)["count"]),
            ("kafka", "elasticsearch"),
        )
    cleanup(s)
    report["machine"] = {"cpus": psutil.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30)}
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
