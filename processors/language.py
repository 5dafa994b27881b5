"""Which language an Arabic-script text is in: Arabic, Persian, Urdu, other Arabic-script, Latin, unknown.

Letters used only outside Arabic (پ چ ژ گ ک ی for Persian; ٹ ڈ ڑ ں ے ھ for Urdu) and very frequent
function words decide; Arabic's own markers are ك ي ة ى and its function words.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from processors.arabic import (
    ARABIC_NEWS_LETTERS,
    ARABIC_ONLY_LETTERS,
    ARABIC_SCRIPT_LETTERS,
    OTHER_SCRIPT_LETTERS,
    PERSIAN_LETTERS,
    URDU_LETTERS,
)

LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
SAMPLE_CHARS = 1_000  # ~170 words settle Arabic vs Persian/Urdu/Latin; reading more only costs time
MIN_SCRIPT_SHARE = 0.3  # under 30% Arabic-script letters, the text is mostly another script
URDU_ONLY = URDU_LETTERS
URDU_MIN_SHARE = 0.01  # Urdu-only letters are this frequent in any Urdu sentence, and absent from Arabic
OTHER_ONLY = OTHER_SCRIPT_LETTERS
PERSIAN_MARKERS = PERSIAN_LETTERS
ARABIC_MARKERS = ARABIC_ONLY_LETTERS
ARABIC_LETTERS = ARABIC_NEWS_LETTERS
ARABIC_WORDS = frozenset(
    ["في", "من", "على", "إلى", "الى", "أن", "ان", "التي", "الذي", "عن", "مع", "هذا", "هذه", "كان", "قال", "بين", "بعد"]
)
PERSIAN_WORDS = frozenset(["است", "این", "را", "که", "می", "برای", "با", "از", "آن", "شد", "کرد", "یک"])
URDU_WORDS = frozenset(["کے", "کی", "ہے", "میں", "اور", "سے", "کو", "نے", "پر", "ہیں"])


@dataclass(frozen=True)
class LanguageGuess:
    language: str
    arabic_ratio: float  # share of letters that are Arabic-script


def _count(text: str, chars: frozenset[str]) -> int:
    return sum(text.count(c) for c in chars)


# Arabic-script letters are counted by runs of a character class (one match per word), the other letters with
# str.isalpha (in C): both several times cheaper than the one-match-per-character findall calls they replaced
# (0.22 ms of the processor's ~0.6 ms per article).
_ARABIC_SCRIPT_LETTERS = ARABIC_SCRIPT_LETTERS


def _letters(text: str) -> int:
    return sum(map(str.isalpha, text))


def _char_class(codepoints: list[int]) -> str:
    """A regex character class body for these code points, as ranges."""
    ranges: list[list[int]] = []
    for c in sorted(codepoints):
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


# Runs of Arabic-script letters: one match per word, ~2x cheaper than translating every character (the same count:
# the class is exactly the letters of _ARABIC_SCRIPT_LETTERS).
_ARABIC_SCRIPT_RUN = re.compile(f"[{_char_class(list(_ARABIC_SCRIPT_LETTERS))}]+")


# Function words of each language in one table: one pass over the sample's words instead of three.
_FUNCTION_WORD_LANGUAGE = {
    **{w: "ur" for w in URDU_WORDS},
    **{w: "fa" for w in PERSIAN_WORDS},
    **{w: "ar" for w in ARABIC_WORDS},
}
# Any letter of Persian, Urdu or the other Arabic-script languages: most Arabic samples have none, and then
# their 32 per-letter counts are known to be 0 without making them.
_NON_ARABIC_LETTER = re.compile(f"[{_char_class(sorted(map(ord, PERSIAN_MARKERS | URDU_ONLY | OTHER_ONLY)))}]")


def _function_words(words: list[str]) -> Counter[str | None]:
    """Function words per language ("ar", "fa", "ur"; None counts the other words), counted in C."""
    return Counter(map(_FUNCTION_WORD_LANGUAGE.get, words))


def detect_language(text: str) -> LanguageGuess:
    sample = text[:SAMPLE_CHARS]
    # One regex pass takes the Arabic-script letters out (by runs: one match per word); what is removed is their
    # count, and only the rest (spaces, punctuation, digits, Latin: a fifth of an Arabic sample) is counted
    # letter by letter.
    rest = _ARABIC_SCRIPT_RUN.sub("", sample)
    arabic = len(sample) - len(rest)
    letters = arabic + _letters(rest)
    if not letters:
        return LanguageGuess("unknown", 0.0)
    ratio = arabic / letters
    if ratio < MIN_SCRIPT_SHARE:
        latin = len(LATIN.findall(sample))
        return LanguageGuess("latin" if latin / letters > 0.5 else "unknown", round(ratio, 4))
    fw = _function_words(sample.split())
    ar = _count(sample, ARABIC_MARKERS) + 3 * fw["ar"]
    if _NON_ARABIC_LETTER.search(sample) is None:
        fa = 3 * fw["fa"]
        urdu_letters = 0
    else:
        fa = _count(sample, PERSIAN_MARKERS) + 3 * fw["fa"]
        urdu_letters = _count(sample, URDU_ONLY)
        if urdu_letters / arabic >= URDU_MIN_SHARE:
            return LanguageGuess("ur", round(ratio, 4))
        if _count(sample, OTHER_ONLY) / arabic >= URDU_MIN_SHARE:
            return LanguageGuess("other_arabic_script", round(ratio, 4))
    ur = urdu_letters + 3 * fw["ur"]
    best = max(ar, fa, ur)
    if best == 0:
        # no marker either way (a short headline): Arabic unless letters of another Arabic-script language occur
        foreign = sum(1 for c in sample if ord(c) in _ARABIC_SCRIPT_LETTERS and c not in ARABIC_LETTERS)
        lang = "ar" if foreign == 0 else "other_arabic_script"
    elif best == ar:
        lang = "ar"
    elif best == fa:
        lang = "fa"
    else:
        lang = "ur"
    return LanguageGuess(lang, round(ratio, 4))
