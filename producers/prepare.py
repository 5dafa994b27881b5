"""Turn what a source read into a valid raw article, or into a dead letter that says why not.

Accepted input fields (the names feeds and scrapers commonly use are mapped): ``title``/``headline``,
``body``/``text``/``content``/``article``, ``url``/``link``, ``source``/``outlet``/``site``,
``published_at``/``date``/``pubDate``, ``author``, ``language``/``lang``, ``id`` (ignored: ids are derived).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from producers.ids import article_id
from producers.sources import SourceItem
from schemas import (
    RAW_BODY_MAX_CHARS,
    DeadLetter,
    RawArticle,
    Reason,
    SchemaViolation,
    Stage,
    dead_letter,
    validate_raw,
)
from schemas.models import utc_now

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline"),
    "body": ("body", "text", "content", "article"),
    "url": ("url", "link"),
    "source": ("source", "outlet", "site"),
    "published_at": ("published_at", "date", "pubDate", "published"),
    "author": ("author",),
    "language": ("language", "lang"),
}
DEFAULT_SOURCE = "unknown"  # an article without an outlet is still an article; analysts see it as "unknown"


def parse_date(value: object) -> str | None:
    """ISO 8601 UTC string for common feed date forms (ISO 8601, RFC 822, epoch seconds), else None."""
    if value is None or value == "":
        return None
    dt: datetime | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            dt = datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        text = value.strip()
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                dt = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)  # a feed that gives no zone is taken as UTC
    try:
        return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    except (OverflowError, ValueError):
        return None


def _pick(obj: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if name in obj and obj[name] is not None:
            return obj[name]
    return None


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            detail = f"field {field!r} holds a lone surrogate (a broken \\u escape)"
            raise SchemaViolation(detail, reason=Reason.INVALID_UNICODE) from exc
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise SchemaViolation(f"field {field!r} must be text, got {type(value).__name__}", reason=Reason.WRONG_TYPE)


def build_article(obj: dict[str, Any], *, origin: str | None, fetched_at: str | None = None) -> RawArticle:
    """Map a decoded article object onto raw_article v1 (id derived) and validate it."""
    title = _text(_pick(obj, FIELD_ALIASES["title"]), "title")
    if (raw_body := _pick(obj, FIELD_ALIASES["body"])) is None:
        raise SchemaViolation("no body (expected one of body, text, content, article)", reason=Reason.MISSING_BODY)
    body = _text(raw_body, "body")
    # the schema's bound: a larger body is dead-lettered with its own reason, never cut silently
    if len(body) > RAW_BODY_MAX_CHARS:
        raise SchemaViolation(
            f"body has {len(body)} characters, limit {RAW_BODY_MAX_CHARS}", reason=Reason.BODY_TOO_LARGE
        )
    url = _pick(obj, FIELD_ALIASES["url"])
    url = url.strip() if isinstance(url, str) and url.strip() else None
    source = _text(_pick(obj, FIELD_ALIASES["source"]), "source").strip() or DEFAULT_SOURCE
    date_value = _pick(obj, FIELD_ALIASES["published_at"])
    published_at = parse_date(date_value)
    published_raw = None if published_at or date_value in (None, "") else str(date_value)[:256]
    author = _pick(obj, FIELD_ALIASES["author"])
    language = _pick(obj, FIELD_ALIASES["language"])
    aid, canon = article_id(url, title, body)
    candidate = {
        "schema_version": 1,
        "id": aid,
        "url": url,
        "canonical_url": canon,
        "source": source[:256],
        "title": title,
        "body": body,
        "published_at": published_at,
        "published_at_raw": published_raw,
        "fetched_at": fetched_at or utc_now(),
        "language": language if isinstance(language, str) else None,
        "author": author if isinstance(author, str) else None,
        "origin": origin,
    }
    if (flags := obj.get("flags")) is not None:  # set by the feed path (e.g. body_from_feed); the schema checks them
        candidate["flags"] = flags
    return validate_raw(candidate)


def prepare(item: SourceItem) -> RawArticle | DeadLetter:
    """A valid raw article, or the dead letter explaining why this item cannot be one."""

    def reject(reason: Reason | str, detail: str) -> DeadLetter:
        original = item.payload if item.fields is None else json.dumps(item.fields, ensure_ascii=False, default=str)
        return dead_letter(original, reason=reason, detail=detail, stage=Stage.PRODUCE, origin=item.origin)

    if item.error:
        return reject(item.error, f"could not read {item.origin}: {item.error}")
    obj: Any
    if item.fields is not None:
        obj = item.fields
    else:
        payload = item.payload or b""
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            return reject(Reason.INVALID_UTF8, f"not UTF-8 at byte {exc.start}")
        try:
            obj = json.loads(text)
        except ValueError as exc:
            return reject(Reason.INVALID_JSON, f"not JSON: {exc}")
        except RecursionError:
            return reject(Reason.TOO_DEEPLY_NESTED, "the JSON nests too deeply to parse")
    if not isinstance(obj, dict):
        return reject(Reason.NOT_AN_OBJECT, f"expected a JSON object, got {type(obj).__name__}")
    try:
        return build_article(obj, origin=item.origin)
    except SchemaViolation as exc:
        return reject(exc.reason, exc.detail)
    except RecursionError:
        return reject(Reason.TOO_DEEPLY_NESTED, "the object nests too deeply to process")
