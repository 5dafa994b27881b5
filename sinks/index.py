"""The Elasticsearch index template and alias: ``<alias>`` -> ``<alias>-v1`` (written through the alias).

One mapping for the local node and a stock Elasticsearch: it names only analysis components of the full
distribution (the ``arabic`` analyzer; ``lowercase``, ``decimal_digit``, ``arabic_normalization``,
``arabic_stem`` filters), which the local stack provides through the project's analysis plugin.
Text fields are analysed with ``arabic`` (stemmed, stopwords, hamza/alef/ta-marbuta/alef-maqsura/diacritics
folded) and have an ``.exact`` subfield (folded but not stemmed) for precise phrase search.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

INDEX_VERSION = 1  # bump when the mapping changes incompatibly; the alias moves to the new index
DEFAULT_SHARDS = 1  # a news index of millions of documents fits one shard (< 50 GB)
DEFAULT_REPLICAS = 0  # the local stack is one node; production sets 1 (settings.elasticsearch.replicas)
TOPIC_LABELS = ("politics", "economy", "sports", "culture", "technology", "health", "religion", "society", "misc")

KEYWORD = {"type": "keyword"}
TEXT_ARABIC = {
    "type": "text",
    "analyzer": "arabic",
    "fields": {"exact": {"type": "text", "analyzer": "akhbar_arabic_exact"}},
}


def index_name(alias: str, version: int = INDEX_VERSION) -> str:
    return f"{alias}-v{version}"


def template_body(alias: str, *, shards: int = DEFAULT_SHARDS, replicas: int = DEFAULT_REPLICAS) -> dict[str, Any]:
    return {
        "index_patterns": [f"{alias}-v*"],
        "priority": 200,
        "_meta": {"managed_by": "akhbar", "index_version": INDEX_VERSION},
        "template": {
            "settings": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "refresh_interval": "1s",
                "analysis": {
                    "analyzer": {
                        "akhbar_arabic_exact": {
                            "type": "custom",
                            "tokenizer": "standard",
                            "filter": ["lowercase", "decimal_digit", "arabic_normalization"],
                        }
                    }
                },
            },
            "mappings": {
                "dynamic": "false",  # unknown fields are kept in _source but not indexed: no mapping explosions
                "properties": {
                    "schema_version": {"type": "integer"},
                    "id": KEYWORD,
                    "url": {"type": "keyword", "ignore_above": 4096},
                    "canonical_url": {"type": "keyword", "ignore_above": 4096},
                    "source": KEYWORD,
                    "title": {
                        **TEXT_ARABIC,
                        "fields": {
                            **TEXT_ARABIC["fields"],  # type: ignore[dict-item]
                            "keyword": {"type": "keyword", "ignore_above": 1024},
                        },
                    },
                    "body": TEXT_ARABIC,
                    "title_normalized": {"type": "text", "index": False},
                    "body_normalized": {"type": "text", "index": False},
                    "published_at": {"type": "date"},
                    "fetched_at": {"type": "date"},
                    "enriched_at": {"type": "date"},
                    "author": KEYWORD,
                    "declared_language": KEYWORD,
                    "language": KEYWORD,
                    "arabic_ratio": {"type": "float"},
                    "word_count": {"type": "integer"},
                    "flags": KEYWORD,
                    "steps": KEYWORD,
                    "entities": {
                        "properties": {
                            "text": KEYWORD,
                            "type": KEYWORD,
                            "canonical": KEYWORD,
                            "count": {"type": "integer"},
                            "spans": {"type": "object", "enabled": False},
                        }
                    },
                    "persons": KEYWORD,
                    "locations": KEYWORD,
                    "organizations": KEYWORD,
                    "misc": KEYWORD,
                    "topics": {"properties": {"label": KEYWORD, "score": {"type": "float"}}},
                    "topic_scores": {"properties": {label: {"type": "float"} for label in TOPIC_LABELS}},
                    "geo_scope": KEYWORD,
                    "keywords": KEYWORD,
                },
            },
        },
    }


def ensure_index(client: Elasticsearch, alias: str, *, replicas: int = DEFAULT_REPLICAS) -> str:
    """Install (or update) the template, create the versioned index and point the alias at it. Idempotent."""
    body = template_body(alias, replicas=replicas)
    client.indices.put_index_template(name=alias, **body)
    target = index_name(alias)
    try:
        existing = client.indices.get_alias(name=alias)
        return next(iter(existing.body))
    except NotFoundError:
        pass
    if not client.indices.exists(index=target):
        client.indices.create(index=target, aliases={alias: {"is_write_index": True}})
    else:
        client.indices.put_alias(index=target, name=alias, is_write_index=True)
    return target


def drop_index(client: Elasticsearch, alias: str) -> list[str]:
    """Delete the versioned indices behind ``alias`` (by name: wildcard deletes are refused) and its template."""
    found = client.options(ignore_status=404).indices.get(index=f"{alias}-v*", expand_wildcards="all").body
    names = [name for name in found if name.startswith(f"{alias}-v")]
    for name in names:
        client.indices.delete(index=name)
    client.options(ignore_status=404).indices.delete_index_template(name=alias)
    return names
