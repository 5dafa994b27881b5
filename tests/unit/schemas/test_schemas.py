"""The pydantic models and the JSON Schema files describe the same messages."""

from __future__ import annotations

import pytest

from schemas import DeadLetter, EnrichedArticle, RawArticle, SchemaViolation, dead_letter, load_schema, validate_raw
from schemas.models import DLQ_ORIGINAL_MAX_BYTES

VALID_RAW = {
    "schema_version": 1,
    "id": "0" * 32,
    "source": "وكالة الأنباء",
    "title": "عنوان",
    "body": "نص الخبر",
    "fetched_at": "2026-11-20T10:00:00Z",
}


@pytest.mark.parametrize(
    ("model", "name"),
    [(RawArticle, "raw_article"), (EnrichedArticle, "enriched_article"), (DeadLetter, "dead_letter")],
)
def test_models_have_exactly_the_schema_fields(model: type, name: str) -> None:
    schema = load_schema(name)
    assert set(model.model_fields) == set(schema["properties"])
    required_in_model = {n for n, f in model.model_fields.items() if f.is_required()}
    # every field the model requires is required by the schema (the model may default schema_version etc.)
    assert required_in_model <= set(schema["required"])


def test_valid_raw_article_passes() -> None:
    article = validate_raw(VALID_RAW)
    assert article.id == "0" * 32 and article.body == "نص الخبر"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"id": "not-hex"}, "id"),
        ({"fetched_at": "yesterday"}, "fetched_at"),
        ({"schema_version": 2}, "schema_version"),
        ({"body": None}, "body"),
        ({"unexpected": 1}, "<root>"),
    ],
)
def test_invalid_raw_article_names_the_field(change: dict[str, object], where: str) -> None:
    with pytest.raises(SchemaViolation) as info:
        validate_raw({**VALID_RAW, **change})
    assert info.value.reason == "schema_violation"
    assert f"at {where}" in info.value.detail


def test_dead_letter_keeps_text_and_cuts_large_originals() -> None:
    small = dead_letter("{broken", reason="invalid_json", detail="x", stage="produce")
    assert small.original == "{broken" and small.original_encoding == "utf-8" and not small.original_truncated
    big = dead_letter("خ" * DLQ_ORIGINAL_MAX_BYTES, reason="body_too_large", detail="x", stage="produce")
    assert big.original_truncated and big.original_encoding == "utf-8"
    assert len(big.original.encode()) <= DLQ_ORIGINAL_MAX_BYTES
    assert big.original_size == 2 * DLQ_ORIGINAL_MAX_BYTES


def test_dead_letter_base64_for_binary() -> None:
    letter = dead_letter(bytes(range(128, 256)), reason="invalid_utf8", detail="x", stage="process", offset=7)
    assert letter.original_encoding == "base64" and letter.offset == 7


RAW_VARIANTS: list[dict[str, object]] = [
    {},
    {"id": "not-hex"},
    {"id": "A" * 32},
    {"fetched_at": "yesterday"},
    {"fetched_at": "2026-02-30T10:00:00Z"},  # no such day: RFC 3339 says no, a bare regex would say yes
    {"fetched_at": "2026-11-20T10:00:00+03:00"},
    {"published_at": None},
    {"published_at": "2026-11-20 10:00:00"},
    {"schema_version": 2},
    {"body": None},
    {"title": 5},
    {"unexpected": 1},
    {"url": "https://news.example/a", "canonical_url": "https://news.example/a"},
    {"language": "ar"},
]


@pytest.mark.parametrize("change", RAW_VARIANTS, ids=[str(sorted(c)) + str(n) for n, c in enumerate(RAW_VARIANTS)])
def test_the_compiled_check_agrees_with_jsonschema(change: dict[str, object]) -> None:
    """The fast path (fastjsonschema) and the reference (jsonschema) accept exactly the same documents."""
    import fastjsonschema

    from schemas.models import _fast_check, _validator

    doc = {**VALID_RAW, **change}
    reference = _validator("raw_article").is_valid(doc)
    try:
        _fast_check("raw_article")(doc)
        fast = True
    except fastjsonschema.JsonSchemaException:
        fast = False
    assert fast == reference
