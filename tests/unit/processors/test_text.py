from __future__ import annotations

import pytest

from processors.text import clean, normalize_for_matching, word_count


def test_scraping_noise_is_removed() -> None:
    raw = ".png) خـــــاص: قالَ الرئيسُ <b>اليوم</b>&nbsp;إن «الاقتصاد»\u200f ينمو   بسرعة"
    out = clean(raw)
    assert out.text == "خاص: قالَ الرئيسُ اليوم إن «الاقتصاد» ينمو بسرعة"
    assert {"markup_removed", "tatweel_removed", "invisible_chars_removed"} <= out.flags


def test_presentation_forms_become_letters() -> None:
    assert clean("\ufee3\ufeae\ufea3\ufe92\ufe8e").text == "مرحبا"


def test_paragraphs_are_kept_and_blank_runs_collapsed() -> None:
    assert clean("سطر أول\n\n\n\n  سطر ثان  ").text == "سطر أول\n\nسطر ثان"


def test_script_content_is_dropped() -> None:
    assert clean("قبل<script>alert('x')</script>بعد").text == "قبل بعد"


def test_empty_and_long_inputs() -> None:
    assert clean("").text == "" and "empty" in clean(None).flags
    long = clean("كلمة " * 100, max_chars=50)
    assert len(long.text) <= 50 and "truncated" in long.flags and not long.text.endswith(" ")


@pytest.mark.parametrize(
    ("a", "b"),
    [("إسماعيل هنية", "اسماعيل هنيه"), ("مستشفى", "مستشفي"), ("قالَ", "قال"), ("أحمد", "احمد"), ("٢٠٢٦", "2026")],
)
def test_spelling_variants_normalise_to_one_form(a: str, b: str) -> None:
    assert normalize_for_matching(a) == normalize_for_matching(b)


def test_normalisation_is_idempotent() -> None:
    once = normalize_for_matching("إنّ الأمم المتحدة دعت إلى مؤتمر COP29")
    assert normalize_for_matching(once) == once


def test_word_count() -> None:
    assert word_count("قال الرئيس: إن 2026 عام «الاقتصاد».") == 6


def _camel_fold(text: str) -> str:
    """normalize_for_matching as camel-tools' own functions spell it (the reference the fast version follows)."""
    from camel_tools.utils.dediac import dediac_ar
    from camel_tools.utils.normalize import normalize_alef_ar, normalize_alef_maksura_ar, normalize_teh_marbuta_ar

    out = normalize_teh_marbuta_ar(normalize_alef_maksura_ar(normalize_alef_ar(dediac_ar(text))))
    return out.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")).lower()


def test_normalisation_matches_camel_tools_on_every_bmp_character() -> None:
    every = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)
    assert normalize_for_matching(every) == _camel_fold(every)
    for c in every:  # one by one as well: a fold that depends on the neighbours would show here
        assert normalize_for_matching(c) == _camel_fold(c), f"U+{ord(c):04X}"


@pytest.mark.parametrize(
    "text",
    ["كَتَبَ الطالبُ الدرسَ", "snake_case و user_id", "غزة،رفح؛خان-يونس", "٢٠٢٦/١٢/٠٢", "", "  \n\t ", "ـــ", "a_b_ c"],
)
def test_word_count_is_the_number_of_word_runs(text: str) -> None:
    import re

    assert word_count(text) == len(re.findall(r"\w+", text))
