"""Entities: the cleaned title and body through the NER package; its models load once, on the first article."""

from __future__ import annotations

from pathlib import Path

from processors.ner import entity_fields, extract_entities
from processors.size import ENTITIES_TRUNCATED, Caps, cap_entities
from processors.steps import Doc, Fields


def find_entities(doc: Doc, *, backend: str, camel_model_dir: Path | None, caps: Caps) -> Fields:
    """The entities with their spans, within the size caps (flagged when cut), and the flattened keyword field per
    entity type."""
    found = extract_entities(doc["title"], doc["body"], backend=backend, camel_model_dir=camel_model_dir)
    entities, cut = cap_entities(found, caps)
    fields: dict[str, object] = {"entities": entities, **entity_fields(entities)}
    if cut:
        fields["flags"] = sorted({*doc["flags"], ENTITIES_TRUNCATED})
    return fields
