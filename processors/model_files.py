"""Shipped model files: one error for a missing or broken one, and the check of a model's ``meta.json``.

A model is trained on text folded a certain way (``processors.arabic``) and, for topics, with outlet names
stripped a certain way; its ``meta.json`` records those versions. Loading refuses a model built for other
versions rather than tagging with features that no longer mean what they meant at training time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

META_FILE = "meta.json"


class ModelError(RuntimeError):
    """A model file is missing, unreadable, or was built for another text normalisation. Names the file."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def require(path: Path) -> Path:
    """``path`` if it is a file, else ModelError("missing")."""
    if not path.is_file():
        raise ModelError(path, "model file missing")
    return path


def read_meta(model_dir: Path, expected: Mapping[str, str]) -> dict[str, Any]:
    """``model_dir/meta.json``, checked: each ``expected`` key must hold exactly that version."""
    path = require(model_dir / META_FILE)
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(path, f"unreadable ({exc})") from exc
    if not isinstance(meta, dict):
        raise ModelError(path, "not a JSON object")
    for key, version in expected.items():
        if meta.get(key) != version:
            raise ModelError(path, f"built for {key} {meta.get(key)!r}, this code needs {version!r}: retrain the model")
    return meta
