"""Entities: the cleaned title and body through the NER package; its models load once, on the first article."""

from __future__ import annotations

from pathlib import Path

from processors.ner import entity_fields, extract_entities
from processors.steps import Doc, Fields


def find_entities(doc: Doc, *, backend: str, camel_model_dir: Path | None) -> Fields:
    """The entities with their spans, and the flattened keyword field per entity type."""
    entities = extract_entities(doc["title"], doc["body"], backend=backend, camel_model_dir=camel_model_dir)
    return {"entities": entities, **entity_fields(entities)}
