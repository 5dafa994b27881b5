"""The enrichment chain: clean -> dates -> language -> normalise -> entities -> topics, built once and passed in.

``build_chain(config)`` turns the configured step names into one ordered tuple of steps, each a function of the
article so far with its settings already bound; the steps themselves live one per module in
``processors.steps``. The NLP steps (entities, topics) are imported only when the configured chain has them.

``enrich`` and ``enrich_message`` return an ``EnrichedArticle`` or a ``DeadLetter`` (stage ``process``), the way
``producers.prepare`` returns a ``RawArticle`` or a ``DeadLetter``: a rejected article is a value, not an
exception, wherever the chain runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from processors.size import Caps
from processors.steps import Doc, Fields, Rejected
from processors.steps.clean import clean_text
from processors.steps.dates import check_dates
from processors.steps.language import detect
from processors.steps.normalise import normalise
from processors.text import MAX_TITLE_CHARS, normalize_for_matching, word_count
from schemas import DeadLetter, EnrichedArticle, RawArticle, Reason, SchemaViolation, Stage, dead_letter, validate_raw
from schemas.models import utc_now

StepFunc = Callable[[Doc], Fields]


@dataclass(frozen=True)
class ChainConfig:
    """What the chain needs from the settings (``akhbar.wiring.chain_config`` builds it from ``EnrichSettings``)."""

    steps: tuple[str, ...]  # names from STEP_ORDER; they run in that order whatever order they are given in
    accepted_languages: frozenset[str]
    future_date_tolerance: timedelta
    ner_backend: str
    ner_camel_model_dir: Path | None
    topic_threshold: float | None  # None = the topic model's own default
    body_max_chars: int  # the cleaned body is cut here (at a word) and flagged "truncated"
    entities_max: int  # the size caps of processors.size
    entity_spans_max: int
    entity_max_chars: int

    @property
    def caps(self) -> Caps:
        """The length caps that bound an enriched document's size (``processors.size``)."""
        return Caps(
            body_max_chars=self.body_max_chars,
            title_max_chars=MAX_TITLE_CHARS,
            entities_max=self.entities_max,
            entity_spans_max=self.entity_spans_max,
            entity_max_chars=self.entity_max_chars,
        )


@dataclass(frozen=True)
class Step:
    name: str
    run: StepFunc


Chain = tuple[Step, ...]


def _clean(cfg: ChainConfig) -> StepFunc:
    body_max_chars = cfg.body_max_chars
    return lambda doc: clean_text(doc, body_max_chars=body_max_chars)


def _dates(cfg: ChainConfig) -> StepFunc:
    tolerance = cfg.future_date_tolerance
    return lambda doc: check_dates(doc, future_tolerance=tolerance)


def _language(cfg: ChainConfig) -> StepFunc:
    accepted = cfg.accepted_languages
    return lambda doc: detect(doc, accepted=accepted)


def _normalise(_cfg: ChainConfig) -> StepFunc:
    return normalise


def _entities(cfg: ChainConfig) -> StepFunc:
    from processors.ner import load_models
    from processors.steps.entities import find_entities  # the NER runtime, loaded only for a chain that has it

    backend, model_dir, caps = cfg.ner_backend, cfg.ner_camel_model_dir, cfg.caps
    load_models(backend, model_dir)  # now, so a missing or broken model file stops the start, naming the file
    return lambda doc: find_entities(doc, backend=backend, camel_model_dir=model_dir, caps=caps)


def _topics(cfg: ChainConfig) -> StepFunc:
    from processors.steps.topics import tag_topics  # the topic model, loaded only for a chain that has it
    from processors.topics import DEFAULT_TOPIC_THRESHOLD, load_models

    load_models()  # now, so a missing or broken model file stops the start, naming the file

    threshold = DEFAULT_TOPIC_THRESHOLD if cfg.topic_threshold is None else cfg.topic_threshold
    return lambda doc: tag_topics(doc, threshold=threshold)


# Every step the chain knows, in the order it runs them: each name with the function that binds its settings.
_BUILDERS: Mapping[str, Callable[[ChainConfig], StepFunc]] = {
    "clean": _clean,
    "dates": _dates,
    "language": _language,
    "normalise": _normalise,
    "entities": _entities,
    "topics": _topics,
}
STEP_ORDER = tuple(_BUILDERS)


def build_chain(cfg: ChainConfig) -> Chain:
    """The configured steps in ``STEP_ORDER``, their models loaded; raises ValueError naming any step the chain does
    not know, and ModelError naming a model file that is missing, corrupt or built for another normalisation."""
    unknown = [name for name in cfg.steps if name not in _BUILDERS]
    if unknown:
        raise ValueError(f"unknown enrichment step(s) {unknown}; known: {list(STEP_ORDER)}")
    wanted = set(cfg.steps)
    return tuple(Step(name, build(cfg)) for name, build in _BUILDERS.items() if name in wanted)


def _run(raw: RawArticle, chain: Chain) -> EnrichedArticle:
    """The steps of ``chain`` over ``raw``; raises Rejected (a step's own, or step_failed for anything else)."""
    doc: dict[str, Any] = {
        "id": raw.id,
        "url": raw.url,
        "canonical_url": raw.canonical_url,
        "source": raw.source,
        "title": raw.title,
        "body": raw.body,
        "published_at": raw.published_at,
        "published_at_raw": raw.published_at_raw,
        "fetched_at": raw.fetched_at,
        "author": raw.author,
        "declared_language": raw.language,
        "flags": list(raw.flags),  # the producer's (e.g. body_from_feed); steps add their own
    }
    for step in chain:
        try:
            doc.update(step.run(doc))
        except Rejected:
            raise
        except Exception as exc:  # a bug or a poisonous input in one step: this article goes to the DLQ
            raise Rejected(Reason.STEP_FAILED, f"step {step.name!r} raised {type(exc).__name__}: {exc}") from exc
    doc.pop("published_at_raw", None)
    # Fields the schema requires even when the chain leaves out "normalise" (computed only then: a
    # setdefault(key, f(x)) would run f on every article, doubling the normalisation and the word count).
    doc.setdefault("language", "unknown")
    if "title_normalized" not in doc:
        doc["title_normalized"] = normalize_for_matching(doc["title"])
    if "body_normalized" not in doc:
        doc["body_normalized"] = normalize_for_matching(doc["body"])
    if "word_count" not in doc:
        doc["word_count"] = word_count(doc["body"])
    doc["steps"] = [step.name for step in chain]  # every step ran: one that did not rejected the article
    doc["enriched_at"] = utc_now()
    # pydantic's own check is the cheapest way to the model (model_construct, which checks nothing, is slower);
    # the JSON Schema is not run again here: the sink checks what it indexes.
    try:
        return EnrichedArticle.model_validate(doc)
    except ValidationError as exc:
        raise Rejected(Reason.STEP_FAILED, f"the steps built an invalid enriched article: {exc}") from exc


def enrich(
    raw: RawArticle,
    chain: Chain,
    *,
    original: bytes | str | None = None,
    article_id: str | None = None,
    origin: str | None = None,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    replays: int = 0,
) -> EnrichedArticle | DeadLetter:
    """``raw`` through ``chain``: the enriched article, or the dead letter saying which step rejected it and why.

    The letter carries ``original`` (default: ``raw`` as JSON), ``article_id`` (default: ``raw.id``), where the
    input came from (``origin`` or its Kafka position) and how often it was replayed from the DLQ (``replays``).
    """
    try:
        return _run(raw, chain)
    except Rejected as rej:
        return dead_letter(
            orjson.dumps(raw.model_dump()) if original is None else original,
            reason=rej.reason,
            detail=rej.detail,
            stage=Stage.PROCESS,
            article_id=raw.id if article_id is None else article_id,
            origin=origin,
            topic=topic,
            partition=partition,
            offset=offset,
            replays=replays,
        )


def parse_raw_message(value: bytes | str | None) -> RawArticle:
    """Decode and validate a message from ``articles.raw`` (orjson, then the raw_article schema); raises Rejected."""
    if value is None:
        raise Rejected(Reason.EMPTY_MESSAGE, "message has no value (tombstone)")
    try:
        # orjson reads the bytes as they come and checks their UTF-8 itself: decoding to str first would cost a
        # decode plus orjson's re-encode of the str.
        obj = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        if isinstance(value, bytes):
            try:
                value.decode("utf-8")
            except UnicodeDecodeError as bad:
                raise Rejected(Reason.INVALID_UTF8, f"not UTF-8 at byte {bad.start}") from bad
        raise Rejected(Reason.INVALID_JSON, f"not JSON: {exc}") from exc
    try:
        return validate_raw(obj)
    except SchemaViolation as exc:
        raise Rejected(Reason(exc.reason), exc.detail) from exc
    except RecursionError as exc:
        raise Rejected(Reason.TOO_DEEPLY_NESTED, "the message nests too deeply to validate") from exc


def enrich_message(
    value: bytes | str | None,
    chain: Chain,
    *,
    key: str | None = None,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    replays: int = 0,
) -> EnrichedArticle | DeadLetter:
    """A message of ``articles.raw`` parsed, validated once and enriched; what fails is a dead letter of the message
    as it came (``value``), keyed by the message ``key``, with its Kafka position and its replay count (the
    ``replays`` header of a message ``akhbar dlq replay`` re-produced)."""
    try:
        raw = parse_raw_message(value)
    except Rejected as rej:
        return dead_letter(
            value,
            reason=rej.reason,
            detail=rej.detail,
            stage=Stage.PROCESS,
            article_id=key,
            topic=topic,
            partition=partition,
            offset=offset,
            replays=replays,
        )
    return enrich(
        raw,
        chain,
        original=value,
        article_id=key,
        topic=topic,
        partition=partition,
        offset=offset,
        replays=replays,
    )


WARM_UP_ARTICLE = RawArticle(
    id="0" * 32,
    source="akhbar",
    title="اختبار التشغيل",
    body="افتتح وزير الثقافة معرض الكتاب في القاهرة صباح اليوم بمشاركة ناشرين من عشرين دولة.",
    fetched_at="2026-01-01T00:00:00Z",
)


def warm_up(chain: Chain) -> EnrichedArticle:
    """Run the chain once on a built-in article so every step loads its model now; raises when it is rejected
    (a step that fails on this article would fail on every one: the worker should not start)."""
    result = enrich(WARM_UP_ARTICLE, chain)
    if isinstance(result, DeadLetter):
        raise RuntimeError(f"the enrichment chain rejected its warm-up article: {result.reason}: {result.detail}")
    return result
