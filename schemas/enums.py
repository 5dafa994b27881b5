"""The closed vocabularies of the message contract, one place for every stage and for the index mapping.

Each enum is a ``StrEnum``: members compare equal to their string values, so documents and Kafka headers
carry plain strings and the JSON Schemas list the same values (``tests/unit/schemas`` checks they agree).
"""

from __future__ import annotations

from enum import StrEnum


class EntityType(StrEnum):
    """Entity types in documents (the CoNLL tool speaks ANERcorp's PERS/LOC/ORG/MISC)."""

    PER = "PER"
    LOC = "LOC"
    ORG = "ORG"
    MISC = "MISC"


# The index's keyword field per entity type: analysts filter on ``persons: "…"`` rather than nested entities.
ENTITY_FIELDS: dict[EntityType, str] = {
    EntityType.PER: "persons",
    EntityType.LOC: "locations",
    EntityType.ORG: "organizations",
    EntityType.MISC: "misc",
}


class TopicLabel(StrEnum):
    """The topic model's labels; ``topic_scores`` has one float per label."""

    POLITICS = "politics"
    ECONOMY = "economy"
    SPORTS = "sports"
    CULTURE = "culture"
    TECHNOLOGY = "technology"
    HEALTH = "health"
    RELIGION = "religion"
    SOCIETY = "society"
    MISC = "misc"


class GeoScope(StrEnum):
    LOCAL = "local"
    MIDDLE_EAST = "middle_east"
    WORLD = "world"


class Language(StrEnum):
    """What the language step can conclude from the letters of title and body."""

    ARABIC = "ar"
    PERSIAN = "fa"
    URDU = "ur"
    OTHER_ARABIC_SCRIPT = "other_arabic_script"
    LATIN = "latin"
    UNKNOWN = "unknown"


class Stage(StrEnum):
    """Where a message failed: the producer, the processor or the sink."""

    PRODUCE = "produce"
    PROCESS = "process"
    SINK = "sink"


class Reason(StrEnum):
    """Every machine-readable dead-letter reason, by the stage that gives it."""

    # produce: reading the input
    FILE_TOO_LARGE = "file_too_large"
    UNREADABLE_FILE = "unreadable_file"
    INVALID_UTF8 = "invalid_utf8"
    INVALID_UNICODE = "invalid_unicode"
    INVALID_JSON = "invalid_json"
    TOO_DEEPLY_NESTED = "too_deeply_nested"
    NOT_AN_OBJECT = "not_an_object"
    WRONG_TYPE = "wrong_type"
    MISSING_BODY = "missing_body"
    BODY_TOO_LARGE = "body_too_large"
    SCHEMA_VIOLATION = "schema_violation"
    # produce: live feeds (producers/feeds)
    NO_TEXT = "no_text"  # neither the article page nor the feed item had text to index
    PAGE_UNAVAILABLE = "page_unavailable"  # the page kept failing and the feed item has no text of its own
    # process: the enrichment chain
    EMPTY_MESSAGE = "empty_message"
    EMPTY_TEXT = "empty_text"
    NOT_ARABIC = "not_arabic"
    STEP_FAILED = "step_failed"
    TOO_LARGE_ENRICHED = "too_large_enriched"  # the enriched document would not fit the message-size contract
    # sink: the enriched document or Elasticsearch's answer
    INVALID_ENRICHED = "invalid_enriched"
    INVALID_STORY = "invalid_story"  # a record of the stories topic that is not a story document
    INDEX_REJECTED = "index_rejected"
    INDEX_REQUEST_REJECTED = "index_request_rejected"  # Elasticsearch refused a bulk of this document alone
