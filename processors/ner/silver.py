"""Self-training lexicon: tag unlabelled news with a first CRF, keep per-stem entity-type rates as features.

A stem that the first model tags as a person in 80% of its 40 occurrences across thousands of articles is
very likely a person's name even where the local context is uninformative; the second model gets that as a
``silver=PERS:4`` attribute.  Only the unlabelled news (SANAD, ANT) is tagged, never the evaluation data.
Training-time only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from processors.ner.conll import bio_spans
from processors.ner.consistency import propagate_document
from processors.ner.text import normalize, split_clitics, tokenize

SILVER_MIN_ENTITY = 3  # a stem needs >= 3 silver entity occurrences to get a feature
SILVER_RATE_BINS = (0.1, 0.3, 0.6, 0.9)  # share of the stem's occurrences tagged as that type
SILVER_MAX_SENT = 120  # same cut as the run-time tagger


def _sentences(text: str) -> list[list[str]]:
    sents: list[list[str]] = []
    cur: list[str] = []
    for tok in tokenize(text):
        cur.append(tok.text)
        if tok.text in ".!?؟;؛\n" or len(cur) >= SILVER_MAX_SENT:
            sents.append(cur)
            cur = []
    if cur:
        sents.append(cur)
    return sents


def build_silver(texts: Iterable[str], tag_sents: object, max_tokens: int) -> dict[str, str]:
    """Tag ``texts`` (documents) with ``tag_sents(list of token lists) -> tags`` up to ``max_tokens`` tokens."""
    assert callable(tag_sents)
    total: dict[str, int] = {}
    ent: dict[str, dict[str, int]] = {}
    seen = 0
    for text in texts:
        sents = _sentences(text)
        if not sents:
            continue
        tags: Sequence[Sequence[str]] = propagate_document(sents, tag_sents(sents))
        for toks, ys in zip(sents, tags, strict=True):
            stems = [split_clitics(normalize(w)).stem for w in toks]
            for s in stems:
                total[s] = total.get(s, 0) + 1
            for typ, a, b in bio_spans(ys):
                for s in stems[a:b]:
                    d = ent.setdefault(s, {})
                    d[typ] = d.get(typ, 0) + 1
            seen += len(toks)
        if seen >= max_tokens:
            break
    out: dict[str, str] = {}
    for s, d in ent.items():
        feats = []
        for typ, c in sorted(d.items()):
            if c >= SILVER_MIN_ENTITY:
                rate = c / total[s]
                feats.append(f"{typ}:{sum(rate >= b for b in SILVER_RATE_BINS)}")
        if feats:
            out[s] = "|".join(feats)
    return out
