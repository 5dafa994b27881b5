"""faust's aiokafka transport with a cheaper hand-over of each fetched message to its stream.

faust's fetch loop (``Consumer._drain_messages``) hands every message to the stream buffers with
``await self.wait_first(callback(message), self.suspend_flow.wait())``: four asyncio tasks per message (the
callback, the flow flag, the consumer's stopped and crashed flags), an ``asyncio.wait``, then three
cancellations, so that a hand-over blocked on a full stream buffer can be abandoned when a rebalance suspends
the flow. Almost always the hand-over does not block at all: the buffer has room and the callback finishes at
its first step. That scheduling was ~10 % of a worker's CPU on the spine.

``_Consumer.wait_first`` runs the callback's first step inline. If it finishes there, nothing was scheduled and
nothing else changes. If it has to wait (a full buffer), the rest of it races the flow flag exactly as faust
does, through faust's own ``wait_first``. Any other ``wait_first`` call goes straight to faust's.

The consumer thread also asks the broker for fuller fetches (``FETCH_MIN_BYTES`` or ``FETCH_MAX_WAIT_MS``),
which faust leaves at aiokafka's answer-at-once default.
"""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Coroutine, Generator
from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka
from mode.services import WaitResults

# With aiokafka's default of 1 byte the broker answers every fetch at once with whatever arrived since the last,
# often one producer batch per partition: many small fetch requests, each a round of request handling for the
# broker and the worker. 64 KiB (~15 raw articles) or 100 ms, whichever comes first (with the sink's own): Kafka's
# CPU per article in the e2e run 0.40 -> 0.21 ms, at most 100 ms more latency at a trickle.
FETCH_MIN_BYTES = 64 * 1024
FETCH_MAX_WAIT_MS = 100  # faust passes 1,500 ms, which with a byte minimum would hold a trickle back 1.5 s

_EVENT_WAIT = asyncio.Event.wait.__code__  # the code object of ``suspend_flow.wait()``, the fetch loop's 2nd arg


@types.coroutine
def _resume(coro: Coroutine[Any, Any, Any], awaiting: Any) -> Generator[Any, Any, Any]:
    """Go on driving ``coro``, which already ran its first step and stopped on ``awaiting``."""
    while True:
        try:
            sent = yield awaiting
        except BaseException as exc:  # cancellation (or anything thrown in) goes on to the coroutine
            try:
                awaiting = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                awaiting = coro.send(sent)
            except StopIteration as stop:
                return stop.value


async def _rest(coro: Coroutine[Any, Any, Any], awaiting: Any) -> Any:
    return await _resume(coro, awaiting)


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):  # type: ignore[misc,unused-ignore]
    """faust's consumer thread, with fetch requests that wait for a batch worth sending (faust passes none)."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # AIOKafkaConsumer keeps its arguments and hands them to its fetcher on start, which comes later.
        consumer._fetch_min_bytes = FETCH_MIN_BYTES
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer


class _Consumer(faust_aiokafka.Consumer):  # type: ignore[misc,unused-ignore]
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def wait_first(self, *coros: Any, timeout: Any = None) -> WaitResults:
        if not self._is_flow_handover(coros, timeout):
            return await super().wait_first(*coros, timeout=timeout)
        handover, flow_wait = coros
        if self.suspend_flow.is_set() or self._stopped.is_set() or self._crashed.is_set():
            return await super().wait_first(handover, flow_wait)
        flow_wait.close()  # never started: closed so that it is not reported as "never awaited"
        try:
            awaiting = handover.send(None)
        except StopIteration as done:
            return WaitResults([handover], [done.value], False)
        # The hand-over has to wait (a full stream buffer): the rest of it races the flow flag, as in faust.
        return await super().wait_first(_rest(handover, awaiting), self.suspend_flow.wait())

    def _is_flow_handover(self, coros: tuple[Any, ...], timeout: Any) -> bool:
        if timeout is not None or len(coros) != 2:
            return False
        first, second = coros
        return (
            isinstance(first, types.CoroutineType)
            and inspect.getcoroutinestate(first) == inspect.CORO_CREATED
            and getattr(second, "cr_code", None) is _EVENT_WAIT
            and second.cr_frame.f_locals.get("self") is self.suspend_flow
        )


class Transport(faust_aiokafka.Transport):  # type: ignore[misc,unused-ignore]
    """faust's aiokafka transport, with the consumer above."""

    Consumer = _Consumer
