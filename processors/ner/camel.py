"""Adapter for CAMeL Tools' BERT NER (``camel_tools.ner.NERecognizer``), same output contract as the CRF.

Importing ``camel_tools.ner`` imports ``camel_tools.data``, which downloads CAMeL's catalogue over the network
when it is not installed (and hangs/fails offline).  Availability is therefore checked on the file system only
(``~/.camel_tools/data/ner/arabert``, CAMeL's default layout, or the model directory passed in), and when the
catalogue is absent the import runs with a placeholder ``camel_tools.data`` module (``NERecognizer(path)`` does
not need the catalogue, only ``NERecognizer.pretrained`` does).

``NERecognizer`` drops words its WordPiece tokenizer turns into nothing (e.g. stray control characters), which
would misalign its labels with our tokens; the adapter feeds only words that yield word pieces and puts ``O``
back for the others.  torch/transformers are imported only when this backend is actually used.
"""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from processors.model_files import ModelError

CAMEL_BATCH_SIZE = 16  # sentences per forward pass: keeps peak memory low on CPU, throughput barely changes
VALID_TAGS = frozenset(f"{p}-{t}" for p in "BI" for t in ("PERS", "LOC", "ORG", "MISC")) | {"O"}


CAMEL_DATA_DIR = Path.home() / ".camel_tools"  # CAMeL Tools' default data dir (CAMELTOOLS_DATA overrides it)
CAMEL_NER_SUBPATH = Path("data") / "ner" / "arabert"  # where `camel_data -i ner-arabert` puts the model


def _default_model_path() -> Path | None:
    """Where CAMeL Tools' own NER data is, if installed in the default location; else None."""
    path = CAMEL_DATA_DIR / CAMEL_NER_SUBPATH
    return path if _is_model_dir(path) else None


def _import_ner_recognizer() -> Any:
    """``camel_tools.ner.NERecognizer`` without triggering a catalogue download when none is installed."""
    if "camel_tools.ner" in sys.modules or (CAMEL_DATA_DIR / "catalogue.json").exists():
        from camel_tools.ner import NERecognizer

        return NERecognizer
    saved = sys.modules.get("camel_tools.data")
    stub = types.ModuleType("camel_tools.data")
    stub.CATALOGUE = None  # type: ignore[attr-defined]
    sys.modules["camel_tools.data"] = stub
    try:
        from camel_tools.ner import NERecognizer
    finally:
        if saved is not None:
            sys.modules["camel_tools.data"] = saved
        else:
            del sys.modules["camel_tools.data"]
    return NERecognizer


def _is_model_dir(path: Path | None) -> bool:
    return path is not None and path.is_dir() and (path / "config.json").exists()


def camel_available(model_dir: Path | None = None) -> bool:
    """True if ``model_dir`` holds a BERT token classifier or CAMeL Tools' NER data is installed."""
    if _is_model_dir(model_dir):
        return True
    return _is_model_dir(_default_model_path())


def _normalise_label(label: str) -> str:
    """CAMeL's labels are already ANERcorp's (B-PERS ...); accept PER/MIS spellings, anything else -> O."""
    lab = label.upper()
    if lab.endswith("-PER") or lab.endswith("-MIS"):
        lab += "S" if lab.endswith("-PER") else "C"
    return lab if lab in VALID_TAGS else "O"


class CamelTagger:
    """Wraps ``NERecognizer`` for pre-tokenised sentences."""

    def __init__(self, model_dir: Path | None = None) -> None:
        import torch

        NERecognizer = _import_ner_recognizer()
        torch.set_num_threads(1)  # one core per worker, as the pipeline sizes its processes
        path = model_dir if _is_model_dir(model_dir) else _default_model_path()
        if path is None or not _is_model_dir(path):
            where = model_dir or CAMEL_DATA_DIR / CAMEL_NER_SUBPATH
            raise ModelError(where, "no CAMeL NER model: pass ner_camel_model_dir or install camel data ner-arabert")
        self.recognizer: Any = NERecognizer(str(path), use_gpu=False)
        self._lock = threading.Lock()

    def tag_sents(self, sents: Sequence[Sequence[str]]) -> list[list[str]]:
        """BIO tags for each sentence (``O`` for words the WordPiece tokenizer cannot represent)."""
        tok = self.recognizer.tokenizer
        kept_idx: list[list[int]] = []
        inputs: list[list[str]] = []
        for s in sents:
            idx = [i for i, w in enumerate(s) if w.strip() and tok.tokenize(w)]
            kept_idx.append(idx)
            inputs.append([s[i] for i in idx])
        nonempty = [k for k, x in enumerate(inputs) if x]
        preds: list[list[str]] = []
        if nonempty:
            with self._lock:
                preds = self.recognizer.predict([inputs[k] for k in nonempty], batch_size=CAMEL_BATCH_SIZE)
        by_sent = dict(zip(nonempty, preds, strict=True))
        out: list[list[str]] = []
        for k, s in enumerate(sents):
            tags = ["O"] * len(s)
            for i, lab in zip(kept_idx[k], by_sent.get(k, []), strict=False):
                tags[i] = _normalise_label(str(lab))
            out.append(tags)
        return out


@lru_cache(maxsize=4)
def get_camel_tagger(model_dir: Path | None = None) -> CamelTagger:
    """The process-wide CAMeL tagger for ``model_dir`` (loaded on first use)."""
    return CamelTagger(model_dir)
