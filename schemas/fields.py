"""How each field of ``enriched_article.json`` is indexed in Elasticsearch: the one list of index fields.

``sinks/index.py`` builds the index mapping from this table, and ``tests/unit/schemas`` checks that every
property of the JSON Schema (nested ones included) has an entry here and that nothing here is missing from the
schema. The mapping is ``dynamic: false``, so a field without an entry would be kept in ``_source`` but silently
not searchable; the test makes that a failure instead.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from schemas.enums import TopicLabel


class FieldKind(StrEnum):
    """How a field is indexed; ``sinks/index.py`` turns each kind into its Elasticsearch mapping."""

    KEYWORD = "keyword"  # exact values: ids, names, labels (filters and aggregations in Kibana)
    URL = "url"  # a keyword that may be long
    TITLE = "title"  # Arabic full text, plus an exact subfield and a keyword for sorting and terms
    ARABIC_TEXT = "arabic_text"  # Arabic full text, plus an exact (folded, unstemmed) subfield
    STORED_TEXT = "stored_text"  # kept for display and re-processing, not searched
    DATE = "date"
    INTEGER = "integer"
    FLOAT = "float"
    OBJECT = "object"  # has sub-fields of its own (listed with a dotted path)
    NOT_INDEXED = "not_indexed"  # kept in _source only, on purpose (e.g. character offsets)


# Dotted paths for the fields of nested objects (``entities.type``); a list of objects counts as its object.
ENRICHED_FIELDS: Final[dict[str, FieldKind]] = {
    "schema_version": FieldKind.INTEGER,
    "id": FieldKind.KEYWORD,
    "url": FieldKind.URL,
    "canonical_url": FieldKind.URL,
    "source": FieldKind.KEYWORD,
    "title": FieldKind.TITLE,
    "body": FieldKind.ARABIC_TEXT,
    "title_normalized": FieldKind.STORED_TEXT,
    "body_normalized": FieldKind.STORED_TEXT,
    "published_at": FieldKind.DATE,
    "fetched_at": FieldKind.DATE,
    "enriched_at": FieldKind.DATE,
    "author": FieldKind.KEYWORD,
    "declared_language": FieldKind.KEYWORD,
    "language": FieldKind.KEYWORD,
    "arabic_ratio": FieldKind.FLOAT,
    "word_count": FieldKind.INTEGER,
    "flags": FieldKind.KEYWORD,
    "steps": FieldKind.KEYWORD,
    "entities": FieldKind.OBJECT,
    "entities.text": FieldKind.KEYWORD,
    "entities.type": FieldKind.KEYWORD,
    "entities.canonical": FieldKind.KEYWORD,
    "entities.count": FieldKind.INTEGER,
    "entities.spans": FieldKind.NOT_INDEXED,
    "persons": FieldKind.KEYWORD,
    "locations": FieldKind.KEYWORD,
    "organizations": FieldKind.KEYWORD,
    "misc": FieldKind.KEYWORD,
    "topics": FieldKind.OBJECT,
    "topics.label": FieldKind.KEYWORD,
    "topics.score": FieldKind.FLOAT,
    "topic_scores": FieldKind.OBJECT,
    **{f"topic_scores.{label}": FieldKind.FLOAT for label in TopicLabel},
    "geo_scope": FieldKind.KEYWORD,
    "keywords": FieldKind.KEYWORD,
    "story_id": FieldKind.KEYWORD,
    "duplicate_of": FieldKind.KEYWORD,
}

# The stories index (``story.json``): one document per story, kept current by the sink.
STORY_FIELDS: Final[dict[str, FieldKind]] = {
    "schema_version": FieldKind.INTEGER,
    "id": FieldKind.KEYWORD,
    "title": FieldKind.TITLE,
    "central_article": FieldKind.KEYWORD,
    "first_seen": FieldKind.DATE,
    "last_seen": FieldKind.DATE,
    "updated_at": FieldKind.DATE,
    "article_count": FieldKind.INTEGER,
    "sources": FieldKind.KEYWORD,
    "source_count": FieldKind.INTEGER,
    "persons": FieldKind.KEYWORD,
    "organizations": FieldKind.KEYWORD,
    "locations": FieldKind.KEYWORD,
    "topics": FieldKind.KEYWORD,
    "geo_scope": FieldKind.KEYWORD,
    "growth": FieldKind.INTEGER,
    "revision": FieldKind.INTEGER,
}
