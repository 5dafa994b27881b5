"""One input event of the processor: enrich it, send its output record, ack it only once that output is in Kafka.

    event (articles.raw) ──▶ enrich_message() ──▶ EnrichedArticle ──▶ articles.enriched  (key = article id)
                                          └────▶ DeadLetter ──────▶ articles.dlq       (the contract's encoding)

An enriched document over the message-size contract is not sent to fail: it is dead-lettered as
``too_large_enriched``. Inputs are acked in their partition's order, each once its own output and every earlier
input's are delivered: faust commits the acked offsets up to the first gap, but misses a gap of one message at
the head, so an out-of-order ack could commit past an undelivered input. A send that fails (the producer retried
it until its delivery timeout, or refused it outright) stops the worker: its input and everything after it on
that partition stay unacked, are not committed, and are read again after a restart.

Nothing here imports faust: the agent in ``processors.app`` passes its producer and its events in, and the unit
tests pass in-memory fakes of both.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import orjson

from processors.chain import Chain, enrich_message
from processors.size import max_document_bytes
from schemas import (
    ENRICHED_HEADERS,
    DeadLetter,
    KafkaRecord,
    Reason,
    Stage,
    dead_letter,
    dead_letter_record,
    replays_of,
)

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
    @property
    def headers(self) -> Iterable[tuple[str, bytes | None]] | None: ...


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


Pending = deque[tuple[Event, "asyncio.Future[Any]"]]  # one input partition's sent, not yet acked events, in order


class EventHandler:
    """Enriches each event with ``chain`` and sends the result through ``producer``; acks in the delivery callback.

    An event is never acked before its output is delivered: faust's own acking would mark it done when the agent
    is cancelled half-way through it. When an output cannot be sent, ``stop`` is called once with the exception
    (the app crashes the worker with it) and from then on nothing is sent or acked.
    """

    def __init__(
        self,
        chain: Chain,
        producer: Producer,
        *,
        enriched_topic: str,
        dlq_topic: str,
        max_message_bytes: int,
        stop: Callable[[BaseException], None],
    ) -> None:
        self._chain = chain
        self._producer = producer
        self._enriched_topic = enriched_topic
        self._dlq_topic = dlq_topic
        self._max_document_bytes = max_document_bytes(max_message_bytes)
        self._stop = stop
        self._pending: dict[tuple[str, int], Pending] = {}
        self.failure: BaseException | None = None  # the send failure that stopped this handler

    async def handle(self, event: Event) -> asyncio.Future[Any] | None:
        """Send the output of ``event``; the returned future is its delivery (the ack is already attached to it).

        None when nothing was sent: the send failed (``stop`` was called) or an earlier one had.
        """
        if self.failure is not None:
            return None  # the worker is stopping: this input stays unacked and is read again after the restart
        message = event.message
        topic, record = self._output(event)
        try:
            delivered = await self._producer.send(topic, record.key, record.value, None, None, record.headers)
        except Exception as exc:  # refused before queueing (too large for the producer, buffer full past its timeout)
            self._fail(event, exc)
            return None
        pending = self._pending.setdefault((message.topic, message.partition), deque())
        pending.append((event, delivered))
        delivered.add_done_callback(functools.partial(self._on_delivery, pending))
        return delivered

    def _output(self, event: Event) -> tuple[str, KafkaRecord]:
        """The topic and record ``event`` turns into: its enriched document, or its dead letter."""
        message = event.message
        value = event.value if isinstance(event.value, bytes | str) or event.value is None else bytes(event.value)
        key = message.key.decode("utf-8", "replace") if isinstance(message.key, bytes) else None
        topic, partition, offset = message.topic, message.partition, message.offset
        replays = replays_of(message.headers)
        result = enrich_message(
            value, self._chain, key=key, topic=topic, partition=partition, offset=offset, replays=replays
        )
        if not isinstance(result, DeadLetter):
            document = orjson.dumps(result.model_dump())
            if len(document) <= self._max_document_bytes:
                return self._enriched_topic, KafkaRecord(result.id.encode(), document, ENRICHED_HEADERS)
            result = dead_letter(
                value,
                reason=Reason.TOO_LARGE_ENRICHED,
                detail=f"the enriched document is {len(document):,} bytes; the message-size contract leaves it "
                f"{self._max_document_bytes:,}",
                stage=Stage.PROCESS,
                article_id=key,
                topic=topic,
                partition=partition,
                offset=offset,
                replays=replays,
            )
        log.warning("dead-letter %s[%s]@%s: %s: %s", topic, partition, offset, result.reason, result.detail)
        return self._dlq_topic, dead_letter_record(result)

    def _on_delivery(self, pending: Pending, done: asyncio.Future[Any]) -> None:
        """Ack the partition's delivered events from the oldest on, up to the first not yet delivered; stop at a
        failed one."""
        if not done.cancelled():
            done.exception()  # looked at here, so that asyncio does not report it as never retrieved
        while pending and pending[0][1].done() and self.failure is None:
            event, delivered = pending[0]
            if delivered.cancelled():
                self._fail(event, asyncio.CancelledError("the delivery was cancelled"))
                return
            if (exc := delivered.exception()) is not None:
                self._fail(event, exc)
                return
            pending.popleft()
            event.ack()

    def _fail(self, event: Event, exc: BaseException) -> None:
        """The output of ``event`` is not in Kafka: say so once, naming the input, and stop the worker."""
        if self.failure is not None:
            return
        self.failure = exc
        message = event.message
        log.error(
            "output of %s[%s]@%s not delivered (%s: %s); left unacked, it is read again after a restart: "
            "stopping the worker",
            message.topic,
            message.partition,
            message.offset,
            type(exc).__name__,
            exc,
        )
        self._stop(exc)
