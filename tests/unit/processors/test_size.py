"""The message-size contract: every size akhbar's clients and topics know is ``kafka.max_message_bytes``, and the
chain's caps keep an enriched document under it by construction."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any

import pytest

from akhbar import wiring
from akhbar.run import processor_config
from akhbar.settings import EnrichSettings, KafkaSettings, Settings
from akhbar.wiring import chain_config
from processors.app import make_app
from processors.arabic import fold_for_search
from processors.chain import build_chain
from processors.size import BYTES_PER_CHAR, ENTITIES_TRUNCATED, cap_entities, check_fits, worst_case_bytes

LIMIT = 3 * 1024 * 1024  # not the default: each client must follow the setting, not happen to share a constant


def test_the_default_caps_fit_the_default_limit_and_larger_caps_are_refused() -> None:
    caps = chain_config(EnrichSettings()).caps
    check_fits(caps, KafkaSettings().max_message_bytes)
    assert worst_case_bytes(caps) > 2 * BYTES_PER_CHAR * caps.body_max_chars  # body and its normalised copy
    with pytest.raises(ValueError, match=r"enrich\.body_max_chars \(1,000,000\)"):
        check_fits(chain_config(EnrichSettings(body_max_chars=1_000_000)).caps, KafkaSettings().max_message_bytes)


def test_one_character_folds_to_at_most_the_bytes_the_bound_counts() -> None:
    widest = max(
        len(fold_for_search(chr(c)).encode())
        for c in range(sys.maxunicode + 1)
        if not 0xD800 <= c <= 0xDFFF  # lone surrogates: cleaning removes them
    )
    assert widest <= BYTES_PER_CHAR


def _entity(n: int, spans: int, text: str = "القاهرة") -> dict[str, Any]:
    return {
        "text": text,
        "type": "LOC",
        "canonical": text,
        "count": spans,
        "spans": [{"field": "body", "start": i, "end": i + 1} for i in range(spans)],
    }


def test_entities_are_cut_to_the_caps_and_say_so() -> None:
    caps = replace(chain_config(EnrichSettings()).caps, entities_max=2, entity_spans_max=3, entity_max_chars=10)
    found = [_entity(0, 5), _entity(1, 2, text="ا" * 11), _entity(2, 1), _entity(3, 1)]
    kept, cut = cap_entities(found, caps)
    assert cut and [len(e["spans"]) for e in kept] == [3, 1] and [e["count"] for e in kept] == [5, 1]
    assert cap_entities(found[2:3], caps) == ([found[2]], False)  # within the caps: the same entities, no flag
    assert ENTITIES_TRUNCATED == "entities_truncated"


def test_the_body_is_cut_at_the_configured_length() -> None:
    from processors.chain import enrich_message
    from schemas import EnrichedArticle

    chain = build_chain(chain_config(EnrichSettings(steps=("clean", "normalise"), body_max_chars=100)))
    value = (
        '{"schema_version": 1, "id": "' + "3" * 32 + '", "source": "s", "title": "عنوان", '
        '"body": "' + "كلمة " * 100 + '", "fetched_at": "2026-11-20T10:00:00Z"}'
    ).encode()
    out = enrich_message(value, chain)
    assert isinstance(out, EnrichedArticle) and len(out.body) <= 100 and "truncated" in out.flags


def test_every_client_and_topic_takes_its_size_from_the_one_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    s = Settings(kafka=KafkaSettings(max_message_bytes=LIMIT))
    made: dict[str, Any] = {}

    class FakeKafkaProducer:
        def __init__(self, **kwargs: Any) -> None:
            made["producer"] = kwargs

    monkeypatch.setattr(wiring, "KafkaProducer", FakeKafkaProducer)
    wiring.article_producer(s)
    assert made["producer"]["max_request_size"] == LIMIT

    cfg = processor_config(s)
    assert cfg.max_message_bytes == LIMIT and cfg.delivery_timeout_s == s.kafka.delivery_timeout_ms / 1000
    app = make_app(
        replace(cfg, chain=replace(cfg.chain, steps=("clean",))), build_chain(replace(cfg.chain, steps=("clean",)))
    )
    assert app.conf.producer_max_request_size == LIMIT and app.conf.consumer_max_fetch_size == LIMIT
    assert app.conf.producer_request_timeout == s.kafka.delivery_timeout_ms / 1000


class _Response:
    def __init__(self, resources: list[dict[str, Any]]) -> None:
        self.resources = resources

    def to_object(self) -> dict[str, Any]:
        return {"resources": self.resources}


class FakeAdmin:
    """The topics as the broker describes them: raw exists with a 1 MB limit and a retention override."""

    def __init__(self, **_kwargs: Any) -> None:
        self.created: list[Any] = []
        self.altered: list[Any] = []
        self.limits = {"articles.raw": "1048588", "articles.enriched": str(LIMIT), "articles.dlq": str(LIMIT)}

    def list_topics(self) -> list[str]:
        return ["articles.raw", "articles.dlq"]

    def create_topics(self, topics: list[Any]) -> None:
        self.created.extend(topics)

    def describe_configs(self, resources: list[Any]) -> list[_Response]:
        limits = self.limits
        return [
            _Response(
                [
                    {
                        "error_code": 0,
                        "error_message": None,
                        "resource_name": r.name,
                        "config_entries": [
                            {"config_names": "max.message.bytes", "config_value": limits[r.name], "config_source": 5},
                            {"config_names": "retention.ms", "config_value": "3600000", "config_source": 1},
                            {"config_names": "cleanup.policy", "config_value": "delete", "config_source": 5},
                        ],
                    }
                    for r in resources
                ]
            )
        ]

    def alter_configs(self, resources: list[Any]) -> _Response:
        self.altered.extend(resources)
        self.limits.update({r.name: r.configs["max.message.bytes"] for r in resources})  # the next describe shows it
        return _Response([{"error_code": 0, "error_message": None, "resource_name": r.name} for r in resources])

    def close(self) -> None:
        pass


def test_topics_are_created_with_the_limit_and_a_lower_one_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    admins: list[FakeAdmin] = []

    def admin(**kwargs: Any) -> FakeAdmin:
        admins.append(FakeAdmin(**kwargs))
        return admins[-1]

    class FakeConsumer:
        def __init__(self, **_kwargs: Any) -> None:
            pass

        def close(self) -> None:
            pass

    monkeypatch.setattr(wiring, "check_kafka", lambda _k: None)
    monkeypatch.setattr(wiring, "KafkaAdminClient", admin)
    monkeypatch.setattr(wiring, "KafkaConsumer", FakeConsumer)
    monkeypatch.setattr(wiring, "wait_for_partitions", lambda _c, _t: None)
    wiring.ensure_topics(KafkaSettings(max_message_bytes=LIMIT))
    [a] = admins
    assert [(t.name, t.topic_configs) for t in a.created] == [("articles.enriched", {"max.message.bytes": str(LIMIT)})]
    # only the topic below the limit is altered, its own other override sent along (AlterConfigs replaces the set)
    assert [(r.name, r.configs) for r in a.altered] == [
        ("articles.raw", {"retention.ms": "3600000", "max.message.bytes": str(LIMIT)})
    ]
