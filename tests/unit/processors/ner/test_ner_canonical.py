"""Canonicalisation: clitics, spelling variants, short forms, spans (no model needed: tags are given)."""

from __future__ import annotations

from processors.ner import entity_fields, split_sentences
from processors.ner.canonical import mentions_from_tags, merge_mentions, proclitic_len, raw_spans
from processors.ner.tokens import Token, normalize, split_clitics, tokenize

# Made-up corpus frequencies: bare names are far more frequent than their prefixed forms.
COUNTS = {"حماس": 900, "وحماس": 40, "لحماس": 30, "ليد": 2, "وليد": 300, "غزه": 800, "وغزه": 50}


def _entities(text: str, tags_by_word: dict[str, str]) -> list[dict[str, object]]:
    """Tag tokens of ``text`` by looking their surface up in ``tags_by_word`` (default O)."""
    toks = tokenize(text)
    tags = [tags_by_word.get(t.text, "O") for t in toks]
    spans = raw_spans([(toks, tags)])
    known = frozenset(normalize(f.text) for _t, f, _l in spans)
    return merge_mentions(mentions_from_tags("body", text, spans, COUNTS, known))


def test_normalize_variants() -> None:
    assert normalize("إسماعيل") == normalize("اسماعيل") == normalize("أسماعيل")
    assert normalize("هنية") == normalize("هنيه")
    assert normalize("مصطفى") == normalize("مصطفي")
    assert normalize("مُحَمَّد") == "محمد"
    assert normalize("٢٠٢٤") == "2024"


def test_split_clitics() -> None:
    assert split_clitics("وحماس").stem == "حماس"
    assert split_clitics(normalize("بالعراق")) == ("", "ب", "ال", "عراق")
    assert split_clitics("وا").stem == "وا"  # too short to strip


def test_proclitic_len_uses_frequencies() -> None:
    assert proclitic_len("وحماس", COUNTS) == 1
    assert proclitic_len("لحماس", COUNTS) == 1
    assert proclitic_len("وليد", COUNTS) == 0  # a name, not wa + lyd
    assert proclitic_len(normalize("والقاهرة"), {}) == 1  # clitic + article is always split
    assert proclitic_len("كمال", {"مال": 5000}) == 0  # ka- is only split before the article


def test_clitic_forms_merge_and_spans_exclude_proclitic() -> None:
    text = "أعلنت حماس بيانا. وقال متحدث باسم لحماس إن وحماس مستعدة."
    ents = _entities(text, {"حماس": "B-ORG", "لحماس": "B-ORG", "وحماس": "B-ORG"})
    assert len(ents) == 1
    e = ents[0]
    assert e["type"] == "ORG" and e["canonical"] == "حماس" and e["count"] == 3
    for sp in e["spans"]:  # type: ignore[attr-defined]
        assert text[sp["start"] : sp["end"]] == "حماس"


def test_spelling_variants_and_short_form_merge() -> None:
    text = "التقى اسماعيل هنيه وفدا. وقال إسماعيل هنية إن الحوار مستمر. وأكد هنية ذلك."
    tags = {"اسماعيل": "B-PERS", "هنيه": "I-PERS", "إسماعيل": "B-PERS", "هنية": "I-PERS"}
    toks = tokenize(text)
    ys = [tags.get(t.text, "O") for t in toks]
    ys[len(toks) - 3] = "B-PERS"  # the lone surname near the end ("هنية ذلك .")
    assert toks[len(toks) - 3].text == "هنية"
    spans = raw_spans([(toks, ys)])
    ents = merge_mentions(mentions_from_tags("body", text, spans, COUNTS))
    assert len(ents) == 1
    e = ents[0]
    assert e["canonical"] == "إسماعيل هنية"  # the carefully spelled variant wins
    assert e["text"] == "اسماعيل هنيه"  # surface of the first mention
    assert e["count"] == 3
    assert entity_fields(ents)["persons"] == ["إسماعيل هنية"]


def test_article_kept_and_li_al_contraction() -> None:
    text = "وصل الوفد والقاهرة تستعد. وقدم طلبا للأمم المتحدة ثم زار الأمم المتحدة."
    toks = tokenize(text)
    ys = ["O"] * len(toks)
    for i, t in enumerate(toks):
        if t.text in ("والقاهرة",):
            ys[i] = "B-LOC"
        if t.text in ("للأمم", "الأمم"):
            ys[i], ys[i + 1] = "B-ORG", "I-ORG"
    ents = _merge(text, toks, ys)
    by_type = {e["type"]: e for e in ents}
    loc = by_type["LOC"]
    sp = loc["spans"][0]  # type: ignore[index]
    assert text[sp["start"] : sp["end"]] == "القاهرة"
    org = by_type["ORG"]
    assert org["canonical"] == "الأمم المتحدة" and org["count"] == 2


def _merge(text: str, toks: list[Token], ys: list[str]) -> list[dict[str, object]]:
    return merge_mentions(mentions_from_tags("body", text, raw_spans([(toks, ys)]), COUNTS))


def test_majority_type_and_entity_fields_dedup() -> None:
    text = "غزة مدينة. زار غزة وفد. وغزة تنتظر."
    toks = tokenize(text)
    ys = ["B-LOC" if normalize(t.text).endswith("غزه") else "O" for t in toks]
    ys[0] = "B-ORG"  # one noisy tag loses the vote
    ents = _merge(text, toks, ys)
    assert len(ents) == 1 and ents[0]["type"] == "LOC" and ents[0]["count"] == 3
    fields = entity_fields(ents + ents)
    assert fields == {"persons": [], "locations": ["غزة"], "organizations": [], "misc": []}


def test_tokenizer_offsets_and_robustness() -> None:
    samples = [
        "",
        "   ",
        "قال الرئيسُ: «السلامُ» (2024) — 3.5% و١٬٥٠٠ دولار!",
        "\u200f\u200e\x00\ufeffabc\U0001f600ـــ",
        "mixed عربي English123 و٣",
    ]
    for s in samples:
        toks = tokenize(s)
        for t in toks:
            assert 0 <= t.start < t.end <= len(s)
            assert s[t.start : t.end] == t.text
        sents = split_sentences(s, toks)
        assert sum(len(x) for x in sents) == len(toks)
    toks = tokenize("الرئيسُ قال")
    assert [t.text for t in toks] == ["الرئيسُ", "قال"]  # diacritics stay inside the word
