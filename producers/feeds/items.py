"""From a feed item (and its page) to the fields of a raw article, and the keys that say an item was seen.

An item has up to two keys: its normalised GUID and its canonical link (``producers.ids`` rules). It is "seen" when
either key is remembered, so a GUID that changes while the link stays is the same item (the most common cause
of duplicates in feed readers; NewsBlur and Feedbin keep a second, normalised key the same way). The article id
comes from the canonical link, so a re-produced (updated) item overwrites the same document.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from producers.feeds.extract import html_to_text
from producers.feeds.types import FeedItem, PageText
from producers.ids import canonical_url

FLAG_BODY_FROM_FEED = (
    "body_from_feed"  # a page was wanted but had less text than the feed item: its own text is the body
)
# An item whose own text is shorter than this is a teaser: with fetch = "auto" its page is fetched. 400 characters
# are two or three Arabic sentences; the full text of a news item (content:encoded) is several times that.
FULL_TEXT_MIN_CHARS = 400
_WS = re.compile(r"\s+")
_HASH_DIGITS = 16  # 64 bits tell one version of an item from the next; the state record stays small


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_DIGITS]


def _norm(text: str | None) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFKC", text or "")).strip()


def item_keys(item: FeedItem) -> tuple[str, ...]:
    """The keys of an item: ``g:`` + normalised GUID and ``u:`` + canonical link, whichever it has."""
    keys: list[str] = []
    if item.guid and (guid := _norm(item.guid)):
        # a GUID that is a URL is normalised as one (http/https, www., tracking parameters vary between polls)
        keys.append("g:" + _hash(canonical_url(guid) or guid))
    if canon := canonical_url(item.link):
        keys.append("u:" + _hash(canon))
    return tuple(keys)


def content_hash(item: FeedItem) -> str:
    """What changes when the outlet updates the story: title, text and update date (not the GUID or the link)."""
    return _hash("\x1f".join(_norm(x) for x in (item.title, item.summary, item.content, item.updated)))


def feed_text(item: FeedItem) -> str:
    """The item's own text as plain text: the full content when the feed has it, else the summary."""
    return html_to_text(item.content) or html_to_text(item.summary)


def needs_page(item: FeedItem, fetch: str) -> bool:
    """Whether the article page is fetched: always, never, or (auto) when the item has no full text of its own."""
    if fetch == "always":
        return bool(item.link)
    if fetch == "never" or not item.link:
        return False
    return len(html_to_text(item.content)) < FULL_TEXT_MIN_CHARS


def article_fields(
    item: FeedItem,
    *,
    source: str,
    feed_language: str | None,
    page: PageText | None,
    page_wanted: bool,
) -> dict[str, Any]:
    """The raw-article object of an item (for ``producers.prepare.build_article``).

    What the feed says is kept when the page has less: the longer of the two texts is the body, the feed's title,
    author, date and language win over the page's. When a page was wanted but gave less text than the item, the body is the
    feed's own text, flagged ``body_from_feed``; with no text at all the body is empty (the caller dead-letters it).
    """
    own = feed_text(item)
    page_body = page.body.strip() if page else ""
    from_feed = len(page_body) < len(own)
    body = own if from_feed else page_body
    flags = [FLAG_BODY_FROM_FEED] if page_wanted and from_feed else []
    title = html_to_text(item.title) or (page.title if page and page.title else "")
    return {
        "url": item.link,
        "source": source,
        "title": title,
        "body": body,
        "published_at": item.published or item.updated or (page.date if page else None),
        "author": item.author or (page.author if page else None),
        "language": item.language or feed_language or (page.language if page else None),
        "flags": flags,
    }
