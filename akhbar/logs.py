"""Quiet logs under outages: a repeated warning or error is logged once, then as a count every few seconds.

During a Kafka or Elasticsearch outage the clients log the same failure many times a second (the processor's
aiokafka logged ~80 lines a second while the broker was down), which buries the one line that says what is
wrong. :class:`RepeatFilter` sits on the root logger's handlers of every worker: the first record of a kind
passes; identical ones within ``window_s`` are dropped and counted; the first one after the window passes
with "(repeated N times in the last S s)". A kind is the logger, the level and the message template, so
the same failure with another port or timeout still counts as a repeat. Records below WARNING always pass.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

REPEAT_WINDOW_S = 10.0  # one line per kind of failure every 10 s: enough to see it lasts, not enough to bury others


class RepeatFilter(logging.Filter):
    def __init__(self, window_s: float = REPEAT_WINDOW_S, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.window_s = window_s
        self.clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}  # kind -> (when last let through, dropped)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        kind = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        with self._lock:
            last = self._seen.get(kind)
            if last is not None and now - last[0] < self.window_s:
                self._seen[kind] = (last[0], last[1] + 1)
                return False
            self._seen[kind] = (now, 0)
        if last is not None and last[1]:
            # The message is formatted here once, with the count, so handlers print it as one line.
            record.msg = f"{record.getMessage()} (repeated {last[1]} times in the last {now - last[0]:.0f} s)"
            record.args = None
        return True


def quiet_repeats(logger: logging.Logger | None = None, window_s: float = REPEAT_WINDOW_S) -> None:
    """Put one :class:`RepeatFilter` on every handler of ``logger`` (default: the root logger), once.

    Called after whatever configured the handlers (basicConfig in the CLI, faust's own set-up in the processor).
    """
    shared = RepeatFilter(window_s)
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RepeatFilter) for f in handler.filters):
            handler.addFilter(shared)
