"""A broken model directory stops NER loudly: a missing or corrupt file, or a model built for another folding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from processors.arabic import NER_NORMALISATION
from processors.model_files import META_FILE, ModelError
from processors.ner.resources import CLUSTERS2_FILE, GAZETTEER_FILE
from processors.ner.tagger import MODEL_DIR, MODEL_FILE, CrfTagger


def _copy_of_shipped(tmp_path: Path) -> Path:
    """The shipped model directory as symlinks (meta.json copied, so a test may edit it)."""
    out = tmp_path / "model"
    out.mkdir()
    for f in MODEL_DIR.iterdir():
        if f.name == META_FILE:
            (out / f.name).write_bytes(f.read_bytes())
        else:
            (out / f.name).symlink_to(f)
    return out


def test_shipped_meta_names_the_folding() -> None:
    meta = json.loads((MODEL_DIR / META_FILE).read_text(encoding="utf-8"))
    assert meta["normalisation"] == NER_NORMALISATION


@pytest.mark.parametrize("name", [CLUSTERS2_FILE, MODEL_FILE, META_FILE])
def test_missing_file_is_named(tmp_path: Path, name: str) -> None:
    model = _copy_of_shipped(tmp_path)
    (model / name).unlink()
    with pytest.raises(ModelError, match="missing") as info:
        CrfTagger(model)
    assert info.value.path == model / name
    assert str(model / name) in str(info.value)


@pytest.mark.parametrize("name", [GAZETTEER_FILE, MODEL_FILE])
def test_corrupt_file_is_named(tmp_path: Path, name: str) -> None:
    model = _copy_of_shipped(tmp_path)
    (model / name).unlink()
    (model / name).write_bytes(b"\x1f\x8b not really gzip, not a crfsuite model either" * 20)
    with pytest.raises(ModelError, match="unreadable") as info:
        CrfTagger(model)
    assert info.value.path == model / name


def test_model_for_another_folding_is_refused(tmp_path: Path) -> None:
    model = _copy_of_shipped(tmp_path)
    meta = json.loads((model / META_FILE).read_text(encoding="utf-8"))
    meta["normalisation"] = "fold_for_ner-v0"
    (model / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="fold_for_ner-v0") as info:
        CrfTagger(model)
    assert info.value.path == model / META_FILE


def test_corrupt_neural_file_fails_when_the_nets_load(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from processors.ner.neural import NEURAL_FILE

    model = _copy_of_shipped(tmp_path)
    (model / NEURAL_FILE).unlink()
    (model / NEURAL_FILE).write_bytes(b"garbage" * 100)
    tagger = CrfTagger(model)
    with pytest.raises(ModelError, match="unreadable") as info:
        tagger.load_all(neural=True)
    assert info.value.path == model / NEURAL_FILE


def test_load_models_loads_the_shipped_backend(caplog: pytest.LogCaptureFixture) -> None:
    from processors.ner import load_models

    assert load_models("crf") == "crf"
    with caplog.at_level("INFO", logger="processors.ner"):
        which = load_models("auto", "/nonexistent/camel-model")
    assert which in ("shipped", "camel")
