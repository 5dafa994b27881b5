"""The contract's parts agree: enums with the JSON Schemas, the index field list with the schema and the mapping,
and every stage's dead letter with one encoding."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from schemas import (
    ENRICHED_FIELDS,
    EntityType,
    FieldKind,
    GeoScope,
    Language,
    Reason,
    Stage,
    TopicLabel,
    dead_letter,
    dead_letter_record,
    load_schema,
)
from sinks.index import mapping_properties, template_body


def _schema_paths(node: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property of a JSON Schema as a dotted path; arrays of objects count as their object.

    Below a field listed as not indexed there is nothing to map, so its sub-fields are not listed.
    """
    for name, sub in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        yield path, sub
        if ENRICHED_FIELDS.get(path) is FieldKind.NOT_INDEXED:
            continue
        inner = sub.get("items", sub)
        if "properties" in inner:
            yield from _schema_paths(inner, f"{path}.")
        elif "propertyNames" in inner:  # a map with a closed key set (topic_scores)
            for key in inner["propertyNames"]["enum"]:
                yield f"{path}.{key}", inner["additionalProperties"]


def test_every_enriched_field_has_an_index_entry_and_back() -> None:
    covered = {path for path, _ in _schema_paths(load_schema("enriched_article"))}
    assert covered - set(ENRICHED_FIELDS) == set(), "schema fields with no index entry (silently not searchable)"
    assert set(ENRICHED_FIELDS) - covered == set(), "index entries for fields the schema does not have"


def test_the_template_maps_every_listed_field() -> None:
    props = template_body("akhbar-test")["template"]["mappings"]["properties"]
    assert props == mapping_properties()
    for path, kind in ENRICHED_FIELDS.items():
        node: dict[str, Any] = {"properties": props}
        for part in path.split("."):
            node = node["properties"][part]
        if kind is FieldKind.OBJECT:
            assert "properties" in node, path
        else:
            assert "type" in node, path


def test_a_new_schema_field_without_an_index_entry_fails() -> None:
    schema = load_schema("enriched_article")
    extended = {**schema, "properties": {**schema["properties"], "sentiment": {"type": "number"}}}
    assert {p for p, _ in _schema_paths(extended)} - set(ENRICHED_FIELDS) == {"sentiment"}


@pytest.mark.parametrize(
    ("enum", "schema", "path"),
    [
        (Language, "enriched_article", ("language",)),
        (GeoScope, "enriched_article", ("geo_scope",)),
        (EntityType, "enriched_article", ("entities", "items", "properties", "type")),
        (TopicLabel, "enriched_article", ("topics", "items", "properties", "label")),
        (TopicLabel, "enriched_article", ("topic_scores", "propertyNames")),
        (Stage, "dead_letter", ("stage",)),
    ],
)
def test_enums_match_the_schema(enum: type, schema: str, path: tuple[str, ...]) -> None:
    node: dict[str, Any] = load_schema(schema)["properties"]
    for part in path:
        node = node[part]
    assert {v for v in node["enum"] if v is not None} == {m.value for m in enum}  # type: ignore[attr-defined]


def test_every_reason_fits_the_schema_pattern() -> None:
    import re

    pattern = re.compile(load_schema("dead_letter")["properties"]["reason"]["pattern"])
    assert all(pattern.fullmatch(r.value) for r in Reason)


def test_an_unknown_reason_is_refused_when_the_letter_is_built() -> None:
    with pytest.raises(ValueError, match="no_such_reason"):
        dead_letter(b"x", reason="no_such_reason", detail="", stage=Stage.PRODUCE)


def test_the_dead_letter_record_is_the_same_for_every_stage() -> None:
    for stage in Stage:
        letter = dead_letter(b"{bad", reason=Reason.INVALID_JSON, detail="not JSON", stage=stage, article_id="ab" * 16)
        record = dead_letter_record(letter)
        assert record.key == b"ab" * 16
        assert dict(record.headers) == {
            "schema": b"dead_letter.v1",
            "reason": b"invalid_json",
            "stage": stage.value.encode(),
            "replays": b"0",
        }
        decoded = orjson.loads(record.value)
        assert decoded["stage"] == stage.value and decoded["reason"] == "invalid_json"
        assert decoded["original"] == "{bad"


def test_a_letter_without_article_id_has_no_key() -> None:
    record = dead_letter_record(dead_letter(None, reason=Reason.EMPTY_MESSAGE, detail="", stage=Stage.PROCESS))
    assert record.key is None and orjson.loads(record.value)["original"] == ""


def test_a_replayed_message_that_fails_again_carries_its_count() -> None:
    from schemas import REPLAYS_HEADER, replays_of

    count = replays_of([("schema", b"raw_article.v1"), (REPLAYS_HEADER, b"2")])
    letter = dead_letter(b"{}", reason=Reason.SCHEMA_VIOLATION, detail="", stage=Stage.PROCESS, replays=count)
    record = dead_letter_record(letter)
    assert dict(record.headers)[REPLAYS_HEADER] == b"2" and orjson.loads(record.value)["replays"] == 2
    assert replays_of(None) == 0 and replays_of([(REPLAYS_HEADER, b"x")]) == 0
