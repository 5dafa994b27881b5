"""Where the poller keeps what it knows of each feed: the compacted Kafka topic ``akhbar.feeds.state``.

One record per feed (key = the feed's key, value = its FeedState as JSON), as Kafka Connect keeps source
offsets: compaction keeps the latest record of every feed, so the topic stays as small as the feed list.

Two pollers with the same feed list never poll one feed: the pollers form a consumer group on this topic, and a
poller polls only the feeds whose state partition the group assigned to it (a feed's partition is a fixed hash of
its key). On assignment it reads its partitions from the beginning to the end offsets it saw at that moment, then
owns those feeds; on revocation it stops polling them at once. A poller that dies leaves its partitions to the
others after the group's session timeout, with the state it last wrote.

The consumer runs in a thread of its own (kafka-python is blocking; the poller's loop is asyncio); the poller
reads a snapshot of what it owns under a lock.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Protocol

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener

from producers.feeds.health import FeedState

log = logging.getLogger(__name__)

POLL_TIMEOUT_MS = 300  # how long the state thread waits for records per poll: bounds how late a revocation is seen
SEND_TIMEOUT_S = 30.0  # a state write not acknowledged by then is reported (the next poll writes it again)


def partition_of(key: str, partitions: int) -> int:
    """The state partition of a feed: a fixed hash of its key (not the client's partitioner, so every client agrees)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % partitions


class StateStore(Protocol):
    """What the poller needs of its state: which feeds it may poll now, their last state, and saving a new one."""

    def owned(self, keys: Iterable[str]) -> set[str]: ...

    def get(self, key: str) -> FeedState | None: ...

    def save(self, state: FeedState) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class MemoryStateStore:
    """State for one process only (``akhbar feeds poll --jsonl``: no Kafka). It owns every feed."""

    def __init__(self) -> None:
        self._states: dict[str, FeedState] = {}

    def owned(self, keys: Iterable[str]) -> set[str]:
        return set(keys)

    def get(self, key: str) -> FeedState | None:
        return self._states.get(key)

    def save(self, state: FeedState) -> None:
        self._states[state.key] = state

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None


def decode_state(value: bytes | None) -> FeedState | None:
    if not value:
        return None
    try:
        obj = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return FeedState.from_json(obj)


def read_all(consumer: KafkaConsumer, topic: str, timeout_ms: int = 10_000) -> dict[str, FeedState]:
    """Every feed's latest state on the topic (no group: ``akhbar feeds list``). Reads to the end offsets."""
    parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
    if not parts:
        return {}
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    ends = consumer.end_offsets(parts)
    states: dict[str, FeedState] = {}
    idle = 0
    while any(consumer.position(tp) < ends[tp] for tp in parts):
        batch = consumer.poll(timeout_ms=500)
        idle = 0 if batch else idle + 500
        if idle > timeout_ms:
            raise TimeoutError(f"reading {topic}: no records for {timeout_ms} ms before its end offsets")
        for records in batch.values():
            for rec in records:
                if rec.key is None:
                    continue
                state = decode_state(rec.value)
                if state is None:
                    states.pop(rec.key.decode(), None)
                else:
                    states[rec.key.decode()] = state
    return states


class KafkaStateStore:
    """Feed state on the compacted topic, with feeds shared out between pollers by the consumer group."""

    def __init__(
        self,
        consumer: KafkaConsumer,
        producer: KafkaProducer,
        *,
        topic: str,
        partitions: int,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self._consumer = consumer
        self._producer = producer
        self._topic = topic
        self._partitions = partitions
        self._on_error = on_error
        self._lock = threading.Lock()
        self._states: dict[str, FeedState] = {}
        self._loading: dict[int, int] = {}  # partition -> end offset to read up to before owning it
        self._owned: set[int] = set()  # partitions read to their end: their feeds are this poller's
        self._assigned: set[int] = set()
        self._stop = threading.Event()
        self._pending: list[object] = []
        self._thread = threading.Thread(target=self._run, name="feeds-state", daemon=True)
        self._thread.start()

    # -- the poller's side ------------------------------------------------------------------------------------
    def owned(self, keys: Iterable[str]) -> set[str]:
        with self._lock:
            return {k for k in keys if partition_of(k, self._partitions) in self._owned}

    def ready(self) -> bool:
        """Whether the group has assigned partitions and this poller has read them."""
        with self._lock:
            return bool(self._owned) and not self._loading

    def get(self, key: str) -> FeedState | None:
        with self._lock:
            return self._states.get(key)

    def save(self, state: FeedState) -> None:
        with self._lock:
            self._states[state.key] = state
        future = self._producer.send(
            self._topic,
            key=state.key.encode(),
            value=orjson.dumps(state.to_json()),
            partition=partition_of(state.key, self._partitions),
        )
        self._pending.append(future)

    def flush(self) -> None:
        """Wait until every state write is acknowledged; raises the first failure (the poll is then redone)."""
        self._producer.flush(timeout=SEND_TIMEOUT_S)
        pending, self._pending = self._pending, []
        for future in pending:
            future.get(timeout=0)  # type: ignore[attr-defined]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._producer.close(timeout=SEND_TIMEOUT_S)

    # -- the state thread -------------------------------------------------------------------------------------
    def _assigned_cb(self, parts: list[TopicPartition]) -> None:
        mine = [tp for tp in parts if tp.topic == self._topic]
        if not mine:
            return
        self._consumer.seek_to_beginning(*mine)
        ends = self._consumer.end_offsets(mine)
        with self._lock:
            self._assigned = {tp.partition for tp in mine}
            self._loading = {tp.partition: ends[tp] for tp in mine}
            self._owned = set()
        log.info("feed state partitions assigned: %s", sorted(self._assigned))

    def _revoked_cb(self, parts: list[TopicPartition]) -> None:
        with self._lock:
            for tp in parts:
                self._owned.discard(tp.partition)
                self._loading.pop(tp.partition, None)
                self._assigned.discard(tp.partition)

    def _run(self) -> None:
        store = self

        class Listener(ConsumerRebalanceListener):
            def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
                store._revoked_cb(list(revoked))

            def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
                store._assigned_cb(list(assigned))

        try:
            self._consumer.subscribe([self._topic], listener=Listener())
            while not self._stop.is_set():
                batch = self._consumer.poll(timeout_ms=POLL_TIMEOUT_MS)
                self._apply(batch)
                self._check_loaded()
        except Exception as exc:  # the poller must learn that its state is gone; it stops (it cannot own feeds)
            log.error("feed state consumer failed: %s", exc)
            with self._lock:
                self._owned = set()
            if self._on_error is not None:
                self._on_error(exc)
        finally:
            self._consumer.close()

    def _apply(self, batch: dict[TopicPartition, list[object]]) -> None:
        for tp, records in batch.items():
            with self._lock:
                loading = tp.partition in self._loading
            if not loading:  # the poller's own writes, read back: what it holds in memory is as new or newer
                continue
            for rec in records:
                key = rec.key.decode() if rec.key else None  # type: ignore[attr-defined]
                if key is None:
                    continue
                state = decode_state(rec.value)  # type: ignore[attr-defined]
                with self._lock:
                    if state is None:
                        self._states.pop(key, None)
                    else:
                        self._states[key] = state

    def _check_loaded(self) -> None:
        with self._lock:
            loading = dict(self._loading)
        done = []
        for partition, end in loading.items():
            tp = TopicPartition(self._topic, partition)
            if self._consumer.position(tp) >= end:
                done.append(tp)
        if done:
            self._consumer.pause(*done)  # owned now: its records are the poller's own writes
            with self._lock:
                for tp in done:
                    if self._loading.pop(tp.partition, None) is not None:
                        self._owned.add(tp.partition)
            log.info("feed state partitions loaded: %s", sorted(tp.partition for tp in done))
