"""The Kafka side of producing: raw articles keyed by id onto ``articles.raw``, rejects onto ``articles.dlq``.

Delivery is acks=all and idempotent. kafka-python retries a failed send on its own until
``delivery_timeout_ms``; whatever is still unsent after that is reported by id, never dropped in silence.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import orjson
from kafka import KafkaProducer
from kafka.errors import KafkaError

from producers.prepare import prepare
from producers.sources import SourceItem
from schemas import RAW_HEADERS, DeadLetter, RawArticle, dead_letter_record

log = logging.getLogger(__name__)

FLUSH_MARGIN_S = 5.0  # flush waits the delivery timeout plus this, then reports what is still unacknowledged
CLOSE_TIMEOUT_S = 5.0  # after a flush, closing only has to tidy up connections


class ProduceFailed(RuntimeError):
    """Some messages were not delivered within the retry bound; ``unsent`` names them."""

    def __init__(self, unsent: list[tuple[str, str]]) -> None:
        self.unsent = unsent
        preview = ", ".join(f"{key} ({err})" for key, err in unsent[:5]) + (" ..." if len(unsent) > 5 else "")
        super().__init__(f"{len(unsent)} message(s) not delivered to Kafka: {preview}")


@dataclass
class ProduceStats:
    read: int = 0
    produced: int = 0
    dead_lettered: int = 0
    delivered: int = 0
    unsent: list[tuple[str, str]] = field(default_factory=list)


class ArticleProducer:
    """Raw articles and dead letters onto Kafka, through a kafka-python producer built by ``akhbar.wiring``
    (acks=all, idempotent, bytes keys and values). Use as a context manager."""

    def __init__(self, producer: KafkaProducer, *, raw_topic: str, dlq_topic: str, delivery_timeout_ms: int) -> None:
        self.raw_topic = raw_topic
        self.dlq_topic = dlq_topic
        self.stats = ProduceStats()
        self._lock = threading.Lock()
        self._pending: dict[int, str] = {}  # sends not yet acknowledged or failed, by sequence number
        self._seq = 0
        self.delivery_timeout_ms = delivery_timeout_ms
        self._producer = producer

    def __enter__(self) -> ArticleProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _callback(self, seq: int) -> Callable[[object], None]:
        def on_success(_meta: object) -> None:
            with self._lock:
                self._pending.pop(seq, None)
                self.stats.delivered += 1

        return on_success

    def _errback(self, key: str, seq: int | None = None) -> Callable[[Exception], None]:
        def on_error(exc: Exception) -> None:
            log.error("delivery failed for %s: %s", key, exc)
            with self._lock:
                if seq is not None:
                    self._pending.pop(seq, None)
                self.stats.unsent.append((key, f"{type(exc).__name__}: {exc}"))

        return on_error

    def send_article(self, article: RawArticle) -> None:
        value = orjson.dumps(article.model_dump())
        self._send(self.raw_topic, article.id.encode(), value, headers=RAW_HEADERS)
        self.stats.produced += 1

    def send_dead_letter(self, letter: DeadLetter) -> None:
        record = dead_letter_record(letter)
        self._send(self.dlq_topic, record.key, record.value, headers=record.headers)
        self.stats.dead_lettered += 1

    def _send(self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        label = key.decode() if key else f"{topic}:dead-letter"
        try:
            future = self._producer.send(topic, key=key, value=value, headers=headers)
        except KafkaError as exc:  # buffer full past max_block_ms, message too large, ...
            self._errback(label)(exc)
            return
        with self._lock:
            self._seq += 1
            seq = self._seq
            self._pending[seq] = label
        future.add_callback(self._callback(seq))
        future.add_errback(self._errback(label, seq))

    def flush(self, timeout_s: float | None = None) -> None:
        """Wait until every send resolved; raise ProduceFailed naming what could not be delivered.

        The wait is bounded by the delivery timeout (plus a margin): what is still unacknowledged then is
        reported as unsent together with what failed outright.
        """
        timeout = timeout_s if timeout_s is not None else self.delivery_timeout_ms / 1000 + FLUSH_MARGIN_S
        try:
            self._producer.flush(timeout=timeout)
        except KafkaError as exc:
            log.error("flush did not complete within %.0fs: %s", timeout, exc)
        with self._lock:
            unsent = list(self.stats.unsent) + [(key, "not acknowledged in time") for key in self._pending.values()]
        if unsent:
            raise ProduceFailed(unsent)

    def close(self) -> None:
        try:
            self._producer.close(timeout=CLOSE_TIMEOUT_S)
        except KafkaError as exc:  # the broker is gone; what was unsent has already been reported by flush()
            log.warning("closing the producer: %s", exc)


def produce_items(
    items: Iterable[SourceItem],
    producer: ArticleProducer,
    *,
    on_item: Callable[[RawArticle | DeadLetter], None] | None = None,
) -> ProduceStats:
    """Validate each item and send it (article or dead letter). Flushes at the end; raises ProduceFailed."""
    for item in items:
        producer.stats.read += 1
        result = prepare(item)
        if isinstance(result, RawArticle):
            producer.send_article(result)
        else:
            log.warning("rejected %s: %s (%s)", item.origin, result.reason, result.detail)
            producer.send_dead_letter(result)
        if on_item is not None:
            on_item(result)
    producer.flush()
    return producer.stats
