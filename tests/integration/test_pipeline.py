"""The spine end to end on the real local stack: produce -> faust processor -> sink -> Elasticsearch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson
from elasticsearch import Elasticsearch

from akhbar.pipeline import counts
from akhbar.search import search_articles
from akhbar.settings import Settings
from producers.ids import article_id
from tests.fixtures.synthetic import make_articles
from tests.integration.conftest import REPO, Workers, count_docs, raw_producer, read_topic, settings_env, wait_for

VARIANT_ARTICLE = {
    "url": "https://news.example/special/haniyeh-visit#top",
    "source": "صحيفة الأفق",
    "title": "عـــاجل: إسماعيل هنية يصل إلى الدوحة",
    "body": "وصل إسماعيل هنية إلى الدوحة مساء أمس في زيارة تستمر يومين، وقال هنية إن المباحثات ستتناول ملف المعابر.",
    "published_at": "2026-11-19T18:00:00Z",
}


def produce(s: Settings, path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "akhbar", "produce", "--no-progress", str(path)],
        env=settings_env(s),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def test_articles_flow_to_elasticsearch_and_replays_are_idempotent(
    settings: Settings, workers: Workers, es: Elasticsearch, tmp_path: Path
) -> None:
    articles = [*make_articles(40, seed=7), VARIANT_ARTICLE]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    workers.start("processor", "process", "--loglevel", "warning")
    workers.start("sink", "sink")

    report = produce(settings, feed)
    assert "produced 41, dead-lettered 0" in report
    alias = settings.elasticsearch.alias
    wait_for(lambda: count_docs(es, alias) == 41, what="41 documents indexed", check=workers.assert_alive)

    # the right fields, under the deterministic id
    expected_id, canon = article_id(VARIANT_ARTICLE["url"], VARIANT_ARTICLE["title"], VARIANT_ARTICLE["body"])
    doc = es.get(index=alias, id=expected_id)["_source"]
    assert doc["title"] == "عاجل: إسماعيل هنية يصل إلى الدوحة"  # tatweel removed
    assert doc["canonical_url"] == canon == "https://news.example/special/haniyeh-visit"
    assert doc["source"] == "صحيفة الأفق" and doc["language"] == "ar" and doc["published_at"] == "2026-11-19T18:00:00Z"
    assert doc["word_count"] == 18 and "اسماعيل هنيه" in doc["body_normalized"]
    assert doc["steps"][:4] == ["clean", "dates", "language", "normalise"]
    ids = {hit["_id"] for hit in es.search(index=alias, size=100, query={"match_all": {}})["hits"]["hits"]}
    assert ids == {article_id(a["url"], a["title"], a["body"])[0] for a in articles}

    # a variant spelling (no hamza, ha for ta marbuta) finds the article
    hits = search_articles(settings, "اسماعيل هنيه")["hits"]["hits"]
    assert hits and hits[0]["_id"] == expected_id
    assert "<em>" in json.dumps(hits[0].get("highlight", {}), ensure_ascii=False)

    # replaying the same input: Kafka holds it twice, the index still has 41 documents
    produce(settings, feed)
    wait_for(
        lambda: (c := counts(settings)).raw == 82 and c.processor_lag == 0 and c.sink_lag == 0,
        what="replay fully processed",
        check=workers.assert_alive,
    )
    assert count_docs(es, alias) == 41


def test_poison_messages_go_to_the_dlq_and_the_pipeline_carries_on(
    settings: Settings, workers: Workers, es: Elasticsearch
) -> None:
    workers.start("processor", "process", "--loglevel", "warning")
    workers.start("sink", "sink")
    k = settings.kafka
    good = make_articles(2, seed=11)
    producer = raw_producer(settings)
    # straight onto the raw topic, bypassing the producer's validation: what a foreign client might send
    producer.send(k.raw_topic, key=b"poison-1", value=b"{this is not json")
    producer.send(k.raw_topic, key=b"poison-2", value=b'{"schema_version": 1, "id": "nope"}')
    producer.send(k.raw_topic, key=b"poison-3", value=bytes(range(128, 256)))
    # and onto the enriched topic, past the processor: the sink checks what it indexes too
    producer.send(k.enriched_topic, key=b"poison-4", value=b"{not json either")
    producer.send(k.enriched_topic, key=b"poison-5", value=b'{"schema_version": 1, "id": "half an article"}')
    producer.flush()
    producer.close()
    feed_dir = Path(settings.stack.state_dir)  # any folder would do; write a feed next to the test's data
    feed = feed_dir / f"{k.raw_topic}.jsonl"
    feed.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in good) + "{broken line\n")
    try:
        produce(settings, feed)
    finally:
        feed.unlink()

    wait_for(
        lambda: count_docs(es, settings.elasticsearch.alias) == 2,
        what="the 2 good articles indexed",
        check=workers.assert_alive,
    )
    letters = [orjson.loads(r.value) for r in read_topic(settings, k.dlq_topic, expected=6)]
    by_reason = sorted((d["stage"], d["reason"]) for d in letters)
    assert by_reason == [
        ("process", "invalid_json"),
        ("process", "invalid_utf8"),
        ("process", "schema_violation"),
        ("produce", "invalid_json"),
        ("sink", "invalid_enriched"),
        ("sink", "invalid_enriched"),
    ]
    processed = [d for d in letters if d["stage"] == "process"]
    assert all(d["topic"] == k.raw_topic and d["partition"] is not None and d["offset"] is not None for d in processed)
    sunk = [d for d in letters if d["stage"] == "sink"]
    assert {d["article_id"] for d in sunk} == {"poison-4", "poison-5"}
    assert all(d["topic"] == k.enriched_topic and d["offset"] is not None for d in sunk)
    assert any(d["original_encoding"] == "base64" for d in processed)
    assert next(d for d in letters if d["stage"] == "produce")["origin"].endswith(":3")
    workers.assert_alive()
