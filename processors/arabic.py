"""Arabic orthography in one place: named letter classes, small named passes, and the foldings built from them.

A *pass* does one thing to single characters (strip the short vowels, unify the alef forms, write teh marbuta
as heh ...); it is a table ``character -> replacement`` (``""`` deletes). A *folding* is a documented
composition of passes, applied in the order listed, and each step of the pipeline uses exactly one folding:

================== ====================================================================================
``fold_for_search`` ``title_normalized``/``body_normalized`` and search: camel-tools' ``dediac_ar`` +
                   ``normalize_alef_ar`` + alef maqsura -> ya + teh marbuta -> heh, Arabic-Indic digits
                   -> ASCII, then lower case
``fold_for_ner``    NER features, entity keys and clitic splits (one word at a time)
``fold_for_topics`` topic and geo features: also hamza seats, loan letters, punctuation, spaces, every
                   digit -> 0, then lower case and runs of spaces/tabs -> one space
``fold_for_keywords`` the human-facing keyword form: marks and invisibles out, alef unified, but teh
                   marbuta, alef maqsura and hamza seats kept so tags stay readable
================== ====================================================================================

Passes are per-character maps, so a composition is computed once at import into one table: folding a text is
one ``str.translate`` (or, for the search folding, a few ``str.replace`` calls: faster on texts that hold few
of the characters, which is most of them). The result is exactly that of running the passes one after the
other. A model trained on folded text records the version of its folding (``NER_NORMALISATION``,
``TOPICS_NORMALISATION``) in its ``meta.json``; change a folding and its version must change with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# --- versions a model records in meta.json; bump when the output of the folding changes -----------------------
NER_NORMALISATION = "fold_for_ner-v1"
TOPICS_NORMALISATION = "fold_for_topics-v1+fold_for_keywords-v1"  # features and the keyword table


def _chars(*ranges: tuple[int, int] | str) -> str:
    """The characters of inclusive code-point ranges and literal strings, in order."""
    out: list[str] = []
    for r in ranges:
        out.extend(r if isinstance(r, str) else (chr(c) for c in range(r[0], r[1] + 1)))
    return "".join(out)


# --- letter and mark classes -----------------------------------------------------------------------------------
HARAKAT = _chars((0x064B, 0x0652))  # tanween (3), fatha, damma, kasra, shadda, sukun
EXTRA_HARAKAT = _chars((0x0653, 0x065F))  # maddah and hamza above/below, subscript alef, rarer vowel signs
DAGGER_ALEF = "\u0670"  # superscript alef
HONORIFIC_SIGNS = _chars((0x0610, 0x061A))  # small high signs (sallallahou alayhe wasallam, ...)
QURANIC_MARKS = _chars((0x06D6, 0x06DC), (0x06DF, 0x06E4), "\u06e7\u06e8", (0x06EA, 0x06ED))  # combining only
QURANIC_SIGNS = "\u06dd\u06de\u06e5\u06e6\u06e9"  # end of ayah, rub el hizb, small waw/yeh, place of sajdah
TATWEEL = "\u0640"  # the stretching stroke
INVISIBLES = _chars((0x200B, 0x200F), (0x202A, 0x202E), (0x2066, 0x206F), "\ufeff\u00ad")  # zero-width, bidi
ALEF_FORMS = "\u0622\u0623\u0625\u0671"  # alef with madda, hamza above, hamza below; alef wasla
ALEF_FORMS_WIDE = ALEF_FORMS + "\u0672\u0673"  # plus alef with wavy hamza above/below
ARABIC_INDIC_DIGITS = _chars((0x0660, 0x0669))
PERSIAN_DIGITS = _chars((0x06F0, 0x06F9))  # extended Arabic-Indic
ARABIC_SCRIPT_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))
ARABIC_SCRIPT_LETTERS = frozenset(c for lo, hi in ARABIC_SCRIPT_RANGES for c in range(lo, hi + 1) if chr(c).isalpha())
# the Arabic alphabet (hamza forms, alef wasla) plus the loan letters Arabic news uses for foreign names
ARABIC_NEWS_LETTERS = frozenset(chr(c) for c in range(0x0621, 0x064B)) | frozenset("ٱپچگڤ")
ARABIC_ONLY_LETTERS = frozenset("كيةى")  # Arabic's own forms of letters Persian and Urdu write differently
PERSIAN_LETTERS = frozenset("پچژگکی")
URDU_LETTERS = frozenset("ٹڈڑںےۓھۃہ")  # absent from Arabic and Persian
OTHER_SCRIPT_LETTERS = frozenset("ڕۆێڵەټډړښږځڅۍېڭۇۋې")  # Kurdish, Pashto, Uyghur letters absent from Arabic/Persian


def is_arabic_letter(ch: str) -> bool:
    """True for letters of the Arabic block (not digits, not punctuation, not marks)."""
    return "\u0621" <= ch <= "\u064a" or "\u0671" <= ch <= "\u06d3"


# --- passes ----------------------------------------------------------------------------------------------------
Pass = Mapping[str, str]


def _delete(chars: str) -> dict[str, str]:
    return dict.fromkeys(chars, "")


def _to(chars: Iterable[str], target: str) -> dict[str, str]:
    return dict.fromkeys(chars, target)


STRIP_HARAKAT = _delete(HARAKAT + DAGGER_ALEF)  # what camel-tools' dediac_ar removes
STRIP_EXTRA_HARAKAT = _delete(EXTRA_HARAKAT)
STRIP_HONORIFIC_SIGNS = _delete(HONORIFIC_SIGNS)
STRIP_QURANIC_MARKS = _delete(QURANIC_MARKS)
STRIP_QURANIC_SIGNS = _delete(QURANIC_SIGNS)
STRIP_TATWEEL = _delete(TATWEEL)
STRIP_INVISIBLES = _delete(INVISIBLES)
UNIFY_ALEF = _to(ALEF_FORMS, "\u0627")  # camel-tools' normalize_alef_ar
UNIFY_ALEF_WIDE = _to(ALEF_FORMS_WIDE, "\u0627")
ALEF_MAQSURA_TO_YA = {"\u0649": "\u064a"}  # ى -> ي
TEH_MARBUTA_TO_HEH = {"\u0629": "\u0647"}  # ة -> ه
PERSIAN_YEH_AND_KAF = {"\u06cc": "\u064a", "\u06a9": "\u0643"}  # ی -> ي, ک -> ك
YEH_VARIANTS_TO_YA = {"\u06d0": "\u064a"}  # ې (Pashto/Uyghur e)
HAMZA_SEATS_TO_LETTER = {"\u0624": "\u0648", "\u0626": "\u064a"}  # ؤ -> و, ئ -> ي
HEH_VARIANTS_TO_HEH = {"\u06c0": "\u0647", "\u06c1": "\u0647"}  # ۀ, ہ
LOAN_LETTERS_TO_ARABIC = {"\u06af": "\u0643", "\u06a4": "\u0641", "\u067e": "\u0628", "\u0686": "\u062c"}  # گ ڤ پ چ
ARABIC_PUNCTUATION_TO_ASCII = {"\u060c": ",", "\u061b": ";", "\u061f": "?"}  # ، ؛ ؟
NUMBER_SEPARATORS_TO_ASCII = {"\u066b": ".", "\u066c": ","}  # Arabic decimal and thousands separators
NO_BREAK_SPACE_TO_SPACE = {"\u00a0": " "}
WIDE_SPACES_TO_SPACE = _to("\u2002\u2003\u2009\u202f", " ")  # en, em, thin and narrow no-break spaces
DIGITS_TO_ASCII = {d: str(i % 10) for i, d in enumerate(ARABIC_INDIC_DIGITS + PERSIAN_DIGITS)}
DIGITS_TO_ZERO = _to(ARABIC_INDIC_DIGITS + PERSIAN_DIGITS + "0123456789", "0")  # numbers share features


def compose(*passes: Pass) -> dict[str, str]:
    """One table doing what the passes do one after the other (each maps single characters)."""
    keys: dict[str, None] = {}
    for p in passes:
        keys.update(dict.fromkeys(p))
    table: dict[str, str] = {}
    for ch in keys:
        out = ch
        for p in passes:
            out = "".join(p.get(c, c) for c in out)
        if out != ch:
            table[ch] = out
    return table


def _translation(table: Mapping[str, str]) -> dict[int, str | None]:
    return {ord(k): (v or None) for k, v in table.items()}


# --- foldings --------------------------------------------------------------------------------------------------
SEARCH_PASSES: tuple[Pass, ...] = (
    STRIP_HARAKAT,
    UNIFY_ALEF,
    ALEF_MAQSURA_TO_YA,
    TEH_MARBUTA_TO_HEH,
    DIGITS_TO_ASCII,
)
NER_PASSES: tuple[Pass, ...] = (
    STRIP_HONORIFIC_SIGNS,
    STRIP_HARAKAT,
    STRIP_EXTRA_HARAKAT,
    STRIP_QURANIC_MARKS,
    STRIP_QURANIC_SIGNS,
    STRIP_TATWEEL,
    UNIFY_ALEF,
    ALEF_MAQSURA_TO_YA,
    TEH_MARBUTA_TO_HEH,
    PERSIAN_YEH_AND_KAF,
    DIGITS_TO_ASCII,
)
TOPICS_PASSES: tuple[Pass, ...] = (
    STRIP_HONORIFIC_SIGNS,
    STRIP_HARAKAT,
    STRIP_EXTRA_HARAKAT,
    STRIP_QURANIC_MARKS,
    STRIP_TATWEEL,
    STRIP_INVISIBLES,
    UNIFY_ALEF_WIDE,
    ALEF_MAQSURA_TO_YA,
    PERSIAN_YEH_AND_KAF,
    YEH_VARIANTS_TO_YA,
    HAMZA_SEATS_TO_LETTER,
    TEH_MARBUTA_TO_HEH,
    HEH_VARIANTS_TO_HEH,
    LOAN_LETTERS_TO_ARABIC,
    NUMBER_SEPARATORS_TO_ASCII,
    ARABIC_PUNCTUATION_TO_ASCII,
    NO_BREAK_SPACE_TO_SPACE,
    WIDE_SPACES_TO_SPACE,
    DIGITS_TO_ZERO,
)
KEYWORD_PASSES: tuple[Pass, ...] = (
    STRIP_HONORIFIC_SIGNS,
    STRIP_HARAKAT,
    STRIP_EXTRA_HARAKAT,
    STRIP_QURANIC_MARKS,
    STRIP_TATWEEL,
    STRIP_INVISIBLES,
    UNIFY_ALEF,
    PERSIAN_YEH_AND_KAF,
    ARABIC_PUNCTUATION_TO_ASCII,
    NO_BREAK_SPACE_TO_SPACE,
    DIGITS_TO_ASCII,
)

# Search folding as str.replace calls: each is a C search that skips a text without the character, cheaper than
# translate's per-character lookup for the 1-2k character articles of the normalise step. Sequential replacement
# equals the composed table because no replacement produces a character that is itself replaced.
_SEARCH_REPLACEMENTS = tuple(compose(*SEARCH_PASSES).items())
_NER_TABLE = _translation(compose(*NER_PASSES))
_TOPICS_TABLE = _translation(compose(*TOPICS_PASSES))
_KEYWORDS_TABLE = _translation(compose(*KEYWORD_PASSES))
_SPACE_RUN = re.compile(r"[ \t\r\f\v]+")


def fold_for_search(text: str) -> str:
    """Diacritics-free, orthographically folded copy: spelling variants of a word become one string.

    :data:`SEARCH_PASSES`, then lower case (Latin and other cased scripts)."""
    out = text
    for old, new in _SEARCH_REPLACEMENTS:
        out = out.replace(old, new)
    return out.lower()


def fold_for_ner(word: str) -> str:
    """:data:`NER_PASSES`: marks and tatweel out, alef/ya/teh marbuta/Persian letters/digits folded (no case)."""
    return word.translate(_NER_TABLE)


def fold_for_topics(text: str) -> str:
    """:data:`TOPICS_PASSES`, then lower case, then each run of spaces and tabs -> one space (newlines kept)."""
    return _SPACE_RUN.sub(" ", text.translate(_TOPICS_TABLE).lower())


def fold_for_keywords(text: str) -> str:
    """:data:`KEYWORD_PASSES` (no case folding: the keyword extractor lower-cases afterwards)."""
    return text.translate(_KEYWORDS_TABLE)
