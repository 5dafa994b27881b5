"""One article through the story index: the document with ``story_id`` and ``duplicate_of``, its story's document,
and the state records that changed. The same code runs in ``akhbar enrich`` and in the stream stage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from processors.stories.features import features_of
from processors.stories.index import Assignment, StoryIndex, StoryParams
from processors.topics.keywords import DocFreq

Record = tuple[str, dict[str, Any] | None]


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class StoryResult:
    document: dict[str, Any]  # the enriched article with story_id and duplicate_of
    story: dict[str, Any]  # its story's document (story.json)
    assignment: Assignment
    changes: list[Record]  # state records changed by this article (key, value or None), for the state topic


def keyword_df() -> DocFreq:
    """The document frequencies shipped with the topic model (the topic step loads the same bundle)."""
    from processors.topics import get_bundle

    return get_bundle().keyword_df


class StoryStage:
    def __init__(self, params: StoryParams, df: DocFreq, records: Iterable[Record] = ()) -> None:
        self.df = df
        self.index = StoryIndex.restore(params, records)

    def apply(self, doc: Mapping[str, Any]) -> StoryResult:
        a = self.index.assign(features_of(doc, self.df))
        snapshot = self.index.snapshot(a.story_id)
        assert snapshot is not None  # the story has just taken the article
        story = {
            "schema_version": 1,
            **snapshot,
            "first_seen": iso(snapshot["first_seen"]),
            "last_seen": iso(snapshot["last_seen"]),
            "updated_at": iso(self.index.stream_time),
        }
        return StoryResult(
            {**doc, "story_id": a.story_id, "duplicate_of": a.duplicate_of}, story, a, self.index.drain_changes()
        )
