"""The feed path alone: N local feeds x M items, polled cold (every page fetched and extracted), then re-polled.

A server process (aiohttp, pinned to the second core) serves the feeds and their article pages on 127.0.0.1 and on
further loopback addresses 127.0.0.2.. (one "outlet" per address, ``--feeds-per-host`` feeds each, so the per-host
limit works as with real outlets). Each feed is RSS 2.0 with teasers only (``fetch = "auto"`` fetches every page)
and an ETag; the pages are the 24 sample pages of ``samples/feeds/pages`` (four templates, utf-8,
windows-1256, ISO-8859-6), served with their charset. The poller (``producers.feeds.poller.Poller`` with the real
``Fetcher``, the settings' defaults except ``per_host_delay_s``) runs in this process, pinned to the first core;
articles go to a counting emit (as ``--jsonl`` does: the Kafka leg is measured by ``bench/e2e.py``).

Reported, per round (medians over ``--rounds``):

* cold poll: feeds, items, pages fetched+extracted per second of wall time on one core, the poller's CPU per page;
* extraction alone: p50/p95 of ``decode_html`` + ``extract_page`` per page (process CPU time);
* re-poll: wall time to poll all feeds again when every one answers 304, and feeds per second;
* peak RSS of this (the poller's) process.

    python bench/feeds.py [--feeds 500] [--items 20] [--feeds-per-host 10] [--rounds 3] [--delay 0]

Targets (issue 15): all 500 feeds re-polled in <= 10 s when unchanged; >= 50 pages/s extracted per core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from akhbar.settings import FeedSettings  # noqa: E402
from akhbar.wiring import feed_policies  # noqa: E402
from producers.feeds.config import FeedConfig  # noqa: E402
from producers.feeds.decode import decode_html  # noqa: E402
from producers.feeds.extract import extract_page  # noqa: E402
from producers.feeds.http import Fetcher  # noqa: E402
from producers.feeds.poller import Poller  # noqa: E402
from producers.feeds.state import MemoryStateStore  # noqa: E402
from schemas import DeadLetter, RawArticle  # noqa: E402

PAGES = ROOT / "samples" / "feeds" / "pages"
PORT = 18765


def load_pages() -> list[tuple[bytes, str, dict[str, Any]]]:
    out = []
    for html in sorted(PAGES.glob("*.html")):
        meta = json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))
        out.append((html.read_bytes(), meta["encoding"], meta))
    if not out:
        raise SystemExit(f"no pages in {PAGES}: run python samples/feeds/make_pages.py")
    return out


def rss(base: str, feed: int, items: int, pages: list[tuple[bytes, str, dict[str, Any]]]) -> bytes:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    parts = []
    for i in range(items):
        meta = pages[(feed * items + i) % len(pages)][2]
        when = format_datetime(now - timedelta(minutes=feed * items + i))
        parts.append(
            f"<item><title>{escape(meta['title'])} ({feed}-{i})</title><link>{base}/p/{feed}/{i}</link>"
            f"<guid>{base}/p/{feed}/{i}</guid><description>{escape(meta['title'])}</description>"
            f"<pubDate>{when}</pubDate></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>feed {feed}</title>'
        f"<link>{base}/</link><language>ar</language>{''.join(parts)}</channel></rss>"
    ).encode()


def serve(hosts: int, feeds: int, items: int, ready: Any) -> None:
    """The server process: every host address, one app; pages picked by (feed, item)."""
    from aiohttp import web

    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    pages = load_pages()

    async def feed(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        etag = f'"f{n}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        base = f"http://{request.host}"
        return web.Response(body=rss(base, n, items, pages), content_type="application/rss+xml", headers={"ETag": etag})

    async def page(request: web.Request) -> web.Response:
        n, i = int(request.match_info["n"]), int(request.match_info["i"])
        body, encoding, _ = pages[(n * items + i) % len(pages)]
        return web.Response(body=body, headers={"Content-Type": f"text/html; charset={encoding}"})

    async def robots(request: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nDisallow: /private/\n")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/f/{n}.xml", feed)
        app.router.add_get("/p/{n}/{i}", page)
        app.router.add_get("/robots.txt", robots)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for h in range(hosts):
            await web.TCPSite(runner, f"127.0.0.{h + 1}", PORT).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


class CountingEmit:
    def __init__(self) -> None:
        self.articles = 0
        self.dead = 0

    def send_article(self, article: RawArticle) -> None:
        self.articles += 1

    def send_dead_letter(self, letter: DeadLetter) -> None:
        self.dead += 1

    def flush(self) -> None:
        return None


def extraction_times(pages: list[tuple[bytes, str, dict[str, Any]]], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        for body, encoding, meta in pages:
            started = time.process_time()
            text, codec = decode_html(body, encoding)
            extract_page(text, url="http://127.0.0.1" + meta["url_path"], encoding=codec)
            times.append(time.process_time() - started)
    return times


async def one_round(args: argparse.Namespace, hosts: int) -> dict[str, float]:
    settings = FeedSettings(per_host_delay_s=args.delay)
    fetch, health, poll = feed_policies(settings)
    feeds = [
        FeedConfig(url=f"http://127.0.0.{n // args.feeds_per_host + 1}:{PORT}/f/{n}.xml") for n in range(args.feeds)
    ]
    emit = CountingEmit()
    store = MemoryStateStore()
    async with Fetcher(fetch) as fetcher:
        poller = Poller(feeds, fetcher=fetcher, store=store, emit=emit, health=health, policy=poll)
        cpu0, t0 = time.process_time(), time.perf_counter()
        await poller.poll_once()
        cold_wall, cold_cpu = time.perf_counter() - t0, time.process_time() - cpu0
        pages = poller.stats.pages_fetched
        t1 = time.perf_counter()
        await poller.poll_once()
        repoll = time.perf_counter() - t1
        not_modified = poller.stats.not_modified
    expected = args.feeds * args.items
    if emit.articles != expected or pages != expected or not_modified != args.feeds:
        raise SystemExit(
            f"bench invalid: {emit.articles} articles, {pages} pages, {not_modified} 304s "
            f"(expected {expected}, {expected}, {args.feeds}); dead letters {emit.dead}; {poller.stats.reasons}"
        )
    return {
        "cold_s": cold_wall,
        "pages_per_s": pages / cold_wall,
        "cpu_ms_per_page": 1000 * cold_cpu / pages,
        "repoll_s": repoll,
        "feeds_per_s_304": args.feeds / repoll,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=500)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--feeds-per-host", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--delay", type=float, default=0.0,
                    help="per-host delay between request starts (the setting's default is 0.5 s: with it, a host's "
                         "pages come at most 2 a second, which bounds the cold poll by politeness, not CPU)")  # fmt: skip
    args = ap.parse_args()
    hosts = -(-args.feeds // args.feeds_per_host)
    if hosts > 250:
        raise SystemExit("at most 250 loopback hosts: raise --feeds-per-host")
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(hosts, args.feeds, args.items, ready), daemon=True)
    server.start()
    try:
        if not ready.wait(30):
            raise SystemExit("the feed server did not start")
        if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(0, {0})  # the poller on one core, the server on the other
        rounds = [asyncio.run(one_round(args, hosts)) for _ in range(args.rounds)]
        times = sorted(extraction_times(load_pages(), repeats=10))
    finally:
        server.terminate()
        server.join(10)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"feeds {args.feeds} x items {args.items} on {hosts} loopback hosts, per-host delay {args.delay} s, "
          f"{args.rounds} rounds (median, then each round)")  # fmt: skip
    for key in rounds[0]:
        values = [r[key] for r in rounds]
        print(f"  {key:18} {statistics.median(values):9.2f}   ({', '.join(f'{v:.2f}' for v in values)})")
    p50 = times[len(times) // 2] * 1000
    p95 = times[int(len(times) * 0.95)] * 1000
    print(f"  extraction alone   p50 {p50:.1f} ms, p95 {p95:.1f} ms per page ({len(times)} page extractions)")
    print(f"  peak RSS           {peak_rss_mb:.0f} MB (the poller's process)")


if __name__ == "__main__":
    main()
