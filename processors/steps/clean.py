"""Cleaning: markup, entities and invisible characters out of title and body, each cut to its bound and flagged."""

from __future__ import annotations

from processors.steps import Doc, Fields, Rejected
from processors.text import MAX_TITLE_CHARS, clean
from schemas import Reason


def clean_text(doc: Doc, *, body_max_chars: int) -> Fields:
    """Cleaned title and body with the flags of what cleaning did; nothing left of either is a rejection."""
    title = clean(doc["title"], max_chars=MAX_TITLE_CHARS)
    body = clean(doc["body"], max_chars=body_max_chars)
    if not title.text and not body.text:
        raise Rejected(Reason.EMPTY_TEXT, "title and body are empty after cleaning")
    flags = set(doc["flags"]) | {f"title_{f}" for f in title.flags - {"empty"}} | (body.flags - {"empty"})
    if not body.text:
        flags.add("empty_body")
    if not title.text:
        flags.add("empty_title")
    return {"title": title.text, "body": body.text, "flags": sorted(flags)}
