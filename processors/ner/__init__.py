"""Named entities in Arabic news: the enrichment step's public API.

``extract_entities(title, body)`` tags both fields (shipped CRF by default, or CAMeL Tools' BERT NER) and
returns article-level entities ``{text, type, canonical, count, spans}`` (types PER/LOC/ORG/MISC; spans are
character offsets into the given strings and exclude proclitics, see ``canonical.py``).
``entity_fields(entities)`` flattens them into keyword lists for the index.

Everything heavy (the CRF, cluster tables, torch) is loaded on first use and cached per process; importing this
package needs neither torch nor crfsuite. ``load_models(backend)`` loads it all at once: a processor calls it at
start, so a missing or broken model file stops it there with a :class:`ModelError` naming the file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

from processors.model_files import ModelError
from processors.ner.canonical import Mention, mentions_from_tags, merge_mentions, raw_spans
from processors.ner.tokens import Token, normalize, tokenize
from schemas import ENTITY_FIELDS

__all__ = [
    "BACKENDS",
    "Backend",
    "ModelError",
    "entity_fields",
    "extract_entities",
    "load_models",
    "split_sentences",
    "tag_tokens",
]

log = logging.getLogger(__name__)

Backend = Literal["auto", "shipped", "crf", "camel"]
BACKENDS: tuple[Backend, ...] = ("auto", "shipped", "crf", "camel")
SENTENCE_END = frozenset(".!?؟;؛…\n")  # token texts that close a sentence (the CRF was trained per sentence)
FIELD_KEYS = {str(kind): name for kind, name in ENTITY_FIELDS.items()}  # entity type -> the index's keyword field


def split_sentences(text: str, tokens: Sequence[Token]) -> list[list[Token]]:
    """Group tokens into sentences at sentence-final punctuation and line breaks."""
    sents: list[list[Token]] = []
    cur: list[Token] = []
    prev_end = 0
    for tok in tokens:
        if cur and "\n" in text[prev_end : tok.start]:
            sents.append(cur)
            cur = []
        cur.append(tok)
        prev_end = tok.end
        if tok.text in SENTENCE_END:
            sents.append(cur)
            cur = []
    if cur:
        sents.append(cur)
    return sents


@lru_cache(maxsize=16)
def _resolve_backend(backend: str, camel_model_dir: Path | None) -> str:
    """``shipped``, ``crf`` or ``camel`` (``auto``: camel if its model is on disk, else shipped; checked once).

    ``shipped`` = the CRF + BiLSTM-CRF ensemble (best F1); ``crf`` = the shipped CRF alone (2.5x faster, no torch).
    """
    if backend in ("shipped", "crf", "camel"):
        return backend
    if backend != "auto":
        raise ValueError(f"unknown NER backend {backend!r}; known: {', '.join(BACKENDS)}")
    from processors.ner import camel

    if camel.camel_available(camel_model_dir):
        log.info(
            "NER backend auto: camel (a CAMeL BERT NER model is installed at %s)", camel_model_dir or "~/.camel_tools"
        )
        return "camel"
    log.info("NER backend auto: shipped (no CAMeL BERT NER model installed; the shipped CRF + BiLSTM-CRF tags)")
    return "shipped"


def load_models(backend: str = "auto", camel_model_dir: Path | str | None = None) -> str:
    """Load every model file the backend needs now (raises ModelError naming a missing or broken file).

    Returns the backend that will tag (``auto`` resolved)."""
    camel_dir = _as_path(camel_model_dir)
    which = _resolve_backend(backend, camel_dir)
    from processors.ner.tagger import get_tagger

    get_tagger().load_all(neural=which == "shipped")  # the shipped tables also serve the camel backend
    if which == "camel":
        from processors.ner import camel

        camel.get_camel_tagger(camel_dir)
    return which


def _as_path(camel_model_dir: Path | str | None) -> Path | None:
    return Path(camel_model_dir) if camel_model_dir else None


def tag_tokens(
    sents: Sequence[Sequence[str]],
    *,
    backend: str = "shipped",
    camel_model_dir: Path | str | None = None,
    consistency: str = "windows",
) -> list[list[str]]:
    """BIO tags (ANERcorp scheme) for pre-tokenised sentences with the chosen backend.

    ``consistency``: ``"windows"`` (CoNLL input without article boundaries: neighbouring sentences form the
    document), ``"document"`` (all sentences are one article) or ``"none"`` (sentence by sentence).
    """
    from processors.ner.consistency import propagate_document, propagate_windows

    camel_model_dir = _as_path(camel_model_dir)
    which = _resolve_backend(backend, camel_model_dir)
    allow = _single_word_filter()
    if which == "camel":
        from processors.ner import camel

        tags = camel.get_camel_tagger(camel_model_dir).tag_sents(sents)
    else:
        from processors.ner.tagger import get_tagger

        tags = get_tagger().tag_sents(sents, neural=which == "shipped")
    if consistency == "windows":
        return propagate_windows(sents, tags, allow=allow)
    if consistency == "document":
        return propagate_document(sents, tags, allow)
    return tags


def _single_word_filter() -> Callable[[str], bool]:
    """Which words a one-word name may be propagated onto (from the shipped count and prior tables)."""
    from processors.ner.tagger import get_tagger

    return get_tagger().allow_single


def _counts() -> Mapping[str, int]:
    """Corpus word counts shipped with the cluster table (used to decide proclitic splits)."""
    from processors.ner.tagger import get_tagger

    return get_tagger().counts


def extract_entities(
    title: str, body: str, *, backend: str = "auto", camel_model_dir: Path | str | None = None
) -> list[dict[str, object]]:
    """Entities of one article (see module docstring). Never raises on odd text; empty input -> ``[]``."""
    camel_model_dir = _as_path(camel_model_dir)
    which = _resolve_backend(backend, camel_model_dir)
    fields = [("title", title if isinstance(title, str) else ""), ("body", body if isinstance(body, str) else "")]
    all_sents: list[list[Token]] = []
    owners: list[int] = []
    for fi, (_name, text) in enumerate(fields):
        for s in split_sentences(text, tokenize(text)):
            all_sents.append(s)
            owners.append(fi)
    if not all_sents:
        return []
    tags = tag_tokens(
        [[t.text for t in s] for s in all_sents], backend=which, camel_model_dir=camel_model_dir, consistency="document"
    )
    counts = _counts()
    per_field: list[list[tuple[str, Token, Token]]] = [[], []]
    for s, y, owner in zip(all_sents, tags, owners, strict=True):
        per_field[owner].extend(raw_spans([(s, y)]))
    known = frozenset(normalize(first.text) for spans in per_field for _t, first, _l in spans)
    mentions: list[Mention] = []
    for (name, text), spans in zip(fields, per_field, strict=True):
        mentions.extend(mentions_from_tags(name, text, spans, counts, known))
    return merge_mentions(mentions)


def entity_fields(entities: Iterable[Mapping[str, object]]) -> dict[str, list[str]]:
    """Flattened keyword fields: canonical forms per type, deduplicated, in first-seen order."""
    out: dict[str, list[str]] = {v: [] for v in FIELD_KEYS.values()}
    seen: set[tuple[str, str]] = set()
    for e in entities:
        key = FIELD_KEYS.get(str(e.get("type", "")))
        canon = e.get("canonical")
        if key is None or not isinstance(canon, str) or not canon:
            continue
        if (key, canon) not in seen:
            seen.add((key, canon))
            out[key].append(canon)
    return out
