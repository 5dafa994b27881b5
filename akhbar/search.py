"""``akhbar search`` (a multi-field match over title and body with highlighted snippets, or one hit per story) and
``akhbar stories`` (the top stories of the stories index)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
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


def search_articles(
    s: Settings, query: str, *, size: int = 10, source: str | None = None, by_story: bool = False
) -> dict[str, Any]:
    """Top hits; ``by_story``: one hit per story (Elasticsearch ``collapse`` on ``story_id``), each with its story
    document (article and outlet counts) under ``_story``, from the stories alias."""
    client = es_client(s.elasticsearch, check=True)
    extra: dict[str, Any] = {"collapse": {"field": "story_id"}} if by_story else {}
    resp = client.search(
        index=s.elasticsearch.alias,
        query=build_query(query, source=source),
        size=size,
        source_includes=[
            "id",
            "title",
            "source",
            "published_at",
            "url",
            "topics",
            "persons",
            "locations",
            "story_id",
            "duplicate_of",
        ],
        **extra,
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
    result = dict(resp.body)
    if by_story:
        ids = sorted({h["_source"]["story_id"] for h in result["hits"]["hits"] if h["_source"].get("story_id")})
        stories = {}
        if ids and client.indices.exists_alias(name=s.stories.alias):
            found = client.mget(index=s.stories.alias, ids=ids)["docs"]
            stories = {d["_id"]: d["_source"] for d in found if d.get("found")}
        for hit in result["hits"]["hits"]:
            hit["_story"] = stories.get(hit["_source"].get("story_id") or "")
    return result


def top_stories(s: Settings, *, since: timedelta | None = None, size: int = 10) -> list[dict[str, Any]]:
    """The stories index's top stories: most articles first, then most growth (articles in the last hour), then
    latest; ``since``: only stories with an article in that span before the newest story's last article."""
    client = es_client(s.elasticsearch, check=True)
    if not client.indices.exists_alias(name=s.stories.alias):
        return []
    filters: list[dict[str, Any]] = []
    if since is not None:
        # relative to the stream, not the wall clock: a backfill of last month's news still has its top stories
        newest = client.search(
            index=s.stories.alias, size=1, sort=[{"last_seen": "desc"}], source_includes=["last_seen"]
        )
        hits = newest["hits"]["hits"]
        if hits:
            latest = datetime.fromisoformat(hits[0]["_source"]["last_seen"].replace("Z", "+00:00"))
            filters.append({"range": {"last_seen": {"gte": (latest - since).isoformat()}}})
    resp = client.search(
        index=s.stories.alias,
        query={"bool": {"filter": filters}},
        size=size,
        sort=[{"article_count": "desc"}, {"growth": "desc"}, {"last_seen": "desc"}, {"id": "asc"}],
    )
    return [h["_source"] for h in resp["hits"]["hits"]]


def print_stories(stories: list[dict[str, Any]], *, as_json: bool = False) -> None:
    if as_json:
        click.echo(json.dumps(stories, ensure_ascii=False, indent=2))
        return
    if not stories:
        click.echo("no stories indexed yet")
        return
    for n, st in enumerate(stories, 1):
        click.echo(
            f"\n{n:>2}. {st['title']}\n    {st['article_count']} article(s) from {st['source_count']} outlet(s), "
            f"+{st['growth']} in the last hour; {st['first_seen'][:16]} .. {st['last_seen'][:16]}"
        )
        click.echo(f"    outlets: {'، '.join(st['sources'][:8])}")
        names = [*st["persons"][:3], *st["organizations"][:3], *st["locations"][:3]]
        if names:
            click.echo(f"    names: {'، '.join(names)}")
        click.echo(f"    story={st['id']}")


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
        story = hit.get("_story")
        if story:
            click.echo(
                f"      story: {story['article_count']} article(s) from {story['source_count']} outlet(s) "
                f"({'، '.join(story['sources'][:5])})  story={story['id']}"
            )
        click.echo(f"      id={hit['_id']}" + (f"  {src['url']}" if src.get("url") else ""))
