"""The processor transport's inline hand-over: a coroutine run one step by hand, then finished by asyncio."""

from __future__ import annotations

import asyncio

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
