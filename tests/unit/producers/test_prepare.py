from __future__ import annotations

import json

import pytest

from producers.prepare import parse_date, prepare
from producers.sources import SourceItem
from schemas import DeadLetter, RawArticle


def item(obj: object) -> SourceItem:
    return SourceItem(origin="test:1", payload=json.dumps(obj, ensure_ascii=False).encode())


def test_common_feed_field_names_are_mapped() -> None:
    out = prepare(item({"headline": "عنوان", "text": "نص", "link": "https://a.example/x", "outlet": "أ", "date": 0}))
    assert isinstance(out, RawArticle)
    assert (out.title, out.body, out.url, out.source) == ("عنوان", "نص", "https://a.example/x", "أ")
    assert out.published_at == "1970-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "invalid_json"),
        (b"\xff\xfe\x00garbage", "invalid_utf8"),
        (b"[1, 2]", "not_an_object"),
        (json.dumps({"title": "t"}).encode(), "missing_body"),
        (json.dumps({"title": 5, "body": {"x": 1}}).encode(), "wrong_type"),
        (b'{"title": "t", "body": "\\ud800"}', "invalid_unicode"),
        (json.dumps({"title": "t", "body": "خ" * 1_000_001}).encode(), "body_too_large"),
    ],
)
def test_bad_items_become_dead_letters_with_a_reason(payload: bytes, reason: str) -> None:
    out = prepare(SourceItem(origin="test:9", payload=payload))
    assert isinstance(out, DeadLetter)
    assert out.reason == reason and out.stage == "produce" and out.origin == "test:9"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20T10:00:00+03:00", "2026-11-20T07:00:00Z"),
        ("2026-11-20 10:00", "2026-11-20T10:00:00Z"),
        ("Fri, 20 Nov 2026 10:00:00 GMT", "2026-11-20T10:00:00Z"),
        ("أمس", None),
        ("", None),
    ],
)
def test_parse_date(value: str, expected: str | None) -> None:
    assert parse_date(value) == expected


def test_unparseable_date_is_kept_raw() -> None:
    out = prepare(item({"title": "t", "body": "نص", "date": "الخميس الماضي"}))
    assert isinstance(out, RawArticle) and out.published_at is None and out.published_at_raw == "الخميس الماضي"
