"""The poller's decisions with an in-memory fetcher (our own FeedFetcher interface) and in-memory state: what is
new, updated or seen, when pages are fetched, how failures and empty pages end. HTTP itself is tested against a
real server in tests/integration/feeds."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from producers.feeds.config import FeedConfig
from producers.feeds.health import HealthPolicy
from producers.feeds.poller import Poller, PollPolicy
from producers.feeds.state import MemoryStateStore
from producers.feeds.types import FailureKind, FetchResult
from schemas import DeadLetter, RawArticle

HEALTH = HealthPolicy(
    default_interval_s=600, min_interval_s=60, max_interval_s=3600, faster=0.75, slower=1.5, disable_score=3.0,
    disabled_probe_s=86400, seen_max=100,
)  # fmt: skip
POLICY = PollPolicy(
    feeds_in_flight=4, new_items_max=50, page_attempts_max=2, sitemap_children_max=2, tick_s=0.1, commit_every_s=1
)
FEED = "https://akhbar-test.example/rss"
BODY = (
    "قالت وزارة الزراعة إن موسم قطف الزيتون بدأ مبكرا هذا العام بسبب ارتفاع درجات الحرارة في الخريف. "
    "وأضافت أن الإنتاج المتوقع يزيد على العام الماضي بنحو الخمس، وأن المعاصر فتحت أبوابها قبل موعدها المعتاد. "
    "ودعت المزارعين إلى تسجيل محاصيلهم لدى الجمعيات التعاونية للحصول على أسعار عادلة."
)


def rss(items: list[tuple[str, str, str]]) -> bytes:
    """(guid, link, title) items with a one-sentence teaser each."""
    entries = "".join(
        f"<item><guid>{g}</guid><link>{escape(link)}</link><title>{escape(t)}</title>"
        f"<description>موجز الخبر: {escape(t)}</description></item>"
        for g, link, t in items
    )
    xml = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>ت</title><language>ar</language>{entries}</channel></rss>'
    return xml.encode()


def page(title: str) -> bytes:
    paragraphs = "".join(f"<p>{s}.</p>" for s in BODY.split(". "))
    return (
        f'<html lang="ar"><head><meta charset="utf-8"><title>{title}</title></head><body>'
        f"<nav><a href='/'>الرئيسية</a></nav><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


@dataclass
class FakeFetcher:
    feeds: dict[str, FetchResult] = field(default_factory=dict)
    pages: dict[str, FetchResult] = field(default_factory=dict)
    page_calls: list[str] = field(default_factory=list)

    async def fetch_feed(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        return self.feeds[url]

    async def fetch_page(self, url: str) -> FetchResult:
        self.page_calls.append(url)
        return self.pages[url]


@dataclass
class ListEmit:
    articles: list[RawArticle] = field(default_factory=list)
    letters: list[DeadLetter] = field(default_factory=list)
    flushes: int = 0

    def send_article(self, article: RawArticle) -> None:
        self.articles.append(article)

    def send_dead_letter(self, letter: DeadLetter) -> None:
        self.letters.append(letter)

    def flush(self) -> None:
        self.flushes += 1


def ok(url: str, body: bytes, ctype: str = "application/rss+xml") -> FetchResult:
    return FetchResult(url=url, final_url=url, status=200, body=body, content_type=ctype, charset="utf-8")


def link(n: int) -> str:
    return f"https://akhbar-test.example/news/{n}"


def setup(
    items: list[tuple[str, str, str]], *, fetch: str = "auto"
) -> tuple[Poller, FakeFetcher, ListEmit, MemoryStateStore]:
    fetcher = FakeFetcher(feeds={FEED: ok(FEED, rss(items))})
    for _, url, title in items:
        fetcher.pages[url] = ok(url, page(title), "text/html")
    emit, store = ListEmit(), MemoryStateStore()
    feed = FeedConfig(url=FEED, source="صحيفة الاختبار", fetch=fetch)
    poller = Poller([feed], fetcher=fetcher, store=store, emit=emit, health=HEALTH, policy=POLICY)
    return poller, fetcher, emit, store


def test_new_items_fetch_pages_once_and_a_second_poll_produces_nothing() -> None:
    items = [(f"g{n}", link(n), f"عنوان الخبر رقم {n}") for n in range(3)]
    poller, fetcher, emit, store = setup(items)
    asyncio.run(poller.poll_once())
    assert [a.title for a in emit.articles] == [t for _, _, t in items]  # the feed's order
    assert all("المعاصر فتحت أبوابها" in a.body for a in emit.articles)  # the page's text, not the teaser
    assert sorted(fetcher.page_calls) == sorted(u for _, u, _ in items)
    assert store.get(FeedConfig(url=FEED).key) is not None and emit.flushes >= 1
    fetcher.feeds[FEED] = ok(FEED, rss(items).replace(b"<title>\xd8\xaa</title>", b"<title>new</title>"))
    asyncio.run(poller.poll_once())
    assert len(emit.articles) == 3 and len(fetcher.page_calls) == 3


def test_guid_change_on_same_link_is_the_same_item_and_a_changed_title_is_an_update() -> None:
    items = [("g0", link(0), "العنوان الأول"), ("g1", link(1), "العنوان الثاني")]
    poller, fetcher, emit, _ = setup(items)
    asyncio.run(poller.poll_once())
    fetcher.feeds[FEED] = ok(FEED, rss([("g0-new", link(0), "العنوان الأول"), ("g1", link(1), "العنوان الثاني معدلا")]))
    asyncio.run(poller.poll_once())
    assert poller.stats.items_new == 2 and poller.stats.items_updated == 1
    assert [a.title for a in emit.articles] == ["العنوان الأول", "العنوان الثاني", "العنوان الثاني معدلا"]
    assert emit.articles[1].id == emit.articles[2].id  # the update overwrites the same document


def test_page_without_text_uses_the_feed_text_with_a_flag() -> None:
    items = [("g0", link(0), "خبر بلا صفحة")]
    poller, fetcher, emit, _ = setup(items)
    fetcher.pages[link(0)] = ok(link(0), b"<html><body><nav>menu</nav></body></html>", "text/html")
    asyncio.run(poller.poll_once())
    (article,) = emit.articles
    assert article.flags == ["body_from_feed"] and "موجز الخبر" in article.body


def test_temporary_page_failure_is_retried_then_the_item_goes_with_its_feed_text() -> None:
    items = [("g0", link(0), "خبر صفحته بطيئة")]
    poller, fetcher, emit, _ = setup(items)
    fetcher.pages[link(0)] = FetchResult(url=link(0), final_url=link(0), status=0, error="timeout",
                                         failure=FailureKind.TEMPORARY)  # fmt: skip
    asyncio.run(poller.poll_once())
    assert emit.articles == [] and emit.letters == []  # not given up yet: tried again on the next poll
    asyncio.run(poller.poll_once())
    (article,) = emit.articles
    assert article.flags == ["body_from_feed"] and len(fetcher.page_calls) == 2


def test_no_text_anywhere_is_dead_lettered_and_not_retried() -> None:
    xml = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>x</guid><link>https://akhbar-test.example/news/9</link><title></title></item></channel></rss>'
    poller, fetcher, emit, _ = setup([])
    fetcher.feeds[FEED] = ok(FEED, xml)
    fetcher.pages[link(9)] = ok(link(9), b"<html><body></body></html>", "text/html")
    asyncio.run(poller.poll_once())
    (letter,) = emit.letters
    assert letter.reason == "no_text" and letter.stage == "produce" and "news/9" in (letter.origin or "")
    fetcher.feeds[FEED] = ok(FEED, xml + b" ")
    asyncio.run(poller.poll_once())
    assert len(emit.letters) == 1


def test_fetch_never_uses_feed_text_and_fetches_no_page() -> None:
    items = [("g0", link(0), "خبر من الموجز")]
    poller, fetcher, emit, _ = setup(items, fetch="never")
    asyncio.run(poller.poll_once())
    assert fetcher.page_calls == [] and emit.articles[0].flags == []


def test_hard_failures_disable_the_feed_and_it_is_skipped() -> None:
    poller, fetcher, _emit, _store = setup([])
    fetcher.feeds[FEED] = FetchResult(url=FEED, final_url=FEED, status=410, error="http_410", failure=FailureKind.HARD)
    for _ in range(3):
        asyncio.run(poller.poll_once())
    state = poller.states()[FeedConfig(url=FEED).key]
    assert state.disabled and "http_410" in (state.disabled_reason or "")
    polls = poller.stats.feeds_polled
    asyncio.run(poller.poll_once())
    assert poller.stats.feeds_polled == polls and poller.stats.disabled == 1


def test_html_served_as_feed_is_a_soft_failure() -> None:
    poller, fetcher, emit, _ = setup([])
    fetcher.feeds[FEED] = ok(FEED, b"<html><body><p>not a feed</p></body></html>", "text/html")
    asyncio.run(poller.poll_once())
    state = poller.states()[FeedConfig(url=FEED).key]
    assert state.consecutive_failures == 1 and state.last_error is not None and emit.articles == []
