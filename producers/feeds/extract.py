"""Main text and metadata of an article page (trafilatura), and plain text of a feed's HTML fragments.

``extract_page`` takes text already decoded by ``producers.feeds.decode`` (trafilatura would guess the encoding
from the bytes and get windows-1256 wrong). Comments, tables and image captions are left out: an analyst searches
what the outlet wrote, not what readers answered. The title, author and date come from the page's metadata
(``<meta>``, JSON-LD, ``<time>``); the language from ``<html lang>`` (trafilatura reads it only as a filter).
"""

from __future__ import annotations

import html
import re

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.settings import use_config
from trafilatura.utils import load_html

from producers.feeds.types import PageText

# A tree bigger than this is cut before extraction: a 10 MB page of nested markup would otherwise take seconds.
# News pages we wrote and saw have 1-5 thousand elements.
MAX_TREE_SIZE = 50_000
_CONFIG = use_config()
_CONFIG.set("DEFAULT", "max_tree_size", str(MAX_TREE_SIZE))
# trafilatura's own timeout uses SIGALRM, which only the main thread may set; our bound is the tree size and
# the 10 MB response limit.
_CONFIG.set("DEFAULT", "extraction_timeout", "0")
# Arabic outlets' "read also" / "related" blocks, which sit inside the article body (trafilatura keeps them as
# text): a paragraph, list or box whose text starts with one of these labels and is short is pruned before
# extraction. The labels are the ones outlets use, with and without hamza and tanwin.
RELATED_LABELS = (
    "اقرأ أيضا", "اقرأ أيضاً", "اقرأ ايضا", "إقرأ أيضا", "اقرأ كذلك", "اقرأ المزيد", "شاهد أيضا", "شاهد أيضاً",
    "طالع أيضا", "طالع أيضاً", "أخبار ذات صلة", "مواضيع ذات صلة", "مقالات ذات صلة", "قد يهمك", "ذات صلة",
)  # fmt: skip
RELATED_MAX_CHARS = 600  # a related box is a label and a few headlines; a paragraph of the story is longer
# A paragraph, list item or span opening with a label; a box (div, aside, section) opening with one only when it
# holds fewer than two paragraphs without links: the story's own container may open with a "read also" line.
_RELATED_XPATH = [
    f"//*[self::p or self::ul or self::li or self::span]"
    f"[starts-with(normalize-space(.), '{label}')][string-length(normalize-space(.)) < {RELATED_MAX_CHARS}]"
    f" | //*[self::div or self::aside or self::section]"
    f"[starts-with(normalize-space(.), '{label}')][string-length(normalize-space(.)) < {RELATED_MAX_CHARS}]"
    f"[count(.//p[not(.//a)]) < 2]"
    for label in RELATED_LABELS
]
# Cookie and consent banners, navigation, and comment headings: on a page with no story trafilatura's fallback
# returns a banner or the menu as the body, and it takes a "comments-title" heading for the headline.
_CHROME_XPATH = (
    "//*[contains(@id, 'cookie') or contains(@class, 'cookie') or contains(@id, 'consent')"
    " or contains(@class, 'consent')] | //nav | //*[@role='navigation']"
    " | //*[self::h1 or self::h2 or self::h3 or self::h4][contains(@class, 'comment') or contains(@id, 'comment')]"
)
_PRUNE = etree.XPath(" | ".join([_CHROME_XPATH, *_RELATED_XPATH]))
# A body of fewer words is not a story (a menu, a share bar, "page not found"); the feed's summary is kept then.
MIN_BODY_WORDS = 8
# Separators between a headline and the outlet's name in <title>; " - " is not one: Arabic headlines use it.
_TITLE_SEPARATORS = (" :: ", " | ", " || ", " « ")
_HTML_LANG = re.compile(r"<html[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.IGNORECASE)

# Fragment to text: block ends become line breaks, scripts and styles go, every other tag goes, entities are read.
_DROP = re.compile(r"<(script|style|noscript|template)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<(?:br|hr)\b[^>]*>|</(?:p|div|li|h[1-6]|blockquote|tr|section|article|figure)\s*>", re.I)
# A tag starts with a letter, "/", "!" or "?": "< 5%" in plain text is not one. Comments first: they hold ">".
_TAG = re.compile(r"<!--.*?-->|<[A-Za-z/!?][^>]*>", re.DOTALL)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANKS = re.compile(r"\n\s*\n\s*")
_WS = re.compile(r"\s+")


def html_to_text(fragment: str | None) -> str:
    """Plain text of an HTML fragment (a feed's summary or content:encoded); plain text passes unchanged."""
    if not fragment:
        return ""
    text = fragment
    if "<" in text:
        text = _DROP.sub(" ", text)
        text = _BREAK.sub("\n\n", text)
        text = _TAG.sub(" ", text)
    text = html.unescape(text) if "&" in text else text
    text = _SPACES.sub(" ", text)
    lines = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", lines).strip()


def _headline(title: str | None, sitename: str | None) -> str | None:
    """The page title without the outlet's name ("headline :: outlet", "outlet | headline", "headline - outlet").

    The longest part that is not the site's name is kept: a headline is longer than most outlets' names."""
    if not title:
        return None
    title = _WS.sub(" ", title).strip()
    site = _WS.sub(" ", sitename).strip() if sitename else None
    for sep in _TITLE_SEPARATORS:
        if sep in title:
            parts = [part.strip() for part in title.split(sep) if part.strip() and part.strip() != site]
            title = max(parts, key=len) if parts else title
    if site and title.endswith(" - " + site):
        title = title[: -len(" - " + site)].strip()
    if site and title.startswith(site + " - "):
        title = title[len(site + " - ") :].strip()
    return title or None


def page_language(page: str) -> str | None:
    match = _HTML_LANG.search(page[:4096])
    return match.group(1).lower() if match else None


def _title_element(tree: HtmlElement) -> str | None:
    found = tree.find(".//head/title")
    if found is None:
        found = tree.find(".//title")
    text = found.text_content() if found is not None else None
    return _WS.sub(" ", text).strip() or None if text else None


def _headings(tree: HtmlElement) -> set[str]:
    """Texts trafilatura takes a headline from before it falls back to <title>: <h1>s and og/twitter titles."""
    texts = [h.text_content() for h in tree.iter("h1")]
    texts += tree.xpath("//meta[@property='og:title' or @name='twitter:title' or @property='twitter:title']/@content")
    return {_WS.sub(" ", t).strip() for t in texts if isinstance(t, str)}


def _page_title(extracted: str | None, raw: str | None, sitename: str | None, headings: set[str]) -> str | None:
    """The headline: trafilatura's when it is a heading of the page (``headings``); when it is only a part of
    <title>, trafilatura split <title> on a separator of its own (" - ", " | ") and kept the first part, which
    may be the outlet's name or half a headline, so ``_headline`` reads the whole <title> instead."""
    if extracted and _WS.sub(" ", extracted).strip() in headings:
        return _headline(extracted, sitename)
    if raw and (not extracted or (extracted != raw and extracted in raw)):
        return _headline(raw, sitename)
    return _headline(extracted, sitename)


def _empty(page: str, encoding: str | None, title: str | None = None) -> PageText:
    return PageText(title=title, body="", language=page_language(page), encoding=encoding)


def extract_page(page: str, *, url: str | None = None, encoding: str | None = None) -> PageText:
    """What the page holds; an empty body when trafilatura finds no main text (or the page is not HTML).

    The page is parsed once here: banners, navigation, comment headings and related boxes are pruned before
    trafilatura reads either the metadata or the text."""
    tree = load_html(page)
    if tree is None:
        return _empty(page, encoding)
    raw_title, headings = _title_element(tree), _headings(tree)  # before trafilatura changes the tree
    for node in _PRUNE(tree):
        if (parent := node.getparent()) is not None:
            parent.remove(node)
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        config=_CONFIG,
    )
    if doc is None or isinstance(doc, dict):  # None: nothing extractable (as_dict is not asked for)
        return _empty(page, encoding)
    title = _page_title(doc.title, raw_title, doc.sitename, headings)
    paragraphs = [p.strip() for p in (doc.text or "").split("\n") if p.strip()]
    if paragraphs and title and _WS.sub(" ", paragraphs[0]) == _WS.sub(" ", title):
        paragraphs = paragraphs[1:]  # the page's <h1> inside the article: the title is a field of its own
    body = "\n\n".join(paragraphs)
    if len(body.split()) < MIN_BODY_WORDS:
        body = ""
    return PageText(
        title=title,
        body=body,
        author=doc.author or None,
        date=doc.date or None,
        language=page_language(page),
        encoding=encoding,
        metadata={k: v for k, v in (("sitename", doc.sitename), ("description", doc.description)) if v},
    )
