"""A repeated failure is logged once, then as a count per window; other records pass untouched."""

from __future__ import annotations

import logging

from akhbar.logs import RepeatFilter, quiet_repeats


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _record(msg: str, *args: object, level: int = logging.ERROR, name: str = "aiokafka") -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_repeats_within_the_window_are_dropped_then_counted() -> None:
    clock = Clock()
    f = RepeatFilter(window_s=10.0, clock=clock)
    assert f.filter(_record("connection to %s failed", "127.0.0.1:9092"))
    passed = []
    for n in range(80):
        clock.now = n * 0.1
        passed.append(f.filter(_record("connection to %s failed", f"127.0.0.1:{9092 + n}")))
    assert not any(passed)  # the same template with other arguments is a repeat
    clock.now = 10.5
    record = _record("connection to %s failed", "127.0.0.1:9092")
    assert f.filter(record)
    assert record.getMessage() == "connection to 127.0.0.1:9092 failed (repeated 80 times in the last 10 s)"


def test_different_failures_and_lower_levels_are_not_suppressed() -> None:
    f = RepeatFilter(window_s=10.0, clock=Clock())
    assert f.filter(_record("a failed"))
    assert f.filter(_record("b failed"))
    assert f.filter(_record("a failed", name="kafka.conn"))
    assert f.filter(_record("a failed", level=logging.WARNING))
    assert all(f.filter(_record("progress", level=logging.INFO)) for _ in range(5))


def test_quiet_repeats_installs_one_filter_per_handler() -> None:
    logger = logging.getLogger("akhbar.test.quiet")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        quiet_repeats(logger)
        quiet_repeats(logger)
        assert sum(isinstance(f, RepeatFilter) for f in handler.filters) == 1
    finally:
        logger.removeHandler(handler)


def test_the_cli_leaves_handlers_it_did_not_make_alone() -> None:
    """An embedding program's handlers (pytest's capture, here) get no repeat filter from the CLI."""
    from akhbar.cli import _setup_logging

    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    try:
        _setup_logging(verbose=False)
        assert not any(isinstance(f, RepeatFilter) for h in root.handlers for f in h.filters)
    finally:
        root.removeHandler(handler)
