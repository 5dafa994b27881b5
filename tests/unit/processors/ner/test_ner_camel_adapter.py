"""The CAMeL Tools backend, exercised with a tiny randomly initialised BERT written to tmp_path.

Weights are random, so the test checks the *contract* (well-formed entities, valid spans, aligned tags),
not particular labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")


CAMEL_LABELS = ["B-LOC", "B-ORG", "B-PERS", "B-MISC", "I-LOC", "I-ORG", "I-PERS", "I-MISC", "O"]
TEXT_TITLE = "وزير الخارجية يزور عمّان"
TEXT_BODY = "قالت الوزيرة سلمى الخطيب في بيروت إن اللجنة الوطنية للمياه ستجتمع غداً.\nوأضافت الخطيب أن الاجتماع مهم."


def _write_tiny_bert(path: Path) -> None:
    import torch
    from transformers import BertConfig, BertForTokenClassification, BertTokenizer

    torch.manual_seed(0)
    letters = sorted(set("ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئىة"))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", "،", "ال", "و"] + letters + ["##" + c for c in letters]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    kwargs: dict[str, Any] = {
        "vocab_size": len(vocab),
        "hidden_size": 16,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 32,
        "max_position_embeddings": 300,  # NERecognizer pads to 256 word pieces
        "num_labels": len(CAMEL_LABELS),
        "id2label": dict(enumerate(CAMEL_LABELS)),
        "label2id": {lab: i for i, lab in enumerate(CAMEL_LABELS)},
    }
    config = BertConfig(**kwargs)
    BertForTokenClassification(config).save_pretrained(path)
    BertTokenizer(str(path / "vocab.txt"), do_lower_case=False).save_pretrained(path)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiny_camel_ner")
    _write_tiny_bert(path)
    return path


def test_camel_available_with_model_dir(tiny_model: Path, tmp_path: Path) -> None:
    from processors.ner.camel import camel_available

    assert camel_available(tiny_model)
    assert camel_available(tmp_path / "missing") is camel_available(None)


def test_camel_tag_sents_aligned(tiny_model: Path) -> None:
    from processors.ner import tag_tokens

    sents = [["قال", "\u200b", "سلمى", "الخطيب", "."], [], ["بيروت"]]
    tags = tag_tokens(sents, backend="camel", camel_model_dir=tiny_model)
    assert [len(t) for t in tags] == [len(s) for s in sents]
    assert tags[0][1] == "O"  # a word with no word pieces gets O instead of shifting the others
    valid = set(CAMEL_LABELS)
    assert all(t in valid for sent in tags for t in sent)


def test_camel_backend_entities_contract(tiny_model: Path) -> None:
    from processors.ner import entity_fields, extract_entities

    ents = extract_entities(TEXT_TITLE, TEXT_BODY, backend="camel", camel_model_dir=tiny_model)
    auto = extract_entities(TEXT_TITLE, TEXT_BODY, backend="auto", camel_model_dir=tiny_model)
    assert ents == auto  # auto picks camel when the model dir is present
    fields = {"title": TEXT_TITLE, "body": TEXT_BODY}
    for e in ents:
        assert set(e) == {"text", "type", "canonical", "count", "spans"}
        assert e["type"] in {"PER", "LOC", "ORG", "MISC"}
        assert isinstance(e["canonical"], str) and e["canonical"]
        spans = e["spans"]
        assert isinstance(spans, list) and e["count"] == len(spans) >= 1
        for sp in spans:
            src = fields[sp["field"]]
            assert 0 <= sp["start"] < sp["end"] <= len(src)
            assert src[sp["start"] : sp["end"]].strip() == src[sp["start"] : sp["end"]]
        first = spans[0]
        assert e["text"] == fields[first["field"]][first["start"] : first["end"]]
    assert set(entity_fields(ents)) == {"persons", "locations", "organizations", "misc"}
