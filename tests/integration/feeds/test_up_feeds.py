"""The acceptance path of issue 15 as a user runs it: `akhbar up --feeds FILE` against a local feed server serving
the sample pages of samples/feeds/pages (four outlets' templates, one page set in windows-1256 and one in
ISO-8859-6), then `akhbar search` finds the articles by words that are only on their pages."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from elasticsearch import Elasticsearch

from akhbar.settings import Settings
from producers.ids import article_id
from tests.integration.conftest import REPO, count_docs, settings_env
from tests.integration.feeds.test_feeds_pipeline import feed_settings

pytestmark = pytest.mark.integration

PAGES = REPO / "samples" / "feeds" / "pages"


def outlet_feed(server: Any, outlet: str, encoding: str) -> tuple[str, list[dict[str, Any]]]:
    """Serve an outlet's pages and its RSS feed (teasers only, in the outlet's own encoding); the feed's path and
    the pages' metadata."""
    metas = []
    entries = []
    for html in sorted(PAGES.glob(f"{outlet}-*.html")):
        meta = json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))
        path = f"/{outlet}{meta['url_path']}"
        server.route(path, body=html.read_bytes(), content_type=f"text/html; charset={meta['encoding']}")
        meta["link"] = server.url(path)
        meta["body"] = html.with_suffix(".txt").read_text(encoding="utf-8")
        metas.append(meta)
        when = format_datetime(datetime.fromisoformat(meta["published"]).astimezone(UTC), usegmt=True)
        teaser = " ".join(meta["body"].split()[:12])
        entries.append(
            f"<item><title>{escape(meta['title'])}</title><link>{meta['link']}</link>"
            f"<description>{escape(teaser)}</description><pubDate>{when}</pubDate></item>"
        )
    feed = (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>{outlet}</title>'
        f"<link>{server.base_url}/{outlet}/</link><language>ar</language>{''.join(entries)}</channel></rss>"
    )
    # the feed's own bytes in its encoding; the charset is left to the XML declaration, as many outlets do
    server.route(f"/{outlet}/rss.xml", body=feed.encode(encoding), content_type="application/rss+xml")
    return f"/{outlet}/rss.xml", metas


def test_up_feeds_indexes_a_feed_servers_articles_and_search_finds_them(
    settings: Settings, es: Elasticsearch, feed_server: Any, tmp_path: Path
) -> None:
    s = feed_settings(settings)
    metas: list[dict[str, Any]] = []
    lines = []
    for outlet, encoding in (("madar", "utf-8"), ("sahil", "windows-1256"), ("manara", "utf-8")):
        path, outlet_metas = outlet_feed(feed_server, outlet, encoding)
        metas += outlet_metas
        lines.append(f'[[feeds]]\nurl = "{feed_server.url(path)}"\nsource = "{outlet}"\n')
    config = tmp_path / "feeds.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    env = settings_env(s)
    up = subprocess.run(
        [sys.executable, "-m", "akhbar", "up", "--feeds", str(config), "--exit-when-idle"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert up.returncode == 0, up.stderr[-4000:]
    final = up.stderr.replace("\r", "\n").splitlines()
    status = [line for line in final if line.startswith("feeds polled")][-1]
    n = len(metas)
    assert f"feeds polled 3 | articles fetched {n} | ingested {n} | enriched {n} | indexed {n}" in status, status
    alias = s.elasticsearch.alias
    assert count_docs(es, alias) == n
    for meta in metas:
        assert feed_server.hits(meta["link"].removeprefix(feed_server.base_url)) == 1

    es.indices.refresh(index=alias)
    for meta in metas:
        doc = es.get(index=alias, id=article_id(meta["link"], "", "")[0])["_source"]
        assert doc["source"] == meta["outlet"] and doc["title"] == meta["title"]
        last_paragraph = meta["body"].strip().splitlines()[-1]
        # the body is the page's (the feed had a teaser), decoded right whatever the page's encoding
        assert last_paragraph.split()[3] in doc["body"] and "اقرأ أيضا" not in doc["body"]

    # a phrase from the last paragraph of the ISO-8859-6 page (not in its feed item): search finds that article
    target = next(m for m in metas if m["encoding"] == "iso-8859-6")
    words = " ".join(target["body"].strip().splitlines()[-1].split()[2:6])
    search = subprocess.run(
        [sys.executable, "-m", "akhbar", "search", "--json", words],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert search.returncode == 0, search.stderr[-2000:]
    hits = json.loads(search.stdout)
    assert hits and hits[0]["_id"] == article_id(target["link"], "", "")[0], (words, hits[:3])
