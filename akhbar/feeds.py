"""``akhbar feeds``: the poller wired to Kafka (or to stdout), and the feeds' status from the state topic."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import orjson

from akhbar.settings import Settings
from akhbar.wiring import (
    article_producer,
    ensure_feeds_state_topic,
    ensure_topics,
    feed_policies,
    feeds_state_reader,
    feeds_state_store,
    wait_for_partitions,
)
from producers.feeds.config import FeedConfig
from producers.feeds.health import FeedState
from producers.feeds.http import Fetcher
from producers.feeds.poller import Poller, PollStats
from producers.feeds.state import MemoryStateStore, StateStore, read_all
from schemas import DeadLetter, RawArticle

log = logging.getLogger(__name__)

OWNERSHIP_TIMEOUT_S = 60.0  # a poller that the feeds group has not given partitions within a minute says so
STATUS_EVERY_S = 1.0  # how often --status-file is rewritten


class JsonLinesEmit:
    """``--jsonl``: raw articles as JSON lines on a stream; dead letters as one line each on the log."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out

    def send_article(self, article: RawArticle) -> None:
        self._out.write(orjson.dumps(article.model_dump(mode="json")) + b"\n")

    def send_dead_letter(self, letter: DeadLetter) -> None:
        log.warning("rejected %s: %s (%s)", letter.origin, letter.reason, letter.detail)

    def flush(self) -> None:
        self._out.flush()


def _write_status(path: Path, stats: PollStats, feeds: int) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps({"feeds": feeds, "at": time.time(), **stats.as_dict()}))
    tmp.replace(path)


async def _wait_owned(store: StateStore, feeds: Sequence[FeedConfig]) -> None:
    deadline = time.monotonic() + OWNERSHIP_TIMEOUT_S
    ready = getattr(store, "ready", lambda: True)
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"the feeds group assigned this poller no state partitions in {OWNERSHIP_TIMEOUT_S:.0f} s"
            )
        await asyncio.sleep(0.1)
    log.info("polling %d of %d feeds", len(store.owned(f.key for f in feeds)), len(feeds))


async def _poll(
    s: Settings,
    feeds: Sequence[FeedConfig],
    store: StateStore,
    emit: JsonLinesEmit | object,
    *,
    once: bool,
    status_file: Path | None,
) -> PollStats:
    fetch, health, policy = feed_policies(s.feeds)
    async with Fetcher(fetch) as fetcher:
        poller = Poller(feeds, fetcher=fetcher, store=store, emit=emit, health=health, policy=policy)  # type: ignore[arg-type]
        await _wait_owned(store, feeds)
        if once:
            stats = await poller.poll_once()
            if status_file:
                _write_status(status_file, stats, len(feeds))
            return stats
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)

        async def report() -> None:
            while not stop.is_set():
                if status_file:
                    _write_status(status_file, poller.stats, len(feeds))
                await asyncio.sleep(STATUS_EVERY_S)

        reporter = asyncio.create_task(report())
        try:
            await poller.run(stop)
        finally:
            stop.set()
            await reporter
            if status_file:
                _write_status(status_file, poller.stats, len(feeds))
        return poller.stats


def run_feeds(
    s: Settings,
    feeds: Sequence[FeedConfig],
    *,
    once: bool,
    jsonl_out: IO[bytes] | None = None,
    status_file: Path | None = None,
) -> PollStats:
    """Poll ``feeds``: to Kafka with the state on the compacted topic, or (``jsonl_out``) to a stream with the state
    in memory (nothing to set up: how the feed path is debugged and measured from outside)."""
    if jsonl_out is not None:
        return asyncio.run(_poll(s, feeds, MemoryStateStore(), JsonLinesEmit(jsonl_out), once=once,
                                 status_file=status_file))  # fmt: skip
    ensure_topics(s.kafka)
    ensure_feeds_state_topic(s)
    store = feeds_state_store(s)
    try:
        with article_producer(s) as producer:
            return asyncio.run(_poll(s, feeds, store, producer, once=once, status_file=status_file))
    finally:
        store.close()


def feed_states(s: Settings) -> dict[str, FeedState]:
    ensure_feeds_state_topic(s)
    consumer = feeds_state_reader(s)
    try:
        wait_for_partitions(consumer, [s.feeds.state_topic])
        return read_all(consumer, s.feeds.state_topic)
    finally:
        consumer.close()


def _when(epoch: float | None) -> str:
    if not epoch:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_rows(feeds: Sequence[FeedConfig], states: dict[str, FeedState]) -> list[dict[str, object]]:
    """One row per configured feed: last poll, status code, new items, failures, next poll, disabled reason."""
    rows: list[dict[str, object]] = []
    for feed in feeds:
        st = states.get(feed.key)
        rows.append(
            {
                "feed": feed.name,
                "url": feed.url,
                "last_poll": _when(st.last_poll_at if st else None),
                "status": (st.last_status if st else None) or "-",
                "new_items": st.last_new_items if st else 0,
                "produced": st.items_produced if st else 0,
                "failures": st.consecutive_failures if st else 0,
                "last_error": (st.last_error if st else None) or "-",
                "next_poll": _when(st.next_poll_at if st else None),
                "interval_s": round(st.interval_s) if st and st.interval_s else "-",
                "disabled": (st.disabled_reason if st else None) or "-",
            }
        )
    return rows
