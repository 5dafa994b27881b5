"""CoNLL reading/writing and BIO spans (the scoring of tagged CoNLL is ``training.ner.evaluate``).

Reading: first column = token, further columns ignored except the last one is taken as the tag when
``with_tags`` is set; a blank line ends a sentence.  Entity spans follow seqeval's default (non-strict)
IOB2 reading: an ``I-X`` that does not continue an ``X`` entity starts a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO


def read_conll(path: Path, *, with_tags: bool = True) -> tuple[list[list[str]], list[list[str]]]:
    """Read sentences of tokens (and tags, ``'O'`` if absent). Robust to CRLF, tabs or spaces, trailing blanks."""
    sents: list[list[str]] = []
    tags: list[list[str]] = []
    cur_t: list[str] = []
    cur_y: list[str] = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for raw in fh:
            parts = raw.split()
            if not parts:
                if cur_t:
                    sents.append(cur_t)
                    tags.append(cur_y)
                cur_t, cur_y = [], []
                continue
            cur_t.append(parts[0])
            cur_y.append(parts[-1] if with_tags and len(parts) > 1 else "O")
    if cur_t:
        sents.append(cur_t)
        tags.append(cur_y)
    return sents, tags


def write_conll(out: TextIO, sents: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> None:
    """Write ``token<TAB>tag`` lines with a blank line after every sentence."""
    for toks, ys in zip(sents, tags, strict=True):
        for tok, y in zip(toks, ys, strict=True):
            out.write(f"{tok}\t{y}\n")
        out.write("\n")


def bio_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Entity spans ``(type, start, end_exclusive)`` from BIO tags; a stray ``I-X`` starts an entity."""
    spans: list[tuple[str, int, int]] = []
    cur_type: str | None = None
    start = 0
    for i, tag in enumerate(tags):
        if tag.startswith("B-") or tag.startswith("I-"):
            prefix, typ = tag[0], tag[2:]
            if prefix == "B" or typ != cur_type:
                if cur_type is not None:
                    spans.append((cur_type, start, i))
                cur_type, start = typ, i
        else:
            if cur_type is not None:
                spans.append((cur_type, start, i))
            cur_type = None
    if cur_type is not None:
        spans.append((cur_type, start, len(tags)))
    return spans
