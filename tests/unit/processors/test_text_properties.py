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
    from processors.ner.text import normalize

    once = normalize(text)
    assert normalize(once) == once
