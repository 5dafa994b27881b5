"""``akhbar search``: a multi-field match over title and body with highlighted snippets."""

from __future__ import annotations

import json
import re
from typing import Any

import click

from akhbar.settings import Settings
from akhbar.wiring import es_client

SNIPPET_CHARS = 160  # one terminal line and a half per snippet
_MARK = re.compile(r"</?em>")


def build_query(query: str, *, source: str | None = None) -> dict[str, Any]:
    must: dict[str, Any] = {
        "multi_match": {
            "query": query,
            "fields": [
                "title^3",
                "title.exact^4",
                "body",
                "body.exact^2",
                "persons^2",
                "locations^2",
                "organizations^2",
                "keywords",
            ],
            "type": "best_fields",
        }
    }
    filters = [{"term": {"source": source}}] if source else []
    return {"bool": {"must": [must], "filter": filters}}


def search_articles(s: Settings, query: str, *, size: int = 10, source: str | None = None) -> dict[str, Any]:
    client = es_client(s.elasticsearch, check=True)
    resp = client.search(
        index=s.elasticsearch.alias,
        query=build_query(query, source=source),
        size=size,
        source_includes=["id", "title", "source", "published_at", "url", "topics", "persons", "locations"],
        highlight={
            "fields": {
                "body": {"fragment_size": SNIPPET_CHARS, "number_of_fragments": 1},
                "body.exact": {"fragment_size": SNIPPET_CHARS, "number_of_fragments": 1},
                "title": {"number_of_fragments": 0},
            },
            "pre_tags": ["<em>"],
            "post_tags": ["</em>"],
        },
    )
    return dict(resp.body)


def print_hits(result: dict[str, Any], *, as_json: bool = False) -> None:
    hits = result["hits"]["hits"]
    if as_json:
        click.echo(json.dumps(hits, ensure_ascii=False, indent=2))
        return
    total = result["hits"]["total"]["value"]
    click.echo(f"{total} article(s) match; top {len(hits)}:")
    for hit in hits:
        src = hit["_source"]
        hl = hit.get("highlight", {})
        snippet = (hl.get("body") or hl.get("body.exact") or [""])[0].replace("\n", " ")
        pretty = _MARK.sub(lambda m: "\x1b[1m" if m.group(0) == "<em>" else "\x1b[0m", snippet)
        date = (src.get("published_at") or "")[:10]
        click.echo(
            f"\n{hit['_score']:.2f}  {src.get('title', '')}  [{src.get('source', '')}{' ' + date if date else ''}]"
        )
        if snippet:
            click.echo(f"      …{pretty}…")
        click.echo(f"      id={hit['_id']}" + (f"  {src['url']}" if src.get("url") else ""))
