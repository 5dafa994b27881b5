"""Live feeds end to end: a real HTTP server on 127.0.0.1 serving feeds and article pages written for these tests
→ `akhbar feeds poll` → Kafka → processor → sink → Elasticsearch; polled again, restarted, changed, shared by two
pollers. The poller's state lives on the (test's own) compacted state topic."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from elasticsearch import Elasticsearch

from akhbar.settings import FeedSettings, Settings
from producers.ids import article_id
from tests.integration.conftest import REPO, WAIT_S, Workers, count_docs, settings_env

pytestmark = pytest.mark.integration

# Article texts written for these tests (invented events).
STORIES = [
    (
        "افتتاح محطة لتحلية مياه البحر في مدينة ساحلية",
        "افتتحت وزارة المياه صباح الخميس محطة جديدة لتحلية مياه البحر بطاقة مئة ألف متر مكعب يوميا. "
        "وقال مدير المشروع إن المحطة ستغطي حاجة نحو نصف مليون نسمة في المدينة والقرى المجاورة. "
        "وأضاف أن العمل استغرق ثلاث سنوات بمشاركة شركات محلية ودولية.",
    ),
    (
        "ارتفاع أسعار الخضار في الأسواق مع بداية الشتاء",
        "شهدت أسواق الخضار في العاصمة ارتفاعا ملحوظا في الأسعار مع انخفاض درجات الحرارة. "
        "وأرجع تجار الجملة الارتفاع إلى تراجع الإنتاج في المزارع المكشوفة وزيادة تكاليف النقل. "
        "ودعت جمعية حماية المستهلك إلى مراقبة الأسعار ومنع الاحتكار.",
    ),
    (
        "فريق المدينة يتأهل إلى نصف نهائي الكأس",
        "تأهل فريق المدينة إلى الدور نصف النهائي من مسابقة الكأس بعد فوزه بهدفين مقابل هدف. "
        "وسجل المهاجم الشاب هدف الفوز في الدقائق الأخيرة من المباراة وسط فرحة الجماهير. "
        "ويلتقي الفريق في الدور المقبل مع حامل اللقب الشهر المقبل.",
    ),
    (
        "جامعة وطنية تطلق برنامجا للذكاء الاصطناعي باللغة العربية",
        "أعلنت جامعة وطنية إطلاق برنامج دراسات عليا في الذكاء الاصطناعي يركز على معالجة اللغة العربية. "
        "وقالت عميدة الكلية إن البرنامج يستقبل أربعين طالبا في دفعته الأولى. "
        "وأوضحت أن الطلاب سيعملون على مشاريع لتحليل الأخبار والنصوص التراثية.",
    ),
    (
        "إغلاق طريق جبلي بسبب الثلوج",
        "أغلقت إدارة المرور الطريق الجبلي الرابط بين المحافظتين بسبب تراكم الثلوج. "
        "ونصحت الإدارة السائقين باستخدام الطريق الساحلي إلى حين فتح الطريق. "
        "وتعمل فرق الصيانة على إزالة الثلوج منذ ساعات الفجر.",
    ),
]

PAGE = """<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{title} | أخبار الاختبار</title>
<script>var ads = 1;</script><style>.x{{color:red}}</style></head><body>
<div class="cookie">نستخدم ملفات تعريف الارتباط لتحسين تجربتك. <button>موافق</button></div>
<nav><ul><li><a href="/">الرئيسية</a></li><li><a href="/politics">سياسة</a></li><li><a href="/sport">رياضة</a></li></ul></nav>
<main><article><h1>{title}</h1><div class="byline">كتب: محرر الاختبار</div>
<div class="share"><a href="#">شارك</a> <a href="#">غرّد</a></div>
{paragraphs}
<aside class="related"><h3>اقرأ أيضا</h3><ul><li><a href="/x1">خبر آخر لا علاقة له</a></li></ul></aside>
</article></main>
<section class="comments"><h3>التعليقات</h3><p>تعليق من قارئ: خبر جيد.</p></section>
<footer>جميع الحقوق محفوظة لأخبار الاختبار</footer></body></html>"""


def page_html(title: str, body: str) -> str:
    paragraphs = "\n".join(f"<p>{escape(s.strip())}.</p>" for s in body.split(". ") if s.strip())
    return PAGE.format(title=escape(title), paragraphs=paragraphs)


def rss(items: list[dict[str, str]], *, build: str = "") -> str:
    entries = "".join(
        "<item>"
        f"<title>{escape(it['title'])}</title><link>{escape(it['link'])}</link>"
        + (f'<guid isPermaLink="false">{escape(it["guid"])}</guid>' if it.get("guid") else "")
        + f"<description>{escape(it['summary'])}</description><pubDate>{it['date']}</pubDate>"
        "</item>"
        for it in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>أخبار الاختبار</title>'
        f"<link>http://example.invalid/</link><language>ar</language><lastBuildDate>{build}</lastBuildDate>"
        f"{entries}</channel></rss>"
    )


def _date(minutes_ago: int) -> str:
    return format_datetime(datetime.now(UTC) - timedelta(minutes=minutes_ago), usegmt=True)


def publish(server: Any, prefix: str, stories: list[tuple[str, str]], *, guid_suffix: str = "") -> list[dict[str, str]]:
    """Serve one page per story and return the feed items (teasers only: the poller must fetch the pages)."""
    items = []
    for n, (title, body) in enumerate(stories):
        path = f"{prefix}/news/{n}"
        server.route(path, body=page_html(title, body), content_type="text/html; charset=utf-8")
        items.append(
            {
                "title": title,
                "link": server.url(path),
                "guid": f"{prefix}-{n}{guid_suffix}",
                "summary": body.split(". ")[0],
                "date": _date(n),
            }
        )
    return items


def feed_settings(s: Settings, **over: Any) -> Settings:
    tag = s.kafka.raw_topic.split(".")[0]  # "test-<tag>": the conftest deletes every topic with the tag
    feeds = FeedSettings(
        state_topic=f"{tag}.feeds.state",
        group_id=f"{tag}-feeds",
        per_host_delay_s=0.0,
        per_host_concurrency=4,
        **over,
    )
    return s.model_copy(update={"feeds": feeds})


def poll(s: Settings, config: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "akhbar", "feeds", "poll", "--config", str(config), *args],
        env=settings_env(s), cwd=REPO, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return done


def wait_until(check: Callable[[], bool], what: str, workers: Workers) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if check():
            return
        workers.assert_alive()
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}\n{workers.tails()}")


def docs(es: Elasticsearch, alias: str) -> dict[str, dict[str, Any]]:
    es.indices.refresh(index=alias)
    hits = es.search(index=alias, size=100, query={"match_all": {}})["hits"]["hits"]
    return {h["_id"]: h["_source"] for h in hits}


def test_feed_to_index_then_304_restart_guid_change_and_update(
    settings: Settings, es: Elasticsearch, workers: Workers, feed_server: Any, tmp_path: Path
) -> None:
    s = feed_settings(settings)
    items = publish(feed_server, "/a", STORIES[:4])
    feed_server.route("/a/rss", body=rss(items), etag='"v1"')
    config = tmp_path / "feeds.toml"
    config.write_text(f'[[feeds]]\nurl = "{feed_server.url("/a/rss")}"\nsource = "أخبار الاختبار"\n', encoding="utf-8")
    workers.s = s
    workers.start("processor", "process", "--loglevel", "warning")
    workers.start("sink", "sink")

    first = poll(s, config, "--once")
    assert "articles 4" in first.stderr
    alias = s.elasticsearch.alias
    wait_until(lambda: count_docs(es, alias) == 4, "4 documents", workers)
    indexed = docs(es, alias)
    want = {article_id(it["link"], "", "")[0] for it in items}
    assert set(indexed) == want
    for doc in indexed.values():
        assert doc["source"] == "أخبار الاختبار"
        assert "اقرأ أيضا" not in doc["body"] and "التعليقات" not in doc["body"]  # boilerplate left out
        assert len(doc["body"]) > len(doc["title"])
    pages = {it["link"]: feed_server.hits(it["link"].split(str(feed_server.base_url))[1]) for it in items}
    assert set(pages.values()) == {1}

    # a new process (restart): conditional GET -> 304, nothing fetched, nothing produced
    second = poll(s, config, "--once")
    assert "not modified 1" in second.stderr and "articles 0" in second.stderr
    assert feed_server.requests("/a/rss")[-1].get("If-None-Match") == '"v1"'

    # the feed changes: one GUID changed on the same link, a new item, an updated item; no ETag any more
    changed = [dict(it) for it in items]
    changed[0]["guid"] = "a-0-renamed"
    changed[1]["title"] = "ارتفاع جديد في أسعار الخضار مع موجة البرد"
    new_items = publish(feed_server, "/a", STORIES[:5])[4:]
    feed_server.route("/a/rss", body=rss(changed + new_items, build=_date(0)))
    third = poll(s, config, "--once")
    assert "new items 1, updated 1" in third.stderr, third.stderr[-2000:]
    assert feed_server.hits("/a/news/0") == 1  # the GUID change did not make it a new item
    assert feed_server.hits("/a/news/2") == 1 and feed_server.hits("/a/news/3") == 1
    assert feed_server.hits("/a/news/4") == 1
    wait_until(lambda: count_docs(es, alias) == 5, "5 documents", workers)
    updated = docs(es, alias)[article_id(items[1]["link"], "", "")[0]]
    wait_until(
        lambda: docs(es, alias)[article_id(items[1]["link"], "", "")[0]]["title"] == changed[1]["title"],
        "the updated title",
        workers,
    )
    assert updated["url"] == items[1]["link"]

    # same body again (200, no validators): the body hash says unchanged; nothing parsed, fetched or produced
    fourth = poll(s, config, "--once")
    assert "articles 0" in fourth.stderr
    assert count_docs(es, alias) == 5

    listing = subprocess.run(
        [sys.executable, "-m", "akhbar", "feeds", "list", "--config", str(config), "--json"],
        env=settings_env(s), cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert listing.returncode == 0, listing.stderr[-2000:]
    row = json.loads(listing.stdout.splitlines()[0])
    assert row["status"] == 200 and row["produced"] == 6 and row["failures"] == 0 and row["disabled"] == "-"


def test_jsonl_prints_one_raw_article_per_new_item_without_kafka(feed_server: Any, tmp_path: Path) -> None:
    items = publish(feed_server, "/j", STORIES[:3])
    feed_server.route("/j/rss", body=rss(items))
    config = tmp_path / "feeds.toml"
    config.write_text(f'[[feeds]]\nurl = "{feed_server.url("/j/rss")}"\n', encoding="utf-8")
    env = {**settings_env(Settings()), "AKHBAR_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:1"}  # no Kafka: never used
    env["AKHBAR_FEEDS__PER_HOST_DELAY_S"] = "0"
    done = subprocess.run(
        [sys.executable, "-m", "akhbar", "feeds", "poll", "--config", str(config), "--once", "--jsonl"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["title"] for a in lines] == [t for t, _ in STORIES[:3]]
    for article, (_, body) in zip(lines, STORIES[:3], strict=True):
        assert article["source"] == "127.0.0.1" and article["language"] == "ar"
        assert body.split(". ")[1] in article["body"]  # the page's text, not the teaser
        assert article["id"] == article_id(article["url"], "", "")[0]


def test_two_pollers_share_the_feeds_without_polling_one_twice(
    settings: Settings, feed_server: Any, tmp_path: Path
) -> None:
    s = feed_settings(settings, min_interval_s=1.0, default_interval_s=1.0, max_interval_s=2.0, tick_s=0.2)
    lines = []
    for n in range(12):
        feed_server.route(f"/f{n}/rss", body=rss([]))
        lines.append(f'[[feeds]]\nurl = "{feed_server.url(f"/f{n}/rss")}"\ninterval = 1\n')
    config = tmp_path / "feeds.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    procs = []
    logs = []
    for who in ("poller-a", "poller-b"):
        env = {**settings_env(s), "AKHBAR_FEEDS__USER_AGENT": f"akhbar-test {who}"}
        log = (tmp_path / f"{who}.log").open("wb")
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "akhbar",
                    "feeds",
                    "poll",
                    "--config",
                    str(config),
                    "--status-file",
                    str(tmp_path / f"{who}.json"),
                ],
                env=env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        deadline = time.monotonic() + WAIT_S
        # both pollers own some feeds once the group settled: every feed polled, then a quiet window
        while time.monotonic() < deadline:
            agents = {n: {r.get("User-Agent") for r in feed_server.requests(f"/f{n}/rss")} for n in range(12)}
            if all(agents.values()) and len(set().union(*agents.values())) == 2:
                break
            assert all(p.poll() is None for p in procs), (tmp_path / "poller-a.log").read_text()[-3000:]
            time.sleep(0.5)
        else:
            raise AssertionError(f"both pollers never polled: {agents}")
        time.sleep(3)  # let any rebalance in flight finish
        before = {n: len(feed_server.requests(f"/f{n}/rss")) for n in range(12)}
        time.sleep(6)  # several 1 s intervals
        window = {n: feed_server.requests(f"/f{n}/rss")[before[n] :] for n in range(12)}
        for n, reqs in window.items():
            assert reqs, f"feed {n} was not polled in the window"
            assert len({r.get("User-Agent") for r in reqs}) == 1, f"feed {n} polled by both pollers: {reqs}"
    finally:
        for p in procs:
            p.terminate()
        codes = [p.wait(timeout=60) for p in procs]
        for log in logs:
            log.close()
        assert codes == [0, 0]
