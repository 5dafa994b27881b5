"""The story index as plain code: reprints, stories, updates, eviction, and state written out and read back."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from processors.stories.features import features_of
from processors.stories.index import StoryIndex, StoryParams, merged_names
from processors.stories.stage import StoryStage, keyword_df
from processors.topics.keywords import DocFreq

ROOT = Path(__file__).resolve().parents[4]
GOLD = ROOT / "samples" / "stories" / "gold.jsonl"
PARAMS = StoryParams(window_s=72 * 3600.0, threshold=0.4, entity_weight=0.5, dup_threshold=0.5, max_gap_s=48 * 3600.0)


@pytest.fixture(scope="module")
def df() -> DocFreq:
    return keyword_df()


def doc(
    n: int, title: str, body: str, *, source: str = "مصدر", at: str = "2026-11-20T10:00:00+03:00", **kw: Any
) -> dict[str, Any]:
    return {
        "id": f"{n:032x}",
        "source": source,
        "title": title,
        "body": body,
        "published_at": at,
        "fetched_at": at,
        **kw,
    }


def gold_docs() -> list[dict[str, Any]]:
    """The gold set's articles as the story stage sees them (entities left out: the NER is not under test here)."""
    docs = []
    for n, line in enumerate(GOLD.read_text(encoding="utf-8").splitlines(), 1):
        g = json.loads(line)
        docs.append(
            doc(
                n,
                g["title"],
                g["body"],
                source=g["source"],
                at=g["published_at"],
                gold=g["gold_story"],
                url=g["url"],
                reprint_of=g["gold_reprint_of"],
            )
        )
    return sorted(docs, key=lambda d: (d["published_at"], d["id"]))


def run(docs: list[dict[str, Any]], df: DocFreq, params: StoryParams = PARAMS) -> list[tuple[str, str | None]]:
    index = StoryIndex(params)
    return [(a.story_id, a.duplicate_of) for a in (index.assign(features_of(d, df)) for d in docs)]


def test_gold_reprints_found_and_none_invented(df: DocFreq) -> None:
    docs = gold_docs()
    by_url = {d["url"]: d["id"] for d in docs}
    out = run(docs, df)
    for d, (_story, original) in zip(docs, out, strict=True):
        assert original == (by_url[d["reprint_of"]] if d["reprint_of"] else None), d["title"]


def test_same_input_same_ids(df: DocFreq) -> None:
    docs = gold_docs()
    assert run(docs, df) == run(docs, df)


def test_restored_index_continues_as_an_uninterrupted_one(df: DocFreq) -> None:
    docs = gold_docs()
    whole = run(docs, df)
    first = StoryIndex(PARAMS)
    log: list[tuple[str, dict[str, Any] | None]] = []  # the state topic, uncompacted
    half = len(docs) // 2
    for d in docs[:half]:
        first.assign(features_of(d, df))
        log += first.drain_changes()
    second = StoryIndex.restore(PARAMS, log)
    rest = [(a.story_id, a.duplicate_of) for a in (second.assign(features_of(d, df)) for d in docs[half:])]
    assert whole[half:] == rest
    assert second.snapshot(rest[-1][0]) == _uninterrupted_snapshot(docs, df, rest[-1][0])


def _uninterrupted_snapshot(docs: list[dict[str, Any]], df: DocFreq, story_id: str) -> dict[str, Any] | None:
    index = StoryIndex(PARAMS)
    for d in docs:
        index.assign(features_of(d, df))
    return index.snapshot(story_id)


def test_replayed_records_change_nothing(df: DocFreq) -> None:
    docs = gold_docs()
    index = StoryIndex(PARAMS)
    out = [index.assign(features_of(d, df)) for d in docs][-12:]
    counts = {s: index.snapshot(s)["article_count"] for s in {a.story_id for a in out}}  # type: ignore[index]
    again = [index.assign(features_of(d, df)) for d in docs[-12:]]  # a replay after a crash: the latest input
    assert [(a.story_id, a.duplicate_of) for a in again] == [(a.story_id, a.duplicate_of) for a in out]
    assert all(a.seen_before for a in again)
    assert {s: index.snapshot(s)["article_count"] for s in counts} == counts  # type: ignore[index]


def test_updated_version_keeps_its_story_and_is_no_reprint(df: DocFreq) -> None:
    docs = gold_docs()
    index = StoryIndex(PARAMS)
    first = index.assign(features_of(docs[0], df))
    updated = {**docs[0], "body": docs[0]["body"] + "\nتحديث: ارتفع عدد المشاركين في الاجتماع إلى عشرة."}
    again = index.assign(features_of(updated, df))
    assert (again.story_id, again.duplicate_of, again.seen_before) == (first.story_id, None, True)
    assert index.snapshot(first.story_id)["article_count"] == 1  # type: ignore[index]


def test_window_evicts_articles_and_closes_stories(df: DocFreq) -> None:
    params = StoryParams(window_s=3600.0, threshold=0.35, entity_weight=0.3, dup_threshold=0.5, max_gap_s=3600.0)
    body = "أعلنت وزارة الزراعة في تونس عن موسم قياسي لجني الزيتون في ولايات صفاقس وسوسة والمهدية، مع توقع ارتفاع الصادرات."
    index = StoryIndex(params)
    a = index.assign(features_of(doc(1, "موسم قياسي للزيتون في تونس", body, at="2026-11-20T08:00:00+00:00"), df))
    # the same event told again three hours later: the first article left the window, its story closed
    b = index.assign(
        features_of(doc(2, "تونس: موسم زيتون قياسي", body + " وأكد المسؤولون ذلك.", at="2026-11-20T11:00:00+00:00"), df)
    )
    assert b.story_id != a.story_id and b.duplicate_of is None
    assert index.snapshot(a.story_id) is None
    assert len(index) == 1 and index.open_stories == 1


def test_window_bounds_memory(df: DocFreq) -> None:
    params = StoryParams(window_s=3600.0, threshold=0.35, entity_weight=0.3, dup_threshold=0.5, max_gap_s=3600.0)
    index = StoryIndex(params)
    for n in range(200):  # one article every 10 minutes: at most 7 of them are within an hour of the newest
        at = f"2026-11-20T{n * 10 // 60 % 24:02d}:{n * 10 % 60:02d}:00+00:00"
        day = 20 + n * 10 // (60 * 24)
        at = f"2026-11-{day}T" + at.split("T")[1]
        index.assign(
            features_of(doc(n + 1, f"خبر رقم {n}", f"نص الخبر رقم {n} عن موضوع مختلف كل مرة {n * 7919}", at=at), df)
        )
        assert len(index) <= 7


def test_surname_alone_counted_under_the_full_name() -> None:
    counts = Counter({"زياد النخالة": 1, "النخالة": 4, "إسماعيل هنية": 2, "عباس": 1})
    assert merged_names(counts, persons=True) == ["زياد النخالة", "إسماعيل هنية", "عباس"]
    assert merged_names(counts, persons=False)[0] == "النخالة"


def test_stage_document_and_story(df: DocFreq) -> None:
    docs = gold_docs()[:3]
    stage = StoryStage(PARAMS, df)
    results = [stage.apply(d) for d in docs]
    for d, r in zip(docs, results, strict=True):
        assert r.document["story_id"] == r.assignment.story_id and r.document["id"] == d["id"]
        assert r.story["id"] == r.assignment.story_id and r.story["article_count"] >= 1
        assert r.story["first_seen"].endswith("Z") and r.story["revision"] >= 1
        assert any(key == "a/" + d["id"] for key, _ in r.changes)
