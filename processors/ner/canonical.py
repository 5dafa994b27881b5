"""From tagged tokens to article-level entities: mention spans, clitic stripping, variant and short-form merging.

Spans: a mention's span covers the name *without* its proclitics (conjunction و/ف, prepositions ب/ل/ك):
``ولحماس`` -> span over ``حماس``.  The article ``ال`` stays inside the span (``والقاهرة`` -> ``القاهرة``),
except for the contraction ``لل`` (li + al, alef dropped: ``للأمم``), where the span keeps the whole token
and the canonical form restores ``ال`` (``الأمم المتحدة``).

Merging inside one article (all keys use ``tokens.normalize``: no diacritics/tatweel, one alef, ه for ة,
ي for ى):
  * same key after stripping proclitics and the first word's article -> one entity (``لحماس``/``وحماس``/``حماس``;
    ``اسماعيل هنيه``/``إسماعيل هنية``);
  * a one-word PER mention equal to the last (or first) word of a longer PER name -> that person
    (``هنية`` -> ``إسماعيل هنية``); a one-word ORG equal to the last word of a longer ORG likewise
    (``حماس`` -> ``حركة حماس``);
  * the entity's type is the majority type of its mentions (document-level consistency).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from processors.arabic import DAGGER_ALEF, EXTRA_HARAKAT, HARAKAT, TATWEEL
from processors.ner.conll import bio_spans
from processors.ner.tokens import ARTICLE, Token, normalize

TYPE_MAP = {"PERS": "PER", "PER": "PER", "LOC": "LOC", "ORG": "ORG", "MISC": "MISC", "MIS": "MISC"}
STEM_RATIO = 3.0  # strip و/ف/ب/ل only if the bare form is >= 3x as frequent as the prefixed one (وليد stays)
MIN_STEM_CHARS = 2  # a proclitic is never stripped if fewer letters would remain
MIN_ARTICLE_STEM_CHARS = 2  # "ال" + at least two letters after a proclitic (بالعراق) is always a clitic + article
_HAMZA_FORMS = set("أإآؤئءة")  # letters whose presence marks a carefully spelled variant
_MARKS = frozenset(HARAKAT + EXTRA_HARAKAT + DAGGER_ALEF + TATWEEL)  # what the display form drops


@dataclass
class Mention:
    """One entity mention in a field of the article."""

    field: str
    start: int
    end: int
    type: str
    surface: str
    canonical: str
    key: tuple[str, ...]


@dataclass
class _Group:
    mentions: list[Mention] = field(default_factory=list)
    key: tuple[str, ...] = ()


def _skip_letters(raw: str, n_letters: int) -> int:
    """Index in ``raw`` after ``n_letters`` base letters and any marks attached to them."""
    i = 0
    seen = 0
    while i < len(raw) and seen < n_letters:
        if raw[i] not in _MARKS:
            seen += 1
        i += 1
    while i < len(raw) and raw[i] in _MARKS:
        i += 1
    return i


def proclitic_len(norm: str, counts: Mapping[str, int], known: frozenset[str] = frozenset()) -> int:
    """How many leading letters of the normalised word are proclitics (0, 1 or 2).

    ``known`` holds normalised words seen elsewhere in the article as (clitic-free) mention starts: a
    prefixed form whose remainder is known is split even if corpus counts are silent.
    """
    k = 0
    rest = norm
    for letters in ("وف", "بلك"):
        if len(rest) <= MIN_STEM_CHARS or rest[0] not in letters:
            continue
        cand = rest[1:]
        if cand.startswith("ل") and rest[0] == "ل" and len(cand) > MIN_STEM_CHARS:
            break  # لل contraction: handled by the caller (span keeps the token)
        if cand.startswith(ARTICLE) and len(cand) >= len(ARTICLE) + MIN_ARTICLE_STEM_CHARS:
            k, rest = k + 1, cand  # و/ب/ل/ك + ال... : always a clitic
            break
        if rest[0] == "ك":
            continue  # ka- before a bare name is rare; كمال / كريم / كوبا are names
        c_rest = counts.get(cand, 0)
        if cand in known or (c_rest > 0 and c_rest >= STEM_RATIO * counts.get(rest, 0)):
            k, rest = k + 1, cand
        else:
            break
    return k


def _canonical_form(surface: str) -> str:
    """Display form: diacritics and tatweel removed, whitespace collapsed (spelling otherwise kept)."""
    return " ".join("".join(ch for ch in surface if ch not in _MARKS).split())


def _spelling_score(s: str) -> int:
    return sum(ch in _HAMZA_FORMS for ch in s)


def raw_spans(sents: Sequence[tuple[Sequence[Token], Sequence[str]]]) -> list[tuple[str, Token, Token]]:
    """Entity spans ``(tag type, first token, last token)`` per sentence (entities never cross sentences)."""
    out: list[tuple[str, Token, Token]] = []
    for toks, tags in sents:
        for typ, i, j in bio_spans(tags):
            out.append((typ, toks[i], toks[j - 1]))
    return out


def mentions_from_tags(
    field_name: str,
    text: str,
    spans: Sequence[tuple[str, Token, Token]],
    counts: Mapping[str, int],
    known: frozenset[str] = frozenset(),
) -> list[Mention]:
    """Turn ``raw_spans`` of ``text`` into mentions with exact character spans.

    ``known``: normalised first words of all the article's mentions (helps decide proclitic splits).
    """
    out: list[Mention] = []
    for typ, first, last in spans:
        etype = TYPE_MAP.get(typ, "MISC")
        norm_first = normalize(first.text)
        k = proclitic_len(norm_first, counts, known - {norm_first})
        start = first.start + (_skip_letters(first.text, k) if k else 0)
        end = last.end
        if start >= end:  # defensive: never produce an empty span
            start = first.start
        surface = text[start:end]
        canonical = _canonical_form(surface)
        words = [normalize(w) for w in canonical.split()]
        if not words:
            continue
        head = words[0]
        if head.startswith("لل") and len(head) > 4 and k == 0:
            canonical = "ال" + canonical[2:]  # للأمم -> الأمم
            head = "ال" + head[2:]
        if head.startswith(ARTICLE) and len(head) > len(ARTICLE) + 1:
            head = head[len(ARTICLE) :]
        key = (head, *words[1:])
        out.append(Mention(field_name, start, end, etype, surface, canonical, key))
    return out


def merge_mentions(mentions: Sequence[Mention]) -> list[dict[str, object]]:
    """Group an article's mentions into entities (see module docstring for the rules)."""
    groups: dict[tuple[str, ...], _Group] = {}
    for m in mentions:
        g = groups.setdefault(m.key, _Group(key=m.key))
        g.mentions.append(m)

    def majority_type(ms: Sequence[Mention]) -> str:
        tally: dict[str, int] = {}
        for m in ms:
            tally[m.type] = tally.get(m.type, 0) + 1
        best = max(tally.values())
        return next(m.type for m in ms if tally[m.type] == best)

    # Short forms: single-word PER/ORG keys fold into a longer name of the same type.
    long_groups = [g for g in groups.values() if len(g.key) > 1]
    for key in [k for k in groups if len(k) == 1]:
        g = groups[key]
        gtype = majority_type(g.mentions)
        if gtype not in ("PER", "ORG"):
            continue
        word = key[0]
        cands = []
        for lg in long_groups:
            if majority_type(lg.mentions) != gtype:
                continue
            last = lg.key[-1]
            last_bare = last[len(ARTICLE) :] if last.startswith(ARTICLE) else last
            if word in (last, last_bare) or (gtype == "PER" and word == lg.key[0]):
                cands.append(lg)
        if cands:
            target = max(cands, key=lambda c: (len(c.mentions), -_first_pos(c.mentions)))
            target.mentions.extend(g.mentions)
            del groups[key]

    entities: list[dict[str, object]] = []
    for g in groups.values():
        ms = sorted(g.mentions, key=lambda m: (m.field != "title", m.start))
        longest = max(len(m.key) for m in ms)
        full = [m for m in ms if len(m.key) == longest]
        canonical = max(full, key=lambda m: (_spelling_score(m.canonical), -ms.index(m))).canonical
        entities.append(
            {
                "text": ms[0].surface,
                "type": majority_type(ms),
                "canonical": canonical,
                "count": len(ms),
                "spans": [{"field": m.field, "start": m.start, "end": m.end} for m in ms],
            }
        )
    entities.sort(key=lambda e: (-int(e["count"]), _first_span_pos(e)))  # type: ignore[call-overload]
    return entities


def _first_pos(ms: Sequence[Mention]) -> int:
    return min((0 if m.field == "title" else 1_000_000_000) + m.start for m in ms)


def _first_span_pos(e: Mapping[str, object]) -> int:
    spans = e["spans"]
    assert isinstance(spans, list)
    return min((0 if s["field"] == "title" else 1_000_000_000) + int(s["start"]) for s in spans)
