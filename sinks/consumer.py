"""The sink worker: ``articles.enriched`` -> batches -> Elasticsearch bulk -> commit offsets.

    poll ─▶ parse/validate ─▶ Batcher (count | bytes | age) ─▶ ElasticsearchSink.write ─▶ DLQ for rejects
                 └─ invalid ─▶ articles.dlq                    (bulk thread)       └─▶ flush DLQ ─▶ commit offsets

One bulk is in flight at a time, on a writer thread, while the main thread goes on polling and filling the
next batch: Elasticsearch indexes while the consumer reads, instead of the two taking turns (with one batch
at a time the sink idled during every bulk and Elasticsearch idled while the sink read). Before the next bulk
goes out, the previous one is finished on the main thread: its rejects dead-lettered, its offsets committed,
so commits stay in order and the Kafka clients are used from the main thread only.

Offsets are committed only after the bulk for them succeeded and their dead letters were acknowledged:
at-least-once delivery plus idempotent writes (``_id`` = article id) gives effectively-once indexing.
When Elasticsearch stays unavailable past the retry bound, the sink pauses its partitions, keeps the
batch, and retries with a capped backoff; it never drops and never commits what it has not written.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import orjson
from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from pydantic import ValidationError

from schemas import EnrichedArticle, dead_letter
from sinks.batch import Batcher
from sinks.elasticsearch import ElasticsearchSink, ElasticsearchUnavailable, Item, WriteResult

log = logging.getLogger(__name__)

GROUP_ID = "akhbar-sink"  # every sink worker with this group shares the partitions of articles.enriched
POLL_TIMEOUT_MS = 200  # how long one poll waits for records; bounds the latency of noticing a due batch
MAX_POLL_RECORDS = 500  # one poll fills at most one bulk batch
FETCH_MIN_BYTES = 64 * 1024  # a fetch waits for ~9 enriched articles (or the time below): fewer, fuller requests
FETCH_MAX_WAIT_MS = 100  # ... but never holds a trickle back more than 100 ms (next to the 0.5 s batch age)
TOPIC_METADATA_TIMEOUT_S = 30.0  # the topic exists (ensure_topics made it); its metadata arrives within seconds
METADATA_MAX_AGE_MS = 30_000  # notice new partitions within 30 s (kafka-python's default is 5 minutes)
COMMIT_TIMEOUT_MS = 10_000  # one commit attempt; while the broker is down attempts repeat with backoff
PAUSE_BACKOFF_MAX_S = 30.0  # while Elasticsearch is down, retry the kept batch at least every 30 s
PROBE_INTERVAL_S = 2.0  # while paused, ask Elasticsearch's health this often; retry as soon as it answers


@dataclass
class _InFlight:
    """A bulk being written on the writer thread, with everything its commit will cover."""

    items: list[Item]
    extra_offsets: dict[TopicPartition, int]  # dead-lettered at parse time while this batch filled
    result: Future[WriteResult] | None  # None: nothing to write, only offsets to commit


class _Stopping(Exception):
    """A stop was requested while Elasticsearch is unavailable: leave the batch unwritten and uncommitted."""

    def __init__(self, kept: int) -> None:
        super().__init__(f"{kept} document(s) left unwritten and uncommitted")
        self.kept = kept


@dataclass
class SinkStats:
    consumed: int = 0
    indexed: int = 0
    dead_lettered: int = 0
    bulks: int = 0
    outages: int = 0
    committed: dict[str, int] = field(default_factory=dict)


class SinkWorker:
    def __init__(
        self,
        client_config: Mapping[str, Any],
        es_sink: ElasticsearchSink,
        *,
        topic: str,
        dlq_topic: str,
        group_id: str = GROUP_ID,
        batcher: Batcher[Item] | None = None,
    ) -> None:
        self.topic = topic
        self.dlq_topic = dlq_topic
        self.es_sink = es_sink
        self.batcher: Batcher[Item] = batcher or Batcher()
        self.stats = SinkStats()
        self._stop = False
        self._extra_offsets: dict[TopicPartition, int] = {}
        self._inflight: _InFlight | None = None
        # One writer thread: one bulk in flight while the next batch fills (more would only queue in Elasticsearch
        # and hold more uncommitted documents in memory).
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="akhbar-sink-bulk")
        self.consumer = KafkaConsumer(
            **client_config,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=MAX_POLL_RECORDS,
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
            fetch_min_bytes=FETCH_MIN_BYTES,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        )
        self.producer = KafkaProducer(**client_config, acks="all", enable_idempotence=True, linger_ms=5)
        worker = self

        class _Listener(ConsumerRebalanceListener):
            def on_partitions_revoked(self, revoked: Any) -> None:
                # Runs on kafka-python's IO thread, where blocking calls (commit) are not allowed. The held,
                # uncommitted items of these partitions are dropped: their new owner reads them again from
                # the last commit and re-indexes the same ids, idempotently.
                worker.forget(set(revoked))

            def on_partitions_assigned(self, assigned: Any) -> None:
                log.info("sink assigned %s", sorted(f"{tp.topic}[{tp.partition}]" for tp in assigned))

        # Load the topic's metadata before joining: a group leader without it assigns no partitions at all.
        deadline = time.monotonic() + TOPIC_METADATA_TIMEOUT_S
        while not self.consumer.partitions_for_topic(topic):
            if time.monotonic() > deadline:
                raise RuntimeError(f"topic {topic!r} has no partitions after {TOPIC_METADATA_TIMEOUT_S:.0f}s")
            time.sleep(0.2)
        self.consumer.subscribe([topic], listener=_Listener())

    def stop(self, *_args: object) -> None:
        self._stop = True

    def forget(self, partitions: set[TopicPartition]) -> None:
        """Drop held items and pending offsets of partitions this worker no longer owns."""
        kept = [it for it in self.batcher.drain() if TopicPartition(it.topic, it.partition) not in partitions]
        for it in kept:
            self.batcher.add(it, len(it.source))
        for tp in partitions:
            self._extra_offsets.pop(tp, None)
        if partitions:
            log.info("partitions revoked: %s", sorted(f"{tp.topic}[{tp.partition}]" for tp in partitions))

    def install_signal_handlers(self) -> None:
        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info("sink: signal %d, stopping after the current batch", signum)
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def _dead_letter(
        self, value: bytes | None, *, reason: str, detail: str, key: str | None, topic: str, partition: int, offset: int
    ) -> None:
        letter = dead_letter(
            value,
            reason=reason,
            detail=detail,
            stage="sink",
            article_id=key,
            topic=topic,
            partition=partition,
            offset=offset,
        )
        self.producer.send(
            self.dlq_topic,
            key=key.encode() if key else None,
            value=orjson.dumps(letter.model_dump()),
            headers=[("reason", reason.encode())],
        )
        self.stats.dead_lettered += 1
        log.warning("dead-letter %s[%d]@%d: %s: %s", topic, partition, offset, reason, detail)

    def _accept(self, record: Any) -> None:
        self.stats.consumed += 1
        key = record.key.decode("utf-8", "replace") if record.key else None
        try:
            # orjson, then the model from the dict: ~26 µs for a 7 KB article against ~36 µs for pydantic's own
            # JSON parser, which reads long non-ASCII strings slower.
            article = EnrichedArticle.model_validate(orjson.loads(record.value or b""))
        except (orjson.JSONDecodeError, ValidationError) as exc:
            self._dead_letter(
                record.value,
                reason="invalid_enriched",
                detail=str(exc)[:1000],
                key=key,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            )
            self._remember(record.topic, record.partition, record.offset)
            return
        item = Item(article.id, record.value, record.topic, record.partition, record.offset)
        self.batcher.add(item, len(record.value))

    def _remember(self, topic: str, partition: int, offset: int) -> None:
        """Offsets fully handled without a bulk (dead-lettered at parse time) still need committing."""
        self._extra_offsets[TopicPartition(topic, partition)] = max(
            offset, self._extra_offsets.get(TopicPartition(topic, partition), -1)
        )

    def flush(self, *, wait: bool = False) -> None:
        """Send the batch as the next bulk, once the one in flight is finished (written, rejects dead-lettered,
        committed). ``wait``: also finish the new bulk before returning (the final flush)."""
        items = self.batcher.drain()
        extra, self._extra_offsets = self._extra_offsets, {}
        self._finish_inflight()
        if items:
            self._inflight = _InFlight(items, extra, self._writer.submit(self.es_sink.write, items))
        elif extra:
            self._complete(_InFlight([], extra, None))
        if wait:
            self._finish_inflight()

    def _finish_inflight(self) -> None:
        """Wait for the bulk in flight (pausing and retrying while Elasticsearch is down), then complete it."""
        inflight, self._inflight = self._inflight, None
        if inflight is not None:
            self._complete(inflight)

    def _complete(self, done: _InFlight) -> None:
        items = done.items
        if done.result is not None:
            result = self._write_until_accepted(items, first_attempt=done.result)
            for failure in result.failures:
                it = failure.item
                self._dead_letter(
                    it.source,
                    reason=failure.reason,
                    detail=failure.detail,
                    key=it.doc_id,
                    topic=it.topic,
                    partition=it.partition,
                    offset=it.offset,
                )
            self.stats.indexed += result.indexed
            self.stats.bulks += 1
        self.producer.flush()  # dead letters are durable before the offsets that produced them are committed
        offsets: dict[TopicPartition, int] = dict(done.extra_offsets)
        for it in items:
            tp = TopicPartition(it.topic, it.partition)
            offsets[tp] = max(it.offset, offsets.get(tp, -1))
        # A rebalance while the bulk was in flight: the revoked partitions' new owner re-reads them from the last
        # commit (and re-indexes the same ids); committing them here would fail the whole commit.
        owned = self.consumer.assignment()
        offsets = {tp: off for tp, off in offsets.items() if tp in owned}
        if offsets:
            self._commit({tp: OffsetAndMetadata(off + 1, "", -1) for tp, off in offsets.items()})
            for tp, off in offsets.items():
                self.stats.committed[f"{tp.topic}[{tp.partition}]"] = off + 1

    def _commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        """Commit, retrying while the broker is away (the documents are written: this only saves re-work).

        Gives up on a rebalance (the new owner re-indexes the same ids, idempotently) or when stopping.
        """
        pause = 0.5
        while True:
            try:
                self.consumer.commit(offsets, timeout_ms=COMMIT_TIMEOUT_MS)
                return
            except CommitFailedError as exc:
                log.warning("commit after bulk failed (%s); the new owner re-indexes the same ids", exc)
                return
            except KafkaError as exc:
                if self._stop:
                    log.warning("commit failed while stopping (%s); a restart re-indexes these ids", exc)
                    return
                log.warning("commit failed (%s); Kafka unavailable? retrying in %.1fs", exc, pause)
                time.sleep(pause)
                pause = min(PAUSE_BACKOFF_MAX_S, pause * 2)

    def _write_until_accepted(self, items: list[Item], first_attempt: Future[WriteResult] | None = None) -> Any:
        """Write the batch, pausing consumption while Elasticsearch is away; raises _Stopping on a stop request.

        ``first_attempt``: the write already under way on the writer thread; its outcome is the first attempt.

        While paused, a cheap health probe every PROBE_INTERVAL_S ends the wait as soon as Elasticsearch
        answers, so catching up starts seconds after it is back, not at the end of a long backoff.
        """
        pause = 1.0
        while True:
            try:
                result = first_attempt.result() if first_attempt is not None else self.es_sink.write(items)
            except ElasticsearchUnavailable as exc:
                first_attempt = None
                if self._stop:
                    raise _Stopping(len(items)) from exc
                self.stats.outages += 1
                assigned = self.consumer.assignment()
                self.consumer.pause(*assigned)
                log.error("%s; consumption paused, batch of %d kept, retry within %.0fs", exc, len(items), pause)
                deadline = time.monotonic() + pause
                next_probe = time.monotonic() + PROBE_INTERVAL_S
                while time.monotonic() < deadline and not self._stop:
                    self.consumer.poll(timeout_ms=200)  # keeps group membership; paused: returns nothing
                    if time.monotonic() >= next_probe:
                        if self.es_sink.available():
                            log.info("Elasticsearch answers again; retrying the kept batch")
                            break
                        next_probe = time.monotonic() + PROBE_INTERVAL_S
                if self._stop:
                    raise _Stopping(len(items)) from exc
                pause = min(PAUSE_BACKOFF_MAX_S, pause * 2)
                continue
            if self.consumer.paused():
                self.consumer.resume(*self.consumer.paused())
                log.info("Elasticsearch accepts writes again; consumption resumed")
            return result

    def run(self, *, idle_exit_s: float | None = None) -> SinkStats:
        """Consume until stopped (or idle for ``idle_exit_s``); flush and commit on the way out."""
        idle_since = time.monotonic()
        try:
            while not self._stop:
                polled = self.consumer.poll(timeout_ms=POLL_TIMEOUT_MS)
                for records in polled.values():
                    for record in records:
                        self._accept(record)
                        if self.batcher.full():
                            self.flush()
                if polled:
                    idle_since = time.monotonic()
                if self._inflight is not None and self._inflight.result is not None and self._inflight.result.done():
                    self._finish_inflight()  # commit as soon as the bulk is written, not at the next flush
                if self.batcher.due() or (self._extra_offsets and not len(self.batcher)):
                    self.flush()
                if idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s:
                    break
        except _Stopping as stopping:
            log.warning("stopping while Elasticsearch is unavailable: %s; they are read again on restart", stopping)
        finally:
            try:
                self.flush(wait=True)
            except _Stopping as stopping:
                log.warning("stopping while Elasticsearch is unavailable: %s; read again on restart", stopping)
            self._writer.shutdown(wait=False, cancel_futures=True)
            self.consumer.close()
            self.producer.close()
        return self.stats
