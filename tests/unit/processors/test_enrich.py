from __future__ import annotations

import json

import pytest

from processors.enrich import EnrichConfig, Rejected, enrich_message, registered_steps
from schemas import validate_enriched

BASE = {
    "schema_version": 1,
    "id": "1" * 32,
    "source": "صحيفة المثال",
    "title": "افتتاح مستشفى جديد",
    "body": ".png) افتتحت وزارة الصحة مستشفـــى جديداً في القاهرة يضم مئتي سرير.",
    "fetched_at": "2026-11-20T10:00:00Z",
}
CORE = EnrichConfig(steps=("clean", "dates", "language", "normalise"))


def msg(**change: object) -> bytes:
    return json.dumps({**BASE, **change}, ensure_ascii=False).encode()


def test_chain_cleans_normalises_and_counts() -> None:
    out = enrich_message(msg(), CORE)
    assert out.body == "افتتحت وزارة الصحة مستشفى جديداً في القاهرة يضم مئتي سرير."
    assert out.body_normalized == "افتتحت وزاره الصحه مستشفي جديدا في القاهره يضم مئتي سرير."
    assert out.language == "ar" and out.word_count == 10
    assert out.steps == ["clean", "dates", "language", "normalise"]
    assert {"markup_removed", "tatweel_removed"} <= set(out.flags)
    validate_enriched(out.model_dump())  # the output matches the JSON Schema


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"\xff\xfe", "invalid_utf8"),
        (b"{", "invalid_json"),
        (None, "empty_message"),
        (msg(id="xyz"), "schema_violation"),
        (msg(title="", body="<p>&nbsp;</p>"), "empty_text"),
        (msg(title="News", body="The ministry opened a new hospital in Cairo today."), "not_arabic"),
    ],
)
def test_rejections_carry_a_reason(value: bytes | None, reason: str) -> None:
    with pytest.raises(Rejected) as info:
        enrich_message(value, CORE)
    assert info.value.reason == reason


def test_flags_for_empty_body_and_dates() -> None:
    out = enrich_message(msg(body="", published_at="2999-01-01T00:00:00Z"), CORE)
    assert "empty_body" in out.flags and "future_published_at" in out.flags and out.published_at is None
    bad_date = enrich_message(msg(published_at_raw="غداً"), CORE)
    assert "invalid_published_at" in bad_date.flags


def test_steps_run_in_registered_order() -> None:
    names = [s.name for s in registered_steps()]
    assert names[:4] == ["clean", "dates", "language", "normalise"]
    with pytest.raises(ValueError, match="unknown enrichment step"):
        registered_steps(["nope"])
