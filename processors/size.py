"""The enriched document's size, held under the message-size contract by construction.

Every message akhbar writes fits one limit (``settings.kafka.max_message_bytes``). The processor's output is the
one message that grows: a raw body comes back as the cleaned body, its normalised copy and entity spans into it. So
the chain caps each part (body length, entities per article, spans per entity, characters per entity name), and
:func:`worst_case_bytes` adds up what those caps let a document reach; the processor refuses to start when that
could exceed the limit (:func:`check_fits`). The handler still measures each serialised document: one that is
over the limit anyway is dead-lettered as ``too_large_enriched``, never sent to fail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

# JSON bytes of one character of cleaned text or of its normalised copy: UTF-8 takes at most 4 bytes for a code
# point; cleaning leaves no control character but \n (escaped in 2 bytes), and the search folding turns one
# character into at most 4 bytes (tests/unit/processors/test_size.py checks that over every code point).
BYTES_PER_CHAR = 4
# Every other field of the document: url and canonical_url (at most 4,096 characters each in raw_article.json),
# source, author, dates, flags, steps, topics and at most 10 keywords from the first 1,800 characters: ~50 KB at
# 4 bytes a character.
OTHER_FIELDS_BYTES = 64 * 1024
# What Kafka adds to a value: the key (32 bytes), the headers and the record and batch headers (aiokafka's size
# estimate adds ~90 bytes to key + value + headers).
RECORD_OVERHEAD_BYTES = 1024
ENTITIES_TRUNCATED = "entities_truncated"  # the flag of a document whose entities or spans were cut to the caps


@dataclass(frozen=True)
class Caps:
    """The length caps of the chain (from ``EnrichSettings``)."""

    body_max_chars: int
    title_max_chars: int
    entities_max: int
    entity_spans_max: int
    entity_max_chars: int


def _entity_bytes(caps: Caps) -> int:
    """The most one entity can take: its fixed keys, text and canonical at the character cap (and the canonical
    again in the per-type keyword list), a count and its spans at the largest offsets."""
    widest = max(caps.body_max_chars, caps.title_max_chars)
    span = len(orjson.dumps({"field": "title", "start": widest, "end": widest})) + 1  # with its comma
    name = "x" * caps.entity_max_chars
    fixed = len(orjson.dumps({"text": "", "type": "MISC", "canonical": "", "count": widest, "spans": []})) + 1
    return fixed + 3 * (BYTES_PER_CHAR * len(name) + 3) + caps.entity_spans_max * span


def worst_case_bytes(caps: Caps) -> int:
    """The largest enriched message the caps allow: title and body twice (cleaned and normalised), every entity at
    its largest, the other fields and Kafka's record overhead."""
    text = 2 * BYTES_PER_CHAR * (caps.body_max_chars + caps.title_max_chars)
    return text + caps.entities_max * _entity_bytes(caps) + OTHER_FIELDS_BYTES + RECORD_OVERHEAD_BYTES


def check_fits(caps: Caps, max_message_bytes: int) -> None:
    """Raise ValueError (naming the caps) when an enriched document could exceed ``max_message_bytes``."""
    worst = worst_case_bytes(caps)
    if worst > max_message_bytes:
        raise ValueError(
            f"enriched documents could reach {worst:,} bytes, above kafka.max_message_bytes={max_message_bytes:,}: "
            f"lower enrich.body_max_chars ({caps.body_max_chars:,}), enrich.entities_max ({caps.entities_max}), "
            f"enrich.entity_spans_max ({caps.entity_spans_max}) or enrich.entity_max_chars "
            f"({caps.entity_max_chars}), or raise the limit"
        )


def max_document_bytes(max_message_bytes: int) -> int:
    """The largest serialised document the processor sends: the limit less Kafka's record overhead."""
    return max_message_bytes - RECORD_OVERHEAD_BYTES


def cap_entities(entities: Sequence[Mapping[str, Any]], caps: Caps) -> tuple[list[Mapping[str, Any]], bool]:
    """The entities within the caps, and whether anything was cut.

    Entities come most frequent first, so the first ``entities_max`` are kept; a name longer than
    ``entity_max_chars`` is a tagging run-on and is dropped; each entity keeps its first ``entity_spans_max``
    spans (its ``count`` stays the number of mentions).
    """
    kept: list[Mapping[str, Any]] = []
    cut = False
    for entity in entities:
        if len(str(entity["text"])) > caps.entity_max_chars or len(str(entity["canonical"])) > caps.entity_max_chars:
            cut = True
            continue
        if len(kept) == caps.entities_max:
            cut = True
            break
        spans = entity["spans"]
        if len(spans) > caps.entity_spans_max:
            entity = {**entity, "spans": spans[: caps.entity_spans_max]}
            cut = True
        kept.append(entity)
    return kept, cut
