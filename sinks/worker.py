"""The sink worker: ``articles.enriched`` -> batches -> a :class:`sinks.base.Sink` -> commit offsets.

    poll ─▶ check ─▶ Batcher (count | bytes | age) ─▶ sink.add … sink.flush ─▶ DLQ for rejections
             └─ invalid ─▶ articles.dlq                   (writer thread)   └─▶ flush DLQ ─▶ commit offsets

Its Kafka consumer, Kafka producer (for dead letters) and sink are built by ``akhbar.wiring`` and passed in,
so the loop is unit tested with in-memory fakes of the :class:`Consumer` and :class:`Producer` protocols.

One batch is in flight at a time, on a writer thread, while the main thread goes on polling and filling the
next: Elasticsearch indexes while the consumer reads, instead of the two taking turns. Before the next batch
goes out, the previous one is finished on the main thread: its rejections dead-lettered, its offsets
committed, so commits stay in order and the Kafka clients are used from the main thread only.

Offsets are committed only after the flush for them returned and their dead letters were acknowledged:
at-least-once delivery plus idempotent writes (``_id`` = article id) gives effectively-once indexing. Each
item's version is its ``enriched_at`` (:func:`version_of`): the newer enrichment of an article wins, the same
copy again rewrites it, an older copy is skipped as stale (counted, committed, not dead-lettered).
When the sink answers with :class:`Backpressure`, the worker pauses its partitions and keeps the batch (the
sink holds it); rounds of health probes follow, and the batch is flushed again as soon as Elasticsearch
answers, with one line per round of probes (``retry_after_s``) while it lasts. It never drops and never
commits what it has not written; a stop while paused leaves the batch unwritten and uncommitted, to be read
again on restart.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any, Protocol

import orjson
import stamina
from kafka import ConsumerRebalanceListener, TopicPartition
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata

from schemas import (
    Reason,
    SchemaViolation,
    Stage,
    check_enriched,
    check_story,
    dead_letter,
    dead_letter_record,
    replays_of,
)
from sinks.base import Backpressure, Flushed, Item, Sink
from sinks.batch import Batcher

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)


def version_of(enriched_at: str) -> int:
    """An article's write version: its ``enriched_at`` (RFC 3339) in epoch milliseconds, exact (integer
    arithmetic, no float rounding). Raises ValueError for a timestamp Python cannot read.

    A time before 1970 gives a negative version, which Elasticsearch refuses for the whole bulk request: the
    sink isolates that document and dead-letters it (index_request_rejected) rather than second-guess here
    what its destination takes.
    """
    when = datetime.fromisoformat(enriched_at)
    if when.tzinfo is None:
        raise ValueError(f"enriched_at {enriched_at!r} has no UTC offset")
    return (when - EPOCH) // MILLISECOND


class Record(Protocol):
    """A consumed message, as kafka-python's ``ConsumerRecord`` has it."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes | None]] | None: ...


class Consumer(Protocol):
    """What the worker uses of kafka-python's ``KafkaConsumer``."""

    def subscribe(self, topics: list[str], *, listener: ConsumerRebalanceListener) -> None: ...
    def poll(self, *, timeout_ms: int) -> Mapping[TopicPartition, Sequence[Record]]: ...
    def commit(self, offsets: Mapping[TopicPartition, OffsetAndMetadata], *, timeout_ms: int) -> None: ...
    def pause(self, *partitions: TopicPartition) -> None: ...
    def resume(self, *partitions: TopicPartition) -> None: ...
    def assignment(self) -> set[TopicPartition]: ...
    def paused(self) -> set[TopicPartition]: ...
    def close(self) -> None: ...


class SendResult(Protocol):
    def get(self, timeout: float | None = None) -> object: ...


class Producer(Protocol):
    """What the worker uses of kafka-python's ``KafkaProducer``."""

    def send(self, topic: str, *, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> SendResult: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class WorkerConfig:
    topic: str
    dlq_topic: str
    poll_timeout_ms: int  # one poll's wait for records: bounds the latency of noticing a due batch
    probe_interval_s: float  # while paused: one health probe this often
    commit_timeout_ms: int  # one commit attempt
    commit_attempts: int  # one round of commit retries: attempts, total time and backoff
    commit_retry_timeout_s: float
    commit_wait_initial_s: float
    commit_wait_max_s: float
    stories_topic: str | None = None  # the story stage's documents, indexed into stories_alias; None: no stories
    stories_alias: str | None = None


class DeadLettersUndelivered(RuntimeError):
    """Kafka did not take a dead letter within the producer's delivery timeout: the worker stops, uncommitted."""


class _StillUnavailable(Exception):
    """A health probe while paused found Elasticsearch unavailable."""


@dataclass
class _Batch:
    """A batch handed to the sink, with everything its commit covers."""

    items: list[Item]
    offsets: dict[TopicPartition, int]  # last handled offset per partition: its items, earlier dead letters
    result: Future[Flushed] | None  # the first flush, on the writer thread; None when there is nothing to write


@dataclass
class SinkStats:
    consumed: int = 0
    indexed: int = 0
    stale: int = 0  # older copies of indexed articles, skipped
    dead_lettered: int = 0
    bulks: int = 0
    outages: int = 0
    committed: dict[str, int] = field(default_factory=dict)


def _label(partitions: Any) -> list[str]:
    return sorted(f"{tp.topic}[{tp.partition}]" for tp in partitions)


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, worker: SinkWorker) -> None:
        self.worker = worker

    def on_partitions_revoked(self, revoked: Any) -> None:
        # Runs inside poll(), before the partitions move. Their held, uncommitted items are dropped: the new
        # owner reads them again from the last commit and re-indexes the same ids, idempotently.
        self.worker.forget(set(revoked))

    def on_partitions_assigned(self, assigned: Any) -> None:
        log.info("sink assigned %s", _label(assigned))


class SinkWorker:
    def __init__(
        self,
        consumer: Consumer,
        producer: Producer,
        sink: Sink,
        batcher: Batcher[Item],
        config: WorkerConfig,
    ) -> None:
        self.consumer = consumer
        self.producer = producer
        self.sink = sink
        self.batcher = batcher
        self.config = config
        self.stats = SinkStats()
        self._stop = False
        self._handled: dict[TopicPartition, int] = {}  # done without the sink (dead-lettered), still to commit
        self._inflight: _Batch | None = None
        self._kept: _Batch | None = None  # refused by the sink (Backpressure): consumption paused until written
        self._retry_after_s = 0.0
        self._paused_at = 0.0  # when the kept batch was refused (monotonic): the outage's length in its log lines
        self._dlq_sends: list[SendResult] = []
        # One writer thread: one batch in flight while the next fills (more would only queue in Elasticsearch
        # and hold more uncommitted documents in memory).
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="akhbar-sink-bulk")

    def stop(self, *_args: object) -> None:
        self._stop = True

    def install_signal_handlers(self) -> None:
        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info("sink: signal %d, stopping after the current batch", signum)
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def forget(self, partitions: set[TopicPartition]) -> None:
        """Drop held items and pending offsets of partitions this worker no longer owns."""
        kept = [it for it in self.batcher.drain() if TopicPartition(it.topic, it.partition) not in partitions]
        for it in kept:
            self.batcher.add(it, len(it.source))
        for tp in partitions:
            self._handled.pop(tp, None)
        if partitions:
            log.info("partitions revoked: %s", _label(partitions))

    # --- reading ------------------------------------------------------------------------------------------

    def _accept(self, record: Record) -> None:
        """Batch a valid document; dead-letter anything else as invalid_enriched.

        Valid = JSON matching enriched_article v1 (the compiled schema check, ``id`` pattern included; no model
        is built) whose ``id`` is the Kafka key, the partitioning and the dead letter's article id, and whose
        ``enriched_at`` gives a version.
        """
        self.stats.consumed += 1
        key = record.key.decode("utf-8", "replace") if record.key else None
        value = record.value or b""
        replays = replays_of(record.headers)
        if record.topic == self.config.stories_topic:
            self._accept_story(record, key, value, replays)
            return
        try:
            doc = orjson.loads(value)
            check_enriched(doc)
            version = version_of(doc["enriched_at"])
        except orjson.JSONDecodeError as exc:
            detail = str(exc)
        except SchemaViolation as exc:
            detail = exc.detail
        except ValueError as exc:
            detail = f"enriched_at cannot be a version: {exc}"
        else:
            if key is not None and doc["id"] == key:
                item = Item(key, value, record.topic, record.partition, record.offset, version, replays)
                self.batcher.add(item, len(value))
                return
            detail = f"the Kafka key {key!r} is not the document's id {doc['id']!r}"
        self._reject(record, value, key, replays, Reason.INVALID_ENRICHED, detail)

    def _reject(self, record: Record, value: bytes, key: str | None, replays: int, reason: Reason, detail: str) -> None:
        """Dead-letter a record the sink cannot index, and mark it done for the next commit."""
        self._dead_letter(
            value,
            reason=reason,
            detail=detail[:1000],
            key=key,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            replays=replays,
        )
        tp = TopicPartition(record.topic, record.partition)
        self._handled[tp] = max(record.offset, self._handled.get(tp, -1))

    def _accept_story(self, record: Record, key: str | None, value: bytes, replays: int) -> None:
        """Batch a story document for the stories alias, its ``revision`` as the version (a replay of the stage
        rewrites the same revision: counts never double); dead-letter anything else as invalid_story."""
        try:
            doc = orjson.loads(value)
            check_story(doc)
        except orjson.JSONDecodeError as exc:
            detail = str(exc)
        except SchemaViolation as exc:
            detail = exc.detail
        else:
            if key is not None and doc["id"] == key:
                item = Item(
                    key, value, record.topic, record.partition, record.offset, doc["revision"], replays,
                    alias=self.config.stories_alias,
                )  # fmt: skip
                self.batcher.add(item, len(value))
                return
            detail = f"the Kafka key {key!r} is not the story's id {doc['id']!r}"
        self._reject(record, value, key, replays, Reason.INVALID_STORY, detail)

    def _dead_letter(
        self,
        value: bytes,
        *,
        reason: Reason,
        detail: str,
        key: str | None,
        topic: str,
        partition: int,
        offset: int,
        replays: int,
    ) -> None:
        letter = dead_letter(
            value,
            reason=reason,
            detail=detail,
            stage=Stage.SINK,
            article_id=key,
            topic=topic,
            partition=partition,
            offset=offset,
            replays=replays,
        )
        rec = dead_letter_record(letter)
        sent = self.producer.send(self.config.dlq_topic, key=rec.key, value=rec.value, headers=rec.headers)
        self._dlq_sends.append(sent)
        self.stats.dead_lettered += 1
        log.warning("dead-letter %s[%d]@%d: %s: %s", topic, partition, offset, reason, detail)

    # --- writing and committing ---------------------------------------------------------------------------

    def _write(self, items: list[Item]) -> Flushed:
        """On the writer thread: the batch into the sink."""
        for item in items:
            self.sink.add(item)
        return self.sink.flush()

    def flush(self, *, wait: bool = False) -> None:
        """Send the batch to the sink, once the one in flight is finished (written, rejections dead-lettered,
        committed). ``wait``: also finish the new one before returning (the final flush). While the sink holds
        a refused batch, the next one waits in the batcher."""
        self._finish_inflight()
        if self._kept is not None:
            return
        items = self.batcher.drain()
        offsets, self._handled = self._handled, {}
        for it in items:
            tp = TopicPartition(it.topic, it.partition)
            offsets[tp] = max(it.offset, offsets.get(tp, -1))
        batch = _Batch(items, offsets, None)
        if items:
            batch.result = self._writer.submit(self._write, items)
            self._inflight = batch
        elif offsets:
            self._complete(batch, None)
        if wait:
            self._finish_inflight()

    def _finish_inflight(self) -> None:
        """Wait for the batch in flight, then complete it, or keep it (paused) when the sink refused it."""
        batch, self._inflight = self._inflight, None
        if batch is None or batch.result is None:
            return
        try:
            flushed = batch.result.result()
        except Backpressure as refused:
            self._hold(batch, refused)
            return
        self._complete(batch, flushed)

    def _hold(self, batch: _Batch, refused: Backpressure) -> None:
        batch.result = None
        self._kept = batch
        self._retry_after_s = refused.retry_after_s
        self._paused_at = time.monotonic()
        self.stats.outages += 1
        self.consumer.pause(*self.consumer.assignment())
        log.error(
            "%s; consumption paused, batch of %d kept, sent again as soon as Elasticsearch answers",
            refused,
            len(batch.items),
        )

    def _keep_membership(self) -> None:
        """While paused: poll (group membership, rebalances), pausing what a rebalance just assigned.

        A paused partition returns nothing; records of a partition assigned before it was paused are batched.
        """
        for records in self.consumer.poll(timeout_ms=0).values():
            for record in records:
                self._accept(record)
        self.consumer.pause(*self.consumer.assignment())

    def _still_refused(self, exc: Exception) -> bool:
        return isinstance(exc, Backpressure | _StillUnavailable) and not self._stop

    def _retry_kept(self) -> None:
        """One round of trying the kept batch again: probe health every probe_interval_s and flush as soon as
        Elasticsearch answers, for at most the sink's retry_after_s. The worker loop starts the next round.

        While the outage lasts it logs one line per round (how long so far, and the last refusal); the probes
        and flushes in between log at debug."""
        kept = self._kept
        assert kept is not None
        flushed: Flushed | None = None
        try:
            for attempt in stamina.retry_context(
                on=self._still_refused,
                attempts=None,
                timeout=self._retry_after_s,
                wait_initial=self.config.probe_interval_s,
                wait_max=self.config.probe_interval_s,
            ):
                with attempt:
                    if self._stop:
                        break
                    self._keep_membership()
                    if not self.sink.available():
                        raise _StillUnavailable("Elasticsearch does not answer its health probe")
                    log.debug("Elasticsearch answers its probe; sending the kept batch of %d", len(kept.items))
                    flushed = self.sink.flush()
        except (Backpressure, _StillUnavailable) as exc:
            if not self._stop:
                log.warning(
                    "Elasticsearch unavailable, kept batch of %d still refused after %.0fs in all (%s); "
                    "consumption stays paused",
                    len(kept.items),
                    time.monotonic() - self._paused_at,
                    exc,
                )
            return
        if flushed is None:  # stopping
            return
        self._kept = None
        self.consumer.resume(*self.consumer.paused())
        log.info(
            "Elasticsearch accepts writes again after %.0fs; consumption resumed", time.monotonic() - self._paused_at
        )
        self._complete(kept, flushed)

    def _complete(self, batch: _Batch, flushed: Flushed | None) -> None:
        if flushed is not None:
            for rejection in flushed.rejected:
                it = rejection.item
                self._dead_letter(
                    it.source,
                    reason=rejection.reason,
                    detail=rejection.detail,
                    key=it.doc_id,
                    topic=it.topic,
                    partition=it.partition,
                    offset=it.offset,
                    replays=it.replays,
                )
            self.stats.indexed += flushed.written
            self.stats.stale += flushed.stale
            self.stats.bulks += 1
        self._flush_dead_letters()
        # A rebalance while the batch was in flight: the revoked partitions' new owner re-reads them from the last
        # commit (and re-indexes the same ids); committing them here would fail the whole commit.
        owned = self.consumer.assignment()
        offsets = {tp: off for tp, off in batch.offsets.items() if tp in owned}
        if offsets:
            self._commit(offsets)

    def _flush_dead_letters(self) -> None:
        """Dead letters are durable before the offsets that produced them are committed."""
        if not self._dlq_sends:
            return
        self.producer.flush()  # returns when every send is acknowledged or failed (the delivery timeout)
        sends, self._dlq_sends = self._dlq_sends, []
        for sent in sends:
            try:
                sent.get(timeout=0)
            except KafkaError as exc:
                raise DeadLettersUndelivered(
                    f"a dead letter was not delivered to {self.config.dlq_topic} ({exc}); "
                    "nothing after it is committed, so a restart reads it again"
                ) from exc

    def _commit_retryable(self, exc: Exception) -> bool:
        """Retry while the broker is away; not on a rebalance (CommitFailedError), not when stopping."""
        return isinstance(exc, KafkaError) and not isinstance(exc, CommitFailedError) and not self._stop

    def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        """Commit one round, retrying while the broker is away (the documents are written: this only saves
        re-work). After a failed round the offsets go with the next commit, which the worker loop starts."""
        c = self.config
        commit = {tp: OffsetAndMetadata(off + 1, "", -1) for tp, off in offsets.items()}
        try:
            for attempt in stamina.retry_context(
                on=self._commit_retryable,
                attempts=c.commit_attempts,
                timeout=c.commit_retry_timeout_s,
                wait_initial=c.commit_wait_initial_s,
                wait_max=c.commit_wait_max_s,
            ):
                with attempt:
                    try:
                        self.consumer.commit(commit, timeout_ms=c.commit_timeout_ms)
                    except KafkaError as exc:
                        if self._commit_retryable(exc):
                            log.warning(
                                "commit of %s: attempt %d/%d failed (%s); Kafka unavailable? retrying",
                                _label(offsets),
                                attempt.num,
                                c.commit_attempts,
                                exc,
                            )
                        raise
        except CommitFailedError as exc:
            log.warning("commit after bulk failed (%s); the new owner re-indexes the same ids", exc)
            return
        except KafkaError as exc:
            if self._stop:
                log.warning("commit failed while stopping (%s); a restart re-indexes these ids", exc)
                return
            log.warning("commit of %s failed for now (%s); the offsets go with the next commit", _label(offsets), exc)
            for tp, off in offsets.items():
                self._handled[tp] = max(off, self._handled.get(tp, -1))
            return
        for tp, off in offsets.items():
            self.stats.committed[f"{tp.topic}[{tp.partition}]"] = off + 1

    # --- the loop -----------------------------------------------------------------------------------------

    def run(self, *, idle_exit_s: float | None = None) -> SinkStats:
        """Consume until stopped (or idle for ``idle_exit_s``); flush and commit on the way out.

        On an error nothing more is written or committed: a restart reads the uncommitted records again.
        """
        try:
            self.sink.setup()
            topics = [self.config.topic, *([self.config.stories_topic] if self.config.stories_topic else [])]
            self.consumer.subscribe(topics, listener=_Rebalance(self))
            self._consume(idle_exit_s)
            self._finish()
        finally:
            self._writer.shutdown(wait=False, cancel_futures=True)
            self.consumer.close()
            self.producer.close()
        return self.stats

    def _consume(self, idle_exit_s: float | None) -> None:
        idle_since = time.monotonic()
        while not self._stop:
            if self._kept is not None:
                self._retry_kept()
                continue
            polled = self.consumer.poll(timeout_ms=self.config.poll_timeout_ms)
            for records in polled.values():
                for record in records:
                    self._accept(record)
                    if self.batcher.full():
                        self.flush()
            if polled:
                idle_since = time.monotonic()
            if self._inflight is not None and self._inflight.result is not None and self._inflight.result.done():
                self._finish_inflight()  # commit as soon as the batch is written, not at the next flush
            if self.batcher.due() or (self._handled and not len(self.batcher)):
                self.flush()
            if idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s:
                break

    def _finish(self) -> None:
        """The way out: write and commit what is held, unless the sink refuses it (then it stays uncommitted)."""
        self.flush(wait=True)
        if self._kept is not None:
            unwritten = len(self._kept.items) + len(self.batcher)
            log.warning(
                "stopping while Elasticsearch is unavailable: %d document(s) left unwritten and uncommitted; "
                "they are read again on restart",
                unwritten,
            )
