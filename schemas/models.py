"""Python models for the v1 message shapes, checked against ``schemas/v1/*.json``."""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

import fastjsonschema
import jsonschema
import orjson
from pydantic import BaseModel, ConfigDict, Field
from rfc3339_validator import validate_rfc3339  # type: ignore[import-untyped]

from schemas.enums import EntityType, GeoScope, Language, Reason, Stage

SCHEMA_VERSION: Literal[1] = 1
SCHEMA_DIR = Path(__file__).parent / "v1"
DLQ_ORIGINAL_MAX_BYTES = 64 * 1024  # keeps a dead letter well under Kafka's 1 MB default message size


def _schema_max_length(name: str, field: str) -> int:
    with (SCHEMA_DIR / f"{name}.json").open(encoding="utf-8") as fh:
        return int(json.load(fh)["properties"][field]["maxLength"])


# The schema's bound on a raw body, read from the schema so there is one number: the producer dead-letters a
# longer body as body_too_large (the processor's shorter NLP cut is a setting of its own, enrich.body_max_chars).
RAW_BODY_MAX_CHARS = _schema_max_length("raw_article", "body")


class SchemaViolation(ValueError):
    """A message does not match its JSON Schema; ``reason`` is the machine-readable code for the DLQ."""

    def __init__(self, detail: str, reason: Reason = Reason.SCHEMA_VIOLATION) -> None:
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
    # use_enum_values: fields typed with the schemas.enums hold their plain string values, as the JSON does
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


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
    flags: list[str] = Field(default_factory=list)


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
    story_id: str | None = None
    duplicate_of: str | None = None
    enriched_at: str
    steps: list[str]


class Story(_Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    id: str
    title: str
    central_article: str
    first_seen: str
    last_seen: str
    article_count: int
    sources: list[str]
    source_count: int
    persons: list[str]
    organizations: list[str]
    locations: list[str]
    topics: list[str]
    geo_scope: str | None
    growth: int
    revision: int
    updated_at: str


class DeadLetter(_Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    reason: Reason
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
    replays: int = 0


def validate_raw(obj: object) -> RawArticle:
    """Validate a decoded JSON value against raw_article v1; raises SchemaViolation."""
    _validate("raw_article", obj)
    assert isinstance(obj, dict)
    return RawArticle.model_validate(obj)


def check_enriched(obj: object) -> None:
    """Check a decoded JSON value against enriched_article v1 without building the model; raises SchemaViolation.

    For a consumer that passes the document on as it came (the sink indexes the original bytes)."""
    _validate("enriched_article", obj)


def check_story(obj: object) -> None:
    """Check a decoded JSON value against story v1; raises SchemaViolation."""
    _validate("story", obj)


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
    reason: Reason | str,
    detail: str,
    stage: Stage | str,
    article_id: str | None = None,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    origin: str | None = None,
    replays: int = 0,
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
        reason=Reason(reason),
        detail=detail[:2000],
        stage=Stage(stage),
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
        replays=replays,
    )


@dataclass(frozen=True)
class KafkaRecord:
    """A message as every stage puts it on Kafka: key, value and headers."""

    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


RAW_HEADERS = [("schema", b"raw_article.v1")]  # consumers can tell the shape without parsing the value
ENRICHED_HEADERS = [("schema", b"enriched_article.v1")]
STORY_HEADERS = [("schema", b"story.v1")]
# On a message `akhbar dlq replay` re-produced: how many times it has been replayed. A stage that dead-letters
# such a message again copies the count into the letter, so a record that keeps failing can be told apart.
REPLAYS_HEADER = "replays"


def replays_of(headers: Iterable[tuple[str, bytes | None]] | None) -> int:
    """The replay count in a consumed message's headers (0 when absent or unreadable)."""
    for name, value in headers or ():
        if name == REPLAYS_HEADER and value:
            try:
                return max(0, int(value))
            except ValueError:
                return 0
    return 0


def dead_letter_record(letter: DeadLetter) -> KafkaRecord:
    """The one encoding of a dead letter on ``articles.dlq``, used by all three stages.

    Key = the article id when known (a replay lands on the same partition as the article's other letters);
    headers name the schema, the reason and the stage, so a consumer can filter without parsing the value.
    """
    return KafkaRecord(
        key=letter.article_id.encode() if letter.article_id else None,
        value=orjson.dumps(letter.model_dump()),
        headers=[
            ("schema", b"dead_letter.v1"),
            ("reason", str(letter.reason).encode()),
            ("stage", str(letter.stage).encode()),
            (REPLAYS_HEADER, str(letter.replays).encode()),
        ],
    )
