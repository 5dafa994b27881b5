"""End-to-end benchmark: produce -> Kafka -> faust processor -> Kafka -> sink -> searchable in Elasticsearch.

Prints one JSON report. Two phases, each on fresh topics and a fresh index:
  * warm-up (not reported as a result): the first WARM_UP_COUNT articles through the whole pipeline once, on
    topics and an index of their own, so the JVMs (Kafka, Elasticsearch) have compiled their hot paths before
    anything is timed. The raw bulk runs after the e2e phase on a warm node; without the warm-up the e2e phase
    alone paid the JIT start-up, and the ratio moved 0.26-0.39 from run to run with the time since the last
    stack restart;
  * full speed: K articles produced as fast as the producer goes (the corpus PASSES times, each pass a distinct
    copy: the pass number is added to every URL, so ids differ; 3 x 4,097 articles keep the pipeline busy for
    ~15 s, so the ~1 s it takes to fill at the start and to drain at the end, the last sink batch and the last
    index refresh, weigh ~7 % instead of ~20 % of a one-pass run, and the raw bulk of the same documents lasts
    long enough, ~6 s instead of ~2 s, to be a stable figure); sustained throughput = searchable articles /
    (moment the last became searchable - moment the first was produced, i.e. the earliest ``fetched_at``, which
    the producer stamps just before sending). The producer's interpreter start-up (~0.9 s) is not part of a
    sustained rate; the report also gives the rate over the whole wall time from spawning the producer
    (``throughput_incl_producer_start_articles_per_s``). Only counts are polled, so the measurement itself does
    not load Elasticsearch;
  * fixed rate (default 50 articles/s): latency from produce (the article's fetched_at, stamped by the
    producer just before sending) to the moment a search first returns it: p50/p95/p99.
Peak RSS of each Python component (producer, processor, sink) is sampled every 0.2 s. Right after each
full-speed phase the same enriched documents are bulk-indexed straight into a fresh index (batches of 500, then
refresh) to give the raw Elasticsearch rate; e2e/raw shows what the pipeline costs. The full-speed phase and
its raw bulk run ``--rounds`` times (default 3): the report's ratio is the median round's, with every round's.

Input: the real articles of ../shared/data/topics/saudinewsnet_unlabelled.jsonl when present (benchmark use
only), else synthetic articles from tests/fixtures/synthetic.py.

    python bench/e2e.py [--count K] [--rate 50] [--rate-seconds 30]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import devstack as stack  # noqa: E402
from akhbar.pipeline import end_offsets  # noqa: E402
from akhbar.settings import (  # noqa: E402
    ElasticsearchSettings,
    KafkaSettings,
    ProcessorSettings,
    Settings,
    SinkSettings,
    to_env,
)
from akhbar.wiring import ensure_topics, es_client, kafka_client_config  # noqa: E402
from producers.ids import article_id  # noqa: E402
from sinks.index import drop_index, ensure_index  # noqa: E402

SHARED_ARTICLES = REPO.parent / "shared" / "data" / "topics" / "saudinewsnet_unlabelled.jsonl"
POLL_S = 0.1  # how often the searcher asks Elasticsearch which pending ids are visible
SAMPLE_S = 0.2  # RSS sampling interval
JVMS = ("kafka", "elasticsearch")  # the stack's processes: CPU reported, RSS not (their heap is fixed)
PASSES = 3  # copies of the corpus in the full-speed phase: a sustained rate, not start-up and tail (see above)
TIMEOUT_S = 900.0  # a phase that has not finished after 15 minutes is reported as failed
# Paired rounds of (full-speed e2e, raw bulk of the same documents right after): the VM's speed drifts over
# minutes, and one pair of the same code measured e2e/raw anywhere in 0.48-0.59 (session 6). The reported ratio
# is the median round's; every round is in the report.
ROUNDS = 3
# One processor worker, as `akhbar up` runs: on the spine, two workers on these two cores cost ~0.15 ms more CPU
# per article (processor and Kafka) than one, and the pipeline is CPU-bound (docs/performance.md, session 6).
PROCESSOR_WORKERS = 1
WARM_UP_COUNT = 1500  # ~3 s of full-speed traffic: enough for the JVMs' JIT to settle, short next to the phases


def load_articles(limit: int | None) -> tuple[list[dict[str, Any]], str]:
    if SHARED_ARTICLES.exists():
        rows = [json.loads(line) for line in SHARED_ARTICLES.open(encoding="utf-8")]
        source = str(SHARED_ARTICLES.name)
    else:
        from tests.fixtures.synthetic import make_articles

        rows, source = make_articles(limit or 2000, seed=42), "synthetic"
    return (rows[:limit] if limit else rows), source


def copies(articles: list[dict[str, Any]], passes: int) -> list[dict[str, Any]]:
    """The corpus ``passes`` times; pass k > 0 carries ``akhbar_bench_pass=k`` in its URLs (a distinct id)."""
    out = list(articles)
    for k in range(1, passes):
        for a in articles:
            url = a.get("url")
            if url:
                url = f"{url}{'&' if '?' in url else '?'}akhbar_bench_pass={k}"
            else:  # no URL: the id is a content hash; a marker line at the end of the body makes it distinct
                key = "body" if a.get("body") else "text"  # the field the producer reads first
                a = {**a, key: f"{a.get(key) or ''}\n({k})"}
            out.append({**a, "url": url})
    return out


def settings_with_steps(steps: str | None) -> Settings:
    """The settings, with the enrichment chain cut to ``steps`` (comma-separated) when given."""
    base = Settings()
    if steps:
        names = tuple(x.strip() for x in steps.split(",") if x.strip())
        base = base.model_copy(update={"enrich": base.enrich.model_copy(update={"steps": names})})
    return base


def phase_settings(base: Settings, tag: str) -> Settings:
    return base.model_copy(
        update={
            "kafka": KafkaSettings(
                **{
                    **base.kafka.model_dump(),
                    "raw_topic": f"bench-{tag}.raw",
                    "enriched_topic": f"bench-{tag}.enriched",
                    "dlq_topic": f"bench-{tag}.dlq",
                }
            ),
            "elasticsearch": ElasticsearchSettings(
                **{**base.elasticsearch.model_dump(), "alias": f"akhbar-bench-{tag}"}
            ),
            "processor": ProcessorSettings(app_id=f"akhbar-bench-processor-{tag}"),
            "sink": SinkSettings(**{**base.sink.model_dump(), "group_id": f"akhbar-bench-sink-{tag}"}),
        }
    )


def env_for(s: Settings) -> dict[str, str]:
    return to_env(s, dict(os.environ))


def tree_cpu_s(proc: psutil.Process) -> float:
    """CPU seconds (user + system) of a process and its children (Elasticsearch's launcher runs the JVM as one)."""
    return sum(t.user + t.system for t in (p.cpu_times() for p in [proc, *proc.children(recursive=True)]))


class RssSampler(threading.Thread):
    """Peak RSS of each watched process, and the CPU seconds (user + system) each spends in a window."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.procs: dict[str, psutil.Process] = {}
        self.peak: dict[str, int] = {}
        self.cpu: dict[str, float] = {}  # last seen cumulative CPU seconds (kept after the process ends)
        self.stop_event = threading.Event()

    def watch(self, name: str, pid: int) -> None:
        self.procs[name] = psutil.Process(pid)

    def sample(self) -> dict[str, float]:
        for name, proc in list(self.procs.items()):
            with contextlib.suppress(psutil.Error):  # the process just ended: keep its last figures
                self.peak[name] = max(self.peak.get(name, 0), proc.memory_info().rss)
                self.cpu[name] = tree_cpu_s(proc)
        return dict(self.cpu)

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.sample()
            time.sleep(SAMPLE_S)


def spawn(args: list[str], s: Settings, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "akhbar", *args],
        env=env_for(s),
        cwd=REPO,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def parse_ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def run_phase(
    base: Settings, articles: list[dict[str, Any]], rate: float | None, workdir: Path, n_proc: int
) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    s = phase_settings(base, tag)
    ensure_topics(s.kafka)
    es = es_client(s.elasticsearch)
    ensure_index(es, s.elasticsearch.alias)
    feed = workdir / f"feed-{tag}.jsonl"
    feed.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    expected = {
        article_id(a.get("url"), a.get("title") or "", a.get("body") or a.get("text") or "")[0] for a in articles
    }
    sampler = RssSampler()
    sampler.start()
    processors = [
        spawn(["process", "--loglevel", "warning"], s, workdir / f"processor-{tag}-{n}.log") for n in range(n_proc)
    ]
    sink = spawn(["sink"], s, workdir / f"sink-{tag}.log")
    for n, proc in enumerate(processors):
        sampler.watch(f"processor_{n}", proc.pid)
    sampler.watch("sink", sink.pid)
    status = stack.status(s.stack)
    for component in (status.kafka, status.elasticsearch):
        if component.pid is not None:  # the JVMs: their CPU is part of what the pipeline costs
            sampler.watch(component.name, component.pid)
    time.sleep(8.0)  # let both join their consumer groups, so the timing measures steady state
    cpu_start = sampler.sample()
    t0 = time.time()
    produce_args = ["produce", "--no-progress", str(feed)] + (["--rate", str(rate)] if rate else [])
    producer = spawn(produce_args, s, workdir / f"producer-{tag}.log")
    sampler.watch("producer", producer.pid)
    seen: dict[str, float] = {}
    pending = list(expected)
    rejected: set[str] = set()
    dlq_reader = _dlq_reader(s)
    deadline = time.monotonic() + TIMEOUT_S
    searchable = 0
    while time.monotonic() < deadline:
        for record in dlq_reader.poll(timeout_ms=0).values():  # dead-lettered articles will never be searchable
            rejected.update(json.loads(r.value).get("article_id") or "" for r in record)
        if rate is None:
            # full speed: only count (cheap), so the measurement does not load Elasticsearch itself
            searchable = int(es.count(index=s.elasticsearch.alias)["count"])
            if searchable >= len(expected - rejected) and searchable > 0:
                break
        else:
            now = time.time()
            for i in range(0, len(pending), 1000):
                chunk = pending[i : i + 1000]
                resp = es.search(
                    index=s.elasticsearch.alias,
                    query={"ids": {"values": chunk}},
                    size=len(chunk),
                    source_includes=["fetched_at"],
                )
                for hit in resp["hits"]["hits"]:
                    seen[hit["_id"]] = now - parse_ts(hit["_source"]["fetched_at"])
            pending = [i for i in pending if i not in seen and i not in rejected]
            searchable = len(seen)
            if not pending:
                break
        time.sleep(POLL_S)
    dlq_reader.close()
    t_end = time.time()
    cpu_end = sampler.sample()
    producer.wait(timeout=60)
    for proc in (*processors, sink):
        proc.terminate()
        proc.wait(timeout=60)
    sampler.stop_event.set()
    dlq = end_offsets(kafka_client_config(s.kafka), [s.kafka.dlq_topic])[s.kafka.dlq_topic]
    lat = sorted(seen.values())
    first_produced = _first_fetched_at(es, s.elasticsearch.alias) or t0
    result = {
        "articles_produced": len(articles),
        "distinct_ids": len(expected),
        "searchable": searchable,
        "dead_lettered": dlq,
        "missing": len(expected - rejected) - searchable,
        "seconds": round(t_end - first_produced, 2),
        "throughput_articles_per_s": round(searchable / (t_end - first_produced), 1),
        "producer_start_s": round(first_produced - t0, 2),
        "throughput_incl_producer_start_articles_per_s": round(searchable / (t_end - t0), 1),
        "latency_s": {
            "p50": round(lat[len(lat) // 2], 3) if lat else None,
            "p95": round(lat[int(len(lat) * 0.95) - 1], 3) if lat else None,
            "p99": round(lat[int(len(lat) * 0.99) - 1], 3) if lat else None,
            "mean": round(statistics.fmean(lat), 3) if lat else None,
        },
        "processor_workers": n_proc,
        "peak_rss_mb": {k: round(v / 2**20, 1) for k, v in sampler.peak.items() if k not in JVMS},
        # CPU seconds each process spent between the producer's start and the last article searchable, and
        # per article: where the two cores go (the producer's figure includes its interpreter start-up).
        "cpu_s": {k: round(v - cpu_start.get(k, 0.0), 2) for k, v in cpu_end.items()},
        "cpu_ms_per_article": {
            k: round(1000 * (v - cpu_start.get(k, 0.0)) / max(searchable, 1), 3) for k, v in cpu_end.items()
        },
        "settings": s,
    }
    return result


def _first_fetched_at(es: Any, alias: str) -> float | None:
    """When the first article was produced: the earliest ``fetched_at`` (asked once, after the phase)."""
    resp = es.search(index=alias, size=0, aggs={"first": {"min": {"field": "fetched_at"}}})
    value = resp["aggregations"]["first"]["value"]
    return float(value) / 1000.0 if value is not None else None


def _dlq_reader(s: Settings) -> Any:
    from kafka import KafkaConsumer

    return KafkaConsumer(
        s.kafka.dlq_topic,
        **kafka_client_config(s.kafka),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )


def raw_bulk_rate(s: Settings) -> dict[str, Any]:
    """Index the phase's enriched documents straight into a fresh index: Elasticsearch's own rate here."""
    from elasticsearch.helpers import scan

    es = es_client(s.elasticsearch)
    docs = [h["_source"] for h in scan(es, index=s.elasticsearch.alias, query={"query": {"match_all": {}}})]
    alias = f"akhbar-bench-raw-{uuid.uuid4().hex[:8]}"
    ensure_index(es, alias)
    es_pid = stack.status(s.stack).elasticsearch.pid
    assert es_pid is not None, "the local Elasticsearch is not running"
    node = psutil.Process(es_pid)
    cpu0 = tree_cpu_s(node)
    t0 = time.time()
    for i in range(0, len(docs), 500):
        ops: list[dict[str, Any]] = []
        for d in docs[i : i + 500]:
            ops += [{"index": {"_index": alias, "_id": d["id"]}}, d]
        resp = es.bulk(operations=ops)
        assert not resp["errors"], "raw bulk had item errors"
    es.indices.refresh(index=alias)
    seconds = time.time() - t0
    es_cpu = tree_cpu_s(node) - cpu0
    count = int(es.count(index=alias)["count"])
    drop_index(es, alias)
    return {
        "documents": count,
        "seconds": round(seconds, 2),
        "articles_per_s": round(count / seconds, 1),
        # Elasticsearch's own CPU per document here, to set beside its figure in the e2e phase
        "elasticsearch_cpu_ms_per_article": round(1000 * es_cpu / max(count, 1), 3),
    }


def cleanup(s: Settings) -> None:
    from kafka import KafkaAdminClient

    es = es_client(s.elasticsearch)
    drop_index(es, s.elasticsearch.alias)
    admin = KafkaAdminClient(**kafka_client_config(s.kafka))
    try:
        admin.delete_topics([s.kafka.raw_topic, s.kafka.enriched_topic, s.kafka.dlq_topic])
    finally:
        admin.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=None, help="articles for the full-speed phase (default: all)")
    ap.add_argument("--rate", type=float, default=50.0, help="articles/s for the latency phase")
    ap.add_argument("--rate-seconds", type=float, default=30.0, help="length of the latency phase")
    ap.add_argument("--steps", default=None, help="comma-separated enrichment steps (default: settings.enrich.steps)")
    ap.add_argument(
        "--processors",
        type=int,
        default=PROCESSOR_WORKERS,
        help="processor workers (default 1, as `akhbar up` runs; more pay off for the NLP-heavy full chain)",
    )
    ap.add_argument("--no-warm-up", action="store_true", help="time the first traffic the JVMs see")
    ap.add_argument("--passes", type=int, default=PASSES, help="copies of the corpus in the full-speed phase")
    ap.add_argument("--rounds", type=int, default=ROUNDS, help="full-speed + raw bulk pairs; the median is reported")
    args = ap.parse_args()
    base = settings_with_steps(args.steps)
    stack.up(base.stack)
    articles, source = load_articles(args.count)
    report: dict[str, Any] = {
        "input": source,
        "passes": args.passes,
        "machine": {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30)},
    }
    with tempfile.TemporaryDirectory(prefix="akhbar-bench-") as tmp:
        work = Path(tmp)
        if not args.no_warm_up:
            warm = run_phase(base, articles[:WARM_UP_COUNT], None, work, args.processors)
            cleanup(warm.pop("settings"))
            report["warm_up"] = {k: warm[k] for k in ("searchable", "seconds", "throughput_articles_per_s")}
            print(f"warm-up: {json.dumps(report['warm_up'])}", file=sys.stderr)
        rounds: list[dict[str, Any]] = []
        for n in range(1, args.rounds + 1):
            full = run_phase(base, copies(articles, args.passes), None, work, args.processors)
            fs: Settings = full.pop("settings")
            print(f"full speed, round {n}: {json.dumps(full)}", file=sys.stderr)
            raw = raw_bulk_rate(fs)  # right after its e2e phase: the pair sees the same VM speed
            cleanup(fs)
            ratio = round(full["throughput_articles_per_s"] / raw["articles_per_s"], 3)
            rounds.append({"full_speed": full, "raw_bulk": raw, "e2e_over_raw": ratio})
            print(f"raw bulk, round {n}: {json.dumps(raw)}; e2e/raw {ratio}", file=sys.stderr)
        n_rate = int(args.rate * args.rate_seconds)
        rate_articles = articles[:n_rate] if len(articles) >= n_rate else articles
        paced = run_phase(base, rate_articles, args.rate, work, args.processors)
        cleanup(paced.pop("settings"))
    median = sorted(rounds, key=lambda r: float(r["e2e_over_raw"]))[len(rounds) // 2]
    report["full_speed"] = median["full_speed"]  # the median round's figures
    report["raw_bulk"] = median["raw_bulk"]
    report["e2e_over_raw"] = median["e2e_over_raw"]
    report["e2e_over_raw_rounds"] = [r["e2e_over_raw"] for r in rounds]
    report["rounds"] = rounds
    report[f"fixed_rate_{args.rate:g}_per_s"] = paced
    report["targets"] = {
        "e2e_over_raw_ge_0.5": report["e2e_over_raw"] >= 0.5,
        "every_round_ge_0.5": all(r["e2e_over_raw"] >= 0.5 for r in rounds),
        "p95_le_3s_at_rate": (paced["latency_s"]["p95"] or 1e9) <= 3.0,
        "nothing_missing": all(r["full_speed"]["missing"] == 0 for r in rounds) and paced["missing"] == 0,
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
