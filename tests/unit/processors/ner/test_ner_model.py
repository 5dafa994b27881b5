"""The shipped model: loads lazily, tags sentences we wrote, and the whole step keeps its output contract."""

from __future__ import annotations

from processors.ner import entity_fields, extract_entities, tag_tokens
from processors.ner.tagger import MODEL_DIR, MODEL_FILE

# Our own sentences (not from any corpus).
TITLE = "وزير الخارجية الفرنسي يصل إلى القاهرة في زيارة رسمية"
BODY = (
    "وصل وزير الخارجية الفرنسي إلى القاهرة صباح اليوم في زيارة تستغرق يومين، "
    "يلتقي خلالها الرئيس المصري عبد الفتاح السيسي لبحث العلاقات الثنائية.\n"
    "وقال مصدر في وزارة الخارجية المصرية إن المباحثات ستتناول أيضا الأوضاع في ليبيا والسودان. "
    "وأضاف أن السيسي سيستقبل الضيف في قصر الاتحادية."
)


def test_model_files_shipped_and_small() -> None:
    assert (MODEL_DIR / MODEL_FILE).exists()
    total = sum(p.stat().st_size for p in MODEL_DIR.iterdir() if p.is_file())
    assert total <= 20 * 1024 * 1024


def test_shipped_model_finds_well_known_names() -> None:
    ents = extract_entities(TITLE, BODY, backend="shipped")
    fields = entity_fields(ents)
    assert "القاهرة" in fields["locations"]
    assert any("السيسي" in p for p in fields["persons"])
    sisi = next(e for e in ents if "السيسي" in str(e["canonical"]))
    assert sisi["count"] == 2  # "عبد الفتاح السيسي" and the later bare "السيسي" are one person
    for e in ents:
        for sp in e["spans"]:  # type: ignore[attr-defined]
            src = TITLE if sp["field"] == "title" else BODY
            assert 0 <= sp["start"] < sp["end"] <= len(src)


def test_tag_tokens_conll_scheme() -> None:
    tags = tag_tokens([["زار", "الرئيس", "مدينة", "القاهرة", "أمس", "."]], backend="shipped")
    assert len(tags[0]) == 6
    assert tags[0][3] == "B-LOC"


def test_odd_inputs_never_raise() -> None:
    for title, body in [
        ("", ""),
        ("   ", "\n\n"),
        ("!!!", "١٢٣ ... ؟"),
        ("abc", "\x00\u200f" * 50),
        ("ـــ", "و" * 500),
    ]:
        ents = extract_entities(title, body, backend="shipped")
        assert isinstance(ents, list)
        for e in ents:
            for sp in e["spans"]:  # type: ignore[attr-defined]
                src = title if sp["field"] == "title" else body
                assert 0 <= sp["start"] < sp["end"] <= len(src)


_ALPHABET = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئىةـًٌٍَُِّْ٠١٢0123456789 .،؛؟!«»()-\n\tabcXYZ\u200f\u00a0"


def test_random_text_spans_valid() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=60, deadline=None)
    @given(st.text(alphabet=_ALPHABET, max_size=200), st.text(max_size=60))
    def check(body: str, title: str) -> None:
        for e in extract_entities(title, body, backend="shipped"):
            assert e["count"] == len(e["spans"])  # type: ignore[arg-type]
            for sp in e["spans"]:  # type: ignore[attr-defined]
                src = title if sp["field"] == "title" else body
                assert 0 <= sp["start"] < sp["end"] <= len(src)

    check()
