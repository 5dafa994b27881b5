"""The shapes the feed path passes between its parts: what a fetch returned, what a feed said, what a page held,
and the policy that bounds fetching. Plain frozen dataclasses: no I/O here, every part is testable alone.

    config (feeds.toml / OPML) ─▶ poller ─▶ http.Fetcher ─▶ FetchResult ─▶ parse.parse_feed ─▶ ParsedFeed(FeedItem…)
                                      └─▶ http.Fetcher.fetch_page ─▶ decode.decode_html ─▶ extract.extract_page ─▶ PageText
                                      └─▶ health (interval, failures) ─▶ state topic `akhbar.feeds.state`
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FailureKind(StrEnum):
    """How bad a failed fetch is (Media Cloud's rss-fetcher weighs them the same way): a hard failure says the feed
    is gone, a soft one that it is broken for now, a temporary one that the network or the server is busy."""

    HARD = "hard"  # 404, 410, DNS failure, TLS failure, a redirect loop
    SOFT = "soft"  # 5xx other than 503, not a feed (HTML, binary), unparseable, oversized
    TEMPORARY = "temporary"  # timeout, connection refused/reset, 429, 503


@dataclass(frozen=True)
class FetchPolicy:
    """Bounds and manners of every HTTP request. The defaults live in akhbar.settings.FeedSettings (once)."""

    user_agent: str
    connect_timeout_s: float
    read_timeout_s: float  # longest silence between two chunks of a response (slow-loris servers)
    total_timeout_s: float  # a whole request, redirects included
    max_redirects: int
    max_bytes: int  # per response body, after decompression
    per_host_concurrency: int
    per_host_delay_s: float  # minimum gap between two requests' starts on one host
    robots_ttl_s: float  # how long a host's robots.txt is trusted
    retry_after_max_s: float  # a Retry-After longer than this is capped (a server cannot park a feed for days)
    # sockets open at once over all hosts (requests beyond wait for a slot, outside every timeout); aiohttp's
    # own pool default, far under a process's 1024 file descriptors
    max_connections: int = 100


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one GET. ``status`` is the final HTTP status after redirects (0 when no response came).

    ``error`` is None on a usable response (2xx with a body, or 304); otherwise a short machine-readable reason
    (e.g. ``"http_404"``, ``"timeout"``, ``"dns"``, ``"tls"``, ``"too_many_redirects"``, ``"too_large"``,
    ``"content_type"``, ``"connection"``, ``"robots_disallowed"``) with ``failure`` saying how bad it is.
    """

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    body: bytes = b""
    content_type: str | None = None  # the media type, lower-case, without parameters
    charset: str | None = None  # the charset parameter of Content-Type, when given
    etag: str | None = None
    last_modified: str | None = None
    retry_after_s: float | None = None  # from Retry-After (seconds or HTTP date), capped by the policy
    error: str | None = None
    failure: FailureKind | None = None
    elapsed_s: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed or sitemap, as the feed says it. Text fields are plain text or HTML as found."""

    guid: str | None  # RSS guid / Atom id / JSON Feed id; None when absent
    link: str | None  # the article page, absolute
    title: str = ""
    summary: str = ""  # description / summary (often HTML, often a teaser)
    content: str = ""  # content:encoded / Atom content / JSON Feed content_html|content_text (the full text, if any)
    author: str | None = None
    published: str | None = None  # the date as written (RFC 822, ISO 8601, ...), parsed later by producers.prepare
    updated: str | None = None
    language: str | None = None  # item or feed language (xml:lang, <language>, JSON Feed language)


@dataclass(frozen=True)
class ParsedFeed:
    """What a feed or sitemap body held. ``kind`` names the format found; ``errors`` counts entries or parts that
    could not be read (feedparser's bozo, sitemap entries without <loc>); ``fatal`` is set when nothing could be
    read as a feed at all (an HTML page, an empty body, binary) with a machine-readable reason."""

    kind: str  # "rss", "atom", "rdf", "jsonfeed", "news_sitemap", "sitemap", "sitemap_index", "unknown"
    items: tuple[FeedItem, ...] = ()
    title: str | None = None
    language: str | None = None
    sitemaps: tuple[str, ...] = ()  # child sitemap URLs of a sitemap index
    errors: int = 0
    fatal: str | None = None  # e.g. "not_a_feed", "empty", "xml_error"


@dataclass(frozen=True)
class PageText:
    """What trafilatura found on an article page (None fields: the page did not say)."""

    title: str | None
    body: str  # the main text, paragraphs separated by blank lines; "" when nothing was extractable
    author: str | None = None
    date: str | None = None  # ISO 8601 date as trafilatura reports it
    language: str | None = None
    encoding: str | None = None  # how the bytes were decoded
    metadata: dict[str, str] = field(default_factory=dict)
