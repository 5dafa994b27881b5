"""The oversized case on the real local stack: an article of ~200,000 characters full of names, among normal ones.

Enriched (body, normalised body, entities with their spans) such an article used to outgrow the producer's 1 MB
request and vanish: neither indexed nor dead-lettered. Now every size is the one message-size contract and the
chain's caps keep the document under it, so every article produced ends indexed or in the dead-letter queue.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from akhbar.settings import KafkaSettings, Settings
from akhbar.wiring import TOPIC_MAX_MESSAGE_BYTES, ensure_topics, kafka_client_config
from producers.ids import article_id
from tests.fixtures.synthetic import make_articles
from tests.integration.conftest import REPO, Workers, count_docs, read_topic, settings_env, wait_for
from tests.integration.reliability import record

FIRST_NAMES = ["أحمد", "سلمى", "طارق", "رنا", "عمر", "هالة", "زياد", "دانة", "فارس", "لمى", "ماجد", "جود"]
FAMILY_NAMES = ["الخطيب", "المنصوري", "الحداد", "العمري", "البزاز", "السعدي", "النجار", "الكبيسي", "الفارس", "الرفاعي"]
PLACES = ["الإسكندرية", "طرابلس", "صنعاء", "نواكشوط", "حلب", "وهران", "صفاقس", "أربيل", "جدة", "المنامة"]
BODIES = ["مجلس الوزراء", "اتحاد الكتاب", "هيئة الموانئ", "نقابة الأطباء", "المصرف الأهلي", "رابطة الصحفيين"]
BODY_CHARS = 210_000  # a little over the default enrich.body_max_chars (200,000): the cut is exercised too


def oversized_article() -> dict[str, Any]:
    """A wire-copy monster written for this test: sentence after sentence of people, places and institutions
    (12 x 10 people, so more distinct entities and more mentions than the caps keep)."""
    sentences: list[str] = []
    size = n = 0
    while size < BODY_CHARS:
        first, family = FIRST_NAMES[n % len(FIRST_NAMES)], FAMILY_NAMES[(n // len(FIRST_NAMES)) % len(FAMILY_NAMES)]
        place, body = PLACES[n % len(PLACES)], BODIES[n % len(BODIES)]
        sentence = f"والتقى {first} {family} في {place} بممثلي {body} لبحث الملفات المطروحة على جدول الأعمال."
        sentences.append(sentence)
        size += len(sentence) + 1
        n += 1
    return {
        "url": "https://news.example/archive/full-transcript",
        "source": "وكالة الاختبار",
        "title": "محضر كامل لجلسات المؤتمر بأسماء جميع المشاركين",
        "body": " ".join(sentences),
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


def topic_limits(k: KafkaSettings, topics: list[str]) -> dict[str, int]:
    admin = KafkaAdminClient(**kafka_client_config(k))
    try:
        limits = {}
        for response in admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in topics]):
            for resource in response.to_object()["resources"]:
                for entry in resource["config_entries"]:
                    if entry["config_names"] == TOPIC_MAX_MESSAGE_BYTES:
                        limits[resource["resource_name"]] = int(entry["config_value"])
        return limits
    finally:
        admin.close()


def test_an_oversized_article_among_normal_ones_is_indexed_or_dead_lettered_never_lost(
    settings: Settings, workers: Workers, es: Elasticsearch, tmp_path: Path
) -> None:
    k = settings.kafka
    topics = [k.raw_topic, k.enriched_topic, k.dlq_topic]
    assert topic_limits(k, topics) == dict.fromkeys(topics, k.max_message_bytes)

    big = oversized_article()
    articles = [*make_articles(30, seed=11), big]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    workers.start("processor", "process", "--loglevel", "warning")
    workers.start("sink", "sink")
    started = time.monotonic()
    report = produce(settings, feed)
    assert f"produced {len(articles)}, dead-lettered 0" in report

    alias = settings.elasticsearch.alias
    letters: list[Any] = []

    def accounted() -> bool:
        letters[:] = read_topic(settings, k.dlq_topic, expected=len(articles), timeout=3)
        return count_docs(es, alias) + len(letters) == len(articles)

    wait_for(accounted, timeout=300, what="every article indexed or dead-lettered", check=workers.assert_alive)
    seconds = time.monotonic() - started
    indexed = count_docs(es, alias)
    big_id = article_id(big["url"], big["title"], big["body"])[0]
    reasons = [json.loads(r.value)["reason"] for r in letters]
    if es.exists(index=alias, id=big_id):
        doc = es.get(index=alias, id=big_id)["_source"]
        assert {"truncated", "entities_truncated"} <= set(doc["flags"]), doc["flags"]
        assert len(doc["body"]) <= 200_000 and len(doc["entities"]) <= 500
        assert max(len(e["spans"]) for e in doc["entities"]) <= 50
        big_outcome = "indexed (body cut, entities capped)"
    else:
        assert reasons == ["too_large_enriched"]
        big_outcome = "dead-lettered too_large_enriched"
    enriched = read_topic(settings, k.enriched_topic, expected=indexed, timeout=30)
    largest = max(len(r.value) for r in enriched)
    assert largest <= k.max_message_bytes
    lost = len(articles) - indexed - len(letters)
    record(
        "oversized article (210k chars full of names) among 30 normal ones",
        produced=len(articles),
        indexed_after=indexed,
        dead_lettered=len(letters),
        lost=lost,
        recovery_s=seconds,
        largest_enriched_bytes=largest,
        oversized=big_outcome,
    )
    assert lost == 0 and indexed == len(articles) - len(letters)
    workers.assert_alive()


def test_topics_whose_size_limit_is_lower_are_raised_to_the_contract(settings: Settings) -> None:
    k = settings.kafka
    low = KafkaSettings(
        bootstrap_servers=k.bootstrap_servers,
        raw_topic=f"{k.raw_topic}-low",
        enriched_topic=f"{k.enriched_topic}-low",
        dlq_topic=f"{k.dlq_topic}-low",
    )
    admin = KafkaAdminClient(**kafka_client_config(k))
    try:  # created by something else with a 1 MB limit and a retention override of its own
        configs = {TOPIC_MAX_MESSAGE_BYTES: "1048576", "retention.ms": "3600000"}
        admin.create_topics([NewTopic(low.raw_topic, 1, 1, topic_configs=configs)])
    finally:
        admin.close()
    ensure_topics(low)  # the fixture deletes every topic with the test's tag
    topics = [low.raw_topic, low.enriched_topic, low.dlq_topic]
    assert topic_limits(low, topics) == dict.fromkeys(topics, low.max_message_bytes)
    admin = KafkaAdminClient(**kafka_client_config(k))
    try:
        [response] = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, low.raw_topic)])
        [resource] = response.to_object()["resources"]
        entries = {e["config_names"]: e["config_value"] for e in resource["config_entries"]}
    finally:
        admin.close()
    assert entries["retention.ms"] == "3600000"  # the topic's other override survived the alter
