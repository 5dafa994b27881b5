"""The feed poller: one asyncio loop polling every feed this process owns, when it is due, concurrently.

One poll of a feed: conditional GET ─▶ 304 or an unchanged body hash costs nothing more ─▶ parse ─▶ for each item
not seen (or seen with other content: an updated story) fetch its page when needed and extract it ─▶ prepare the
raw article (``producers.prepare``: the same validation and ids as every other source) ─▶ send it, or its dead
letter. The feed's new state (validators, interval, failures, seen item keys) is saved only after Kafka
acknowledged the articles, so a crash re-produces (same ids: the index is unchanged) and never skips.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import orjson

from producers.feeds.config import FeedConfig
from producers.feeds.decode import decode_html
from producers.feeds.extract import extract_page
from producers.feeds.health import FeedState, HealthPolicy, failed, page_failed, polled, remember
from producers.feeds.items import article_fields, content_hash, item_keys, needs_page
from producers.feeds.parse import parse_feed
from producers.feeds.state import StateStore
from producers.feeds.types import FailureKind, FeedItem, FetchResult, PageText, ParsedFeed
from producers.prepare import prepare
from producers.sources import SourceItem
from schemas import DeadLetter, RawArticle, Reason, Stage, dead_letter

log = logging.getLogger(__name__)


class Emit(Protocol):
    """Where articles go: ``producers.kafka.ArticleProducer``, or JSON lines on stdout (``--jsonl``)."""

    def send_article(self, article: RawArticle) -> None: ...

    def send_dead_letter(self, letter: DeadLetter) -> None: ...

    def flush(self) -> None: ...


class FeedFetcher(Protocol):
    """What the poller asks of HTTP (``producers.feeds.http.Fetcher``): bounded, polite GETs, errors as data."""

    async def fetch_feed(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult: ...

    async def fetch_page(self, url: str) -> FetchResult: ...


@dataclass(frozen=True)
class PollPolicy:
    """How much one poll may do. The defaults live in akhbar.settings.FeedSettings (once)."""

    feeds_in_flight: int  # feeds polled at once (each may fetch pages; hosts have their own limit in the fetcher)
    new_items_max: int  # new items handled per poll of one feed; the rest wait for the next poll
    page_attempts_max: int  # polls on which a temporarily failing page is tried before the item goes without it
    sitemap_children_max: int  # child sitemaps of a sitemap index read per poll (the first ones listed)
    tick_s: float  # how often the loop looks for due feeds
    commit_every_s: float  # how often produced articles are flushed and the feeds' states saved


@dataclass
class PollStats:
    feeds_owned: int = 0  # feeds this poller polls (the feeds group shares them out between pollers)
    feeds_polled: int = 0
    not_modified: int = 0
    unchanged: int = 0  # a 200 whose body hash was the last one's
    failed: int = 0
    disabled: int = 0
    items_new: int = 0
    items_updated: int = 0
    pages_fetched: int = 0
    pages_failed: int = 0
    articles: int = 0
    dead_letters: int = 0
    parse_errors: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


class Poller:
    def __init__(
        self,
        feeds: Sequence[FeedConfig],
        *,
        fetcher: FeedFetcher,
        store: StateStore,
        emit: Emit,
        health: HealthPolicy,
        policy: PollPolicy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._feeds = {f.key: f for f in feeds}
        self._fetcher = fetcher
        self._store = store
        self._emit = emit
        self._health = health
        self._policy = policy
        self._clock = clock
        self._states: dict[str, FeedState] = {}  # the feeds owned now, as polled (newer than what is saved)
        self._unsaved: set[str] = set()
        self._running: set[str] = set()
        self._slots = asyncio.Semaphore(policy.feeds_in_flight)
        self.stats = PollStats()

    # -- what this process polls ------------------------------------------------------------------------------
    def _owned(self) -> list[str]:
        owned = self._store.owned(self._feeds)
        for key in list(self._states):
            if key not in owned and key not in self._running:
                del self._states[key]  # another poller has it now
        for key in owned:
            if key not in self._states:
                saved = self._store.get(key)
                self._states[key] = saved or FeedState(key=key, url=self._feeds[key].url)
        self.stats.feeds_owned = len(owned)
        return sorted(owned)

    def states(self) -> dict[str, FeedState]:
        return dict(self._states)

    # -- the loops --------------------------------------------------------------------------------------------
    async def poll_once(self) -> PollStats:
        """Poll every owned feed once (due or not; disabled feeds are skipped), then flush and save."""
        await asyncio.gather(*(self._guarded(key) for key in self._owned() if not self._states[key].disabled))
        await self.commit()
        return self.stats

    async def run(self, stop: asyncio.Event) -> None:
        """Poll due feeds until ``stop`` is set; flush and save every ``commit_every_s`` and at the end."""
        tasks: set[asyncio.Task[None]] = set()
        last_commit = self._clock()
        try:
            while not stop.is_set():
                now = self._clock()
                for key in self._owned():
                    if key not in self._running and self._states[key].next_poll_at <= now:
                        self._running.add(key)
                        task = asyncio.create_task(self._guarded(key))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                if now - last_commit >= self._policy.commit_every_s:
                    await self.commit()
                    last_commit = now
                with contextlib.suppress(TimeoutError):  # the tick passed without a stop
                    await asyncio.wait_for(stop.wait(), timeout=self._policy.tick_s)
        finally:
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            await self.commit()

    async def commit(self) -> None:
        """Articles first (acknowledged by Kafka), then the states that record them as produced."""
        if not self._unsaved:
            return
        keys, self._unsaved = self._unsaved, set()
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self._emit.flush)
            for key in keys:
                if key in self._states:
                    self._store.save(self._states[key])
            await loop.run_in_executor(None, self._store.flush)
        except Exception:
            self._unsaved |= keys  # saved with the next commit; the articles are re-sent at worst (same ids)
            raise

    async def _guarded(self, key: str) -> None:
        async with self._slots:
            try:
                await self.poll_feed(key)
            finally:
                self._running.discard(key)

    # -- one feed ---------------------------------------------------------------------------------------------
    async def poll_feed(self, key: str) -> None:
        feed = self._feeds[key]
        state = self._states[key]
        self.stats.feeds_polled += 1
        result = await self._fetcher.fetch_feed(feed.url, etag=state.etag, last_modified=state.last_modified)
        now = self._clock()
        if result.error is not None:
            self._fail(key, result.status, result.error, result.failure or FailureKind.SOFT, result.retry_after_s)
            return
        if result.not_modified:
            self.stats.not_modified += 1
            self._set(
                key, polled(state, now=now, status=304, new_items=0, configured_s=feed.interval, policy=self._health)
            )
            return
        body_hash = _body_hash(result.body)
        common = {"etag": result.etag, "last_modified": result.last_modified}
        if body_hash == state.body_hash:
            self.stats.unchanged += 1
            self._set(key, polled(state, now=now, status=result.status, new_items=0, configured_s=feed.interval,
                                  policy=self._health, **common))  # fmt: skip
            return
        parsed = parse_feed(result.body, url=result.final_url, content_type=result.content_type, charset=result.charset)
        if parsed.kind == "sitemap_index":
            parsed = await self._children(parsed)
        self.stats.parse_errors += parsed.errors
        if parsed.fatal is not None:
            self._fail(key, result.status, parsed.fatal, FailureKind.SOFT, None)
            return
        new, complete = self._new_items(state, parsed)
        outcomes = await asyncio.gather(*(self._item(feed, state, item, parsed) for item in new))
        state = self._states[key]
        produced: list[tuple[tuple[str, ...], str]] = []
        for item, outcome in zip(new, outcomes, strict=True):  # sent in the feed's order, whatever pages took
            keys = item_keys(item) or (f"c:{content_hash(item)}",)
            if outcome is None:  # the page failed for now: retried on the next poll
                state, _ = page_failed(state, keys)
            else:
                self._send(outcome)
                produced.append((keys, content_hash(item)))
        state = remember(state, produced, self._health)
        # an incomplete poll (too many new items, pages to retry) keeps the old hash: the next poll reads it again
        all_done = complete and len(produced) == len(new)
        self._set(key, polled(state, now=self._clock(), status=result.status, new_items=len(produced),
                              configured_s=feed.interval, policy=self._health,
                              body_hash=body_hash if all_done else None, **common))  # fmt: skip

    def _set(self, key: str, state: FeedState) -> None:
        self._states[key] = state
        self._unsaved.add(key)

    def _fail(self, key: str, status: int, error: str, kind: FailureKind, retry_after_s: float | None) -> None:
        feed = self._feeds[key]
        before = self._states[key]
        state = failed(before, now=self._clock(), status=status, error=error, kind=kind, configured_s=feed.interval,
                       policy=self._health, retry_after_s=retry_after_s)  # fmt: skip
        self.stats.failed += 1
        self.stats.reasons[error] = self.stats.reasons.get(error, 0) + 1
        if state.disabled and not before.disabled:
            self.stats.disabled += 1
            log.warning("feed %s disabled: %s", feed.url, state.disabled_reason)
        else:
            log.info("feed %s failed: %s (status %s)", feed.url, error, status)
        self._set(key, state)

    async def _children(self, index: ParsedFeed) -> ParsedFeed:
        """A sitemap index: its first child sitemaps, read and merged (their failures count as parse errors)."""
        items: list[FeedItem] = []
        errors = index.errors
        for url in index.sitemaps[: self._policy.sitemap_children_max]:
            result = await self._fetcher.fetch_feed(url)
            if result.error is not None:
                errors += 1
                continue
            child = parse_feed(
                result.body, url=result.final_url, content_type=result.content_type, charset=result.charset
            )
            errors += child.errors + (child.fatal is not None)
            items.extend(child.items)
        return replace(index, kind="sitemap", items=tuple(items), errors=errors, fatal=None)

    def _new_items(self, state: FeedState, parsed: ParsedFeed) -> tuple[list[FeedItem], bool]:
        """Items never produced or produced with other content, at most ``new_items_max``; and whether that was all."""
        new: list[FeedItem] = []
        picked: set[str] = set()
        total = 0
        for item in parsed.items:
            keys = item_keys(item) or (f"c:{content_hash(item)}",)
            if picked.intersection(keys):  # the same item twice in one feed
                continue
            known = next((state.seen[k] for k in keys if k in state.seen), None)
            if known == content_hash(item):
                continue
            total += 1
            if len(new) < self._policy.new_items_max:
                new.append(item)
                picked.update(keys)
                if known is None:
                    self.stats.items_new += 1
                else:
                    self.stats.items_updated += 1
        return new, total == len(new)

    async def _item(
        self, feed: FeedConfig, state: FeedState, item: FeedItem, parsed: ParsedFeed
    ) -> RawArticle | DeadLetter | None:
        """One item as an article or its dead letter; None when its page failed for now (tried on the next poll)."""
        wanted = needs_page(item, feed.fetch)
        page: PageText | None = None
        page_error: str | None = None
        if wanted and item.link:
            result = await self._fetcher.fetch_page(item.link)
            if result.error is None:
                self.stats.pages_fetched += 1
                html, encoding = decode_html(result.body, result.charset)
                page = extract_page(html, url=result.final_url, encoding=encoding)
            else:
                self.stats.pages_failed += 1
                page_error = result.error
                keys = item_keys(item)
                attempts = max((state.page_attempts.get(k, 0) for k in keys), default=0) + 1
                if result.failure is FailureKind.TEMPORARY and attempts < self._policy.page_attempts_max:
                    log.info("page %s: %s; tried again on the next poll", item.link, result.error)
                    return None
        fields = article_fields(
            item, source=feed.name, feed_language=feed.language or parsed.language, page=page, page_wanted=wanted
        )
        origin = f"feed {feed.url} item {item.link or item.guid or '?'}"
        if not fields["body"].strip():
            reason = Reason.PAGE_UNAVAILABLE if page_error else Reason.NO_TEXT
            detail = f"page {item.link}: {page_error}" if page_error else "neither the page nor the feed item has text"
            return dead_letter(self._item_json(item), reason=reason, detail=detail, stage=Stage.PRODUCE, origin=origin)
        return prepare(SourceItem(origin=origin, fields=fields))

    @staticmethod
    def _item_json(item: FeedItem) -> str:
        return orjson.dumps(item.__dict__).decode()

    def _send(self, result: RawArticle | DeadLetter) -> None:
        if isinstance(result, RawArticle):
            self.stats.articles += 1
            self._emit.send_article(result)
        else:
            self.stats.dead_letters += 1
            self.stats.reasons[str(result.reason)] = self.stats.reasons.get(str(result.reason), 0) + 1
            log.warning("dead letter %s: %s (%s)", result.origin, result.reason, result.detail)
            self._emit.send_dead_letter(result)
