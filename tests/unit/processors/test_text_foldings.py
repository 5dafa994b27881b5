"""The named foldings of ``processors.arabic`` return exactly what the four functions they replaced returned.

The old functions (``processors.text.normalize_for_matching``, ``processors.ner.text.normalize``,
``processors.topics.text.normalise`` and ``display_normalise``) are not kept; their outputs were frozen here
before they were removed: on strings written for this test, on a seeded random corpus (as SHA-256 digests), and
for every code point (``FROZEN_CHARS``: where the old output differed from the plain lower-casing / identity).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.arabic import fold_for_keywords, fold_for_ner, fold_for_search, fold_for_topics

FOLDINGS: dict[str, Callable[[str], str]] = {
    "search": fold_for_search,
    "ner": fold_for_ner,
    "topics": fold_for_topics,
    "keywords": fold_for_keywords,
}
LOWER_CASED = frozenset({"search", "topics"})

# output -> code points (hex, ranges inclusive) whose old output differed from c.lower() (search, topics; topics
# also maps spaces and tabs to " ") or from c itself (ner, keywords).
FROZEN_CHARS: dict[str, dict[str, str]] = {
    "search": {
        "\u0627": "0622-0623 0625 0671",
        "\u0647": "0629",
        "\u064a": "0649",
        "": "064B-0652 0670",
        "0": "0660 06F0",
        "1": "0661 06F1",
        "2": "0662 06F2",
        "3": "0663 06F3",
        "4": "0664 06F4",
        "5": "0665 06F5",
        "6": "0666 06F6",
        "7": "0667 06F7",
        "8": "0668 06F8",
        "9": "0669 06F9",
    },
    "ner": {
        "": "0610-061A 0640 064B-065F 0670 06D6-06ED",
        "\u0627": "0622-0623 0625 0671",
        "\u0647": "0629",
        "\u064a": "0649 06CC",
        "0": "0660 06F0",
        "1": "0661 06F1",
        "2": "0662 06F2",
        "3": "0663 06F3",
        "4": "0664 06F4",
        "5": "0665 06F5",
        "6": "0666 06F6",
        "7": "0667 06F7",
        "8": "0668 06F8",
        "9": "0669 06F9",
        "\u0643": "06A9",
    },
    "topics": {
        "0": "0031-0039 0660-0669 06F0-06F9",
        " ": "00A0 2002-2003 2009 202F",
        "": "00AD 0610-061A 0640 064B-065F 0670 06D6-06DC 06DF-06E4 06E7-06E8 06EA-06ED 200B-200F 202A-202E 2066-206F FEFF",
        ",": "060C 066C",
        ";": "061B",
        "?": "061F",
        "\u0627": "0622-0623 0625 0671-0673",
        "\u0648": "0624",
        "\u064a": "0626 0649 06CC 06D0",
        "\u0647": "0629 06C0-06C1",
        ".": "066B",
        "\u0628": "067E",
        "\u062c": "0686",
        "\u0641": "06A4",
        "\u0643": "06A9 06AF",
    },
    "keywords": {
        " ": "00A0",
        "": "00AD 0610-061A 0640 064B-065F 0670 06D6-06DC 06DF-06E4 06E7-06E8 06EA-06ED 200B-200F 202A-202E 2066-206F FEFF",
        ",": "060C",
        ";": "061B",
        "?": "061F",
        "\u0627": "0622-0623 0625 0671",
        "0": "0660 06F0",
        "1": "0661 06F1",
        "2": "0662 06F2",
        "3": "0663 06F3",
        "4": "0664 06F4",
        "5": "0665 06F5",
        "6": "0666 06F6",
        "7": "0667 06F7",
        "8": "0668 06F8",
        "9": "0669 06F9",
        "\u0643": "06A9",
        "\u064a": "06CC",
    },
}

HAND = [
    "إسماعيل هنية",
    "اسماعيل هنيه",
    "مُحَمَّدٌ",
    "مستشفى الأطبّاء",
    "عـــاجل: دخول الشاحنات إلى غزة",
    "٢٠٢٦/١٢/٠٣ و۱۴۰۵",
    "COP29 في شرم الشيخ",
    "الرئيس السيسي يستقبل وزير الخارجية الفرنسيّ",
    "كتاب «الأيّام» لطه حسين",
    "پژوهشگاه کتابخانه ی ملی",
    "ٱلْحَمْدُ لِلَّهِ",
    "آمال وأحلام إلى مؤتمر",
    "سؤال: هل تؤدي الأزمة إلى رئيس جديد؟",
    "\u200fنص\u200e مع\u202e علامات\ufeff",
    "ﷺ ﷲ ﷽ ۖ ۗ ۘ ۙ ۚ",
    "ABC İstanbul ΣΟΦΙΑ ΟΔΟΣ",
    "a\tb\r\nc\xa0d\u2003e\u2009f",
    "ڤيتنام وگوگل وچاي",
    "ۀ ہ ې ٲ ٳ ؤ ئ",
    "",
    " ",
    "ـ",
    "٫٬،؛؟",
    "ًٌٍَُِّْٰٕٓٔ",
    "مرحباؚؐۖ\u06dd۞ۥ۩ۭ",
]
HAND_OUT = {
    "search": [
        "اسماعيل هنيه",
        "اسماعيل هنيه",
        "محمد",
        "مستشفي الاطباء",
        "عـــاجل: دخول الشاحنات الي غزه",
        "2026/12/03 و1405",
        "cop29 في شرم الشيخ",
        "الرئيس السيسي يستقبل وزير الخارجيه الفرنسي",
        "كتاب «الايام» لطه حسين",
        "پژوهشگاه کتابخانه ی ملی",
        "الحمد لله",
        "امال واحلام الي مؤتمر",
        "سؤال: هل تؤدي الازمه الي رئيس جديد؟",
        "\u200fنص\u200e مع\u202e علامات\ufeff",
        "ﷺ ﷲ ﷽ ۖ ۗ ۘ ۙ ۚ",
        "abc i̇stanbul σοφια οδος",
        "a\tb\r\nc\xa0d\u2003e\u2009f",
        "ڤيتنام وگوگل وچاي",
        "ۀ ہ ې ٲ ٳ ؤ ئ",
        "",
        " ",
        "ـ",
        "٫٬،؛؟",
        "ٕٓٔ",
        "مرحباؚؐۖ\u06dd۞ۥ۩ۭ",
    ],
    "ner": [
        "اسماعيل هنيه",
        "اسماعيل هنيه",
        "محمد",
        "مستشفي الاطباء",
        "عاجل: دخول الشاحنات الي غزه",
        "2026/12/03 و1405",
        "COP29 في شرم الشيخ",
        "الرئيس السيسي يستقبل وزير الخارجيه الفرنسي",
        "كتاب «الايام» لطه حسين",
        "پژوهشگاه كتابخانه ي ملي",
        "الحمد لله",
        "امال واحلام الي مؤتمر",
        "سؤال: هل تؤدي الازمه الي رئيس جديد؟",
        "\u200fنص\u200e مع\u202e علامات\ufeff",
        "ﷺ ﷲ ﷽     ",
        "ABC İstanbul ΣΟΦΙΑ ΟΔΟΣ",
        "a\tb\r\nc\xa0d\u2003e\u2009f",
        "ڤيتنام وگوگل وچاي",
        "ۀ ہ ې ٲ ٳ ؤ ئ",
        "",
        " ",
        "",
        "٫٬،؛؟",
        "",
        "مرحبا",
    ],
    "topics": [
        "اسماعيل هنيه",
        "اسماعيل هنيه",
        "محمد",
        "مستشفي الاطباء",
        "عاجل: دخول الشاحنات الي غزه",
        "0000/00/00 و0000",
        "cop00 في شرم الشيخ",
        "الرييس السيسي يستقبل وزير الخارجيه الفرنسي",
        "كتاب «الايام» لطه حسين",
        "بژوهشكاه كتابخانه ي ملي",
        "الحمد لله",
        "امال واحلام الي موتمر",
        "سوال: هل تودي الازمه الي رييس جديد?",
        "نص مع علامات",
        "ﷺ ﷲ ﷽ ",
        "abc i̇stanbul σοφια οδος",
        "a b \nc d e f",
        "فيتنام وكوكل وجاي",
        "ه ه ي ا ا و ي",
        "",
        " ",
        "",
        ".,,;?",
        "",
        "مرحبا\u06dd۞ۥ۩",
    ],
    "keywords": [
        "اسماعيل هنية",
        "اسماعيل هنيه",
        "محمد",
        "مستشفى الاطباء",
        "عاجل: دخول الشاحنات الى غزة",
        "2026/12/03 و1405",
        "COP29 في شرم الشيخ",
        "الرئيس السيسي يستقبل وزير الخارجية الفرنسي",
        "كتاب «الايام» لطه حسين",
        "پژوهشگاه كتابخانه ي ملي",
        "الحمد لله",
        "امال واحلام الى مؤتمر",
        "سؤال: هل تؤدي الازمة الى رئيس جديد?",
        "نص مع علامات",
        "ﷺ ﷲ ﷽     ",
        "ABC İstanbul ΣΟΦΙΑ ΟΔΟΣ",
        "a\tb\r\nc d\u2003e\u2009f",
        "ڤيتنام وگوگل وچاي",
        "ۀ ہ ې ٲ ٳ ؤ ئ",
        "",
        " ",
        "",
        "٫٬,;?",
        "",
        "مرحبا\u06dd۞ۥ۩",
    ],
}

# SHA-256 over the old outputs of corpus() (each output UTF-8 with surrogatepass, then a NUL byte)
CORPUS_DIGESTS = {
    "search": "427be3ceea7d49349ebe36e1d40b1bbf7a48170b34f36ec64fca635ef1b66f43",
    "ner": "74e09c49004b5122f7bd4bad73f77a554e231f5ea2e8ce334d6089f8b6dd67cd",
    "topics": "781d10761a1cfefef03caf19de7a767e5f8179f3805cd2fd701c2171dde29b35",
    "keywords": "95115929a6a5d2fa6ae2190ecdd52d6dfd03744edc7069416ab0a88228403e89",
}
_ALPHA = (
    [chr(c) for c in range(0x0600, 0x0700)]
    + [chr(c) for c in range(0xFB50, 0xFF00, 7)]
    + list("  \t\n\r\f\v\u00a0\u2003\u200b\u200c\u200f\u202e\ufeffabcXYZΣσİ0123456789.,;:؟،؛!«»()-_#@")
)


def corpus(seed: int = 20261203, n: int = 4000) -> list[str]:
    """Seeded random strings: mostly Arabic-block characters, some of any code point (lone surrogates too)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        chars = []
        for _ in range(rng.randrange(0, 60)):
            chars.append(_ALPHA[rng.randrange(len(_ALPHA))] if rng.random() < 0.85 else chr(rng.randrange(0x110000)))
        out.append("".join(chars))
    return out


@cache
def _char_map(name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value, spec in FROZEN_CHARS[name].items():
        for part in spec.split():
            lo, _, hi = part.partition("-")
            for c in range(int(lo, 16), int(hi or lo, 16) + 1):
                out[chr(c)] = value
    return out


_SPACES = re.compile(r"[ \t\r\f\v]+")


def reference(name: str, text: str) -> str:
    """The old output, rebuilt from the frozen per-character table (the old functions were per-character maps,
    then lower-casing for search and topics, then the space collapse for topics)."""
    table = _char_map(name)
    out = "".join(table.get(c, c) for c in text)
    if name in LOWER_CASED:
        out = out.lower()
    if name == "topics":
        out = _SPACES.sub(" ", out)
    return out


@pytest.mark.parametrize("name", sorted(FOLDINGS))
def test_hand_written_strings(name: str) -> None:
    assert [FOLDINGS[name](t) for t in HAND] == HAND_OUT[name]


@pytest.mark.parametrize("name", sorted(FOLDINGS))
def test_random_corpus_digest(name: str) -> None:
    h = hashlib.sha256()
    for t in corpus():
        h.update(FOLDINGS[name](t).encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    assert h.hexdigest() == CORPUS_DIGESTS[name]


@pytest.mark.parametrize("name", sorted(FOLDINGS))
def test_every_code_point(name: str) -> None:
    fold = FOLDINGS[name]
    every = [chr(c) for c in range(0x110000)]
    assert fold("".join(every)) == reference(name, "".join(every))
    for ch in every:  # one by one as well: a fold that depended on the neighbours would show here
        assert fold(ch) == reference(name, ch), f"{name} U+{ord(ch):04X}"


@pytest.mark.parametrize("name", sorted(FOLDINGS))
def test_reference_matches_the_frozen_strings(name: str) -> None:
    assert [reference(name, t) for t in HAND] == HAND_OUT[name]


ARABIC_HEAVY = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.characters(min_codepoint=0xFB50, max_codepoint=0xFEFF),
        st.sampled_from(list(" \t\n\r\u00a0\u2003\u200f\ufeffΣİ0123456789")),
        st.characters(),
    ),
    max_size=200,
)


@settings(max_examples=400, deadline=None)
@given(ARABIC_HEAVY)
def test_any_string_matches_the_old_behaviour(text: str) -> None:
    for name, fold in FOLDINGS.items():
        assert fold(text) == reference(name, text), name


@settings(max_examples=300, deadline=None)
@given(ARABIC_HEAVY)
def test_foldings_are_idempotent(text: str) -> None:
    for name, fold in FOLDINGS.items():
        once = fold(text)
        assert fold(once) == once, name
