"""Faults against the real local stack: killed and restarted workers, Elasticsearch and Kafka outages.

Each scenario streams articles through the pipeline while something fails, then asserts that the index ends
with exactly the set of distinct article ids produced (no loss; no duplicates, counted as documents).
Every scenario appends a row (counts before/after, time to recover) to the reliability report.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

import devstack as stack
from akhbar.pipeline import counts
from akhbar.settings import Settings
from akhbar.wiring import kafka_client_config
from producers.ids import article_id
from tests.fixtures.synthetic import make_articles
from tests.integration.conftest import REPO, Workers, count_docs, settings_env, wait_for
from tests.integration.reliability import record

RATE = 40.0  # articles/s while the fault happens: a steady stream, not a burst


def feed(tmp: Path, n: int, seed: int) -> tuple[Path, set[str]]:
    articles = make_articles(n, seed=seed)
    path = tmp / f"feed-{seed}.jsonl"
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    return path, {article_id(a["url"], a["title"], a["body"])[0] for a in articles}


def indexed_ids(es: Elasticsearch, alias: str) -> set[str]:
    es.indices.refresh(index=alias)
    resp = es.search(index=alias, size=10_000, query={"match_all": {}}, source=False)
    return {hit["_id"] for hit in resp["hits"]["hits"]}


def settle(s: Settings, es: Elasticsearch, expected: set[str], workers: Workers, timeout: float = 240.0) -> float:
    """Wait until every expected id is indexed and both lags are zero; return how long it took."""
    started = time.monotonic()
    wait_for(
        lambda: count_docs(es, s.elasticsearch.alias) >= len(expected),
        timeout=timeout,
        what=f"{len(expected)} documents",
        check=workers.assert_alive,
        diagnose=workers.tails,
    )
    wait_for(
        lambda: (c := counts(s)).processor_lag == 0 and c.sink_lag == 0,
        timeout=60,
        what="zero lag",
        diagnose=workers.tails,
    )
    return time.monotonic() - started


WORKER_ARGS = {"processor": ("process", "--loglevel", "warning"), "sink": ("sink",)}


def start_workers(workers: Workers) -> None:
    for name, args in WORKER_ARGS.items():
        workers.start(name, *args)


def under_way(s: Settings, es: Elasticsearch, workers: Workers, n: int) -> int:
    """Wait until the stream has indexed at least ``n`` articles; return the count at that moment."""
    wait_for(lambda: count_docs(es, s.elasticsearch.alias) >= n, what="stream under way", diagnose=workers.tails)
    return count_docs(es, s.elasticsearch.alias)


def start_producer(workers: Workers, path: Path, rate: float = RATE) -> subprocess.Popen[bytes]:
    return workers.start("producer", "produce", "--no-progress", "--rate", str(rate), str(path))


@pytest.mark.parametrize(("component", "seed"), [("sink", 101), ("processor", 102)])
def test_worker_killed_mid_stream_then_restarted(
    component: str, seed: int, settings: Settings, workers: Workers, es: Elasticsearch, tmp_path: Path
) -> None:
    path, expected = feed(tmp_path, 400, seed=seed)
    start_workers(workers)
    start_producer(workers, path)
    before = under_way(settings, es, workers, 60)
    workers.kill(component)
    time.sleep(3)
    workers.start(component, *WORKER_ARGS[component])
    recovery = settle(settings, es, expected, workers)
    got = indexed_ids(es, settings.elasticsearch.alias)
    record(
        f"{component} SIGKILL mid-stream, restarted after 3 s",
        produced=len(expected),
        indexed_before=before,
        indexed_after=len(got),
        recovery_s=recovery,
    )
    assert got == expected and count_docs(es, settings.elasticsearch.alias) == len(expected)


def test_elasticsearch_down_for_a_minute(
    settings: Settings, workers: Workers, es: Elasticsearch, tmp_path: Path
) -> None:
    path, expected = feed(tmp_path, 1600, seed=103)  # 40 s at 40/s: articles keep arriving during the outage
    start_workers(workers)
    start_producer(workers, path)
    before = under_way(settings, es, workers, 100)
    stopped_at = time.monotonic()
    try:
        assert stack.stop_component(settings.stack, "elasticsearch")
        time.sleep(60)
        workers.assert_alive()  # the sink waits; it does not crash and does not drop
    finally:
        stack.start_component(settings.stack, "elasticsearch")
    outage = time.monotonic() - stopped_at
    recovery = settle(settings, es, expected, workers)
    got = indexed_ids(es, settings.elasticsearch.alias)
    sink_log = workers.log("sink")
    record(
        "Elasticsearch stopped ~60 s while articles arrive",
        produced=len(expected),
        indexed_before=before,
        indexed_after=len(got),
        recovery_s=recovery,
        outage_s=outage,
    )
    assert "consumption paused" in sink_log and "consumption resumed" in sink_log
    assert got == expected and count_docs(es, settings.elasticsearch.alias) == len(expected)


def test_sigterm_to_the_sink_while_elasticsearch_is_down(
    settings: Settings, workers: Workers, es: Elasticsearch, tmp_path: Path
) -> None:
    """The paused sink stops promptly on SIGTERM, writing and committing nothing; a new sink indexes it all."""
    path, expected = feed(tmp_path, 400, seed=107)
    start_workers(workers)
    start_producer(workers, path)
    before = under_way(settings, es, workers, 60)
    try:
        assert stack.stop_component(settings.stack, "elasticsearch")
        wait_for(lambda: "consumption paused" in workers.log("sink"), what="the sink to pause", timeout=90)
        committed = (c := counts(settings)).enriched - c.sink_lag
        started = time.monotonic()
        code = workers.stop("sink", timeout=60)  # SIGTERM
        stop_s = time.monotonic() - started
        assert code == 0, workers.log("sink")[-3000:]
        assert "left unwritten and uncommitted" in workers.log("sink")
        c = counts(settings)
        assert c.enriched - c.sink_lag == committed  # nothing committed that was not written
    finally:
        stack.start_component(settings.stack, "elasticsearch")
    workers.start("sink", *WORKER_ARGS["sink"])
    recovery = settle(settings, es, expected, workers)
    got = indexed_ids(es, settings.elasticsearch.alias)
    record(
        "SIGTERM to the sink while Elasticsearch is down, restarted after",
        produced=len(expected),
        indexed_before=before,
        indexed_after=len(got),
        recovery_s=recovery,
        stop_s=stop_s,
    )
    assert got == expected and count_docs(es, settings.elasticsearch.alias) == len(expected)


def test_kafka_restarted_while_producing(
    settings: Settings, workers: Workers, es: Elasticsearch, tmp_path: Path
) -> None:
    path, expected = feed(tmp_path, 600, seed=104)
    start_workers(workers)
    producer = start_producer(workers, path)
    before = under_way(settings, es, workers, 60)
    stopped_at = time.monotonic()
    stack.stop_component(settings.stack, "kafka")
    time.sleep(5)
    stack.start_component(settings.stack, "kafka")
    outage = time.monotonic() - stopped_at
    assert producer.wait(timeout=300) == 0, workers.log("producer")[-3000:]  # retried within its bound
    recovery = settle(settings, es, expected, workers)
    got = indexed_ids(es, settings.elasticsearch.alias)
    record(
        "Kafka broker restarted while producing",
        produced=len(expected),
        indexed_before=before,
        indexed_after=len(got),
        recovery_s=recovery,
        outage_s=outage,
    )
    assert got == expected


def test_producer_reports_unsent_articles_when_kafka_stays_down(settings: Settings, tmp_path: Path) -> None:
    path, expected = feed(tmp_path, 30, seed=105)
    s = settings.model_copy(update={"kafka": settings.kafka.model_copy(update={"delivery_timeout_ms": 5000})})
    env = settings_env(s)
    proc = subprocess.Popen(
        [sys.executable, "-m", "akhbar", "produce", "--no-progress", "--rate", "10", str(path)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: counts(settings).raw >= 5, timeout=60, what="the first articles on Kafka")  # some out, most not
    stack.stop_component(settings.stack, "kafka")
    try:
        _out, err = proc.communicate(timeout=120)
    finally:
        stack.start_component(settings.stack, "kafka")
    unsent = [line.split("\t")[1] for line in err.splitlines() if line.startswith("unsent\t")]
    record(
        "Kafka down longer than the producer's retry bound (5 s)",
        produced=len(expected),
        indexed_before=None,
        indexed_after=None,
        recovery_s=None,
        unsent_reported=len(unsent),
    )
    assert proc.returncode == 1 and "not delivered to Kafka" in err
    assert unsent, err[-3000:]
    assert set(unsent) <= expected


def tagged_offsets(s: Settings) -> tuple[int, int]:
    """The story stage's input: records on the tagged topic, and the processor group's committed offset there."""
    tp = TopicPartition(s.stories.tagged_topic, 0)
    consumer = KafkaConsumer(**kafka_client_config(s.kafka), enable_auto_commit=False)
    admin = KafkaAdminClient(**kafka_client_config(s.kafka))
    try:
        end = consumer.end_offsets([tp])[tp]
        committed = admin.list_consumer_group_offsets(s.processor.app_id).get(tp)
        return end, committed.offset if committed is not None else 0
    finally:
        consumer.close()
        admin.close()


@pytest.mark.parametrize("component", ["producer", "processor", "sink"])
def test_sigterm_stops_gracefully_with_work_flushed(
    component: str, settings: Settings, workers: Workers, es: Elasticsearch, tmp_path: Path
) -> None:
    path, expected = feed(tmp_path, 600 if component == "producer" else 300, seed=106)
    start_workers(workers)
    start_producer(workers, path, rate=60)
    if component == "producer":  # stop it while it still has most of the feed to read
        wait_for(lambda: counts(settings).raw >= 40, what="the first articles on Kafka")
    else:
        under_way(settings, es, workers, 40)
    started = time.monotonic()
    code = workers.stop(component, timeout=60)  # SIGTERM
    stop_s = time.monotonic() - started
    assert code == 0, workers.log(component)[-3000:]
    c = counts(settings)
    if component == "producer":
        # what it read was delivered before it exited: the raw topic holds exactly that many articles
        report = workers.log("producer").strip().splitlines()[-1]
        produced = int(report.split("produced ")[1].split(",")[0])
        assert c.raw == produced and 0 < produced < len(expected)
        wait_for(lambda: (k := counts(settings)).processor_lag == 0 and k.sink_lag == 0, what="drained")
        assert count_docs(es, settings.elasticsearch.alias) == produced
        record(
            "SIGTERM to the producer",
            produced=produced,
            indexed_before=None,
            indexed_after=count_docs(es, settings.elasticsearch.alias),
            recovery_s=None,
            stop_s=stop_s,
        )
        return
    if component == "processor":
        # everything it consumed was produced downstream and committed: outputs == committed input offsets
        committed = c.raw - c.processor_lag
        # the chain's outputs go to the story stage's input first; the stage's own outputs match its commits too
        tagged, tagged_committed = tagged_offsets(settings)
        assert tagged + c.dead_lettered == committed
        assert c.enriched == tagged_committed
    else:
        # everything it consumed and committed is in the index
        committed = c.enriched - c.sink_lag
        assert count_docs(es, settings.elasticsearch.alias) == committed
    workers.start(component, *WORKER_ARGS[component])
    recovery = settle(settings, es, expected, workers)
    got = indexed_ids(es, settings.elasticsearch.alias)
    record(
        f"SIGTERM to the {component}, restarted",
        produced=len(expected),
        indexed_before=committed,
        indexed_after=len(got),
        recovery_s=recovery,
        stop_s=stop_s,
    )
    assert got == expected
