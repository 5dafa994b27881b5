"""The Kafka side of producing: raw articles keyed by id onto ``articles.raw``, rejects onto ``articles.dlq``.

Delivery is acks=all and idempotent. kafka-python retries a failed send on its own until
``delivery_timeout_ms``; whatever is still unsent after that is reported by id, never dropped in silence.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from kafka import KafkaProducer
from kafka.errors import KafkaError

from producers.prepare import prepare
from producers.sources import SourceItem
from schemas import DeadLetter, RawArticle

log = logging.getLogger(__name__)

LINGER_MS = 20  # batch sends for 20 ms: large batches at full speed, negligible latency at a trickle
DELIVERY_TIMEOUT_MS = 120_000  # the retry bound: a send still failing after 2 minutes is reported as unsent
MAX_REQUEST_BYTES = 4 * 1024 * 1024  # fits the largest valid article (1M characters of Arabic is ~2 MB of UTF-8)
COMPRESSION = "gzip"  # built into Python; Arabic news compresses ~3x
FLUSH_TIMEOUT_S = 150.0  # longer than the delivery timeout, so flush returns after every send has resolved


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
    """kafka-python producer for raw articles and dead letters. Use as a context manager."""

    def __init__(
        self,
        client_config: Mapping[str, Any],
        *,
        raw_topic: str,
        dlq_topic: str,
        linger_ms: int = LINGER_MS,
        delivery_timeout_ms: int = DELIVERY_TIMEOUT_MS,
    ) -> None:
        self.raw_topic = raw_topic
        self.dlq_topic = dlq_topic
        self.stats = ProduceStats()
        self._lock = threading.Lock()
        self._producer = KafkaProducer(
            **client_config,
            acks="all",
            enable_idempotence=True,
            compression_type=COMPRESSION,
            linger_ms=linger_ms,
            delivery_timeout_ms=delivery_timeout_ms,
            request_timeout_ms=min(30_000, delivery_timeout_ms),
            max_request_size=MAX_REQUEST_BYTES,
            key_serializer=lambda k: k.encode("utf-8") if k is not None else None,
        )

    def __enter__(self) -> ArticleProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _on_success(self, _meta: object) -> None:
        with self._lock:
            self.stats.delivered += 1

    def _errback(self, key: str) -> Callable[[Exception], None]:
        def on_error(exc: Exception) -> None:
            log.error("delivery failed for %s: %s", key, exc)
            with self._lock:
                self.stats.unsent.append((key, f"{type(exc).__name__}: {exc}"))

        return on_error

    def send_article(self, article: RawArticle) -> None:
        value = orjson.dumps(article.model_dump())
        self._send(self.raw_topic, article.id, value, headers=[("schema", b"raw_article.v1")])
        self.stats.produced += 1

    def send_dead_letter(self, letter: DeadLetter) -> None:
        value = orjson.dumps(letter.model_dump())
        headers = [("schema", b"dead_letter.v1"), ("reason", letter.reason.encode())]
        self._send(self.dlq_topic, letter.article_id, value, headers=headers)
        self.stats.dead_lettered += 1

    def _send(self, topic: str, key: str | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        label = key or f"{topic}:dead-letter"
        try:
            future = self._producer.send(topic, key=key, value=value, headers=headers)
        except KafkaError as exc:  # buffer full past max_block_ms, message too large, ...
            self._errback(label)(exc)
            return
        future.add_callback(self._on_success)
        future.add_errback(self._errback(label))

    def flush(self, timeout_s: float = FLUSH_TIMEOUT_S) -> None:
        """Wait until every send resolved; raise ProduceFailed naming what could not be delivered."""
        self._producer.flush(timeout=timeout_s)
        if self.stats.unsent:
            raise ProduceFailed(list(self.stats.unsent))

    def close(self) -> None:
        self._producer.close(timeout=FLUSH_TIMEOUT_S)


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
