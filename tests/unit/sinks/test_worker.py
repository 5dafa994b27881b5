"""The sink worker's loop against in-memory fakes of its Kafka consumer, its dead-letter producer and its sink.

What is checked is the worker's own contract: commit only after the sink took the batch and after the dead
letters are acknowledged; pause on backpressure, probe, resume; a stop while paused commits nothing; a
rebalance drops what was held for revoked partitions. tests/integration runs the same worker with the real
clients.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from kafka import TopicPartition
from kafka.errors import CommitFailedError, KafkaTimeoutError
from kafka.structs import OffsetAndMetadata

from schemas import Reason
from schemas.models import _validate
from sinks.base import Backpressure, Flushed, Item, Rejection, Sink
from sinks.batch import Batcher
from sinks.worker import DeadLettersUndelivered, SinkWorker, WorkerConfig, version_of

TOPIC, DLQ = "articles.enriched", "articles.dlq"
P0, P1 = TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)


def doc_id(n: int) -> str:
    return f"{n:032x}"


def enriched(n: int) -> bytes:
    """A minimal document that matches enriched_article v1."""
    return orjson.dumps(
        {
            "schema_version": 1,
            "id": doc_id(n),
            "source": "test",
            "title": "عنوان",
            "body": "نص الخبر",
            "fetched_at": "2026-01-01T00:00:00Z",
            "language": "ar",
            "title_normalized": "عنوان",
            "body_normalized": "نص الخبر",
            "word_count": 2,
            "flags": [],
            "enriched_at": "2026-01-01T00:00:01Z",
            "steps": ["clean"],
        }
    )


def test_the_fixture_document_is_valid() -> None:
    _validate("enriched_article", orjson.loads(enriched(1)))


@dataclass(frozen=True)
class Rec:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)


class FakeConsumer:
    """Partitions as lists of records; poll returns what the unpaused assigned partitions have past their position."""

    def __init__(self, events: list[str], partitions: Sequence[TopicPartition] = (P0,)) -> None:
        self.events = events
        self.records: dict[TopicPartition, list[Rec]] = {tp: [] for tp in partitions}
        self.position: dict[TopicPartition, int] = {tp: 0 for tp in partitions}
        self._assignment = set(partitions)
        self._paused: set[TopicPartition] = set()
        self.committed: dict[TopicPartition, int] = {}
        self.commit_errors: list[Exception] = []
        self.listener: Any = None
        self.polls = 0
        self.on_poll: Callable[[FakeConsumer], None] | None = None
        self.closed = False

    def append(
        self,
        tp: TopicPartition,
        value: bytes | None,
        key: bytes | None = b"",
        headers: list[tuple[str, bytes | None]] | None = None,
    ) -> None:
        offset = len(self.records[tp])
        self.records[tp].append(Rec(tp.topic, tp.partition, offset, key, value, headers or []))

    def add_documents(self, tp: TopicPartition, numbers: range) -> None:
        for n in numbers:
            self.append(tp, enriched(n), doc_id(n).encode())

    def subscribe(self, topics: list[str], *, listener: Any) -> None:
        assert topics == [TOPIC]
        self.listener = listener
        listener.on_partitions_assigned(set(self._assignment))

    def poll(self, *, timeout_ms: int) -> Mapping[TopicPartition, Sequence[Rec]]:
        self.polls += 1
        if self.on_poll is not None:
            self.on_poll(self)
        out: dict[TopicPartition, list[Rec]] = {}
        for tp in sorted(self._assignment - self._paused):
            batch = self.records[tp][self.position[tp] :]
            if batch:
                out[tp] = batch
                self.position[tp] += len(batch)
        return out

    def commit(self, offsets: Mapping[TopicPartition, OffsetAndMetadata], *, timeout_ms: int) -> None:
        if self.commit_errors:
            self.events.append("commit failed")
            raise self.commit_errors.pop(0)
        self.events.append("commit")
        for tp, meta in offsets.items():
            assert tp in self._assignment, "committed a partition it does not own"
            self.committed[tp] = meta.offset

    def pause(self, *partitions: TopicPartition) -> None:
        self._paused |= set(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self._paused -= set(partitions)

    def assignment(self) -> set[TopicPartition]:
        return set(self._assignment)

    def paused(self) -> set[TopicPartition]:
        return set(self._paused)

    def revoke(self, tp: TopicPartition) -> None:
        """A rebalance that moves ``tp`` to another worker, as kafka-python runs it inside poll()."""
        self.listener.on_partitions_revoked({tp})
        self._assignment.discard(tp)
        self._paused.discard(tp)
        self.listener.on_partitions_assigned(set(self._assignment))

    def close(self) -> None:
        self.closed = True


class FakeSend:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    def get(self, timeout: float | None = None) -> object:
        if self.error is not None:
            raise self.error
        return None


class FakeProducer:
    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.sent: list[tuple[str, bytes | None, dict[str, Any], dict[str, bytes]]] = []
        self.delivery_error: Exception | None = None
        self.closed = False

    def send(self, topic: str, *, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> FakeSend:
        self.events.append("dead letter")
        self.sent.append((topic, key, orjson.loads(value), dict(headers)))
        return FakeSend(self.delivery_error)

    def flush(self) -> None:
        self.events.append("dlq flush")

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeSink(Sink):
    """Takes batches; ``outcomes`` scripts each flush: "ok" or "down" (Backpressure, batch kept)."""

    events: list[str]
    outcomes: list[str] = field(default_factory=list)
    reject: set[str] = field(default_factory=set)  # doc ids answered with a mapping error
    stale: set[str] = field(default_factory=set)  # doc ids of which the destination holds a newer copy
    healthy: Callable[[], bool] = lambda: True
    gate: threading.Event | None = None  # set: the flush waits for it (a slow bulk)
    pending: list[Item] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)  # every item flushed, as the worker built it
    set_up: bool = False

    def setup(self) -> None:
        self.set_up = True

    def add(self, item: Item) -> None:
        self.pending.append(item)

    def flush(self) -> Flushed:
        if self.gate is not None:
            assert self.gate.wait(5), "the test never opened the gate"
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        if outcome == "down":
            self.events.append("flush refused")
            raise Backpressure("fake Elasticsearch is down", retry_after_s=30.0, kept=len(self.pending))
        rejected = [Rejection(it, 400, Reason.INDEX_REJECTED, "mapper_parsing_exception: bad") for it in self.pending]
        rejected = [r for r in rejected if r.item.doc_id in self.reject]
        skipped = [it for it in self.pending if it.doc_id in self.stale]
        self.written += [it.doc_id for it in self.pending if it.doc_id not in self.reject | self.stale]
        self.items += self.pending
        written = len(self.pending) - len(rejected) - len(skipped)
        self.pending = []
        self.events.append("flush")
        return Flushed(written, len(skipped), rejected, 1)

    def available(self) -> bool:
        return self.healthy()


@dataclass
class Rig:
    events: list[str]
    consumer: FakeConsumer
    producer: FakeProducer
    sink: FakeSink
    worker: SinkWorker


def rig(
    *,
    partitions: Sequence[TopicPartition] = (P0,),
    max_count: int = 2,
    max_age_s: float = 0.0,
    commit_attempts: int = 3,
    **sink_kwargs: Any,
) -> Rig:
    events: list[str] = []
    consumer = FakeConsumer(events, partitions)
    producer = FakeProducer(events)
    sink = FakeSink(events, **sink_kwargs)
    config = WorkerConfig(
        topic=TOPIC,
        dlq_topic=DLQ,
        poll_timeout_ms=1,
        probe_interval_s=0.01,
        commit_timeout_ms=100,
        commit_attempts=commit_attempts,
        commit_retry_timeout_s=5.0,
        commit_wait_initial_s=0.01,
        commit_wait_max_s=0.01,
    )
    batcher: Batcher[Item] = Batcher(max_count=max_count, max_bytes=10**9, max_age_s=max_age_s)
    worker = SinkWorker(consumer, producer, sink, batcher, config)
    return Rig(events, consumer, producer, sink, worker)


def stop_after_polls(r: Rig, polls: int) -> None:
    def on_poll(c: FakeConsumer) -> None:
        if c.polls >= polls:
            r.worker.stop()

    r.consumer.on_poll = on_poll


def test_offsets_are_committed_after_the_sink_took_the_batch() -> None:
    r = rig()
    r.consumer.add_documents(P0, range(5))
    stop_after_polls(r, 3)
    stats = r.worker.run()
    assert r.sink.set_up and r.sink.written == [doc_id(n) for n in range(5)]
    assert r.consumer.committed == {P0: 5} and stats.indexed == 5 and stats.committed == {f"{TOPIC}[0]": 5}
    assert r.events.index("flush") < r.events.index("commit")
    assert r.events.count("commit") == r.events.count("flush") == 3  # batches of 2, 2 and 1, each then committed
    assert r.consumer.closed and r.producer.closed


def test_no_commit_while_the_batch_is_in_flight() -> None:
    gate = threading.Event()
    r = rig(gate=gate)
    r.consumer.add_documents(P0, range(2))
    seen: list[dict[TopicPartition, int]] = []

    def on_poll(c: FakeConsumer) -> None:
        if c.polls == 5:  # the batch went to the writer thread at poll 1 and is blocked there
            seen.append(dict(c.committed))
            c.add_documents(P0, range(2, 4))  # the next batch fills meanwhile
            gate.set()
        if c.polls >= 30 and c.committed.get(P0) == 4:
            r.worker.stop()

    r.consumer.on_poll = on_poll
    r.worker.run()
    assert seen == [{}]
    assert r.consumer.committed == {P0: 4} and r.sink.written == [doc_id(n) for n in range(4)]


def test_invalid_messages_are_dead_lettered_with_stage_sink_and_where_they_came_from() -> None:
    r = rig(max_count=100)
    r.consumer.append(P0, b"{not json either", b"poison-4")
    r.consumer.append(P0, b'{"schema_version": 1, "id": "half an article"}', b"poison-5")
    r.consumer.append(P0, enriched(7), doc_id(8).encode())  # valid, but keyed as another article
    r.consumer.append(P0, enriched(9), None)  # valid, without a key
    r.consumer.append(P0, enriched(1), doc_id(1).encode())
    stop_after_polls(r, 3)
    stats = r.worker.run()
    assert r.sink.written == [doc_id(1)]
    letters = [(topic, key, letter) for topic, key, letter, _headers in r.producer.sent]
    assert [(t, k) for t, k, _ in letters] == [
        (DLQ, b"poison-4"),
        (DLQ, b"poison-5"),
        (DLQ, doc_id(8).encode()),
        (DLQ, None),
    ]
    for offset, (_t, _k, letter) in enumerate(letters):
        assert (letter["stage"], letter["reason"]) == ("sink", "invalid_enriched")
        assert (letter["topic"], letter["partition"], letter["offset"]) == (TOPIC, 0, offset)
    assert [letter["article_id"] for _t, _k, letter in letters] == ["poison-4", "poison-5", doc_id(8), None]
    assert "is not the document's id" in letters[2][2]["detail"]
    assert r.producer.sent[0][3] == {
        "schema": b"dead_letter.v1",
        "reason": b"invalid_enriched",
        "stage": b"sink",
        "replays": b"0",
    }
    assert r.consumer.committed == {P0: 5} and stats.dead_lettered == 4


def test_dead_letters_are_flushed_before_the_commit() -> None:
    r = rig(max_count=100, reject={doc_id(2)})
    r.consumer.append(P0, b"[]", b"not-an-object")
    r.consumer.add_documents(P0, range(1, 4))
    stop_after_polls(r, 3)
    r.worker.run()
    # the parse-time letter and the rejection are both acknowledged before the one commit that covers them
    assert r.events == ["dead letter", "flush", "dead letter", "dlq flush", "commit"]
    rejected = r.producer.sent[1][2]
    assert (rejected["reason"], rejected["stage"], rejected["article_id"], rejected["offset"]) == (
        "index_rejected",
        "sink",
        doc_id(2),
        2,
    )
    assert r.consumer.committed == {P0: 4}


def test_an_undelivered_dead_letter_stops_the_worker_before_any_commit() -> None:
    r = rig(max_count=100)
    r.producer.delivery_error = KafkaTimeoutError("expired")
    r.consumer.append(P0, b"{", b"broken")
    r.consumer.add_documents(P0, range(1, 3))
    with pytest.raises(DeadLettersUndelivered):
        r.worker.run()
    assert r.consumer.committed == {} and "commit" not in r.events
    assert r.consumer.closed and r.producer.closed


def test_pause_while_the_sink_refuses_then_resume(caplog: pytest.LogCaptureFixture) -> None:
    probes: list[tuple[set[TopicPartition], int]] = []
    r = rig(outcomes=["down"])

    def healthy() -> bool:
        probes.append((r.consumer.paused(), r.consumer.position[P0]))
        if len(probes) == 1:
            r.consumer.add_documents(P0, range(2, 4))  # arrives during the outage
        return len(probes) >= 3

    r.sink.healthy = healthy
    r.consumer.add_documents(P0, range(2))
    stop_after_polls(r, 40)
    with caplog.at_level(logging.INFO, logger="sinks.worker"):
        stats = r.worker.run()
    assert [paused for paused, _ in probes] == [{P0}] * 3
    assert [position for _, position in probes] == [2, 2, 2]  # nothing read while paused
    assert "consumption paused" in caplog.text and "consumption resumed" in caplog.text
    assert r.consumer.paused() == set() and stats.outages == 1
    assert r.sink.written == [doc_id(n) for n in range(4)]  # the kept batch once, then the rest
    assert r.events[:3] == ["flush refused", "flush", "commit"]
    assert r.consumer.committed == {P0: 4}


def test_a_stop_while_the_sink_refuses_commits_nothing(caplog: pytest.LogCaptureFixture) -> None:
    r = rig(outcomes=["down"] * 100)
    probes = 0

    def healthy() -> bool:
        nonlocal probes
        probes += 1
        if probes == 15:  # two rounds of probes in, a SIGTERM
            r.worker.stop()
        return False

    r.sink.healthy = healthy
    r.consumer.add_documents(P0, range(3))
    with caplog.at_level(logging.INFO, logger="sinks.worker"):
        stats = r.worker.run()
    assert r.consumer.committed == {} and "commit" not in r.events and r.sink.written == []
    assert r.events == ["flush refused"]  # the probes never said yes: no second flush
    assert "2 document(s) left unwritten and uncommitted" not in caplog.text
    assert "3 document(s) left unwritten and uncommitted" in caplog.text  # the kept 2 and the third in the batcher
    assert "still refused" in caplog.text  # the end of the first round of probes
    assert stats.indexed == 0 and r.consumer.closed and r.producer.closed


def test_a_rebalance_forgets_the_items_held_for_revoked_partitions() -> None:
    r = rig(partitions=(P0, P1), max_count=100, max_age_s=60.0)
    r.consumer.add_documents(P0, range(0, 2))
    r.consumer.add_documents(P1, range(10, 12))
    r.consumer.append(P1, b"{", b"broken")  # dead-lettered, its offset held for the next commit

    def on_poll(c: FakeConsumer) -> None:
        if c.polls == 3:
            c.revoke(P1)
        if c.polls == 5:
            r.worker.stop()

    r.consumer.on_poll = on_poll
    r.worker.run()
    assert r.sink.written == [doc_id(0), doc_id(1)]
    assert r.consumer.committed == {P0: 2}


def test_a_rebalance_while_the_batch_is_in_flight_commits_only_owned_partitions() -> None:
    gate = threading.Event()
    r = rig(partitions=(P0, P1), max_count=4, gate=gate)
    r.consumer.add_documents(P0, range(0, 2))
    r.consumer.add_documents(P1, range(10, 12))

    def on_poll(c: FakeConsumer) -> None:
        if c.polls == 3:
            c.revoke(P1)
            gate.set()
        if c.polls == 20:
            r.worker.stop()

    r.consumer.on_poll = on_poll
    r.worker.run()
    assert len(r.sink.written) == 4  # written before the rebalance was known; the new owner rewrites the same ids
    assert r.consumer.committed == {P0: 2}


def test_a_commit_is_retried_while_kafka_is_away() -> None:
    r = rig()
    r.consumer.commit_errors = [KafkaTimeoutError("no broker"), KafkaTimeoutError("no broker")]
    r.consumer.add_documents(P0, range(2))
    stop_after_polls(r, 3)
    r.worker.run()
    assert r.events == ["flush", "commit failed", "commit failed", "commit"]
    assert r.consumer.committed == {P0: 2}


def test_offsets_of_a_failed_commit_round_go_with_the_next_commit() -> None:
    r = rig(commit_attempts=2)
    r.consumer.commit_errors = [KafkaTimeoutError("no broker")] * 3
    r.consumer.add_documents(P0, range(2))
    stop_after_polls(r, 4)
    r.worker.run()
    assert r.events == ["flush", "commit failed", "commit failed", "commit failed", "commit"]
    assert r.consumer.committed == {P0: 2}


def test_a_commit_refused_by_a_rebalance_is_not_retried() -> None:
    r = rig()
    r.consumer.commit_errors = [CommitFailedError("group rebalanced")]
    r.consumer.add_documents(P0, range(2))
    stop_after_polls(r, 3)
    r.worker.run()
    assert r.events == ["flush", "commit failed"]
    assert r.consumer.committed == {}


def test_the_version_is_enriched_at_in_epoch_milliseconds() -> None:
    assert version_of("2026-01-01T00:00:01Z") == 1_767_225_601_000
    assert version_of("2026-01-01T03:00:01.123456789+03:00") == 1_767_225_601_123  # offset applied, cut to ms
    assert version_of("2026-01-01T00:00:01.001Z") - version_of("2026-01-01T00:00:01Z") == 1  # exact, no float
    assert version_of("1969-12-31T23:59:59Z") == -1000  # Elasticsearch refuses it: the sink isolates that one
    with pytest.raises(ValueError, match="no UTC offset"):
        version_of("2026-01-01T00:00:01")


def test_items_carry_the_version_and_the_replay_count() -> None:
    r = rig(max_count=100)
    r.consumer.append(P0, enriched(1), doc_id(1).encode(), [("schema", b"enriched_article.v1"), ("replays", b"2")])
    r.consumer.append(P0, enriched(2), doc_id(2).encode())
    stop_after_polls(r, 3)
    r.worker.run()
    assert [(it.doc_id, it.version, it.replays) for it in r.sink.items] == [
        (doc_id(1), version_of("2026-01-01T00:00:01Z"), 2),
        (doc_id(2), version_of("2026-01-01T00:00:01Z"), 0),
    ]


def test_replay_counts_are_copied_into_dead_letters() -> None:
    r = rig(max_count=100, reject={doc_id(2)})
    r.consumer.append(P0, b"{", b"broken", [("replays", b"3")])  # invalid again after its third replay
    r.consumer.append(P0, enriched(2), doc_id(2).encode(), [("replays", b"1")])  # refused by the index again
    stop_after_polls(r, 3)
    r.worker.run()
    assert [
        (letter["reason"], letter["replays"], headers["replays"]) for _t, _k, letter, headers in r.producer.sent
    ] == [
        ("invalid_enriched", 3, b"3"),
        ("index_rejected", 1, b"1"),
    ]


def test_stale_copies_are_counted_and_committed_not_dead_lettered() -> None:
    r = rig(max_count=100, stale={doc_id(1)})
    r.consumer.add_documents(P0, range(3))
    stop_after_polls(r, 3)
    stats = r.worker.run()
    assert (stats.indexed, stats.stale, stats.dead_lettered) == (2, 1, 0)
    assert r.producer.sent == [] and r.consumer.committed == {P0: 3}


def test_an_enriched_at_that_gives_no_version_is_dead_lettered(monkeypatch: pytest.MonkeyPatch) -> None:
    # The schema's date-time check and Python's parser are two implementations; should they ever disagree, the
    # document is dead-lettered, not the worker stopped. The schema check is bypassed to build such a case.
    monkeypatch.setattr("sinks.worker.check_enriched", lambda _doc: None)
    r = rig(max_count=100)
    doc = orjson.loads(enriched(1)) | {"enriched_at": "yesterday"}
    r.consumer.append(P0, orjson.dumps(doc), doc_id(1).encode())
    stop_after_polls(r, 3)
    r.worker.run()
    [(_topic, _key, letter, _headers)] = r.producer.sent
    assert letter["reason"] == "invalid_enriched" and "enriched_at cannot be a version" in letter["detail"]
    assert r.consumer.committed == {P0: 1}


def test_one_line_per_round_while_the_sink_refuses(caplog: pytest.LogCaptureFixture) -> None:
    # Elasticsearch answers its health probe (a block refuses writes, not health requests): every probe flushes
    r = rig(outcomes=["down"] * 40)
    r.consumer.add_documents(P0, range(2))

    def on_poll(c: FakeConsumer) -> None:
        if caplog.text.count("still refused") >= 2 or c.polls >= 200:
            r.worker.stop()

    r.consumer.on_poll = on_poll
    with caplog.at_level(logging.DEBUG, logger="sinks.worker"):
        r.worker.run()
    warnings = [rec for rec in caplog.records if rec.name == "sinks.worker" and rec.levelno >= logging.WARNING]
    # the pause, then one line per round of probes (stamina's test mode: 10 flushes a round), nothing per flush
    assert [rec.getMessage().split(",")[0] for rec in warnings] == [
        "fake Elasticsearch is down; consumption paused",
        "Elasticsearch unavailable",
        "Elasticsearch unavailable",
        "stopping while Elasticsearch is unavailable: 2 document(s) left unwritten and uncommitted; they are read "
        "again on restart",
    ]
    assert r.events.count("flush refused") > 10  # more flushes than lines
    assert r.consumer.committed == {} and r.sink.written == []
