"""Bounded, polite HTTP GETs for feeds, sitemaps and article pages: one aiohttp session for every host.

``Fetcher`` is used from one asyncio loop polling hundreds of feeds at once. Every GET:

* sends ``User-Agent: policy.user_agent`` and an ``Accept`` for what it wants; ``fetch_feed`` makes conditional
  GETs (``If-None-Match`` / ``If-Modified-Since``), a 304 is a success (``not_modified``, ``error`` None);
* waits for its host's turn: at most ``per_host_concurrency`` requests in flight per host (scheme, name and
  port), starts at least ``per_host_delay_s`` apart, none before the host's not-before time (below), and at most
  ``max_connections`` sockets over all hosts. Waiting for a turn is not part of any timeout;
* is bounded: ``connect_timeout_s`` (DNS, TCP and TLS), ``read_timeout_s`` between two reads of the response
  (a server dripping a byte now and then ends in "timeout"), ``total_timeout_s`` for the time on the wire of the
  whole request (every redirect hop's, from its turn to its last byte), ``max_redirects`` (followed here, hop by
  hop, so each hop takes its host's turn and, for pages, its host's robots.txt), ``max_bytes`` of body after
  decompression (gzip, deflate and br: aiohttp inflates in bounded steps, so a gzip bomb is cut at the limit
  without ever being inflated whole);
* never raises for network or HTTP trouble: the ``FetchResult`` says ``error`` and ``failure`` (see
  ``_status_failure`` and ``_exception_failure`` for the mapping). The fetcher does not retry: the poller polls
  again later.

Retry-After (delta-seconds or HTTP-date, on any response) is capped at ``retry_after_max_s`` and returned as
``retry_after_s``. A 429 or 503 carrying one also sets the host's not-before time: every later request to that host
(feeds, pages, robots.txt) waits until then, at most ``retry_after_max_s`` from the answer. A 429/503 without
Retry-After sets no wait: the poller's backoff of the TEMPORARY failure handles it.

robots.txt (pages only, RFC 9309, parsed with ``urllib.robotparser`` against ``policy.user_agent``) is fetched
through the same session and host turns, one fetch per origin at a time, and trusted for ``robots_ttl_s``:

* 2xx: its rules (the first ``ROBOTS_MAX_BYTES``); a disallowed page is "robots_disallowed" (HARD: asking again
  will not help until the site changes its rules);
* 4xx other than 429 (404, 410, 401, 403...), or too many redirects: no rules, every page allowed (RFC 9309
  2.3.1.3; Google does the same);
* 429, 5xx, or no answer (timeout, refused, DNS, TLS): unreachable, so no page of the origin is fetched for now
  (RFC 9309 2.3.1.4; Google treats 5xx as "disallow all for now"). The last good rules of the origin are used if
  it had any; otherwise pages fail with "robots_unreachable" (TEMPORARY) after an HTTP answer, or with the
  robots.txt fetch's own error (e.g. "dns", "timeout"). The verdict is kept ``ROBOTS_RETRY_S`` (or the robots
  answer's Retry-After), so a broken host is not asked again for every page.

Feed bodies served as a gzip file (``application/gzip``: ``sitemap.xml.gz``) are inflated here, within
``max_bytes``, so the parser always gets the document. Bodies are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from types import TracebackType
from typing import NamedTuple, Self
from urllib.robotparser import RobotFileParser

import aiohttp
from aiohttp.http_exceptions import ContentEncodingError
from yarl import URL

from producers.feeds.types import FailureKind, FetchPolicy, FetchResult

log = logging.getLogger(__name__)

# What each kind of GET asks for: feed formats first, sitemaps and JSON next, anything else last (the parser
# reports an HTML page as "not_a_feed"); article pages want HTML.
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Media types no feed or sitemap is served as (a missing or odd type such as application/octet-stream passes:
# misconfigured servers send feeds that way, and the parser decides).
NOT_FEED_PREFIXES = ("image/", "audio/", "video/", "font/", "model/")
NOT_FEED_TYPES = frozenset(
    {
        "application/pdf",
        "application/zip",
        "application/x-zip-compressed",
        "application/vnd.rar",
        "application/x-rar-compressed",
        "application/x-7z-compressed",
        "application/x-tar",
        "application/java-archive",
        "application/wasm",
        "application/x-shockwave-flash",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
    }
)
GZIP_FILE_TYPES = frozenset({"application/gzip", "application/x-gzip"})  # a gzipped sitemap, not an encoding
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 asks parsers to read at least 500 KiB; Google ignores what follows
ROBOTS_RETRY_S = 60.0  # an unreachable robots.txt is asked again after a minute, not for every page of its host
# News sites send long Content-Security-Policy and Set-Cookie headers; aiohttp's 8 KiB per header line refused
# some of them as malformed responses.
MAX_HEADER_BYTES = 32 * 1024
READ_CHUNK_BYTES = 64 * 1024  # one read of the (decompressed) body; the limit is checked after each


class _Kind(Enum):
    FEED = "feed"
    PAGE = "page"
    ROBOTS = "robots"


@dataclass
class FetchStats:
    """What the fetcher did since it was opened, for metrics. Every HTTP request counts, each redirect hop and
    each robots.txt included."""

    requests: int = 0  # requests sent
    bytes: int = 0  # body bytes read, after decompression
    not_modified: int = 0  # fetch_feed results that were 304
    by_status_class: dict[str, int] = field(default_factory=dict)  # "2xx".."5xx" per response; "none": no response
    errors: dict[str, int] = field(default_factory=dict)  # fetch_feed/fetch_page results by error reason


@dataclass
class _Host:
    """One host's manners: its request slots, when the next request may start, and when a 429/503 let it be."""

    slots: asyncio.Semaphore
    next_start: float = 0.0  # loop time
    not_before: float = 0.0  # loop time


@dataclass(frozen=True)
class _Robots:
    """An origin's robots.txt verdict until ``expires`` (loop time): rules, or why none could be read."""

    expires: float
    rules: RobotFileParser | None  # None: unreachable with no earlier rules to fall back on
    failure: FetchResult | None = None  # the robots.txt fetch that failed, when rules is None


class _Redirect(NamedTuple):
    location: str


class _Budget:
    """Time on the wire left for one request, over all its hops."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds


class Fetcher:
    """One aiohttp session and connection pool for every host; ``async with Fetcher(policy) as fetcher:``."""

    def __init__(self, policy: FetchPolicy) -> None:
        self._policy = policy
        self.stats = FetchStats()
        self._session: aiohttp.ClientSession | None = None
        self._sockets = asyncio.Semaphore(policy.max_connections)
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, _Robots] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}

    async def __aenter__(self) -> Self:
        p = self._policy
        # The pool never makes a request wait (our own slots keep it under its limit), so "connect" is DNS, TCP
        # and TLS only; cookies are not kept: every fetch is the same stateless GET.
        connector = aiohttp.TCPConnector(limit=p.max_connections, limit_per_host=0)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None, connect=p.connect_timeout_s, sock_read=p.read_timeout_s),
            headers={"User-Agent": p.user_agent},
            cookie_jar=aiohttp.DummyCookieJar(),
            max_line_size=MAX_HEADER_BYTES,
            max_field_size=MAX_HEADER_BYTES,
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch_feed(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """A conditional GET of a feed or sitemap. On 304 the validators sent are returned unless the answer
        brought new ones."""
        headers = {"Accept": FEED_ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        result = await self._fetch(url, headers, _Kind.FEED)
        if result.not_modified:
            self.stats.not_modified += 1
            result = replace(result, etag=result.etag or etag, last_modified=result.last_modified or last_modified)
        return result

    async def fetch_page(self, url: str) -> FetchResult:
        """A GET of an article page, when its origin's robots.txt allows it; HTML only."""
        return await self._fetch(url, {"Accept": PAGE_ACCEPT}, _Kind.PAGE)

    # -- one request, all its hops ----------------------------------------------------------------------------
    async def _fetch(self, url: str, headers: dict[str, str], kind: _Kind) -> FetchResult:
        started = time.monotonic()
        result = await self._follow(url, headers, kind)
        result = replace(result, elapsed_s=time.monotonic() - started)
        if result.error is not None:
            self.stats.errors[result.error] = self.stats.errors.get(result.error, 0) + 1
        log.debug("%s %s: status %s, error %s, %.2fs", kind.value, url, result.status, result.error, result.elapsed_s)
        return result

    async def _follow(self, url: str, headers: dict[str, str], kind: _Kind) -> FetchResult:
        """Follow redirects by hand: each hop takes its host's turn (and robots.txt for pages); a URL seen
        before is a loop."""
        try:
            current = _http_url(url)
        except ValueError:
            return FetchResult(url=url, final_url=url, status=0, error="bad_url", failure=FailureKind.HARD)
        seen = {str(current)}
        budget = _Budget(self._policy.total_timeout_s)
        for _ in range(self._policy.max_redirects + 1):
            if kind is _Kind.PAGE and (refused := await self._robots_refusal(url, current)) is not None:
                return refused
            outcome = await self._hop(url, current, headers, kind, budget)
            if not isinstance(outcome, _Redirect):
                return outcome
            try:
                current = _http_url(str(current.join(URL(outcome.location))))
            except ValueError:
                return _failed(url, current, 0, "bad_redirect", FailureKind.HARD)
            if str(current) in seen:
                return _failed(url, current, 0, "redirect_loop", FailureKind.HARD)
            seen.add(str(current))
        return _failed(url, current, 0, "too_many_redirects", FailureKind.HARD)

    async def _hop(
        self, url: str, current: URL, headers: dict[str, str], kind: _Kind, budget: _Budget
    ) -> FetchResult | _Redirect:
        """One GET of ``current``, in its host's turn, within what is left of the request's time."""
        assert self._session is not None, "use Fetcher inside `async with`"
        host = self._host(current)
        async with self._turn(host):
            self.stats.requests += 1
            loop = asyncio.get_running_loop()
            began = loop.time()
            try:
                async with asyncio.timeout(budget.left):
                    async with self._session.get(current, headers=headers, allow_redirects=False) as resp:
                        return await self._answer(url, current, resp, kind, host)
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                self._count_status(0)
                error, failure = _exception_failure(exc)
                return _failed(url, current, 0, error, failure)
            finally:
                budget.left -= loop.time() - began

    async def _answer(
        self, url: str, current: URL, resp: aiohttp.ClientResponse, kind: _Kind, host: _Host
    ) -> FetchResult | _Redirect:
        self._count_status(resp.status)
        retry_after = _retry_after(resp.headers.get("Retry-After"), self._policy.retry_after_max_s, datetime.now(UTC))
        if retry_after is not None and resp.status in (429, 503):
            host.not_before = max(host.not_before, asyncio.get_running_loop().time() + retry_after)
        if resp.status in REDIRECT_STATUSES and "Location" in resp.headers:
            return _Redirect(resp.headers["Location"])
        content_type, charset = _media_type(resp.headers.get("Content-Type"))
        etag, last_modified = resp.headers.get("ETag"), resp.headers.get("Last-Modified")
        final = str(current)
        if resp.status == 304:
            return FetchResult(url, final, 304, etag=etag, last_modified=last_modified, retry_after_s=retry_after)
        if not 200 <= resp.status < 300:
            failure = _status_failure(resp.status)
            return FetchResult(
                url, final, resp.status, retry_after_s=retry_after, error=f"http_{resp.status}", failure=failure
            )
        ok = FetchResult(
            url,
            final,
            resp.status,
            content_type=content_type,
            charset=charset,
            etag=etag,
            last_modified=last_modified,
            retry_after_s=retry_after,
        )
        if not _wanted(kind, content_type):
            return replace(ok, error="content_type", failure=FailureKind.SOFT)
        limit = ROBOTS_MAX_BYTES if kind is _Kind.ROBOTS else self._policy.max_bytes
        identity = resp.headers.get("Content-Encoding", "identity").lower() == "identity"
        if identity and resp.content_length is not None and resp.content_length > limit and kind is not _Kind.ROBOTS:
            return replace(ok, error="too_large", failure=FailureKind.SOFT)
        body, cut = await self._read(resp, limit)
        if cut and kind is not _Kind.ROBOTS:  # robots.txt: the rules in the first ROBOTS_MAX_BYTES count
            return replace(ok, error="too_large", failure=FailureKind.SOFT)
        if kind is _Kind.FEED and content_type in GZIP_FILE_TYPES and body[:2] == b"\x1f\x8b":
            return _gunzip(ok, body, limit)
        return replace(ok, body=body)

    async def _read(self, resp: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
        """The body, decompressed, in chunks: its first ``limit`` bytes and whether there was more."""
        body = bytearray()
        async for chunk in resp.content.iter_chunked(READ_CHUNK_BYTES):
            self.stats.bytes += len(chunk)
            body += chunk
            if len(body) > limit:
                return bytes(body[:limit]), True
        return bytes(body), False

    # -- hosts' turns -----------------------------------------------------------------------------------------
    def _host(self, url: URL) -> _Host:
        key = f"{url.scheme}://{url.host}:{url.port}"
        if (host := self._hosts.get(key)) is None:
            host = self._hosts[key] = _Host(asyncio.Semaphore(self._policy.per_host_concurrency))
        return host

    @contextlib.asynccontextmanager
    async def _turn(self, host: _Host) -> AsyncIterator[None]:
        """Hold one of the host's slots and a socket slot, once the host's not-before time and the gap after its
        last request start have passed. A Retry-After wait holds no socket slot, so other hosts go on."""
        loop = asyncio.get_running_loop()
        async with host.slots:
            while True:
                await _sleep_until(loop, host.not_before)
                async with self._sockets:
                    await _sleep_until(loop, host.next_start)  # at most per_host_delay_s per request ahead
                    now = loop.time()
                    # A 429/503 came meanwhile (wait without the socket slot), or the host's other slot woke for
                    # the same start and took it: wait again.
                    if host.not_before > now or host.next_start > now:
                        continue
                    host.next_start = loop.time() + self._policy.per_host_delay_s
                    yield
                    return

    # -- robots.txt -------------------------------------------------------------------------------------------
    async def _robots_refusal(self, url: str, page: URL) -> FetchResult | None:
        """None when robots.txt lets the page be fetched; else the result that says why not."""
        robots = await self._robots_for(page)
        if robots.rules is not None:
            if robots.rules.can_fetch(self._policy.user_agent, str(page)):
                return None
            return _failed(url, page, 0, "robots_disallowed", FailureKind.HARD)
        failure = robots.failure
        assert failure is not None
        if failure.status == 0:  # no answer at all: the page would fail the same way
            return replace(failure, url=url, final_url=str(page), elapsed_s=0.0)
        return replace(
            _failed(url, page, 0, "robots_unreachable", FailureKind.TEMPORARY), retry_after_s=failure.retry_after_s
        )

    async def _robots_for(self, page: URL) -> _Robots:
        origin = str(page.origin())
        loop = asyncio.get_running_loop()
        if (robots := self._robots.get(origin)) is not None and robots.expires > loop.time():
            return robots
        async with self._robots_locks.setdefault(origin, asyncio.Lock()):  # one fetch per origin at a time
            if (robots := self._robots.get(origin)) is not None and robots.expires > loop.time():
                return robots
            robots_url = str(page.origin().with_path("/robots.txt"))
            result = await self._follow(robots_url, {"Accept": "text/plain, */*;q=0.5"}, _Kind.ROBOTS)
            earlier = robots.rules if robots is not None else None
            self._robots[origin] = robots = self._robots_verdict(result, earlier, loop.time())
            return robots

    def _robots_verdict(self, result: FetchResult, earlier: RobotFileParser | None, now: float) -> _Robots:
        ttl = self._policy.robots_ttl_s
        if result.error is None:
            rules = RobotFileParser()
            rules.parse(result.body.decode("utf-8-sig", errors="replace").splitlines())
            return _Robots(now + ttl, rules)
        reachable_4xx = 400 <= result.status < 500 and result.status != 429
        if reachable_4xx or result.error in ("too_many_redirects", "redirect_loop"):
            rules = RobotFileParser()
            rules.parse([])  # no rules: everything allowed
            return _Robots(now + ttl, rules)
        retry = min(ttl, result.retry_after_s or ROBOTS_RETRY_S)
        return _Robots(now + retry, earlier, None if earlier is not None else result)

    def _count_status(self, status: int) -> None:
        name = f"{status // 100}xx" if status else "none"
        self.stats.by_status_class[name] = self.stats.by_status_class.get(name, 0) + 1


# -- pure helpers ---------------------------------------------------------------------------------------------
def _http_url(url: str) -> URL:
    """The URL to request, without its fragment; ValueError when it is not an absolute http(s) URL."""
    parsed = URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return parsed.with_fragment(None)


def _failed(url: str, current: URL, status: int, error: str, failure: FailureKind) -> FetchResult:
    return FetchResult(url=url, final_url=str(current), status=status, error=error, failure=failure)


def _status_failure(status: int) -> FailureKind:
    """How bad an HTTP error status is: gone (404, 410), busy (429, 503), or broken for now (the rest)."""
    if status in (404, 410):
        return FailureKind.HARD
    if status in (429, 503):
        return FailureKind.TEMPORARY
    return FailureKind.SOFT


def _exception_failure(exc: BaseException) -> tuple[str, FailureKind]:
    """The error reason and kind of a request that got no usable answer."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "dns", FailureKind.HARD
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError | aiohttp.ServerFingerprintMismatch):
        return "tls", FailureKind.HARD
    if isinstance(exc, TimeoutError):  # our deadline, and aiohttp's connect and sock_read timeouts
        return "timeout", FailureKind.TEMPORARY
    if isinstance(exc, aiohttp.ClientPayloadError) and isinstance(exc.__cause__, ContentEncodingError):
        return "decode", FailureKind.SOFT  # a body that does not inflate as its Content-Encoding says
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError | OSError):
        return "connection", FailureKind.TEMPORARY  # refused, reset, closed mid-body
    if isinstance(exc, aiohttp.ClientResponseError):
        return "protocol", FailureKind.SOFT  # a malformed answer (bad status line, oversized headers)
    return "client_error", FailureKind.SOFT


def _media_type(header: str | None) -> tuple[str | None, str | None]:
    """``Content-Type`` as (media type, charset), both lower-case; None for what it does not say."""
    if not header:
        return None, None
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower() or None
    return media.strip().lower() or None, charset


def _wanted(kind: _Kind, content_type: str | None) -> bool:
    if content_type is None or kind is _Kind.ROBOTS:
        return True  # no type said: the parser or the HTML decoder decides; robots.txt is read whatever it says
    if kind is _Kind.PAGE:
        return content_type in PAGE_TYPES
    return not (content_type.startswith(NOT_FEED_PREFIXES) or content_type in NOT_FEED_TYPES)


def _retry_after(value: str | None, cap: float, now: datetime) -> float | None:
    """Retry-After as seconds from now, in [0, cap]; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # isascii: str.isdigit accepts Arabic-Indic digits too
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), cap)


def _gunzip(ok: FetchResult, body: bytes, limit: int) -> FetchResult:
    """A gzip file's content, at most ``limit`` bytes of it (inflated in one bounded step)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        content = inflater.decompress(body, limit + 1)
    except zlib.error:
        return replace(ok, error="decode", failure=FailureKind.SOFT)
    if len(content) > limit:
        return replace(ok, error="too_large", failure=FailureKind.SOFT)
    return replace(ok, body=content)


async def _sleep_until(loop: asyncio.AbstractEventLoop, when: float) -> None:
    if (delay := when - loop.time()) > 0:
        await asyncio.sleep(delay)
