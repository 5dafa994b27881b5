"""The sink against hostile input and hostile operators, on the real local stack (issue 14, items 3, 4, 6, 7).

Records go straight onto the enriched topic with a plain kafka-python producer (bypassing the processor), as a
buggy upstream writer or a replay would put them. Each scenario checks where every record ended (indexed,
dead-lettered with its reason, skipped as stale) and appends a row to the reliability report.
Cluster-level blocks are held for a few seconds only and always lifted in a ``finally``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaProducer

from akhbar.pipeline import counts
from akhbar.settings import Settings
from akhbar.wiring import sink_worker
from schemas import ENRICHED_HEADERS
from sinks.index import index_name
from sinks.worker import version_of
from tests.integration.conftest import Workers, count_docs, raw_producer, read_topic, wait_for
from tests.integration.reliability import record

NEWER = "2026-03-02T10:00:00.250Z"
OLDER = "2026-03-01T09:00:00Z"


def enriched_doc(
    doc_id: str, *, enriched_at: str = NEWER, title: str = "عنوان الخبر", body: str = "نص الخبر"
) -> dict[str, Any]:
    """A document that matches enriched_article v1, as the processor would write it."""
    return {
        "schema_version": 1,
        "id": doc_id,
        "source": "hostile-test",
        "title": title,
        "body": body,
        "fetched_at": "2026-03-01T08:00:00Z",
        "language": "ar",
        "title_normalized": title,
        "body_normalized": body[:1000],
        "word_count": len(body.split()),
        "flags": [],
        "enriched_at": enriched_at,
        "steps": ["clean"],
    }


def new_id() -> str:
    return uuid.uuid4().hex


def send(
    producer: KafkaProducer, s: Settings, doc: dict[str, Any], *, key: str | None = None, partition: int | None = None
) -> None:
    producer.send(
        s.kafka.enriched_topic,
        key=(key or doc["id"]).encode(),
        value=orjson.dumps(doc),
        headers=ENRICHED_HEADERS,
        partition=partition,
    )


def send_valid(s: Settings, n: int) -> set[str]:
    ids = {new_id() for _ in range(n)}
    producer = raw_producer(s)
    try:
        for doc_id in ids:
            send(producer, s, enriched_doc(doc_id))
        producer.flush()
    finally:
        producer.close()
    return ids


def indexed_ids(es: Elasticsearch, alias: str) -> set[str]:
    es.indices.refresh(index=alias)
    resp = es.search(index=alias, size=10_000, query={"match_all": {}}, source=False)
    return {hit["_id"] for hit in resp["hits"]["hits"]}


def letters(s: Settings, *, at_least: int, timeout: float = 8.0) -> list[dict[str, Any]]:
    """The dead letters on the test's DLQ: waits for ``at_least``, then returns all there are (so a count can be
    checked exactly: at_least = expected + 1 with a short timeout)."""
    return [orjson.loads(r.value) for r in read_topic(s, s.kafka.dlq_topic, expected=at_least, timeout=timeout)]


@pytest.fixture()
def quick(settings: Settings) -> Settings:
    """The test's settings with an impatient sink: it pauses after 2 quick bulk attempts and logs a round of
    probes every 3 s, so an outage shows within seconds (the production figures are in akhbar/settings.py)."""
    sink = settings.sink.model_copy(
        update={
            "bulk_attempts": 2,
            "bulk_wait_initial_s": 0.2,
            "bulk_wait_max_s": 0.5,
            "probe_interval_s": 0.5,
            "outage_round_s": 3.0,
        }
    )
    return settings.model_copy(update={"sink": sink})


@pytest.fixture()
def sinks(quick: Settings, tmp_path: Path) -> Iterator[Workers]:
    w = Workers(quick, tmp_path)
    yield w
    w.stop_all()


def sink_log(w: Workers) -> str:
    return w.log("sink")


def started(w: Workers, es: Elasticsearch, s: Settings, ids: set[str]) -> None:
    """The sink is running and has indexed ``ids`` (its set-up is done)."""
    w.start("sink", "sink")
    wait_for(
        lambda: count_docs(es, s.elasticsearch.alias) == len(ids),
        what=f"{len(ids)} documents indexed",
        check=w.assert_alive,
        diagnose=w.tails,
    )


# --- item 3: one record never wedges the sink ----------------------------------------------------------


def test_a_record_elasticsearch_refuses_between_valid_ones(quick: Settings, sinks: Workers, es: Elasticsearch) -> None:
    s = quick
    alias = s.elasticsearch.alias
    before, after = [new_id() for _ in range(10)], [new_id() for _ in range(10)]
    pre_epoch = new_id()  # valid by the schema; its version (enriched_at in ms) is negative: ES refuses the bulk
    bad_id = "x" * 600  # Elasticsearch refuses ids over 512 bytes; the schema's id pattern catches it first
    producer = raw_producer(s)
    for doc_id in before:
        send(producer, s, enriched_doc(doc_id))
    send(producer, s, enriched_doc(pre_epoch, enriched_at="1969-12-31T23:59:59Z"))
    send(producer, s, enriched_doc(bad_id))
    for doc_id in after:
        send(producer, s, enriched_doc(doc_id))
    producer.flush()
    producer.close()

    started(sinks, es, s, {*before, *after})
    got = letters(s, at_least=2, timeout=60)
    by_reason = {d["reason"]: d for d in got}
    assert len(got) == 2 and set(by_reason) == {"index_request_rejected", "invalid_enriched"}
    refused = by_reason["index_request_rejected"]
    assert refused["article_id"] == pre_epoch and refused["stage"] == "sink"
    assert "illegal version value" in refused["detail"] and refused["topic"] == s.kafka.enriched_topic
    invalid = by_reason["invalid_enriched"]
    assert invalid["article_id"] == bad_id and "at id:" in invalid["detail"]  # the id pattern
    assert indexed_ids(es, alias) == {*before, *after}

    # a restart reads on from the commit: nothing dead-lettered twice, and it still indexes
    assert sinks.stop("sink") == 0, sink_log(sinks)[-3000:]
    later = send_valid(s, 3)
    started(sinks, es, s, {*before, *after, *later})
    assert len(letters(s, at_least=3, timeout=5)) == 2
    sinks.assert_alive()
    produced, indexed = len(before) + len(after) + 2 + len(later), count_docs(es, alias)
    record(
        "sink: a record Elasticsearch refuses for the whole bulk (and one the schema refuses) between valid ones, "
        "sink restarted",
        produced=produced,
        indexed_after=indexed,
        dead_lettered=len(got),
        lost=produced - indexed - len(got),
    )


# --- item 4: temporary refusals pause, then everything is indexed -------------------------------------


def _write_block(setting: str) -> Callable[[Elasticsearch, str], Callable[[], None]]:
    def apply(es: Elasticsearch, alias: str) -> Callable[[], None]:
        index = index_name(alias)
        es.indices.put_settings(index=index, settings={setting: True})
        return lambda: es.indices.put_settings(index=index, settings={setting: None})

    return apply


def _closed(es: Elasticsearch, alias: str) -> Callable[[], None]:
    index = index_name(alias)
    es.indices.close(index=index)
    return lambda: es.indices.open(index=index, wait_for_active_shards="1")


def _cluster_read_only(es: Elasticsearch, _alias: str) -> Callable[[], None]:
    es.cluster.put_settings(persistent={"cluster.blocks.read_only": True})
    return lambda: es.cluster.put_settings(persistent={"cluster.blocks.read_only": None})


REFUSALS: dict[str, Callable[[Elasticsearch, str], Callable[[], None]]] = {
    "index write block": _write_block("index.blocks.write"),
    "index read_only_allow_delete block": _write_block("index.blocks.read_only_allow_delete"),
    "closed index": _closed,
    "cluster read_only block (held a few seconds)": _cluster_read_only,
}


@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_a_temporary_refusal_pauses_the_sink_and_nothing_is_dead_lettered(
    refusal: str, quick: Settings, sinks: Workers, es: Elasticsearch
) -> None:
    s = quick
    alias = s.elasticsearch.alias
    first = send_valid(s, 5)
    started(sinks, es, s, first)
    lift = REFUSALS[refusal](es, alias)
    refused_at = time.monotonic()
    try:
        during = send_valid(s, 10)
        wait_for(
            lambda: "consumption paused" in sink_log(sinks),
            timeout=30,
            what="the sink to pause",
            check=sinks.assert_alive,
        )
        if not refusal.startswith("cluster"):  # an index-level block may last: the outage's periodic line shows
            wait_for(lambda: "still refused" in sink_log(sinks), timeout=30, what="the outage's periodic line")
        sinks.assert_alive()
    finally:
        lift()
    held = time.monotonic() - refused_at
    wait_for(
        lambda: count_docs(es, alias) == 15,
        what="all 15 indexed after the refusal",
        check=sinks.assert_alive,
        diagnose=sinks.tails,
    )
    recovery = time.monotonic() - refused_at - held
    log = sink_log(sinks)
    assert "consumption resumed" in log and "Traceback" not in log
    dead = letters(s, at_least=1, timeout=3)
    assert dead == []
    assert indexed_ids(es, alias) == first | during
    produced, indexed = len(first | during), count_docs(es, alias)
    record(
        f"sink: {refusal} while articles arrive",
        produced=produced,
        indexed_before=len(first),
        indexed_after=indexed,
        recovery_s=recovery,
        refused_s=held,
        dead_lettered=len(dead),
        lost=produced - indexed - len(dead),
    )


def test_a_missing_alias_is_restored_and_no_plain_index_appears(
    quick: Settings, sinks: Workers, es: Elasticsearch
) -> None:
    s = quick
    alias, index = s.elasticsearch.alias, index_name(s.elasticsearch.alias)
    first = send_valid(s, 5)
    started(sinks, es, s, first)
    es.indices.delete_alias(index=index, name=alias)
    during = send_valid(s, 10)
    wait_for(lambda: count_docs(es, alias) == 15, what="all 15 indexed", check=sinks.assert_alive)
    assert f"alias {alias} was missing; pointed it at {index} again" in sink_log(sinks)
    assert list(es.indices.get(index=alias).body) == [index]  # the alias, over the versioned index only
    dead = letters(s, at_least=1, timeout=3)
    assert dead == []
    assert indexed_ids(es, alias) == first | during
    produced, indexed = len(first | during), count_docs(es, alias)
    record(
        "sink: its alias deleted while articles arrive",
        produced=produced,
        indexed_before=len(first),
        indexed_after=indexed,
        dead_lettered=len(dead),
        lost=produced - indexed - len(dead),
    )


def test_a_deleted_index_is_not_recreated_behind_the_operators_back(
    quick: Settings, sinks: Workers, es: Elasticsearch
) -> None:
    s = quick
    alias, index = s.elasticsearch.alias, index_name(s.elasticsearch.alias)
    first = send_valid(s, 5)
    started(sinks, es, s, first)
    es.indices.delete(index=index)  # the operator deletes the index (and its 5 documents) with the alias
    during = send_valid(s, 10)
    wait_for(
        lambda: "are both missing" in sink_log(sinks) and "consumption paused" in sink_log(sinks),
        timeout=30,
        what="the sink to report the missing index and pause",
        check=sinks.assert_alive,
    )
    assert not es.indices.exists(index=alias) and not es.indices.exists(index=index)  # no rogue index
    assert sinks.stop("sink") == 0 and "left unwritten and uncommitted" in sink_log(sinks)
    started(sinks, es, s, during)  # start-up creates the versioned index and alias; the 10 were not committed
    assert list(es.indices.get(index=alias).body) == [index]
    dead = letters(s, at_least=1, timeout=3)
    assert dead == [] and indexed_ids(es, alias) == during
    produced, indexed = len(first | during), count_docs(es, alias)
    record(
        "sink: its index deleted while articles arrive, sink restarted",
        produced=produced,
        indexed_before=len(first),
        indexed_after=indexed,
        dead_lettered=len(dead),
        deleted_with_the_index=len(first),
        lost=produced - indexed - len(dead) - len(first),
    )


def test_start_up_waits_while_a_cluster_block_stands(quick: Settings, sinks: Workers, es: Elasticsearch) -> None:
    s = quick
    ids = send_valid(s, 5)
    es.cluster.put_settings(persistent={"cluster.blocks.read_only": True})
    blocked_at = time.monotonic()
    try:
        sinks.start("sink", "sink")
        wait_for(
            lambda: "Elasticsearch unavailable" in sink_log(sinks),
            timeout=15,
            what="the sink's set-up to wait for the block",
            check=sinks.assert_alive,
        )
        sinks.assert_alive()
    finally:
        es.cluster.put_settings(persistent={"cluster.blocks.read_only": None})
    held = time.monotonic() - blocked_at
    wait_for(lambda: count_docs(es, s.elasticsearch.alias) == 5, what="5 indexed", check=sinks.assert_alive)
    assert f"setting up {s.elasticsearch.alias}: Elasticsearch unavailable" in sink_log(sinks)
    assert indexed_ids(es, s.elasticsearch.alias) == ids
    dead = letters(s, at_least=1, timeout=3)
    assert dead == []
    record(
        "sink: started while a cluster read_only block stands",
        produced=len(ids),
        indexed_after=len(ids),
        refused_s=held,
        dead_lettered=len(dead),
        lost=0,
    )


# --- item 6: overwrites are deliberate -------------------------------------------------------------------


def test_an_older_copy_never_overwrites_a_newer_one(settings: Settings, es: Elasticsearch) -> None:
    s = settings
    alias = s.elasticsearch.alias
    doc_id = new_id()
    newer = enriched_doc(doc_id, enriched_at=NEWER, title="الخبر بعد التحديث")
    older = enriched_doc(doc_id, enriched_at=OLDER, title="نسخة قديمة بمحتوى آخر", body="محتوى مختلف تماما")
    producer = raw_producer(s)
    send(producer, s, newer)
    producer.flush()
    first = sink_worker(s).run(idle_exit_s=10)
    assert first.indexed == 1
    send(producer, s, older)  # a replayed old copy with other content
    send(producer, s, newer)  # the same copy again
    producer.flush()
    producer.close()
    second = sink_worker(s).run(idle_exit_s=10)
    got = es.get(index=alias, id=doc_id)
    assert got["_source"]["title"] == newer["title"] and got["_version"] == version_of(NEWER)
    assert count_docs(es, alias) == 1
    assert (second.indexed, second.stale, second.dead_lettered) == (1, 1, 0)
    dead = letters(s, at_least=1, timeout=3)
    assert dead == []
    assert counts(s).sink_lag == 0  # the stale copy was committed, not left behind
    record(
        "sink: an older copy of an indexed article, then the same copy again",
        produced=3,
        indexed_after=count_docs(es, alias),
        writes=first.indexed + second.indexed,
        stale_skipped=second.stale,
        dead_lettered=len(dead),
        lost=0,
    )


# --- item 7: a backlog of large messages -----------------------------------------------------------------


def test_a_backlog_of_large_messages_is_read_without_frame_errors(
    settings: Settings, es: Elasticsearch, caplog: pytest.LogCaptureFixture
) -> None:
    """kafka-python's 1,000,000-byte frame limit refused fetch responses of several partitions' MiB ("Invalid
    frame length"); the sink's consumer sizes frames to the message-size contract."""
    s = settings
    body = "خبر عاجل من المراسل " * 18_000  # ~700 KB of UTF-8: under the broker's default 1 MB message size
    producer = raw_producer(s)
    ids = []
    for n in range(18):  # three per partition: each fetch response holds several partitions' large messages
        doc = enriched_doc(new_id(), body=body)
        ids.append(doc["id"])
        send(producer, s, doc, partition=n % s.kafka.partitions)
    producer.flush()
    producer.close()
    with caplog.at_level(logging.WARNING):
        stats = sink_worker(s).run(idle_exit_s=5)
    frame_errors = caplog.text.count("Invalid frame length")
    assert frame_errors == 0 and "connection failed" not in caplog.text
    assert stats.indexed == 18 and count_docs(es, s.elasticsearch.alias) == 18
    record(
        "sink: a backlog of 18 enriched documents of ~700 KB over 6 partitions",
        produced=18,
        indexed_after=stats.indexed,
        frame_errors=frame_errors,
        dead_lettered=stats.dead_lettered,
        lost=len(ids) - stats.indexed - stats.dead_lettered,
    )
