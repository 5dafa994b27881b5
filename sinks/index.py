"""The Elasticsearch index template and alias: ``<alias>`` -> ``<alias>-v1`` (written through the alias).

One mapping for the local node and a stock Elasticsearch: it names only analysis components of the full
distribution (the ``arabic`` analyzer; ``lowercase``, ``decimal_digit``, ``arabic_normalization``,
``arabic_stem`` filters), which the local stack provides through the project's analysis plugin.
Text fields are analysed with ``arabic`` (stemmed, stopwords, hamza/alef/ta-marbuta/alef-maqsura/diacritics
folded) and have an ``.exact`` subfield (folded but not stemmed) for precise phrase search.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

from schemas import ENRICHED_FIELDS, FieldKind

INDEX_VERSION = 1  # bump when the mapping changes incompatibly; the alias moves to the new index
DEFAULT_SHARDS = 1  # a news index of millions of documents fits one shard (< 50 GB)
DEFAULT_REPLICAS = 0  # the local stack is one node; production sets 1 (settings.elasticsearch.replicas)

KEYWORD = {"type": "keyword"}
TEXT_ARABIC: dict[str, Any] = {
    "type": "text",
    "analyzer": "arabic",
    "fields": {"exact": {"type": "text", "analyzer": "akhbar_arabic_exact"}},
}
# Each kind of schemas.fields as an Elasticsearch mapping (objects get their properties from the dotted paths).
KIND_MAPPINGS: dict[FieldKind, dict[str, Any]] = {
    FieldKind.KEYWORD: KEYWORD,
    FieldKind.URL: {"type": "keyword", "ignore_above": 4096},
    FieldKind.TITLE: {
        **TEXT_ARABIC,
        "fields": {**TEXT_ARABIC["fields"], "keyword": {"type": "keyword", "ignore_above": 1024}},
    },
    FieldKind.ARABIC_TEXT: TEXT_ARABIC,
    FieldKind.STORED_TEXT: {"type": "text", "index": False},
    FieldKind.DATE: {"type": "date"},
    FieldKind.INTEGER: {"type": "integer"},
    FieldKind.FLOAT: {"type": "float"},
    FieldKind.NOT_INDEXED: {"type": "object", "enabled": False},
}


def mapping_properties(fields: Mapping[str, FieldKind] = ENRICHED_FIELDS) -> dict[str, Any]:
    """The mapping's ``properties`` from the schema's field list (dotted paths become nested properties)."""
    props: dict[str, Any] = {}
    for path, kind in fields.items():
        *parents, name = path.split(".")
        level = props
        for parent in parents:
            level = level.setdefault(parent, {}).setdefault("properties", {})
        if kind is FieldKind.OBJECT:
            level.setdefault(name, {}).setdefault("properties", {})
        else:
            level[name] = dict(KIND_MAPPINGS[kind])
    return props


def index_name(alias: str, version: int = INDEX_VERSION) -> str:
    return f"{alias}-v{version}"


def template_body(
    alias: str,
    *,
    shards: int = DEFAULT_SHARDS,
    replicas: int = DEFAULT_REPLICAS,
    fields: Mapping[str, FieldKind] = ENRICHED_FIELDS,
) -> dict[str, Any]:
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
                "properties": mapping_properties(fields),
            },
        },
    }


def ensure_index(
    client: Elasticsearch,
    alias: str,
    *,
    replicas: int = DEFAULT_REPLICAS,
    fields: Mapping[str, FieldKind] = ENRICHED_FIELDS,
) -> str:
    """Install (or update) the template, create the versioned index and point the alias at it. Idempotent.

    An index that exists gets the fields added since it was created (a mapping only grows within a version:
    Elasticsearch refuses a changed field type, which needs the next INDEX_VERSION)."""
    body = template_body(alias, replicas=replicas, fields=fields)
    client.indices.put_index_template(name=alias, **body)
    target = index_name(alias)
    try:
        existing = client.indices.get_alias(name=alias)
        current = next(iter(existing.body))
        client.indices.put_mapping(index=current, properties=body["template"]["mappings"]["properties"])
        return current
    except NotFoundError:
        pass
    if not client.indices.exists(index=target):
        client.indices.create(index=target, aliases={alias: {"is_write_index": True}})
    else:
        client.indices.put_alias(index=target, name=alias, is_write_index=True)
    return target


class AliasUnrecoverable(Exception):
    """The write alias is missing and the sink may not repair it: the detail says what an operator must do."""


def restore_alias(client: Elasticsearch, alias: str) -> str:
    """Point a missing write alias at its versioned index again, as :func:`ensure_index` would; return the index.

    For the running sink, whose bulks (``require_alias=true``) found the alias gone. Unlike start-up it never
    creates an index: without its versioned index (or with a plain index squatting on the alias name, which
    a bulk without ``require_alias`` auto-creates) documents would land somewhere search does not look, so
    it raises :class:`AliasUnrecoverable` instead. API errors (blocks, Elasticsearch away) propagate.
    """
    target = index_name(alias)
    if client.indices.exists_alias(name=alias):
        return next(iter(client.indices.get_alias(name=alias).body))  # someone restored it meanwhile
    if client.indices.exists(index=alias):
        raise AliasUnrecoverable(
            f"a plain index named {alias!r} stands where the alias should be; reindex its documents into "
            f"{target!r} and delete it, and the sink points the alias at {target!r} again"
        )
    if not client.indices.exists(index=target):
        raise AliasUnrecoverable(
            f"alias {alias!r} and its index {target!r} are both missing; the sink does not create indices while "
            "it runs (restart it to create them, or restore them)"
        )
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
