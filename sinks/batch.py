"""Batching by count, bytes and age: pure logic, no I/O."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Batcher(Generic[T]):
    max_count: int
    max_bytes: int
    max_age_s: float
    clock: Callable[[], float] = time.monotonic
    items: list[T] = field(default_factory=list)
    size_bytes: int = 0
    started_at: float | None = None

    def add(self, item: T, size: int) -> bool:
        """Add an item; True when the batch should be flushed now."""
        if not self.items:
            self.started_at = self.clock()
        self.items.append(item)
        self.size_bytes += size
        return self.full()

    def full(self) -> bool:
        return len(self.items) >= self.max_count or self.size_bytes >= self.max_bytes

    def due(self) -> bool:
        """True when the batch is full or its oldest item has waited max_age_s."""
        if not self.items:
            return False
        assert self.started_at is not None
        return self.full() or self.clock() - self.started_at >= self.max_age_s

    def drain(self) -> list[T]:
        items, self.items, self.size_bytes, self.started_at = self.items, [], 0, None
        return items

    def __len__(self) -> int:
        return len(self.items)
