"""Retries in the sink's unit tests run their attempts without waiting (stamina's test mode)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina


@pytest.fixture(autouse=True)
def retries_without_waits() -> Iterator[None]:
    # cap: each retry keeps its own bound when it is below 10 attempts; unbounded-count rounds get 10
    with stamina.set_testing(True, attempts=10, cap=True):
        yield
