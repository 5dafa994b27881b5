"""`akhbar dlq` against the real stack: an operator lists the dead letters, fixes the cause and replays them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
from elasticsearch import Elasticsearch

from akhbar.pipeline import counts
from akhbar.settings import EnrichSettings, Settings
from producers.ids import article_id
from schemas import Reason, Stage, dead_letter, dead_letter_record, replays_of
from tests.fixtures.synthetic import make_articles
from tests.integration.conftest import REPO, Workers, count_docs, raw_producer, read_topic, settings_env, wait_for
from tests.integration.reliability import record

# Written for this test: Persian (Arabic script, Persian letters and function words) and English news items.
PERSIAN = [
    {
        "url": "https://news.example/fa/park",
        "source": "روزنامه نمونه",
        "title": "افتتاح پارک تازه در شمال شهر",
        "body": "شهرداری اعلام کرد که این پارک با چند زمین بازی برای کودکان ساخته شده است و از هفته آینده باز می‌شود.",
    },
    {
        "url": "https://news.example/fa/books",
        "source": "روزنامه نمونه",
        "title": "نمایشگاه کتاب در شیراز برگزار شد",
        "body": "ناشران زیادی از سراسر کشور در این نمایشگاه شرکت کردند و برنامه تا پایان ماه ادامه دارد.",
    },
    {
        "url": "https://news.example/fa/snow",
        "source": "روزنامه نمونه",
        "title": "بارش برف در جاده‌های کوهستانی",
        "body": "پلیس راه از رانندگان خواست که برای سفر به مناطق کوهستانی زنجیر چرخ همراه داشته باشند.",
    },
]
LATIN = [
    {
        "url": "https://news.example/en/tram",
        "source": "Example Gazette",
        "title": "Council approves a second tram line",
        "body": "The city council voted on Tuesday to fund a second tram line through the old harbour district.",
    },
    {
        "url": "https://news.example/en/bakery",
        "source": "Example Gazette",
        "title": "Family bakery wins the regional prize",
        "body": "A bakery near the central market was named the best in the region by a panel of judges.",
    },
]
LATE_ARTICLE = {  # what the sink-stage letter holds, enriched: refused by the index while it was blocked
    "url": "https://news.example/ar/port",
    "source": "صحيفة المثال",
    "title": "افتتاح رصيف جديد في الميناء",
    "body": "افتتحت سلطة الميناء صباح اليوم رصيفاً جديداً يستقبل سفن الحاويات الكبيرة بعد عامين من العمل.",
}
FIXED_ARTICLE = {  # what a produce-stage letter holds: valid today, rejected by an older rule of the producer
    "url": "https://news.example/ar/library",
    "source": "صحيفة المثال",
    "title": "مكتبة عامة تمدد ساعات العمل",
    "body": "قررت إدارة المكتبة العامة تمديد ساعات العمل حتى منتصف الليل خلال فترة الامتحانات.",
}


def ids(articles: list[dict[str, Any]]) -> set[str]:
    return {article_id(a["url"], a["title"], a["body"])[0] for a in articles}


def akhbar(s: Settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m akhbar ARGS`` with the test's settings; fails the test on a non-zero exit."""
    done = subprocess.run(
        [sys.executable, "-m", "akhbar", *args],
        env=settings_env(s),
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"akhbar {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done


def listed(s: Settings, *filters: str) -> list[dict[str, Any]]:
    """The letters `akhbar dlq list --json` prints for these filters."""
    return [json.loads(line) for line in akhbar(s, "dlq", "list", "--json", *filters).stdout.splitlines()]


def newest_since(report: str) -> str:
    """The --since a replay suggests for the next run."""
    line = next(line for line in report.splitlines() if line.startswith("newest failed_at"))
    return line.rsplit("--since ", 1)[1].rstrip(")")


def write_feed(path: Path, articles: list[dict[str, Any]], *extra_lines: str) -> Path:
    lines = [json.dumps(a, ensure_ascii=False) for a in articles] + list(extra_lines)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def settled(s: Settings) -> bool:
    """Everything on raw and enriched has been consumed and committed by the processor and the sink."""
    c = counts(s)
    return c.processor_lag == 0 and c.sink_lag == 0


def test_not_arabic_letters_are_replayed_after_the_accepted_languages_widen(
    settings: Settings, workers: Workers, es: Elasticsearch, tmp_path: Path
) -> None:
    alias, raw_topic = settings.elasticsearch.alias, settings.kafka.raw_topic
    narrow = settings.model_copy(update={"enrich": EnrichSettings(accepted_languages=frozenset({"ar"}))})
    wide = settings.model_copy(update={"enrich": EnrichSettings(accepted_languages=frozenset({"ar", "fa"}))})
    arabic = make_articles(4, seed=141)
    workers.s = narrow
    workers.start("processor", "process", "--loglevel", "warning")
    workers.start("sink", "sink")
    feed = write_feed(tmp_path / "feed.jsonl", [*arabic, *PERSIAN, *LATIN])
    assert "produced 9, dead-lettered 0" in akhbar(settings, "produce", "--no-progress", str(feed)).stderr

    # Persian and English are dead-lettered by the processor; the Arabic articles are indexed
    letters = wait_for(
        lambda: (got := listed(settings, "--reason", "not_arabic")) and len(got) == 5 and got,
        what="5 not_arabic letters",
        check=workers.assert_alive,
    )
    wait_for(lambda: count_docs(es, alias) == 4, what="the 4 Arabic articles indexed", check=workers.assert_alive)
    assert {d["key"] for d in letters} == ids(PERSIAN) | ids(LATIN)
    assert {(d["stage"], d["replays"], d["topic"]) for d in letters} == {("process", 0, raw_topic)}
    plain = akhbar(settings, "dlq", "list", "--stage", "process")
    assert len(plain.stdout.splitlines()) == 5 and all(
        "\tprocess\tnot_arabic\t" in x for x in plain.stdout.splitlines()
    )
    assert "5 of 5 letters; by reason: not_arabic 5; by stage: process 5; unreadable 0" in plain.stderr
    persian_id = sorted(ids(PERSIAN))[0]
    shown = akhbar(settings, "dlq", "show", persian_id).stdout
    assert f"key {persian_id}" in shown and "detected language 'fa'" in shown and "روزنامه نمونه" in shown

    # a dry run says what would go where and sends nothing
    raw_before = counts(settings).raw
    dry = akhbar(settings, "dlq", "replay", "--reason", "not_arabic", "--dry-run").stdout
    assert f"would replay 5: {raw_topic} 5" in dry and dry.count(f"-> {raw_topic}") == 5
    assert counts(settings).raw == raw_before == 9

    # the operator widens the accepted languages, restarts the processor and replays
    workers.stop("processor")
    workers.s = wide
    workers.start("processor", "process", "--loglevel", "warning")
    first = akhbar(settings, "dlq", "replay", "--reason", "not_arabic").stdout
    assert f"replayed 5: {raw_topic} 5" in first and "skipped 0" in first and "by reason: not_arabic 5" in first
    since = newest_since(first)
    assert since == max(d["failed_at"] for d in letters)
    wait_for(lambda: count_docs(es, alias) == 7, what="the 3 Persian articles indexed", check=workers.assert_alive)
    indexed = {hit["_id"] for hit in es.search(index=alias, size=50, query={"match_all": {}})["hits"]["hits"]}
    assert indexed == ids(arabic) | ids(PERSIAN)

    # English still fails: dead-lettered again, with the replay count
    again = wait_for(
        lambda: (got := listed(settings, "--reason", "not_arabic", "--since", since)) and len(got) == 2 and got,
        what="2 letters of English articles that failed again",
        check=workers.assert_alive,
    )
    assert {d["key"] for d in again} == ids(LATIN) and {(d["replays"], d["headers"]["replays"]) for d in again} == {
        (1, "1")
    }
    # --since the newest failed_at of the last replay: only what failed after it
    dry = akhbar(settings, "dlq", "replay", "--reason", "not_arabic", "--since", since, "--dry-run").stdout
    assert f"would replay 2: {raw_topic} 2" in dry and "replays=2" in dry

    # replaying everything again changes nothing in the index (same ids), and English fails with counts 1 and 2
    second = akhbar(settings, "dlq", "replay", "--reason", "not_arabic").stdout
    assert f"replayed 7: {raw_topic} 7" in second
    final = wait_for(
        lambda: (got := listed(settings, "--reason", "not_arabic")) and len(got) == 11 and settled(settings) and got,
        what="the second replay processed (11 letters)",
        check=workers.assert_alive,
    )
    assert count_docs(es, alias) == 7
    by_count = sorted((d["replays"], d["key"] in ids(LATIN)) for d in final)
    assert by_count == [(0, False)] * 3 + [(0, True)] * 2 + [(1, True)] * 4 + [(2, True)] * 2
    record(
        "DLQ replay: not_arabic letters after widening accepted languages, replayed twice",
        produced=9,
        indexed_before=4,
        indexed_after=count_docs(es, alias),
        dead_lettered=5,
        replayed_first=5,
        failed_again_with_replays_1=2,
        replayed_second=7,
        indexed_after_second=7,
        letters_at_end=len(final),
    )


def test_sink_letters_go_back_to_enriched_and_produce_letters_are_prepared_again(
    settings: Settings, workers: Workers, es: Elasticsearch, tmp_path: Path
) -> None:
    k, alias = settings.kafka, settings.elasticsearch.alias
    workers.start("processor", "process", "--loglevel", "warning")
    workers.start("sink", "sink")
    arabic = make_articles(2, seed=142)
    feed = write_feed(tmp_path / "feed.jsonl", arabic, "{broken line")
    assert "produced 2, dead-lettered 1" in akhbar(settings, "produce", "--no-progress", str(feed)).stderr
    wait_for(lambda: count_docs(es, alias) == 2, what="2 articles indexed", check=workers.assert_alive)

    # letters as the sink and an older producer wrote them, and one whose original was cut at 64 KiB
    enriched = akhbar(settings, "enrich", stdin=json.dumps(LATE_ARTICLE, ensure_ascii=False) + "\n").stdout
    late_id = orjson.loads(enriched)["id"]
    sink_letter = dead_letter(
        enriched.strip().encode(),
        reason=Reason.INDEX_REJECTED,
        detail="cluster_block_exception: index blocked by: [FORBIDDEN/8/index write (api)]",
        stage=Stage.SINK,
        article_id=late_id,
        topic=k.enriched_topic,
        partition=0,
        offset=0,
    )
    fixed_letter = dead_letter(
        json.dumps(FIXED_ARTICLE, ensure_ascii=False),
        reason=Reason.SCHEMA_VIOLATION,
        detail="raw_article v1: at source: rejected by an older rule",
        stage=Stage.PRODUCE,
        origin="inbox/library.json",
    )
    truncated = dead_letter(
        b'{"body": "' + b"x" * 70_000 + b'"}', reason=Reason.STEP_FAILED, detail="boom", stage=Stage.PROCESS
    )
    truncated = truncated.model_copy(update={"article_id": "cut-1"})
    producer = raw_producer(settings)
    for letter in (sink_letter, fixed_letter, truncated):
        rec = dead_letter_record(letter)
        producer.send(k.dlq_topic, key=rec.key, value=rec.value, headers=rec.headers)
    producer.flush()
    producer.close()
    assert len(wait_for(lambda: len(got := listed(settings)) == 4 and got, what="4 letters")) == 4

    sunk = akhbar(settings, "dlq", "replay", "--stage", "sink").stdout
    assert f"replayed 1: {k.enriched_topic} 1" in sunk and "by reason: index_rejected 1" in sunk
    wait_for(lambda: count_docs(es, alias) == 3, what="the sink letter indexed", check=workers.assert_alive)
    replayed = [r for r in read_topic(settings, k.enriched_topic, expected=3) if r.key == late_id.encode()]
    assert [replays_of(r.headers) for r in replayed] == [1]

    produced = akhbar(settings, "dlq", "replay", "--stage", "produce").stdout
    assert (
        f"replayed 2: {k.raw_topic} 1, {k.dlq_topic} 1" in produced or f"{k.dlq_topic} 1, {k.raw_topic} 1" in produced
    )
    wait_for(lambda: count_docs(es, alias) == 4, what="the re-prepared article indexed", check=workers.assert_alive)
    assert es.get(index=alias, id=ids([FIXED_ARTICLE]).pop())["_source"]["title"] == FIXED_ARTICLE["title"]
    broken = listed(settings, "--stage", "produce", "--reason", "invalid_json")
    assert sorted((d["replays"], d["origin"].endswith(":3")) for d in broken) == [(0, True), (1, True)]

    cut = akhbar(settings, "dlq", "replay", "--reason", "step_failed").stdout
    assert "replayed 0: none" in cut and "skipped 1:" in cut and "cut-1\toriginal truncated (70012 bytes" in cut
    shown = akhbar(settings, "dlq", "show", "cut-1").stdout
    assert "original_truncated: True" in shown and "65536 of 70012 bytes, truncated, UTF-8" in shown
    final = listed(settings)
    assert len(final) == 5 and settled(settings)
    record(
        "DLQ replay: a sink letter onto enriched, produce letters re-prepared, a truncated one skipped",
        produced=3,
        indexed_before=2,
        indexed_after=count_docs(es, alias),
        replayed_sink=1,
        replayed_produce=2,
        produce_failed_again=1,
        skipped_truncated=1,
        letters_at_end=len(final),
    )
