"""The online story index: a window of recent articles, their stories, and the assignment of each new article.

``StoryIndex.assign(features)`` returns the article's ``story_id`` and ``duplicate_of`` and changes the index:

1. the stream time moves to the article's arrival (``fetched_at``) if later, and articles that arrived more than
   ``window_s`` before it leave the index (a story with no article left in the window is closed: it takes no more
   articles). Arrival, not publication: a backfill of a week's archive, read in any order, is one window, while
   ``max_gap_s`` still keeps an article from joining a story published days apart from it;
2. **reprint**: among the window's articles sharing an LSH band with its body's MinHash, those with estimated
   Jaccard ≥ ``dup_threshold`` are copies; ``duplicate_of`` is the earliest one's original (itself, unless it is
   a reprint too). A reprint joins its original's story.
3. **story**: otherwise the open stories sharing a term with it are scored by cosine of term vectors (the
   article's against the story's sum over its window articles) plus ``entity_weight`` × the fraction of the
   article's entities (up to 4) the story has; the best above ``threshold`` within ``max_gap_s`` of the story's
   last article takes it, else the article opens a story whose id is its own id.
4. An article id seen before (an updated version, or a replay) keeps its story and original.

Determinism: term weights are held as integers (fixed point), so sums and differences are exact whatever order
articles are added and evicted in; ties are broken by id. The index can be written out as records
(``drain_changes``) and rebuilt from the last record of each key (``restore``), giving the same state.
"""

from __future__ import annotations

import base64
import heapq
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from processors.stories.features import ENTITY_FIELDS, Features
from processors.stories.minhash import LSH, band_keys, jaccard

SCALE = 10_000  # term weights in fixed point: 4 decimals, exact integer sums
MAX_ENTITY_MATCH = 4  # the entity fraction counts at most this many of the article's entities
TOP_ENTITIES = 10  # per type in a story's snapshot
CENTRAL_CANDIDATES = 50  # the story's title is chosen among its latest window articles
GROWTH_WINDOW_S = 3600.0  # "growth": a story's articles in the last hour of stream time


@dataclass(frozen=True)
class StoryParams:
    """Thresholds and window of the story index (defaults and their reasons: ``akhbar.settings``)."""

    window_s: float
    threshold: float
    entity_weight: float
    dup_threshold: float
    max_gap_s: float


@dataclass(frozen=True)
class Assignment:
    article_id: str
    story_id: str
    duplicate_of: str | None
    score: float  # of the story it joined (1.0 for a reprint, 0.0 for a new story)
    new_story: bool
    seen_before: bool


@dataclass
class _Member:
    article_id: str
    story_id: str
    duplicate_of: str | None
    time: float
    arrival: float
    seq: int
    source: str
    title: str
    terms: tuple[tuple[str, int], ...]
    signature: np.ndarray
    entities: dict[str, tuple[str, ...]]
    topics: tuple[str, ...]
    geo_scope: str | None


@dataclass
class _Story:
    story_id: str
    first_seen: float
    last_seen: float
    article_count: int = 0
    revision: int = 0
    sources: Counter[str] = field(default_factory=Counter)
    entities: dict[str, Counter[str]] = field(default_factory=lambda: {f: Counter() for f in ENTITY_FIELDS})
    topics: Counter[str] = field(default_factory=Counter)
    geo: Counter[str] = field(default_factory=Counter)
    # what the window holds of it (rebuilt from the members, never written out)
    members: list[str] = field(default_factory=list)
    centroid: dict[str, int] = field(default_factory=dict)
    norm2: int = 0


def _quantise(terms: Mapping[str, float]) -> tuple[tuple[str, int], ...]:
    return tuple((t, round(w * SCALE)) for t, w in terms.items() if round(w * SCALE) > 0)


def _sig_text(sig: np.ndarray) -> str:
    return base64.b64encode(sig.astype("<u4").tobytes()).decode("ascii")


def _sig_of(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<u4").astype(np.uint32)


class StoryIndex:
    def __init__(self, params: StoryParams) -> None:
        self.params = params
        self.stream_time = 0.0
        self.seq = 0
        self._members: dict[str, _Member] = {}
        self._stories: dict[str, _Story] = {}
        self._lsh = LSH()
        self._postings: dict[str, dict[str, int]] = {}  # term -> story -> the story's centroid weight
        self._expiry: list[tuple[float, int, str]] = []  # (arrival, seq, id) of window members, a heap
        self._changes: dict[str, dict[str, Any] | None] = {}  # key -> record (None: deleted) since the last drain

    # --- reading ------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._members)

    @property
    def open_stories(self) -> int:
        return len(self._stories)

    def story_of(self, article_id: str) -> str | None:
        m = self._members.get(article_id)
        return m.story_id if m else None

    # --- assigning ----------------------------------------------------------------------------------------

    def assign(self, f: Features) -> Assignment:
        old = self._members.get(f.article_id)
        if old is not None and old.terms == _quantise(f.terms) and np.array_equal(old.signature, f.signature):
            return Assignment(f.article_id, old.story_id, old.duplicate_of, 1.0, False, True)  # a replay: no change
        if old is not None:  # an updated version: same story, same original; its new text in the window
            self._remove_member(old)
            self._add_member(f, old.story_id, old.duplicate_of, count=False)
            self._advance(f.arrival)
            return Assignment(f.article_id, old.story_id, old.duplicate_of, 1.0, False, True)
        self._advance(f.arrival)
        keys = band_keys(f.signature) if int(f.signature[0]) != 0xFFFFFFFF else []
        duplicate_of = self._original(f, keys)
        if duplicate_of is not None:
            story_id, score, new = self._members[duplicate_of].story_id, 1.0, False
        else:
            best = self._best_story(f)
            if best is None:
                story_id, score, new = f.article_id, 0.0, True
            else:
                story_id, score, new = best[1], best[0], False
        self._add_member(f, story_id, duplicate_of, count=True)
        return Assignment(f.article_id, story_id, duplicate_of, round(score, 4), new, False)

    def _original(self, f: Features, keys: list[bytes]) -> str | None:
        copies = []
        for cand_id in self._lsh.candidates(keys):
            cand = self._members[cand_id]
            # only an earlier report can be the original: a wire read after its reprint leaves the reprint unmarked
            if cand.time <= f.time and jaccard(f.signature, cand.signature) >= self.params.dup_threshold:
                copies.append((cand.time, cand.seq, cand_id))
        if not copies:
            return None
        first = self._members[min(copies)[2]]
        root = first.duplicate_of
        return root if root is not None and root in self._members else first.article_id

    def _best_story(self, f: Features) -> tuple[float, str] | None:
        p = self.params
        dots: dict[str, int] = {}
        for term, w in _quantise(f.terms):
            for story_id, c in self._postings.get(term, {}).items():
                dots[story_id] = dots.get(story_id, 0) + w * c
        if not dots:
            return None
        own = [name for fld in ENTITY_FIELDS for name in f.entities.get(fld, ())][:MAX_ENTITY_MATCH]
        norm_f = math.sqrt(sum(w * w for _, w in _quantise(f.terms))) or 1.0
        best: tuple[float, str] | None = None
        for story_id in sorted(dots):
            story = self._stories[story_id]
            if abs(f.time - story.last_seen) > p.max_gap_s and abs(f.time - story.first_seen) > p.max_gap_s:
                continue
            cos = dots[story_id] / (norm_f * (math.sqrt(story.norm2) or 1.0))
            shared = sum(1 for name in own if any(name in story.entities[fld] for fld in ENTITY_FIELDS))
            score = cos + (p.entity_weight * shared / len(own) if own else 0.0)
            if score >= p.threshold and (best is None or score > best[0]):
                best = (score, story_id)
        return best

    # --- the window ---------------------------------------------------------------------------------------

    def _advance(self, time: float) -> None:
        self.stream_time = max(self.stream_time, time)
        self._changes["meta"] = {"stream_time": self.stream_time, "seq": self.seq}
        horizon = self.stream_time - self.params.window_s
        while self._expiry and self._expiry[0][0] < horizon:
            _, seq, article_id = heapq.heappop(self._expiry)
            member = self._members.get(article_id)
            if member is not None and member.seq == seq:
                self._remove_member(member)
                self._changes["a/" + article_id] = None
                story = self._stories.get(member.story_id)
                if story is not None and not story.members:
                    del self._stories[member.story_id]
                    self._changes["s/" + member.story_id] = None

    def _add_member(self, f: Features, story_id: str, duplicate_of: str | None, *, count: bool) -> None:
        self.seq += 1
        member = _Member(
            f.article_id, story_id, duplicate_of, f.time, f.arrival, self.seq, f.source, f.title, _quantise(f.terms),
            f.signature, f.entities, f.topics, f.geo_scope,
        )  # fmt: skip
        story = self._stories.get(story_id)
        if story is None:
            story = self._stories[story_id] = _Story(story_id, f.time, f.time)
        if count:
            story.article_count += 1
            story.sources[f.source] += 1
            for fld in ENTITY_FIELDS:
                story.entities[fld].update(f.entities.get(fld, ()))
            story.topics.update(f.topics[:1])
            if f.geo_scope:
                story.geo[f.geo_scope] += 1
        story.first_seen = min(story.first_seen, f.time)
        story.last_seen = max(story.last_seen, f.time)
        story.revision += 1
        self._attach(member, story)
        self._changes["a/" + f.article_id] = self._member_record(member)
        self._changes["s/" + story_id] = self._story_record(story)
        self._changes["meta"] = {"stream_time": self.stream_time, "seq": self.seq}

    def _attach(self, member: _Member, story: _Story) -> None:
        """Put a member into the window structures (centroid, postings, LSH, expiry)."""
        self._members[member.article_id] = member
        story.members.append(member.article_id)
        for term, w in member.terms:
            c = story.centroid.get(term, 0)
            story.centroid[term] = c + w
            story.norm2 += (c + w) * (c + w) - c * c
            self._postings.setdefault(term, {})[story.story_id] = c + w
        if int(member.signature[0]) != 0xFFFFFFFF:
            self._lsh.add(member.article_id, band_keys(member.signature))
        heapq.heappush(self._expiry, (member.arrival, member.seq, member.article_id))

    def _remove_member(self, member: _Member) -> None:
        del self._members[member.article_id]
        story = self._stories.get(member.story_id)
        if story is not None:
            story.members.remove(member.article_id)
            for term, w in member.terms:
                c = story.centroid.get(term, 0)
                left = c - w
                story.norm2 += left * left - c * c
                posting = self._postings.get(term)
                if left > 0:
                    story.centroid[term] = left
                    if posting is not None:
                        posting[story.story_id] = left
                else:
                    story.centroid.pop(term, None)
                    if posting is not None:
                        posting.pop(story.story_id, None)
                        if not posting:
                            del self._postings[term]
        if int(member.signature[0]) != 0xFFFFFFFF:
            self._lsh.remove(member.article_id, band_keys(member.signature))

    # --- the story document -------------------------------------------------------------------------------

    def snapshot(self, story_id: str) -> dict[str, Any] | None:
        """The story's document for the stories index (None once the story is closed)."""
        story = self._stories.get(story_id)
        if story is None:
            return None
        members = [self._members[a] for a in story.members]
        central = max(
            members[-CENTRAL_CANDIDATES:],
            key=lambda m: (sum(w * story.centroid.get(t, 0) for t, w in m.terms), -m.seq),
        )
        horizon = self.stream_time - GROWTH_WINDOW_S
        return {
            "id": story.story_id,
            "title": central.title,
            "central_article": central.article_id,
            "first_seen": story.first_seen,
            "last_seen": story.last_seen,
            "article_count": story.article_count,
            "sources": sorted(story.sources, key=lambda s: (-story.sources[s], s)),
            "source_count": len(story.sources),
            **{fld: merged_names(story.entities[fld], persons=fld == "persons") for fld in ENTITY_FIELDS},
            "topics": [t for t, _ in sorted(story.topics.items(), key=lambda kv: (-kv[1], kv[0]))[:3]],
            "geo_scope": min(story.geo, key=lambda g: (-story.geo[g], g)) if story.geo else None,
            "growth": sum(1 for m in members if m.arrival >= horizon),
            "revision": story.revision,
        }

    # --- records: writing the state out and reading it back ----------------------------------------------

    def drain_changes(self) -> list[tuple[str, dict[str, Any] | None]]:
        """The records changed since the last drain (key, value or None for deleted), in key order."""
        changes, self._changes = self._changes, {}
        return sorted(changes.items(), key=lambda kv: kv[0])

    def _member_record(self, m: _Member) -> dict[str, Any]:
        return {
            "id": m.article_id, "story_id": m.story_id, "duplicate_of": m.duplicate_of, "time": m.time,
            "arrival": m.arrival, "seq": m.seq, "source": m.source, "title": m.title, "terms": [list(t) for t in m.terms],
            "signature": _sig_text(m.signature), "entities": {k: list(v) for k, v in m.entities.items()},
            "topics": list(m.topics), "geo_scope": m.geo_scope,
        }  # fmt: skip

    def _story_record(self, s: _Story) -> dict[str, Any]:
        return {
            "id": s.story_id, "first_seen": s.first_seen, "last_seen": s.last_seen,
            "article_count": s.article_count, "revision": s.revision, "sources": dict(s.sources),
            "entities": {k: dict(v) for k, v in s.entities.items()}, "topics": dict(s.topics), "geo": dict(s.geo),
        }  # fmt: skip

    @classmethod
    def restore(cls, params: StoryParams, records: Iterable[tuple[str, dict[str, Any] | None]]) -> StoryIndex:
        """The index the records describe: the last value of each key wins, None deletes."""
        latest: dict[str, dict[str, Any] | None] = {}
        for key, value in records:
            latest[key] = value
        index = cls(params)
        meta = latest.pop("meta", None) or {}
        index.stream_time, index.seq = float(meta.get("stream_time", 0.0)), int(meta.get("seq", 0))
        for key, value in latest.items():
            if key.startswith("s/") and value is not None:
                index._stories[value["id"]] = _Story(
                    value["id"], value["first_seen"], value["last_seen"], value["article_count"],
                    value["revision"], Counter(value["sources"]),
                    {f: Counter(value["entities"].get(f, {})) for f in ENTITY_FIELDS}, Counter(value["topics"]),
                    Counter(value["geo"]),
                )  # fmt: skip
        members = [v for k, v in latest.items() if k.startswith("a/") and v is not None]
        for v in sorted(members, key=lambda v: v["seq"]):
            story = index._stories.get(v["story_id"])
            if story is None:
                continue  # its story was closed after this record was written
            member = _Member(
                v["id"], v["story_id"], v["duplicate_of"], v["time"], v["arrival"], v["seq"], v["source"], v["title"],
                tuple((t, int(w)) for t, w in v["terms"]), _sig_of(v["signature"]),
                {k: tuple(x) for k, x in v["entities"].items()}, tuple(v["topics"]), v["geo_scope"],
            )  # fmt: skip
            index._attach(member, story)
        index._advance(index.stream_time)  # evicts what a crash left between an eviction and its records
        index._changes = {}
        return index


def merged_names(counts: Counter[str], *, persons: bool, top: int = TOP_ENTITIES) -> list[str]:
    """The most named entities, most frequent first; for persons a name that is the last word(s) of a longer
    name in the same story («النخالة», «زياد النخالة») is counted under the longer one and not listed itself."""
    merged = Counter(counts)
    if persons:
        names = sorted(counts, key=lambda n: (-len(n.split()), n))
        for short in [n for n in names if len(n.split()) == 1]:
            longer = [n for n in names if len(n.split()) > 1 and n.split()[-1] == short]
            if longer:
                target = min(longer, key=lambda n: (-counts[n], n))
                merged[target] += merged.pop(short, 0)
    return [n for n, _ in sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
