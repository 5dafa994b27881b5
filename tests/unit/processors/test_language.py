from __future__ import annotations

import pytest

from processors.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("أعلنت وزارة الصحة في بيان رسمي أن الحملة الوطنية للتطعيم ستبدأ الأسبوع المقبل", "ar"),
        ("دولت اعلام کرد که برنامه جدید برای کمک به کشاورزان از ماه آینده اجرا می شود", "fa"),
        ("حکومت نے اعلان کیا ہے کہ نئی سڑک اگلے مہینے کھول دی جائے گی", "ur"),
        ("The ministry announced a new vaccination campaign next week", "latin"),
        ("😀 🎉 👍", "unknown"),
        ("", "unknown"),
        ("۱۲۳ ۴۵۶", "unknown"),
        ("افتتاح مركز جديد", "ar"),  # a short headline without function words
        ("ڕۆژنامەی نوێ", "other_arabic_script"),  # Kurdish letters
    ],
)
def test_detects_language(text: str, expected: str) -> None:
    assert detect_language(text).language == expected


def test_mixed_arabic_with_some_latin_is_arabic() -> None:
    guess = detect_language("أطلقت شركة Apple هاتف iPhone الجديد في دبي خلال مؤتمر صحفي اليوم")
    assert guess.language == "ar" and 0.5 < guess.arabic_ratio < 1
