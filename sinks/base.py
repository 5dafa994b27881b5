"""The sink contract, in the shape of quix-streams' sinks: ``setup()``, ``add(item)``, ``flush()``, backpressure.

    worker ── setup() once ── add(item) … add(item) ── flush() ─▶ Flushed (written + stale + rejected)
                                                          └──▶ raises Backpressure: the destination cannot take
                                                               the batch now; the sink keeps it, the worker pauses
                                                               its partitions and calls flush() again later

As in quix-streams (``BaseSink``/``BatchingSink``/``SinkBackpressureError``), the worker decides when to flush
and commits offsets only after a flush returned. Unlike quix-streams, a refused batch is kept by the sink
rather than dropped and re-read from Kafka: the retry needs no seek, and items already written are not sent
again. The worker's offsets and dead letters stay outside the sink, which only knows its destination.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from schemas import Reason


@dataclass(frozen=True)
class Item:
    """One document to write and where it came from (for commits and dead letters)."""

    doc_id: str
    source: bytes  # the document JSON, as received from Kafka
    topic: str
    partition: int
    offset: int
    # Orders writes of the same doc_id: the destination keeps the copy with the highest version; an equal one
    # rewrites it (a replay), a lower one is skipped as stale.
    version: int
    replays: int  # how often `akhbar dlq replay` re-produced the message (copied into its dead letter)
    alias: str | None = None  # the index alias to write to; None: the sink's own (the articles')


@dataclass(frozen=True)
class Rejection:
    """An item the destination refused for good: it goes to the dead-letter topic, never retried."""

    item: Item
    status: int
    reason: Reason
    detail: str


@dataclass(frozen=True)
class Flushed:
    """The outcome of one accepted flush: every item added since the last one is written or rejected."""

    written: int
    stale: int  # skipped: the destination holds a newer version of the document (committed, not dead-lettered)
    rejected: list[Rejection]
    attempts: int  # rounds of requests it took, retries included (a bisected round sends several)


class Backpressure(Exception):
    """The destination cannot take the batch now (down, overloaded): the sink keeps the batch.

    The worker pauses consumption and calls ``flush()`` again, within ``retry_after_s`` at the latest
    (quix-streams' ``SinkBackpressureError``).
    """

    def __init__(self, detail: str, *, retry_after_s: float, kept: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s
        self.kept = kept  # items still to write


class Sink(ABC):
    """A destination for items, written in batches. Used from one thread at a time."""

    @abstractmethod
    def setup(self) -> None:
        """Prepare the destination (index, alias) before the worker consumes; while the destination is unavailable,
        wait (bounded, logged) rather than fail."""

    @abstractmethod
    def add(self, item: Item) -> None:
        """Add one item to the batch the next ``flush()`` writes."""

    @abstractmethod
    def flush(self) -> Flushed:
        """Write the batch; raises :class:`Backpressure` when the destination cannot take it now (the batch is
        kept, and the next ``flush()`` retries what is not written yet)."""

    @abstractmethod
    def available(self) -> bool:
        """One cheap health check while paused: a True answer makes the worker retry the kept batch at once."""
