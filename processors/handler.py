"""One input event of the processor: enrich it, send its output record, ack it only once that output is in Kafka.

    event (articles.raw) ──▶ enrich_message() ──▶ EnrichedArticle ──▶ articles.enriched  (key = article id)
                                          └────▶ DeadLetter ──────▶ articles.dlq       (the contract's encoding)

Nothing here imports faust: the agent in ``processors.app`` passes its producer and its events in, and the unit
tests pass in-memory fakes of both.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Protocol

import orjson

from processors.chain import Chain, enrich_message
from schemas import ENRICHED_HEADERS, DeadLetter, dead_letter_record

log = logging.getLogger(__name__)


class Message(Protocol):
    """What the handler reads of a consumed message (faust's ``Message`` has these)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...


class Event(Protocol):
    """An input event (faust's ``Event``): its message, its decoded value, and ``ack``."""

    @property
    def message(self) -> Message: ...
    @property
    def value(self) -> Any: ...
    def ack(self) -> Any: ...


class Producer(Protocol):
    """faust's producer send: the record is queued and the returned future resolves once Kafka has it."""

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        partition: int | None,
        timestamp: float | None,
        headers: list[tuple[str, bytes]],
    ) -> asyncio.Future[Any]: ...


class EventHandler:
    """Enriches each event with ``chain`` and sends the result through ``producer``; acks in the delivery callback.

    An event is never acked before its output is delivered: faust's own acking would mark it done when the agent
    is cancelled half-way through it. Undelivered outputs leave their input unacked, so it is read again after a
    restart (ids are deterministic: the re-sent output overwrites the same document downstream).
    """

    def __init__(self, chain: Chain, producer: Producer, *, enriched_topic: str, dlq_topic: str) -> None:
        self._chain = chain
        self._producer = producer
        self._enriched_topic = enriched_topic
        self._dlq_topic = dlq_topic

    async def handle(self, event: Event) -> asyncio.Future[Any]:
        """Send the output of ``event``; the returned future is its delivery (the ack is already attached to it)."""
        message = event.message
        value = event.value if isinstance(event.value, bytes | str) or event.value is None else bytes(event.value)
        key = message.key.decode("utf-8", "replace") if isinstance(message.key, bytes) else None
        result = enrich_message(
            value, self._chain, key=key, topic=message.topic, partition=message.partition, offset=message.offset
        )
        if isinstance(result, DeadLetter):
            log.warning(
                "dead-letter %s[%s]@%s: %s: %s",
                message.topic,
                message.partition,
                message.offset,
                result.reason,
                result.detail,
            )
            record = dead_letter_record(result)
            delivered = await self._producer.send(self._dlq_topic, record.key, record.value, None, None, record.headers)
        else:
            value_out = orjson.dumps(result.model_dump())
            delivered = await self._producer.send(
                self._enriched_topic, result.id.encode(), value_out, None, None, ENRICHED_HEADERS
            )
        delivered.add_done_callback(functools.partial(_ack_when_delivered, event))
        return delivered


def _ack_when_delivered(event: Event, delivered: asyncio.Future[Any]) -> None:
    """Ack the input event (its offset becomes committable) once its output is safely in Kafka."""
    if delivered.cancelled() or delivered.exception() is not None:
        message = event.message
        log.error(
            "output of %s[%s]@%s not delivered (%s); left unacked, it is read again after a restart",
            message.topic,
            message.partition,
            message.offset,
            "cancelled" if delivered.cancelled() else delivered.exception(),
        )
        return
    event.ack()
