"""The message contract of akhbar: versioned JSON Schemas (``schemas/v1/*.json``) and matching Python models.

The JSON Schema files are the single source of truth: producers and processors validate against them,
and ``tests/unit/schemas`` checks that the pydantic models below carry exactly the same fields.
"""

from schemas.enums import ENTITY_FIELDS, EntityType, GeoScope, Language, Reason, Stage, TopicLabel
from schemas.fields import ENRICHED_FIELDS, FieldKind
from schemas.models import (
    ENRICHED_HEADERS,
    RAW_BODY_MAX_CHARS,
    RAW_HEADERS,
    REPLAYS_HEADER,
    SCHEMA_VERSION,
    DeadLetter,
    EnrichedArticle,
    Entity,
    EntitySpan,
    KafkaRecord,
    RawArticle,
    SchemaViolation,
    TopicScore,
    check_enriched,
    dead_letter,
    dead_letter_record,
    load_schema,
    replays_of,
    validate_enriched,
    validate_raw,
)

__all__ = [
    "ENRICHED_FIELDS",
    "ENRICHED_HEADERS",
    "ENTITY_FIELDS",
    "RAW_BODY_MAX_CHARS",
    "RAW_HEADERS",
    "REPLAYS_HEADER",
    "SCHEMA_VERSION",
    "DeadLetter",
    "EnrichedArticle",
    "Entity",
    "EntitySpan",
    "EntityType",
    "FieldKind",
    "GeoScope",
    "KafkaRecord",
    "Language",
    "RawArticle",
    "Reason",
    "SchemaViolation",
    "Stage",
    "TopicLabel",
    "TopicScore",
    "check_enriched",
    "dead_letter",
    "dead_letter_record",
    "load_schema",
    "replays_of",
    "validate_enriched",
    "validate_raw",
]
