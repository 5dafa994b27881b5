"""The processor transport's inline hand-over: a coroutine run one step by hand, then finished by asyncio."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from processors.transport import _rest


async def _waits_on(fut: asyncio.Future[int], log: list[str]) -> int:
    log.append("started")
    try:
        value = await fut
    except asyncio.CancelledError:
        log.append("cancelled")
        raise
    log.append("resumed")
    return value + 1


def test_a_coroutine_that_does_not_wait_finishes_at_its_first_step() -> None:
    async def ready() -> str:
        return "done"

    coro = ready()
    with pytest.raises(StopIteration) as stop:
        coro.send(None)
    assert stop.value.value == "done"


def test_a_coroutine_stopped_on_a_future_is_finished_by_a_task_with_its_result() -> None:
    async def main() -> tuple[int, list[str]]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[int] = loop.create_future()
        log: list[str] = []
        coro = _waits_on(fut, log)
        awaiting = coro.send(None)  # the first step, by hand: it stops on the future
        assert awaiting is fut and log == ["started"]
        task = asyncio.ensure_future(_rest(coro, awaiting))
        await asyncio.sleep(0)
        assert not task.done()
        fut.set_result(41)
        return await task, log

    result, log = asyncio.run(main())
    assert result == 42 and log == ["started", "resumed"]


def test_cancelling_the_task_cancels_the_coroutine_it_drives() -> None:
    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[int] = loop.create_future()
        log: list[str] = []
        coro = _waits_on(fut, log)
        task = asyncio.ensure_future(_rest(coro, coro.send(None)))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return log

    assert asyncio.run(main()) == ["started", "cancelled"]


def test_the_worker_consumer_waits_for_fuller_fetches() -> None:
    """faust passes no fetch_min_bytes (aiokafka's default: answer at once with 1 byte): the worker sets its own."""
    from akhbar.run import processor_config
    from akhbar.settings import Settings
    from processors.app import make_app
    from processors.chain import build_chain
    from processors.transport import FETCH_MAX_WAIT_MS, FETCH_MIN_BYTES

    cfg = replace(processor_config(Settings()), broker="kafka://127.0.0.1:1", raw_topic="r", enriched_topic="e")
    app = make_app(cfg, build_chain(replace(cfg.chain, steps=("clean",))))

    async def main() -> tuple[str, int, int]:
        thread = app.consumer._thread
        consumer = thread._create_worker_consumer(app.transport)  # built, not started: nothing connects
        try:
            return type(thread).__name__, consumer._fetch_min_bytes, consumer._fetch_max_wait_ms
        finally:
            await consumer.stop()

    try:
        name, min_bytes, max_wait_ms = asyncio.run(main())
    finally:  # the event loops faust made with the consumer: the app's and the consumer thread's
        app.consumer._thread.thread_loop.close()
        app.loop.close()
    assert name == "_ConsumerThread"
    assert (min_bytes, max_wait_ms) == (FETCH_MIN_BYTES, FETCH_MAX_WAIT_MS) == (64 * 1024, 100)
