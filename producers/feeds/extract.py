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
from trafilatura.settings import use_config

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
_RELATED_XPATH = [
    f"//*[self::p or self::div or self::aside or self::section or self::ul or self::li or self::span]"
    f"[starts-with(normalize-space(.), '{label}')][string-length(normalize-space(.)) < {RELATED_MAX_CHARS}]"
    for label in RELATED_LABELS
]
# Separators between a headline and the outlet's name in <title>; " - " is not one: Arabic headlines use it.
_TITLE_SEPARATORS = (" :: ", " | ", " || ", " « ")
_HTML_LANG = re.compile(r"<html[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.IGNORECASE)

# Fragment to text: block ends become line breaks, scripts and styles go, every other tag goes, entities are read.
_DROP = re.compile(r"<(script|style|noscript|template)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<(?:br|hr)\b[^>]*>|</(?:p|div|li|h[1-6]|blockquote|tr|section|article|figure)\s*>", re.I)
_TAG = re.compile(r"<[^>]*>|<!--.*?-->", re.DOTALL)
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
    """The page title without the outlet's name trafilatura left on it ("headline :: outlet")."""
    if not title:
        return None
    title = title.strip()
    for sep in _TITLE_SEPARATORS:
        if sep in title:
            title = max(title.split(sep), key=len).strip()
    if sitename and title.endswith(" - " + sitename):
        title = title[: -len(" - " + sitename)].strip()
    return title or None


def page_language(page: str) -> str | None:
    match = _HTML_LANG.search(page[:4096])
    return match.group(1).lower() if match else None


def extract_page(page: str, *, url: str | None = None, encoding: str | None = None) -> PageText:
    """What the page holds; an empty body when trafilatura finds no main text (or the page is not HTML)."""
    doc = trafilatura.bare_extraction(
        page,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        config=_CONFIG,
        prune_xpath=_RELATED_XPATH,
    )
    if doc is None or isinstance(doc, dict):  # None: nothing extractable (as_dict is not asked for)
        return PageText(title=None, body="", language=page_language(page), encoding=encoding)
    title = _headline(doc.title, doc.sitename)
    paragraphs = [p.strip() for p in (doc.text or "").split("\n") if p.strip()]
    if paragraphs and title and _WS.sub(" ", paragraphs[0]) == _WS.sub(" ", title):
        paragraphs = paragraphs[1:]  # the page's <h1> inside the article: the title is a field of its own
    body = "\n\n".join(paragraphs)
    return PageText(
        title=title,
        body=body,
        author=doc.author or None,
        date=doc.date or None,
        language=page_language(page),
        encoding=encoding,
        metadata={k: v for k, v in (("sitename", doc.sitename), ("description", doc.description)) if v},
    )
