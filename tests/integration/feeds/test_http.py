"""The fetcher against a real HTTP server on 127.0.0.1: every hostile or unusual answer has a defined outcome.

Conditional GETs and 304s, Retry-After on 429/503 (seconds, HTTP date, capped), 404/410/500, redirects (relative,
loops, too many, to a non-HTTP scheme), slow servers (headers late, a body dripped byte by byte, a body that
never ends within the total budget), oversized bodies (declared, streamed, a gzip bomb), gzip/deflate/br bodies,
a body that lies about its encoding, content types, robots.txt (disallow, 404, 500, cached), the User-Agent,
the per-host concurrency limit and delay, a refused connection, an unknown host, a malformed status line, bad
URLs. Then the poller over the real fetcher: a feed that disappears is disabled with its reason and skipped;
a 429 with Retry-After moves the feed's next poll; a page robots.txt forbids is never fetched and the item goes
out with the feed's text.

No Kafka or Elasticsearch: the fixtures are the server of ``conftest.py`` and the fetcher's own policy.
"""

from __future__ import annotations

import asyncio
import gzip
import time
import zlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import brotli
import pytest
from aiohttp import web

from akhbar.settings import FeedSettings
from akhbar.wiring import feed_policies
from producers.feeds.config import FeedConfig
from producers.feeds.http import Fetcher
from producers.feeds.poller import Poller
from producers.feeds.state import MemoryStateStore
from producers.feeds.types import FailureKind, FetchPolicy, FetchResult
from schemas import DeadLetter, RawArticle
from tests.integration.feeds.conftest import FeedServer, Handler

pytestmark = pytest.mark.integration

# The settings' defaults, with the waits a test can afford: no gap between a host's requests unless a test sets
# one, and timeouts of seconds.
BASE, HEALTH, POLL = feed_policies(FeedSettings())
POLICY = replace(BASE, per_host_delay_s=0.0, connect_timeout_s=2.0, read_timeout_s=1.0, total_timeout_s=5.0)

RSS = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>نشرة الاختبار</title>'
    "<language>ar</language><item><guid>n1</guid><link>{link}</link><title>افتتاح معرض للكتاب في المدينة</title>"
    "<description>افتتح معرض الكتاب أبوابه صباح اليوم بمشاركة مئتي دار نشر.</description></item></channel></rss>"
)
PAGE = (
    '<html lang="ar"><head><meta charset="utf-8"><title>افتتاح معرض للكتاب</title></head><body>'
    "<nav><a href='/'>الرئيسية</a> <a href='/sport'>رياضة</a></nav><article><h1>افتتاح معرض للكتاب</h1>"
    "<p>افتتح معرض الكتاب السنوي أبوابه صباح اليوم في قاعة المعارض الكبرى بمشاركة مئتي دار نشر عربية.</p>"
    "<p>وقال مدير المعرض إن الدورة الحالية تخصص جناحا لكتب الأطفال وآخر للترجمة من اللغات الآسيوية.</p>"
    "<p>ويستمر المعرض عشرة أيام، وتقام على هامشه ندوات يومية وأمسيات شعرية.</p></article>"
    "<footer>جميع الحقوق محفوظة</footer></body></html>"
)


def fetch(policy: FetchPolicy, *urls: str, page: bool = False, **conditional: str) -> list[FetchResult]:
    """GET each URL, concurrently, on one fetcher (so host turns and robots.txt are shared between them)."""

    async def run() -> list[FetchResult]:
        async with Fetcher(policy) as fetcher:
            if page:
                return list(await asyncio.gather(*(fetcher.fetch_page(u) for u in urls)))
            return list(await asyncio.gather(*(fetcher.fetch_feed(u, **conditional) for u in urls)))

    return asyncio.run(run())


def one(policy: FetchPolicy, url: str, *, page: bool = False, **conditional: str) -> FetchResult:
    return fetch(policy, url, page=page, **conditional)[0]


# -- conditional GETs ---------------------------------------------------------------------------------------------
def test_etag_and_last_modified_give_a_304_with_the_validators_kept(feed_server: FeedServer) -> None:
    lm = "Wed, 02 Dec 2026 08:00:00 GMT"
    feed_server.route("/feed.xml", body=RSS.format(link="x"), etag='"v1"', last_modified=lm)
    first = one(POLICY, feed_server.url("/feed.xml"))
    assert first.error is None and first.status == 200 and first.etag == '"v1"' and first.last_modified == lm
    assert first.content_type == "application/rss+xml" and first.charset == "utf-8" and b"<rss" in first.body

    again = one(POLICY, feed_server.url("/feed.xml"), etag='"v1"', last_modified=lm)
    assert again.not_modified and again.error is None and again.body == b""
    assert (again.etag, again.last_modified) == ('"v1"', lm)
    sent = feed_server.requests("/feed.xml")[1]
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"] == lm
    assert sent["User-Agent"] == POLICY.user_agent and "application/rss+xml" in sent["Accept"]

    only_date = one(POLICY, feed_server.url("/feed.xml"), last_modified=lm)  # a server without ETags
    assert only_date.not_modified and only_date.last_modified == lm
    changed = one(POLICY, feed_server.url("/feed.xml"), etag='"v0"')  # a stale validator: the whole body again
    assert changed.status == 200 and changed.etag == '"v1"' and changed.body


# -- status codes -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "error", "failure"),
    [
        (404, "http_404", FailureKind.HARD),
        (410, "http_410", FailureKind.HARD),
        (500, "http_500", FailureKind.SOFT),
        (502, "http_502", FailureKind.SOFT),
        (403, "http_403", FailureKind.SOFT),
        (503, "http_503", FailureKind.TEMPORARY),
        (429, "http_429", FailureKind.TEMPORARY),
    ],
)
def test_error_statuses_are_weighed(feed_server: FeedServer, status: int, error: str, failure: FailureKind) -> None:
    feed_server.route("/feed.xml", status=status, body="<html>error</html>", content_type="text/html")
    result = one(POLICY, feed_server.url("/feed.xml"))
    assert (result.status, result.error, result.failure, result.body) == (status, error, failure, b"")
    assert result.retry_after_s is None


def test_retry_after_seconds_on_429_holds_back_every_request_to_the_host(feed_server: FeedServer) -> None:
    feed_server.route("/busy.xml", status=429, headers={"Retry-After": "2"})
    feed_server.route("/other.xml", body=RSS.format(link="x"))

    async def run() -> tuple[FetchResult, FetchResult, float]:
        async with Fetcher(POLICY) as fetcher:
            busy = await fetcher.fetch_feed(feed_server.url("/busy.xml"))
            started = time.monotonic()
            other = await fetcher.fetch_feed(feed_server.url("/other.xml"))
            return busy, other, time.monotonic() - started

    busy, other, waited = asyncio.run(run())
    assert busy.error == "http_429" and busy.failure is FailureKind.TEMPORARY and busy.retry_after_s == 2.0
    assert other.error is None and 1.8 <= waited < 4.0  # the same host waited out the Retry-After


def test_retry_after_date_on_503_and_the_cap(feed_server: FeedServer) -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    feed_server.route("/down.xml", status=503, headers={"Retry-After": soon})
    feed_server.route("/forever.xml", status=429, headers={"Retry-After": "999999"})
    feed_server.route("/nonsense.xml", status=503, headers={"Retry-After": "soon, maybe"})
    capped = replace(POLICY, retry_after_max_s=1.0)
    down, forever, nonsense = (one(capped, feed_server.url(p)) for p in ("/down.xml", "/forever.xml", "/nonsense.xml"))
    assert down.retry_after_s == 1.0 and forever.retry_after_s == 1.0  # both capped at the policy's maximum
    assert nonsense.retry_after_s is None and nonsense.failure is FailureKind.TEMPORARY
    uncapped = one(POLICY, feed_server.url("/down.xml"))
    assert uncapped.retry_after_s is not None and 25.0 <= uncapped.retry_after_s <= 30.0


# -- redirects ----------------------------------------------------------------------------------------------------
def test_redirects_are_followed_hop_by_hop_up_to_the_limit(feed_server: FeedServer) -> None:
    feed_server.route("/final.xml", body=RSS.format(link="x"))
    for n in range(1, 7):  # /r1 -> /r2 -> ... -> /r6 -> /final.xml; /rN is N hops from the feed
        target = "/final.xml" if n == 1 else f"r{n - 1}"  # relative Locations too
        feed_server.route(f"/r{n}", status=301 if n % 2 else 307, headers={"Location": target})
    five = one(POLICY, feed_server.url("/r5"))
    assert five.error is None and five.status == 200 and five.final_url == feed_server.url("/final.xml")
    assert five.url == feed_server.url("/r5")
    six = one(POLICY, feed_server.url("/r6"))
    assert (six.error, six.failure, six.status) == ("too_many_redirects", FailureKind.HARD, 0)
    assert feed_server.hits("/final.xml") == 1  # the sixth redirect was never followed


def test_redirect_loop_and_redirect_to_another_scheme(feed_server: FeedServer) -> None:
    feed_server.route("/a", status=302, headers={"Location": "/b"})
    feed_server.route("/b", status=302, headers={"Location": feed_server.url("/a")})
    feed_server.route("/ftp", status=301, headers={"Location": "ftp://127.0.0.1/feed.xml"})
    loop = one(POLICY, feed_server.url("/a"))
    assert (loop.error, loop.failure) == ("redirect_loop", FailureKind.HARD)
    assert feed_server.hits("/a") == 1 and feed_server.hits("/b") == 1
    ftp = one(POLICY, feed_server.url("/ftp"))
    assert (ftp.error, ftp.failure) == ("bad_redirect", FailureKind.HARD)


# -- slow servers -------------------------------------------------------------------------------------------------
def drip(every_s: float, chunks: int) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        for _ in range(chunks):
            await response.write(b" ")
            await asyncio.sleep(every_s)
        await response.write(RSS.format(link="x").encode())
        await response.write_eof()
        return response

    return handler


def test_headers_that_never_come_time_out(feed_server: FeedServer) -> None:
    feed_server.route("/late.xml", body=RSS.format(link="x"), delay_s=10.0)
    started = time.monotonic()
    result = one(POLICY, feed_server.url("/late.xml"))
    assert (result.error, result.failure, result.status) == ("timeout", FailureKind.TEMPORARY, 0)
    assert time.monotonic() - started < POLICY.read_timeout_s + 2.0


def test_slow_loris_body_is_cut_by_the_read_and_the_total_timeouts(feed_server: FeedServer) -> None:
    feed_server.route("/silent.xml", handler=drip(every_s=3.0, chunks=5))  # silence longer than read_timeout_s
    feed_server.route("/dripping.xml", handler=drip(every_s=0.3, chunks=100))  # never silent long, never done
    started = time.monotonic()
    silent = one(POLICY, feed_server.url("/silent.xml"))
    assert (silent.error, silent.failure) == ("timeout", FailureKind.TEMPORARY)
    assert time.monotonic() - started < POLICY.read_timeout_s + 2.0
    tight = replace(POLICY, total_timeout_s=2.0)
    started = time.monotonic()
    dripping = one(tight, feed_server.url("/dripping.xml"))
    assert (dripping.error, dripping.failure) == ("timeout", FailureKind.TEMPORARY)
    assert 1.9 <= time.monotonic() - started < 4.0  # the whole request's budget, not each read's


# -- sizes and encodings ------------------------------------------------------------------------------------------
def test_declared_and_streamed_oversized_bodies(feed_server: FeedServer) -> None:
    small = replace(POLICY, max_bytes=64 * 1024)
    feed_server.route("/declared.xml", body=b"<rss>" + b"x" * 200_000 + b"</rss>")  # Content-Length says it

    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(100):
            await response.write(b"y" * 16_384)
        await response.write_eof()
        return response

    feed_server.route("/streamed.xml", handler=chunked)
    feed_server.route("/page.html", body=PAGE.encode() + b"<!--" + b"z" * 200_000 + b"-->", content_type="text/html")
    declared, streamed = (one(small, feed_server.url(p)) for p in ("/declared.xml", "/streamed.xml"))
    assert (declared.error, declared.failure, declared.body) == ("too_large", FailureKind.SOFT, b"")
    assert (streamed.error, streamed.failure, streamed.body) == ("too_large", FailureKind.SOFT, b"")
    page = one(small, feed_server.url("/page.html"), page=True)
    assert page.error == "too_large"
    assert one(POLICY, feed_server.url("/streamed.xml")).body == b"y" * 16_384 * 100  # within 10 MB: read whole


def test_a_gzip_bomb_is_cut_at_the_limit_without_inflating_it_whole(feed_server: FeedServer) -> None:
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)  # 200 MB of zeros in ~200 KB
    assert len(bomb) < 300_000
    feed_server.route("/bomb.xml", body=bomb, headers={"Content-Encoding": "gzip"})

    async def run() -> tuple[FetchResult, int]:
        async with Fetcher(POLICY) as fetcher:
            result = await fetcher.fetch_feed(feed_server.url("/bomb.xml"))
            return result, fetcher.stats.bytes

    result, inflated = asyncio.run(run())
    assert (result.error, result.failure) == ("too_large", FailureKind.SOFT)
    assert POLICY.max_bytes < inflated <= POLICY.max_bytes + 2 * 1024 * 1024  # stopped just past 10 MB, not 200


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compressed_bodies_are_inflated(feed_server: FeedServer, encoding: str) -> None:
    body = RSS.format(link="x").encode()
    packed = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[encoding](body)
    feed_server.route("/feed.xml", body=packed, headers={"Content-Encoding": encoding})
    result = one(POLICY, feed_server.url("/feed.xml"))
    assert result.error is None and result.body == body
    assert "br" in feed_server.requests("/feed.xml")[0]["Accept-Encoding"]  # we ask for every one we can read


def test_a_body_that_lies_about_its_encoding_and_a_gzipped_sitemap_file(feed_server: FeedServer) -> None:
    feed_server.route("/liar.xml", body=b"this is not gzip at all", headers={"Content-Encoding": "gzip"})
    liar = one(POLICY, feed_server.url("/liar.xml"))
    assert (liar.error, liar.failure) == ("decode", FailureKind.SOFT)
    sitemap = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>'
    feed_server.route("/sitemap.xml.gz", body=gzip.compress(sitemap), content_type="application/gzip")
    feed_server.route("/broken.xml.gz", body=b"\x1f\x8bnot really", content_type="application/gzip")
    assert one(POLICY, feed_server.url("/sitemap.xml.gz")).body == sitemap  # a gzip file, inflated for the parser
    broken = one(POLICY, feed_server.url("/broken.xml.gz"))
    assert (broken.error, broken.failure) == ("decode", FailureKind.SOFT)


def test_content_types(feed_server: FeedServer) -> None:
    feed_server.route("/logo.png", body=b"\x89PNG\r\n\x1a\n" + b"\0" * 100, content_type="image/png")
    feed_server.route("/report.pdf", body=b"%PDF-1.7", content_type="application/pdf")
    feed_server.route("/odd", body=RSS.format(link="x"), content_type="application/octet-stream")
    feed_server.route("/page.html", body=PAGE, content_type="text/html; charset=windows-1256")
    feed_server.route("/page.xhtml", body=PAGE, content_type="application/xhtml+xml")
    for path in ("/logo.png", "/report.pdf"):
        result = one(POLICY, feed_server.url(path))
        assert (result.error, result.failure, result.body) == ("content_type", FailureKind.SOFT, b"")
    assert one(POLICY, feed_server.url("/odd")).error is None  # misconfigured feed servers: the parser decides
    page = one(POLICY, feed_server.url("/page.html"), page=True)
    assert page.error is None and page.charset == "windows-1256" and page.content_type == "text/html"
    assert one(POLICY, feed_server.url("/page.xhtml"), page=True).error is None
    for path in ("/logo.png", "/odd"):  # pages want HTML, nothing else
        assert one(POLICY, feed_server.url(path), page=True).error == "content_type"


# -- robots.txt ---------------------------------------------------------------------------------------------------
def test_robots_disallow_is_honoured_for_pages_and_cached(feed_server: FeedServer) -> None:
    feed_server.route(
        "/robots.txt",
        content_type="text/plain",
        body="User-agent: *\nDisallow: /private/\n\nUser-agent: akhbar\nDisallow: /no-akhbar/\n",
    )
    for path in ("/news/1.html", "/news/2.html", "/private/1.html", "/no-akhbar/1.html"):
        feed_server.route(path, body=PAGE, content_type="text/html")
    results = fetch(
        POLICY, *(feed_server.url(p) for p in ("/news/1.html", "/news/2.html", "/private/1.html", "/no-akhbar/1.html")),
        page=True,
    )  # fmt: skip
    # RFC 9309 2.2.1: the group naming our product token is the one we obey, and "*" then does not apply to us
    assert [r.error for r in results] == [None, None, None, "robots_disallowed"]
    assert results[3].failure is FailureKind.HARD
    assert feed_server.hits("/no-akhbar/1.html") == 0 and feed_server.hits("/private/1.html") == 1
    assert feed_server.hits("/robots.txt") == 1  # one fetch for the origin, shared by concurrent pages
    assert feed_server.requests("/robots.txt")[0]["User-Agent"] == POLICY.user_agent
    feed_server.route("/feed.xml", body=RSS.format(link="x"))
    assert one(POLICY, feed_server.url("/feed.xml")).error is None  # feeds are not page fetches
    assert feed_server.hits("/robots.txt") == 1


def test_robots_404_allows_and_robots_500_holds_pages_back(feed_server_factory: Callable[[], FeedServer]) -> None:
    missing, broken = feed_server_factory(), feed_server_factory()
    for server in (missing, broken):
        server.route("/news/1.html", body=PAGE, content_type="text/html")
    broken.route("/robots.txt", status=500, body="oops", content_type="text/plain")
    allowed = one(POLICY, missing.url("/news/1.html"), page=True)
    assert allowed.error is None and missing.hits("/robots.txt") == 1  # 404: no rules, everything allowed
    held = fetch(POLICY, broken.url("/news/1.html"), broken.url("/news/1.html?again"), page=True)
    assert [r.error for r in held] == ["robots_unreachable", "robots_unreachable"]
    assert held[0].failure is FailureKind.TEMPORARY
    assert broken.hits("/news/1.html") == 0 and broken.hits("/robots.txt") == 1  # not asked again per page


# -- manners ------------------------------------------------------------------------------------------------------
def test_per_host_concurrency_and_delay(feed_server_factory: Callable[[], FeedServer]) -> None:
    first, second = feed_server_factory(), feed_server_factory()  # two ports: two hosts for the fetcher
    for server in (first, second):
        for n in range(6):
            server.route(f"/f{n}.xml", body=RSS.format(link="x"), delay_s=0.4)
    urls = [s.url(f"/f{n}.xml") for s in (first, second) for n in range(6)]
    started = time.monotonic()
    results = fetch(POLICY, *urls)
    took = time.monotonic() - started
    assert all(r.error is None for r in results)
    assert first.max_concurrent("/f") == 2 and second.max_concurrent("/f") == 2  # the default limit per host
    assert 1.1 <= took < 3.0  # 6 requests, 2 at a time, 0.4 s each: ~1.2 s, both hosts at once (not ~2.4 s)

    spaced = replace(POLICY, per_host_delay_s=0.3)
    for n in range(4):
        first.route(f"/g{n}.xml", body=RSS.format(link="x"))
    started = time.monotonic()
    fetch(spaced, *(first.url(f"/g{n}.xml") for n in range(4)))
    assert time.monotonic() - started >= 0.85  # four starts at least 0.3 s apart: 0.9 s


def test_refused_unknown_host_malformed_answer_and_bad_urls(feed_server: FeedServer) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()
        writer.close()

    async def run() -> list[FetchResult]:
        server = await asyncio.start_server(garbage, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        closed = await asyncio.start_server(garbage, "127.0.0.1", 0)  # a port nobody listens on any more
        closed_port = closed.sockets[0].getsockname()[1]
        closed.close()
        await closed.wait_closed()
        async with server, Fetcher(POLICY) as fetcher:
            return [
                await fetcher.fetch_feed(f"http://127.0.0.1:{closed_port}/feed.xml"),
                await fetcher.fetch_feed("http://akhbar-feed-test.invalid/feed.xml"),
                await fetcher.fetch_feed(f"http://127.0.0.1:{port}/feed.xml"),
                await fetcher.fetch_feed("ftp://127.0.0.1/feed.xml"),
                await fetcher.fetch_feed("not a url at all"),
                await fetcher.fetch_page("/relative/page.html"),
            ]

    refused, unknown, malformed, ftp, nonsense, relative = asyncio.run(run())
    assert (refused.error, refused.failure, refused.status) == ("connection", FailureKind.TEMPORARY, 0)
    assert (unknown.error, unknown.failure) == ("dns", FailureKind.HARD)
    assert (malformed.error, malformed.failure) == ("protocol", FailureKind.SOFT)
    assert [(r.error, r.failure) for r in (ftp, nonsense, relative)] == [("bad_url", FailureKind.HARD)] * 3


# -- the poller over the real fetcher -----------------------------------------------------------------------------
class ListEmit:
    def __init__(self) -> None:
        self.articles: list[RawArticle] = []
        self.letters: list[DeadLetter] = []

    def send_article(self, article: RawArticle) -> None:
        self.articles.append(article)

    def send_dead_letter(self, letter: DeadLetter) -> None:
        self.letters.append(letter)

    def flush(self) -> None:
        return None


def poll(feed: FeedConfig, polls: int, store: MemoryStateStore, emit: ListEmit) -> Poller:
    async def run() -> Poller:
        async with Fetcher(POLICY) as fetcher:
            poller = Poller([feed], fetcher=fetcher, store=store, emit=emit, health=HEALTH, policy=POLL)
            for _ in range(polls):
                await poller.poll_once()
            return poller

    return asyncio.run(run())


def test_a_feed_that_disappears_is_disabled_with_its_reason_and_not_polled_again(feed_server: FeedServer) -> None:
    feed_server.route("/news/1.html", body=PAGE, content_type="text/html")
    feed_server.route("/feed.xml", body=RSS.format(link=feed_server.url("/news/1.html")), etag='"a"')
    feed = FeedConfig(url=feed_server.url("/feed.xml"), source="نشرة الاختبار")
    store, emit = MemoryStateStore(), ListEmit()
    poll(feed, 1, store, emit)
    assert [a.title for a in emit.articles] == ["افتتاح معرض للكتاب في المدينة"]
    assert "قاعة المعارض الكبرى" in emit.articles[0].body  # from the page, not the feed's teaser

    feed_server.remove("/feed.xml")  # the outlet drops the feed: 404 from now on
    poller = poll(feed, 5, store, emit)
    state = poller.states()[feed.key]
    assert state.disabled and state.disabled_reason is not None and "http_404" in state.disabled_reason
    assert feed_server.hits("/feed.xml") == 1 + 3  # three hard failures disable it; polls 4 and 5 skip it
    assert state.last_status == 404 and len(emit.articles) == 1 and not emit.letters


def test_a_429_with_retry_after_moves_the_next_poll(feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", status=429, headers={"Retry-After": "1800"})
    feed = FeedConfig(url=feed_server.url("/feed.xml"))
    before = time.time()
    state = poll(feed, 1, MemoryStateStore(), ListEmit()).states()[feed.key]
    assert state.last_error == "http_429" and not state.disabled
    assert state.next_poll_at >= before + 1800 - 1  # not before the server said


def test_a_page_robots_forbids_is_never_fetched_and_the_item_keeps_its_feed_text(feed_server: FeedServer) -> None:
    feed_server.route("/robots.txt", body="User-agent: *\nDisallow: /news/\n", content_type="text/plain")
    feed_server.route("/news/1.html", body=PAGE, content_type="text/html")
    feed_server.route("/feed.xml", body=RSS.format(link=feed_server.url("/news/1.html")))
    feed = FeedConfig(url=feed_server.url("/feed.xml"), fetch="always")
    emit = ListEmit()
    poll(feed, 1, MemoryStateStore(), emit)
    assert feed_server.hits("/news/1.html") == 0
    (article,) = emit.articles
    assert article.flags == ["body_from_feed"] and "مئتي دار نشر" in article.body
