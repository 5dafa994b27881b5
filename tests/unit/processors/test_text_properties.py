"""Property-based checks of cleaning and normalisation: any string, no exception, stable results."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.language import detect_language
from processors.text import clean, normalize_for_matching, word_count

# Arabic letters, diacritics, tatweel, presentation forms, controls, markup characters and anything else.
ARABIC_HEAVY = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.characters(min_codepoint=0xFB50, max_codepoint=0xFEFF),
        st.sampled_from(list("<>&;/\"'()[]!.png \n\t\u200b\u200f\u202e\ufeff\x00")),
        st.characters(),
    ),
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(ARABIC_HEAVY)
def test_clean_never_raises_and_is_idempotent(text: str) -> None:
    once = clean(text)
    assert isinstance(once.text, str)
    assert clean(once.text).text == once.text
    assert "\u0640" not in once.text and "\u200b" not in once.text


@settings(max_examples=300, deadline=None)
@given(ARABIC_HEAVY)
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalize_for_matching(text)
    assert normalize_for_matching(once) == once


@settings(max_examples=200, deadline=None)
@given(ARABIC_HEAVY)
def test_language_and_word_count_total(text: str) -> None:
    guess = detect_language(text)
    assert 0.0 <= guess.arabic_ratio <= 1.0
    assert word_count(text) >= 0


@settings(max_examples=300, deadline=None)
@given(ARABIC_HEAVY)
def test_entity_matching_normalisation_is_idempotent(text: str) -> None:
    from processors.ner.tokens import normalize

    once = normalize(text)
    assert normalize(once) == once


# --- the fast paths give what the straightforward versions give -------------------------------------------------
# clean() collapses whitespace before NFKC, swaps shadda before its vowel ahead of the quick check, and collapses
# whitespace again only when NFKC or the tatweel removal disturbed it; detect_language() counts letters by taking
# the Arabic-script runs out. The references below are the plain orders those shortcuts must match.

WHITESPACE_AND_MARKS = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("بسمل اـ\u0651\u064e\u064b\u0650\u064f\u0654\u0655\u0653 \n\t\u00a0\u2003\u3000")),
        st.sampled_from(["\ufe70", "\ufe71", "\ufdfa", "\ufdfc", "\ufef7", "\ufcf2", "\u2026", "\u00a8"]),
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.characters(min_codepoint=0xFB50, max_codepoint=0xFEFF),
        st.characters(),
    ),
    max_size=200,
)


def _reference_clean(text: str) -> tuple[str, frozenset[str]]:
    import unicodedata

    from camel_tools.utils.normalize import normalize_unicode

    from akhbar.settings import EnrichSettings
    from processors.text import _MANY_NEWLINES, TATWEEL, _collapse_whitespace, _strip_noise

    # What is compared is the order of the passes; the passes themselves are the module's. Inputs here are far
    # shorter than the truncation limit, so truncation (unchanged by the fast paths) is not part of the reference.
    assert len(text) < EnrichSettings().body_max_chars
    if not text:
        return "", frozenset({"empty"})
    stripped, flags = _strip_noise(text)
    out = str(normalize_unicode(stripped)) if "\ufdfc" in stripped or "\ufdfd" in stripped else stripped
    out = unicodedata.normalize("NFKC", out)
    if TATWEEL in out:
        out = out.replace(TATWEEL, "")
        flags.add("tatweel_removed")
    out = _MANY_NEWLINES.sub("\n\n", _collapse_whitespace(out)).strip()
    if not out:
        flags.add("empty")
    return out, frozenset(flags)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(ARABIC_HEAVY, WHITESPACE_AND_MARKS))
def test_clean_matches_the_plain_order(text: str) -> None:
    got = clean(text)
    assert (got.text, got.flags) == _reference_clean(text)


def test_clean_matches_the_plain_order_on_scraped_shapes() -> None:
    cases = [
        "قال\u00a0الوزير:\u00a0«خـــــاص»",  # no-break spaces (the commonest non-NFKC input) and tatweel
        "شدّة: مدَّ ومدّّ وإنَّ الأمّةَ",  # shadda typed before its vowel (reordered by NFKC)
        "كلمة ـــ كلمة\nـ\nسطر",  # tokens that are only tatweel: removing them leaves doubled spaces
        "\ufefb\ufef7 \ufe70 \ufdfa \ufdfc",  # presentation forms, isolated harakat, spaced ligatures
        "a\u00a0\u0301 e\n \u0301 \u3000x\u2026",
    ]
    for text in cases:
        got = clean(text)
        assert (got.text, got.flags) == _reference_clean(text), text


def _reference_language(text: str) -> tuple[str, float]:
    from processors import language as lang

    sample = text[: lang.SAMPLE_CHARS]
    letters = sum(map(str.isalpha, sample))
    if not letters:
        return "unknown", 0.0
    arabic = sum(1 for c in sample if ord(c) in lang._ARABIC_SCRIPT_LETTERS)
    ratio = arabic / letters
    if ratio < lang.MIN_SCRIPT_SHARE:
        latin = len(lang.LATIN.findall(sample))
        return ("latin" if latin / letters > 0.5 else "unknown"), round(ratio, 4)
    words = sample.split()

    def count(chars: frozenset[str]) -> int:
        return sum(sample.count(c) for c in chars)

    ar = count(lang.ARABIC_MARKERS) + 3 * sum(w in lang.ARABIC_WORDS for w in words)
    fa = count(lang.PERSIAN_MARKERS) + 3 * sum(w in lang.PERSIAN_WORDS for w in words)
    urdu_letters = count(lang.URDU_ONLY)
    if urdu_letters / arabic >= lang.URDU_MIN_SHARE:
        return "ur", round(ratio, 4)
    if count(lang.OTHER_ONLY) / arabic >= lang.URDU_MIN_SHARE:
        return "other_arabic_script", round(ratio, 4)
    ur = urdu_letters + 3 * sum(w in lang.URDU_WORDS for w in words)
    best = max(ar, fa, ur)
    if best == 0:
        foreign = sum(1 for c in sample if ord(c) in lang._ARABIC_SCRIPT_LETTERS and c not in lang.ARABIC_LETTERS)
        return ("ar" if foreign == 0 else "other_arabic_script"), round(ratio, 4)
    return ("ar" if best == ar else "fa" if best == fa else "ur"), round(ratio, 4)


LANGUAGE_MIX = st.lists(
    st.one_of(
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.sampled_from(list("پچژگکیٹڈڑںےۓھۃہڕۆێڵەټډړښكيةى abcÀé½²_1٣\n\t")),
        st.sampled_from(["في ", "است ", "کے ", "من ", "را ", "ہے ", "ال"]),  # function words of each language
        st.characters(),
    ),
    max_size=120,
).map("".join)


@settings(max_examples=1500, deadline=None)
@given(LANGUAGE_MIX)
def test_language_matches_the_plain_count(text: str) -> None:
    guess = detect_language(text)
    assert (guess.language, guess.arabic_ratio) == _reference_language(text)
