"""Tokens for NER: tokenisation with offsets, the (cached) word folding, clitic stripping.

Everything here is pure Python (stdlib ``re``) and never raises on any ``str`` input: the tokenizer
returns ``(token, start, end)`` triples with ``text[start:end] == token`` always.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from processors.arabic import (
    DAGGER_ALEF,
    EXTRA_HARAKAT,
    HARAKAT,
    HONORIFIC_SIGNS,
    QURANIC_MARKS,
    QURANIC_SIGNS,
    TATWEEL,
    fold_for_ner,
    is_arabic_letter,
)

# Marks a word may carry (tokenizer only: they stay inside the token); the folding removes them.
_MARKS = HONORIFIC_SIGNS + HARAKAT + EXTRA_HARAKAT + DAGGER_ALEF + QURANIC_MARKS + QURANIC_SIGNS + TATWEEL

# A word: letters/digits with attached diacritics; a number keeps its decimal/thousands separators.
_TOKEN_RE = re.compile(
    rf"\d+(?:[.,\u066b\u066c]\d+)*"  # numbers: 1,500 / 3.5 / ٣٫٥
    rf"|(?:[^\W\d_]|[{_MARKS}])(?:[^\W_]|[{_MARKS}])*"  # words (may carry marks and trailing digits)
    r"|[^\s]",  # anything else: one punctuation/symbol character per token
)

CONJ_PROCLITICS = ("و", "ف")  # conjunctions wa-/fa- attach to any word
PREP_PROCLITICS = ("ب", "ل", "ك")  # prepositions bi-/li-/ka- attach to nouns
ARTICLE = "ال"
MIN_STEM_LEN = 2  # never strip a clitic if fewer than two letters would remain (e.g. "وا", "بل")


class Token(NamedTuple):
    """A token and its character offsets in the source text (``text[start:end] == text``)."""

    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into word/number/punctuation tokens with exact character offsets."""
    if not isinstance(text, str) or not text:
        return []
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


@lru_cache(maxsize=200_000)
def normalize(word: str) -> str:
    """``processors.arabic.fold_for_ner`` of one word, cached: NER folds the same words again and again."""
    return fold_for_ner(word)


class Split(NamedTuple):
    """A normalised word split into proclitics and stem: ``conj + prep + article + stem``."""

    conj: str
    prep: str
    article: str
    stem: str


@lru_cache(maxsize=200_000)
def split_clitics(norm: str) -> Split:
    """Greedy proclitic split of a *normalised* word: (و|ف)? (ب|ل|ك)? (ال)? stem.

    ``ل + ال`` is written ``لل`` (``للحكومة``); that form is handled too.  Ambiguous splits (``وليد``,
    ``بلال``) are resolved later by the caller looking the candidates up in a lexicon; this function only
    proposes the maximal split that leaves at least ``MIN_STEM_LEN`` letters.
    """
    conj = prep = art = ""
    rest = norm
    if len(rest) > MIN_STEM_LEN + 1 and rest[0] in CONJ_PROCLITICS:
        conj, rest = rest[0], rest[1:]
    if len(rest) > MIN_STEM_LEN + 1 and rest.startswith("لل"):
        prep, art, rest = "ل", "ل", rest[2:]  # li + al with the alef dropped
        return Split(conj, prep, art, rest)
    if len(rest) > MIN_STEM_LEN + 1 and rest[0] in PREP_PROCLITICS:
        prep, rest = rest[0], rest[1:]
    if len(rest) > MIN_STEM_LEN + 1 and rest.startswith(ARTICLE):
        art, rest = ARTICLE, rest[2:]
    return Split(conj, prep, art, rest)


__all__ = ["ARTICLE", "Split", "Token", "is_arabic_letter", "normalize", "split_clitics", "tokenize"]
