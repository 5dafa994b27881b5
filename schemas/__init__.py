"""The message contract of akhbar: versioned JSON Schemas (``schemas/v1/*.json``) and matching Python models.

The JSON Schema files are the single source of truth: producers and processors validate against them,
and ``tests/unit/schemas`` checks that the pydantic models below carry exactly the same fields.
"""

from schemas.models import (
    SCHEMA_VERSION,
    DeadLetter,
    EnrichedArticle,
    Entity,
    EntitySpan,
    RawArticle,
    SchemaViolation,
    TopicScore,
    dead_letter,
    load_schema,
    validate_enriched,
    validate_raw,
)

__all__ = [
    "SCHEMA_VERSION",
    "DeadLetter",
    "EnrichedArticle",
    "Entity",
    "EntitySpan",
    "RawArticle",
    "SchemaViolation",
    "TopicScore",
    "dead_letter",
    "load_schema",
    "validate_enriched",
    "validate_raw",
]
