"""The whole bad-input corpus through the real pipeline: producer -> Kafka -> processor -> sink -> Elasticsearch.

Each kind must end exactly as tests/fixtures/bad_inputs.py defines it (a dead letter with its stage and
reason, or an indexed document with its flags), and the workers must still be running and indexing after it.
The unit test tests/unit/akhbar/test_bad_inputs.py checks the same table without Kafka (`akhbar enrich`'s path).
"""

from __future__ import annotations

from typing import Any

import orjson
from elasticsearch import Elasticsearch

from akhbar.settings import Settings
from akhbar.wiring import article_producer
from producers.kafka import produce_items
from producers.prepare import prepare
from producers.sources import SourceItem
from schemas import RawArticle
from tests.fixtures.bad_inputs import ARABIC_BODY, CASES, SAME_ID_VERSIONS
from tests.fixtures.synthetic import make_articles
from tests.integration.conftest import Workers, count_docs, read_topic, wait_for
from tests.integration.reliability import record


def _send(settings: Settings, items: list[SourceItem]) -> None:
    """Through the same code as `akhbar produce` (validation, ids, dead letters for what fails there)."""
    quick = settings.model_copy(update={"kafka": settings.kafka.model_copy(update={"delivery_timeout_ms": 30_000})})
    with article_producer(quick) as producer:
        produce_items(iter(items), producer)


def test_every_bad_input_kind_ends_as_defined_and_the_pipeline_keeps_running(
    settings: Settings, workers: Workers, es: Elasticsearch
) -> None:
    workers.start("processor", "process", "--loglevel", "warning")
    workers.start("sink", "sink")
    items = [SourceItem(origin=f"corpus:{case.kind}", payload=case.payload) for case in CASES]
    items += [SourceItem(origin=f"corpus:same_id:{n}", payload=p) for n, p in enumerate(SAME_ID_VERSIONS)]
    # What each produced article's id is (the producer derives it; the processor keys its dead letters by it).
    ids: dict[str, str] = {}
    for item in items:
        prepared = prepare(item)
        if isinstance(prepared, RawArticle):
            ids[item.origin] = prepared.id
    _send(settings, items)

    expected_dlq = {f"corpus:{c.kind}": c.outcome for c in CASES if c.outcome[0] == "dlq"}
    expected_indexed = {f"corpus:{c.kind}": c.outcome for c in CASES if c.outcome[0] == "indexed"}
    same_id = {ids["corpus:same_id:0"], ids["corpus:same_id:1"]}
    assert len(same_id) == 1  # the tracking parameter does not change the id
    # Kinds without a URL that share title and body (e.g. the two date cases) share a content-hash id: one
    # document, the later version. The last origin sent under each id is what the index must show.
    last_origin = {ids[origin]: origin for origin in expected_indexed}
    distinct = len(last_origin) + 1
    alias = settings.elasticsearch.alias
    wait_for(
        lambda: count_docs(es, alias) == distinct,
        what=f"{distinct} documents indexed",
        check=workers.assert_alive,
        diagnose=workers.tails,
    )
    letters = [
        orjson.loads(r.value) for r in read_topic(settings, settings.kafka.dlq_topic, expected=len(expected_dlq))
    ]

    # Dead letters: produce-stage ones carry the origin; process-stage ones the article id (= Kafka key),
    # the raw topic, partition and offset.
    origin_of_id = {article_id: origin for origin, article_id in ids.items()}
    got: dict[str, tuple[str, str]] = {}
    for d in letters:
        origin = d["origin"] if d["stage"] == "produce" else origin_of_id.get(d["article_id"], d["article_id"])
        got[origin] = (d["stage"], d["reason"])
        if d["stage"] == "process":
            assert d["topic"] == settings.kafka.raw_topic and d["partition"] is not None and d["offset"] is not None
    assert got == {origin: (stage, reason) for origin, (_, stage, reason) in expected_dlq.items()}

    # Indexed kinds: the document exists under the producer's id, with at least its flags.
    for article_id, origin in last_origin.items():
        flags = expected_indexed[origin][1]
        doc: dict[str, Any] = es.get(index=alias, id=article_id)["_source"]
        assert flags <= set(doc.get("flags", [])), (origin, doc.get("flags"))
        assert "<" not in doc["title"], origin  # markup in titles is stored as text without tags
    # The same id twice with different content: one document, the later version.
    doc = es.get(index=alias, id=same_id.pop())["_source"]
    assert doc["title"] == "الصيغة المعدلة" and doc["body"].endswith("تحديث.")
    assert ARABIC_BODY in doc["body"]

    # Still running: a good article produced after the corpus is indexed too.
    _send(settings, [SourceItem(origin="after", payload=orjson.dumps(make_articles(1, seed=99)[0]))])
    wait_for(
        lambda: count_docs(es, alias) == distinct + 1,
        what="the article sent after the corpus indexed",
        check=workers.assert_alive,
        diagnose=workers.tails,
    )
    workers.assert_alive()
    record(
        f"bad-input corpus through Kafka ({len(CASES)} kinds + one id sent twice)",
        produced=len(items),
        indexed_after=distinct,
        dead_lettered=len(letters),
        still_running="yes",
    )
