"""The NLP enrichment steps (entities, topics), registered in the chain of ``processors.enrich``.

Each is a thin adapter: the article's cleaned title and body go to the pure NLP function of its package, the
result comes back as document fields. Models load lazily, once per process, on the first article.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from processors.enrich import EnrichConfig, step


@step("entities", order=40)
def entities_step(doc: Mapping[str, Any], cfg: EnrichConfig) -> Mapping[str, Any]:
    from processors.ner import entity_fields, extract_entities

    entities = extract_entities(
        doc["title"],
        doc["body"],
        backend=cfg.ner_backend,
        camel_model_dir=Path(cfg.ner_camel_model_dir) if cfg.ner_camel_model_dir else None,
    )
    fields = entity_fields(entities)
    return {"entities": entities, **fields}


@step("topics", order=50)
def topics_step(doc: Mapping[str, Any], cfg: EnrichConfig) -> Mapping[str, Any]:
    from processors.topics import DEFAULT_TOPIC_THRESHOLD, tag_article

    threshold = cfg.topic_threshold if cfg.topic_threshold is not None else DEFAULT_TOPIC_THRESHOLD
    tags = tag_article(doc["title"], doc["body"], threshold=threshold)
    return {
        "topics": tags["topics"],
        "topic_scores": tags["topic_scores"],
        "geo_scope": tags["geo_scope"],
        "keywords": tags["keywords"],
    }
