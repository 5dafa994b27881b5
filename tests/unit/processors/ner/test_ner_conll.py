"""CoNLL reading/writing and BIO spans."""

from __future__ import annotations

import io
from pathlib import Path

from processors.ner.conll import bio_spans, read_conll, write_conll

CONLL = "قال B-PERS\nأحمد\tI-PERS\n\n\nزار O x y B-LOC\nتونس B-LOC\n.\tO\n\r\n\nعاد O\n"


def test_read_conll_variants(tmp_path: Path) -> None:
    p = tmp_path / "a.conll"
    p.write_text(CONLL, encoding="utf-8")
    sents, tags = read_conll(p)
    assert sents == [["قال", "أحمد"], ["زار", "تونس", "."], ["عاد"]]
    assert tags == [["B-PERS", "I-PERS"], ["B-LOC", "B-LOC", "O"], ["O"]]
    s2, t2 = read_conll(p, with_tags=False)
    assert s2 == sents and all(y == "O" for t in t2 for y in t)


def test_write_conll_roundtrip() -> None:
    sents = [["أ", "ب"], ["ج"]]
    tags = [["B-ORG", "I-ORG"], ["O"]]
    buf = io.StringIO()
    write_conll(buf, sents, tags)
    assert buf.getvalue() == "أ\tB-ORG\nب\tI-ORG\n\nج\tO\n\n"


def test_bio_spans_stray_inside_starts_entity() -> None:
    assert bio_spans(["O", "I-PERS", "I-PERS", "B-LOC", "I-ORG", "O"]) == [
        ("PERS", 1, 3),
        ("LOC", 3, 4),
        ("ORG", 4, 5),
    ]
