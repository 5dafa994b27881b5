"""Dates: a publication date the producer could not read, or one in the future, is flagged (a future one dropped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from processors.steps import Doc, Fields


def check_dates(doc: Doc, *, future_tolerance: timedelta) -> Fields:
    """``published_at`` kept, or dropped when later than now + ``future_tolerance``; flags say which and why."""
    flags = set(doc["flags"])
    published = doc.get("published_at")
    if doc.get("published_at_raw") and not published:
        flags.add("invalid_published_at")
    if published:
        when = datetime.fromisoformat(published.replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if when > datetime.now(UTC) + future_tolerance:
            flags.add("future_published_at")
            published = None  # a date in the future would sit on top of every time-sorted view
    return {"published_at": published, "flags": sorted(flags)}
