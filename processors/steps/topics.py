"""Topics: the cleaned title and body through the topic model; it loads once, on the first article."""

from __future__ import annotations

from processors.steps import Doc, Fields
from processors.topics import tag_article


def tag_topics(doc: Doc, *, threshold: float) -> Fields:
    """Topics with scores, per-label scores, geographic scope and keywords."""
    tags = tag_article(doc["title"], doc["body"], threshold=threshold)
    return {
        "topics": tags["topics"],
        "topic_scores": tags["topic_scores"],
        "geo_scope": tags["geo_scope"],
        "keywords": tags["keywords"],
    }
