from __future__ import annotations

from sinks.batch import Batcher


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_full_by_count_and_by_bytes() -> None:
    b: Batcher[int] = Batcher(max_count=3, max_bytes=100, max_age_s=10)
    assert not b.add(1, 10) and not b.add(2, 10)
    assert b.add(3, 10)
    assert b.drain() == [1, 2, 3] and len(b) == 0
    assert b.add(4, 150)  # a single large item fills the batch


def test_due_by_age() -> None:
    clock = Clock()
    b: Batcher[str] = Batcher(max_count=100, max_bytes=10**6, max_age_s=1.0, clock=clock)
    assert not b.due()
    b.add("a", 1)
    clock.now = 0.5
    assert not b.due()
    clock.now = 1.0
    assert b.due()
    b.drain()
    assert not b.due()
