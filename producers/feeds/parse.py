"""A fetched feed or sitemap body to its items: RSS 0.9x/1.0 (RDF)/2.0, Atom 1.0 (feedparser), JSON Feed 1.0/1.1
(read here: feedparser's JSON support needs an exact Content-Type and gave nothing for feeds served otherwise),
Google News sitemaps, sitemaps and sitemap indexes (lxml).

Nothing raises: a body that is no feed at all (an HTML page, empty, binary, broken JSON) comes back with ``fatal``
set to a machine-readable reason; a feed that is partly broken (feedparser's "bozo": an undefined entity, a bad
byte, a truncated document) gives what could be read, with ``errors`` counting the breakage and the entries that
had nothing to identify them (no link, no GUID). Dates are passed on as ISO 8601 when the parser could read
them, else as written (``producers.prepare`` keeps an unreadable date as ``published_at_raw``).
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
import orjson
from lxml import etree

from producers.feeds.types import FeedItem, ParsedFeed

SNIFF_BYTES = 2048  # where the root element of a sitemap is looked for (after an XML declaration and comments)
_NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
# External entities and network access off (XXE, billion laughs); recover: a sitemap with one broken entry still
# gives the others.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
_RDF_VERSIONS = frozenset({"rss090", "rss10"})  # RSS 0.90 and 1.0 are RDF; 0.91-0.94 and 2.0 are not
# feedparser's "bozo" also flags what is not breakage: a missing or non-XML Content-Type, a charset the document
# overrides. Those are not counted as errors.
_BENIGN_BOZO = frozenset({"NonXMLContentType", "CharacterEncodingOverride"})


def parse_feed(body: bytes, *, url: str, content_type: str | None = None, charset: str | None = None) -> ParsedFeed:
    """The items of a feed or sitemap body fetched from ``url`` (relative links are read against it)."""
    head = body[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.strip():
        return ParsedFeed(kind="unknown", fatal="empty")
    if head.startswith((b"{", b"[")):
        return _json_feed(body, url)
    if b"<urlset" in head or b"<sitemapindex" in head or b":urlset" in head or b":sitemapindex" in head:
        return _sitemap(body, url)
    return _feedparser(body, url, content_type, charset)


# -- RSS, RDF, Atom -------------------------------------------------------------------------------------------
def _feedparser(body: bytes, url: str, content_type: str | None, charset: str | None) -> ParsedFeed:
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = f"{content_type}; charset={charset}" if charset else content_type
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True, resolve_relative_uris=True)
    version = str(parsed.get("version") or "")
    if not version:
        # feedparser found no feed element: an HTML page, binary, or XML of another kind
        return ParsedFeed(kind="unknown", errors=1, fatal="not_a_feed")
    kind = "rdf" if version in _RDF_VERSIONS else "atom" if version.startswith("atom") else "rss"
    feed = parsed.get("feed", {})
    language = _lang(feed.get("language"))
    items: list[FeedItem] = []
    bozo = parsed.get("bozo_exception")
    errors = 1 if parsed.get("bozo") and type(bozo).__name__ not in _BENIGN_BOZO else 0
    for entry in parsed.get("entries", []):
        item = _entry(entry, language)
        if item is None:
            errors += 1
        else:
            items.append(item)
    return ParsedFeed(kind=kind, items=tuple(items), title=feed.get("title"), language=language, errors=errors)


def _entry(entry: Any, feed_language: str | None) -> FeedItem | None:
    link = entry.get("link") or None
    guid = entry.get("id") or None
    if link is None and guid is None:
        return None  # nothing names it: it could be neither fetched nor told apart from the next poll's
    content = ""
    language = None
    for part in entry.get("content") or []:
        if part.get("value") and len(part["value"]) > len(content):
            content = part["value"]
            language = _lang(part.get("language"))
    summary = entry.get("summary") or ""
    if summary == content:
        summary = ""  # feedparser copies content:encoded into the summary when there is no description
    return FeedItem(
        guid=guid,
        link=link,
        title=entry.get("title") or "",
        summary=summary,
        content=content,
        author=entry.get("author") or None,
        # dict.get: feedparser's own get maps a missing "updated" to "published" with a DeprecationWarning
        published=_date(dict.get(entry, "published_parsed"), dict.get(entry, "published")),
        updated=_date(dict.get(entry, "updated_parsed"), dict.get(entry, "updated")),
        language=language or feed_language,
    )


def _date(parsed: time.struct_time | None, written: str | None) -> str | None:
    """ISO 8601 (UTC) when feedparser read the date; else the date as written, for prepare to keep raw."""
    if parsed is not None:
        try:
            return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC).isoformat()
        except (OverflowError, ValueError, OSError):
            pass
    return written or None


def _lang(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().split("-")[0].split("_")[0].lower()[:8] or None


# -- JSON Feed ------------------------------------------------------------------------------------------------
def _json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ParsedFeed(kind="unknown", errors=1, fatal="not_a_feed")
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        return ParsedFeed(kind="unknown", errors=1, fatal="not_a_feed")
    language = _lang(doc.get("language"))
    items: list[FeedItem] = []
    errors = 0
    raw_items = doc.get("items")
    for raw in raw_items if isinstance(raw_items, list) else []:
        item = _json_item(raw, url, language) if isinstance(raw, dict) else None
        if item is None:
            errors += 1
        else:
            items.append(item)
    title = doc.get("title") if isinstance(doc.get("title"), str) else None
    return ParsedFeed(kind="jsonfeed", items=tuple(items), title=title, language=language, errors=errors)


def _json_item(raw: dict[str, Any], url: str, feed_language: str | None) -> FeedItem | None:
    def text(name: str) -> str:
        value = raw.get(name)
        return value if isinstance(value, str) else ""

    link = urljoin(url, text("url")) if text("url") else (urljoin(url, text("external_url")) or None)
    guid = str(raw["id"]) if isinstance(raw.get("id"), str | int) and str(raw["id"]) else None
    if not link and not guid:
        return None
    authors = raw.get("authors")
    if not isinstance(authors, list):
        authors = [raw.get("author")]  # JSON Feed 1.0 had one author; 1.1 a list
    names = [a["name"] for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)]
    return FeedItem(
        guid=guid,
        link=link or None,
        title=text("title"),
        summary=text("summary"),
        content=text("content_html") or text("content_text"),
        author=", ".join(names) or None,
        published=text("date_published") or None,
        updated=text("date_modified") or None,
        language=_lang(raw.get("language")) or feed_language,
    )


# -- sitemaps -------------------------------------------------------------------------------------------------
def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _sitemap(body: bytes, url: str) -> ParsedFeed:
    try:
        root = etree.fromstring(body, parser=_XML_PARSER)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        return ParsedFeed(kind="unknown", errors=1, fatal="xml_error")
    errors = len(_XML_PARSER.error_log)
    if _local(root.tag) == "sitemapindex":
        locs = [_child_text(sm, "loc") for sm in root if _local(sm.tag) == "sitemap"]
        children = tuple(urljoin(url, loc) for loc in locs if loc)
        return ParsedFeed(kind="sitemap_index", sitemaps=children, errors=errors + locs.count(None))
    items: list[FeedItem] = []
    news = False
    language = None
    for entry in root:
        if _local(entry.tag) != "url":
            continue
        loc = _child_text(entry, "loc")
        if not loc:
            errors += 1
            continue
        title = ""
        published = _child_text(entry, "lastmod")
        item_language = None
        news_el = entry.find(f"{{{_NEWS_NS}}}news")
        if news_el is not None:
            news = True
            title = _child_text(news_el, "title") or ""
            published = _child_text(news_el, "publication_date") or published
            publication = news_el.find(f"{{{_NEWS_NS}}}publication")
            if publication is not None:
                item_language = _lang(_child_text(publication, "language"))
                language = language or item_language
        link = urljoin(url, loc)
        items.append(FeedItem(guid=None, link=link, title=title, published=published, language=item_language))
    return ParsedFeed(kind="news_sitemap" if news else "sitemap", items=tuple(items), language=language, errors=errors)


def _child_text(element: Any, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            value = (child.text or "").strip()
            return value or None
    return None
