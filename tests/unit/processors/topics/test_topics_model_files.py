"""A broken topic model stops the step loudly: missing or corrupt bundle, or a bundle for another folding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from processors.model_files import META_FILE, ModelError
from processors.topics import MODEL_PATH
from processors.topics.bundle import TEXT_VERSIONS, load_bundle


def _copy_of_shipped(tmp_path: Path) -> Path:
    (tmp_path / MODEL_PATH.name).symlink_to(MODEL_PATH)
    (tmp_path / META_FILE).write_bytes((MODEL_PATH.parent / META_FILE).read_bytes())
    return tmp_path / MODEL_PATH.name


def test_shipped_meta_names_the_text_versions() -> None:
    meta = json.loads((MODEL_PATH.parent / META_FILE).read_text(encoding="utf-8"))
    assert {k: meta[k] for k in TEXT_VERSIONS} == TEXT_VERSIONS


@pytest.mark.parametrize("name", [MODEL_PATH.name, META_FILE])
def test_missing_file_is_named(tmp_path: Path, name: str) -> None:
    bundle = _copy_of_shipped(tmp_path)
    (tmp_path / name).unlink()
    with pytest.raises(ModelError, match="missing") as info:
        load_bundle(bundle)
    assert info.value.path == tmp_path / name


def test_corrupt_bundle_is_named(tmp_path: Path) -> None:
    bundle = _copy_of_shipped(tmp_path)
    bundle.unlink()
    bundle.write_bytes(b"PK\x03\x04 truncated zip" * 10)
    with pytest.raises(ModelError, match="unreadable") as info:
        load_bundle(bundle)
    assert info.value.path == bundle


@pytest.mark.parametrize("key", sorted(TEXT_VERSIONS))
def test_bundle_for_other_text_versions_is_refused(tmp_path: Path, key: str) -> None:
    bundle = _copy_of_shipped(tmp_path)
    meta = json.loads((tmp_path / META_FILE).read_text(encoding="utf-8"))
    meta[key] = "something-v0"
    (tmp_path / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="something-v0") as info:
        load_bundle(bundle)
    assert info.value.path == tmp_path / META_FILE


def test_load_models_loads_the_shipped_bundle() -> None:
    from processors.topics import load_models

    assert load_models().keyword_df.n_docs > 1000
