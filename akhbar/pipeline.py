"""``akhbar up``: the whole pipeline on this machine.

    samples/ (or --watch DIR, or --feeds FILE) ─▶ producer ─▶ articles.raw ─▶ processor (faust) ─▶ articles.enriched ─▶ sink ─▶ ES
                                     └──────────── invalid / rejected ──▶ articles.dlq ◀──────────────┘

The local stack (Kafka + Elasticsearch) is started first (idempotent); the three workers run as child
processes, exactly as they would in production, and a status line shows what each stage has done.
Ctrl-C (or SIGTERM) stops the workers in flow order — producer (flushes), processor (finishes its batch and
commits), sink (writes and commits) — so nothing is lost; the stack stays up for `akhbar search`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import orjson

from akhbar.settings import Settings
from akhbar.wiring import ensure_topics, es_client, kafka_client_config
from sinks.index import ensure_index

STATUS_INTERVAL_S = 1.0  # status line refresh
STOP_TIMEOUT_S = 30.0  # a worker still running 30 s after SIGTERM is killed (and its work is redone on restart)
IDLE_CONFIRM_S = 3.0  # with --exit-when-idle: counts must stay settled this long before we call it done


@dataclass(frozen=True)
class Counts:
    raw: int
    enriched: int
    dead_lettered: int
    indexed: int
    processor_lag: int
    sink_lag: int


def end_offsets(client_config: dict[str, Any], topics: list[str]) -> dict[str, int]:
    """Messages ever written to each topic: the sum of its partitions' end offsets."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(**client_config)
    try:
        totals = {}
        for topic in topics:
            parts = consumer.partitions_for_topic(topic) or set()
            ends = consumer.end_offsets([TopicPartition(topic, p) for p in parts])
            totals[topic] = sum(ends.values())
        return totals
    finally:
        consumer.close()


def _committed(client_config: dict[str, Any], group: str, topic: str) -> int:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(**client_config)
    try:
        offsets = admin.list_consumer_group_offsets(group)
        return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset >= 0)
    finally:
        admin.close()


def counts(s: Settings) -> Counts:
    cfg = kafka_client_config(s.kafka)
    k = s.kafka
    ends = end_offsets(cfg, [k.raw_topic, k.enriched_topic, k.dlq_topic])
    client = es_client(s.elasticsearch)
    try:
        client.indices.refresh(index=s.elasticsearch.alias)
        indexed = int(client.count(index=s.elasticsearch.alias)["count"])
    except Exception:  # the index does not exist yet: nothing indexed
        indexed = 0
    return Counts(
        raw=ends[k.raw_topic],
        enriched=ends[k.enriched_topic],
        dead_lettered=ends[k.dlq_topic],
        indexed=indexed,
        processor_lag=ends[k.raw_topic] - _committed(cfg, s.processor.app_id, k.raw_topic),
        sink_lag=ends[k.enriched_topic] - _committed(cfg, s.sink.group_id, k.enriched_topic),
    )


def _spawn(args: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    out = log_path.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "akhbar", *args],
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=os.environ.copy(),
    )


def _stop(proc: subprocess.Popen[bytes], name: str) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            click.echo(f"\n{name} did not stop within {STOP_TIMEOUT_S:.0f}s; killing it", err=True)
            proc.kill()
            proc.wait()
    return proc.returncode


def _feed_status(path: Path) -> str:
    """The poller's counts for the status line (it rewrites the file every second)."""
    try:
        st = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return "feeds polled 0 | articles fetched 0 | "
    return f"feeds polled {st['feeds_polled']} | articles fetched {st['articles']} | "


def run_pipeline(
    s: Settings,
    watch_dir: Path,
    *,
    exit_when_idle: bool = False,
    with_stack: bool = True,
    feeds_file: Path | None = None,
) -> int:
    """The whole pipeline; its producer watches ``watch_dir``, or polls the feeds of ``feeds_file`` (with
    ``exit_when_idle``: once, then the pipeline stops when everything it produced is indexed)."""
    if with_stack:
        import devstack as stack

        click.echo("starting the local stack (Kafka + Elasticsearch)…", err=True)
        status = stack.up(s.stack)
        click.echo(f"stack: {status}", err=True)
    ensure_topics(s.kafka)
    ensure_index(es_client(s.elasticsearch, check=True), s.elasticsearch.alias, replicas=s.elasticsearch.replicas)
    logs = s.stack.state_dir / "logs"
    status_file = s.stack.state_dir / "feeds-status.json"
    if feeds_file is not None:
        status_file.unlink(missing_ok=True)
        producer = ["feeds", "poll", "--config", str(feeds_file), "--status-file", str(status_file)]
        producer += ["--once"] if exit_when_idle else []
        what = f"polling the feeds of {feeds_file}"
    else:
        producer = ["produce", "--watch", "--no-progress", str(watch_dir)]
        what = f"watching {watch_dir}"
    procs = {
        "processor": _spawn(["process", "--loglevel", "warning"], logs / "processor.log"),
        "sink": _spawn(["sink"], logs / "sink.log"),
        "producer": _spawn(producer, logs / "producer.log"),
    }
    click.echo(f"workers started (logs in {logs}); {what}. Ctrl-C to stop.", err=True)
    interrupted = False

    def on_signal(_signum: int, _frame: Any) -> None:
        nonlocal interrupted
        interrupted = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    settled_since: float | None = None
    last: Counts | None = None
    code = 0
    try:
        while not interrupted:
            # a one-off feed poll (--feeds with --exit-when-idle) ends by itself: exit 0 is its success
            done_polling = feeds_file is not None and exit_when_idle and procs["producer"].poll() == 0
            dead = [n for n, p in procs.items() if p.poll() is not None and not (n == "producer" and done_polling)]
            if dead:
                click.echo(f"\nworker(s) exited unexpectedly: {dead}; see {logs}", err=True)
                code = 1
                break
            try:
                c = counts(s)
            except Exception as exc:  # the status line must not bring the pipeline down
                click.echo(f"\rstatus unavailable: {exc}", err=True, nl=False)
                time.sleep(STATUS_INTERVAL_S)
                continue
            feeds = _feed_status(status_file) if feeds_file is not None else ""
            click.echo(
                f"\r{feeds}ingested {c.raw} | enriched {c.enriched} | indexed {c.indexed} | dead-lettered {c.dead_lettered}"
                f" | lag processor {c.processor_lag} sink {c.sink_lag}   ",
                err=True,
                nl=False,
            )
            producing = feeds_file is not None and exit_when_idle and not done_polling
            settled = not producing and c.raw > 0 and c.processor_lag == 0 and c.sink_lag == 0 and c == last
            settled_since = (settled_since or time.monotonic()) if settled else None
            if exit_when_idle and settled_since and time.monotonic() - settled_since >= IDLE_CONFIRM_S:
                click.echo("\nall input processed and indexed; stopping", err=True)
                break
            last = c
            time.sleep(STATUS_INTERVAL_S)
    finally:
        click.echo("\nstopping workers (producer, processor, sink)…", err=True)
        for name in ("producer", "processor", "sink"):
            rc = _stop(procs[name], name)
            click.echo(f"  {name} stopped (exit {rc})", err=True)
    return code
