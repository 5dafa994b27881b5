"""Python models for the v1 message shapes, checked against ``schemas/v1/*.json``."""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

import fastjsonschema
import jsonschema
from pydantic import BaseModel, ConfigDict, Field
from rfc3339_validator import validate_rfc3339  # type: ignore[import-untyped]

SCHEMA_VERSION: Literal[1] = 1
SCHEMA_DIR = Path(__file__).parent / "v1"
DLQ_ORIGINAL_MAX_BYTES = 64 * 1024  # keeps a dead letter well under Kafka's 1 MB default message size

Language = Literal["ar", "fa", "ur", "other_arabic_script", "latin", "unknown"]
EntityType = Literal["PER", "LOC", "ORG", "MISC"]
GeoScope = Literal["local", "middle_east", "world"]
Stage = Literal["produce", "process", "sink"]


class SchemaViolation(ValueError):
    """A message does not match its JSON Schema; ``reason`` is the machine-readable code for the DLQ."""

    def __init__(self, detail: str, reason: str = "schema_violation") -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema ``schemas/v1/<name>.json`` as a dict."""
    with (SCHEMA_DIR / f"{name}.json").open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


@functools.cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator: jsonschema.protocols.Validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return validator


def _rfc3339(value: str) -> bool:
    return bool(validate_rfc3339(value))


@functools.cache
def _fast_check(name: str) -> Callable[[Any], Any]:
    """The same schema compiled to Python code by fastjsonschema: ~10x faster than jsonschema on valid messages.

    Only the yes/no answer is used; ``date-time`` is checked with the same RFC 3339 validator jsonschema uses.
    """
    return fastjsonschema.compile(load_schema(name), formats={"date-time": _rfc3339})


def _validate(name: str, obj: object) -> None:
    # Every message is validated twice on its way (producer and processor): the compiled check keeps that cheap.
    # jsonschema stays the authority: it judges what the fast check rejects and words the error.
    try:
        _fast_check(name)(obj)
        return
    except fastjsonschema.JsonSchemaException:
        pass
    error = jsonschema.exceptions.best_match(_validator(name).iter_errors(cast(Any, obj)))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "<root>"
        raise SchemaViolation(f"{name} v{SCHEMA_VERSION}: at {where}: {error.message[:300]}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RawArticle(_Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    id: str
    url: str | None = None
    canonical_url: str | None = None
    source: str
    title: str
    body: str
    published_at: str | None = None
    published_at_raw: str | None = None
    fetched_at: str
    language: str | None = None
    author: str | None = None
    origin: str | None = None


class EntitySpan(_Model):
    field: Literal["title", "body"]
    start: int
    end: int


class Entity(_Model):
    text: str
    type: EntityType
    canonical: str
    count: int
    spans: list[EntitySpan]


class TopicScore(_Model):
    label: str
    score: float


class EnrichedArticle(_Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    id: str
    url: str | None = None
    canonical_url: str | None = None
    source: str
    title: str
    body: str
    published_at: str | None = None
    fetched_at: str
    author: str | None = None
    declared_language: str | None = None
    language: Language
    arabic_ratio: float = 0.0
    title_normalized: str
    body_normalized: str
    word_count: int
    flags: list[str] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    persons: list[str] = Field(default_factory=list)
    locations: list[str] = Field(default_factory=list)
    organizations: list[str] = Field(default_factory=list)
    misc: list[str] = Field(default_factory=list)
    topics: list[TopicScore] = Field(default_factory=list)
    topic_scores: dict[str, float] = Field(default_factory=dict)
    geo_scope: GeoScope | None = None
    keywords: list[str] = Field(default_factory=list)
    enriched_at: str
    steps: list[str]


class DeadLetter(_Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    reason: str
    detail: str
    stage: Stage
    article_id: str | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    origin: str | None = None
    failed_at: str
    original: str
    original_encoding: Literal["utf-8", "base64"]
    original_truncated: bool = False
    original_size: int = 0


def validate_raw(obj: object) -> RawArticle:
    """Validate a decoded JSON value against raw_article v1; raises SchemaViolation."""
    _validate("raw_article", obj)
    assert isinstance(obj, dict)
    return RawArticle.model_validate(obj)


def validate_enriched(obj: object) -> EnrichedArticle:
    """Validate a decoded JSON value against enriched_article v1; raises SchemaViolation."""
    _validate("enriched_article", obj)
    assert isinstance(obj, dict)
    return EnrichedArticle.model_validate(obj)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def dead_letter(
    original: bytes | str | None,
    *,
    reason: str,
    detail: str,
    stage: Stage,
    article_id: str | None = None,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    origin: str | None = None,
) -> DeadLetter:
    """Build a DLQ record: the original (cut to 64 KiB, base64 when it is not UTF-8) and why it failed."""
    raw = original.encode("utf-8", "surrogatepass") if isinstance(original, str) else (original or b"")
    size = len(raw)
    cut = raw[:DLQ_ORIGINAL_MAX_BYTES]
    try:
        text, encoding = cut.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if size > DLQ_ORIGINAL_MAX_BYTES and exc.start >= len(cut) - 3:
            # only the cut split a multi-byte character: keep text
            text, encoding = cut[: exc.start].decode("utf-8"), "utf-8"
        else:
            text, encoding = base64.b64encode(cut).decode("ascii"), "base64"
    return DeadLetter(
        reason=reason,
        detail=detail[:2000],
        stage=stage,
        article_id=article_id,
        topic=topic,
        partition=partition,
        offset=offset,
        origin=origin,
        failed_at=utc_now(),
        original=text,
        original_encoding=encoding,  # type: ignore[arg-type]
        original_truncated=size > DLQ_ORIGINAL_MAX_BYTES,
        original_size=size,
    )
