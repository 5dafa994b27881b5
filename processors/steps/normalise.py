"""Normalisation: the matching forms of title and body (what search and the NLP steps compare) and the word count."""

from __future__ import annotations

from processors.steps import Doc, Fields
from processors.text import normalize_for_matching, word_count


def normalise(doc: Doc) -> Fields:
    return {
        "title_normalized": normalize_for_matching(doc["title"]),
        "body_normalized": normalize_for_matching(doc["body"]),
        "word_count": word_count(doc["body"]),
    }
