"""Words for the topic/geo models: the prepared text of an article, its tokens and their light stems.

:func:`prepare` is what the features read: outlet furniture stripped (:mod:`processors.topics.boilerplate`),
the body cut to its lead, orthography folded (:func:`processors.arabic.fold_for_topics`). :func:`light_stem`
strips common clitics and suffixes (a light10-style stemmer). Pure functions that never raise on any ``str``.
"""

from __future__ import annotations

import re

from processors.arabic import fold_for_topics
from processors.topics.boilerplate import strip_boilerplate

MAX_FEATURE_CHARS = 1500  # the lead paragraphs carry the topic; 3000 chars scored the same cross-outlet at 2x cost
MAX_TITLE_CHARS = 1000  # headlines are short; anything longer is a misplaced body and gets cut
MIN_STEM_LEN = 2  # never strip a word below two letters: the remainder would be meaningless


def prepare(title: str, body: str, *, max_chars: int = MAX_FEATURE_CHARS) -> str:
    """Boilerplate-stripped, normalised ``title + body`` text (body truncated) used by the models."""
    return prepare_clean(
        strip_boilerplate((title or "")[:MAX_TITLE_CHARS]),
        strip_boilerplate((body or "")[: max_chars * 2]),
        max_chars=max_chars,
    )


def prepare_clean(clean_title: str, clean_body: str, *, max_chars: int = MAX_FEATURE_CHARS) -> str:
    """:func:`prepare` for title/body already passed through :func:`strip_boilerplate`."""
    text = clean_body[:max_chars]
    if clean_title:
        text = clean_title + " \n " + text
    return fold_for_topics(text)


# --- tokens and light stemming -------------------------------------------------------------------
_TOKEN_RE = re.compile(r"[\u0621-\u064a]+|[a-z]+")
_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و")  # light10 prefixes, longest first
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "يه", "ه", "ي")  # light10 suffixes (normalised: ة->ه)


def tokens(normalised_text: str) -> list[str]:
    """Arabic-letter runs and Latin words of an already normalised text."""
    return _TOKEN_RE.findall(normalised_text)


def light_stem(token: str) -> str:
    """Light10-style stem: strip one leading clitic group and trailing suffixes, keeping >= 2 letters."""
    w = token
    for p in _PREFIXES:
        if w.startswith(p) and len(w) - len(p) >= MIN_STEM_LEN + 1:
            w = w[len(p) :]
            break
    for s in _SUFFIXES:
        if len(w) - len(s) >= MIN_STEM_LEN and w.endswith(s):
            w = w[: -len(s)]
    return w
