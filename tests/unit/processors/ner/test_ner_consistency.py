"""Document-level consistency: propagation of tagged names, the one-word filter, CoNLL windows."""

from __future__ import annotations

from processors.ner.consistency import propagate_document, propagate_windows, single_word_filter


def test_multiword_name_propagates_to_untagged_occurrence() -> None:
    sents = [["قال", "نبيل", "الحداد", "إن"], ["وأضاف", "نبيل", "الحداد", "ذلك"]]
    tags = [["O", "B-PERS", "I-PERS", "O"], ["O", "O", "O", "O"]]
    out = propagate_document(sents, tags)
    assert out[1] == ["O", "B-PERS", "I-PERS", "O"]
    assert out[0] == tags[0]


def test_surname_alone_and_clitic_forms() -> None:
    sents = [["التقى", "نبيل", "الحداد"], ["وقال", "والحداد", "."]]
    tags = [["O", "B-PERS", "I-PERS"], ["O", "O", "O"]]
    out = propagate_document(sents, tags, allow=lambda _w: True)
    assert out[1] == ["O", "B-PERS", "O"]  # و + الحداد matches the surname's stem


def test_single_word_filter_blocks_frequent_words() -> None:
    counts = {"علي": 100_000, "جمعه": 400, "زيدان": 50}
    allow = single_word_filter(counts, priors={"جمعه": "PERS:4"})
    assert not allow("علي")  # very frequent (the preposition على after normalisation)
    assert allow("جمعه")  # frequent but name-like by its embedding prior
    assert allow("زيدان")  # rare
    sents = [["التقى", "علي", "."], ["جلس", "علي", "الكرسي"]]
    tags = [["O", "B-PERS", "O"], ["O", "O", "O"]]
    assert propagate_document(sents, tags, allow)[1] == ["O", "O", "O"]


def test_never_overrides_existing_tags_and_windows_are_local() -> None:
    sents = [["زار", "طرابلس"]] + [["جملة", "عادية"]] * 40 + [["في", "طرابلس"]]
    tags = [["O", "B-LOC"]] + [["O", "O"]] * 40 + [["O", "B-ORG"]]
    out = propagate_windows(sents, tags, window=5, allow=lambda _w: True)
    assert out[-1] == ["O", "B-ORG"]
    sents2 = [["زار", "طرابلس"], ["ثم", "طرابلس"]]
    out2 = propagate_windows(sents2, [["O", "B-LOC"], ["O", "O"]], window=5, allow=lambda _w: True)
    assert out2[1] == ["O", "B-LOC"]
