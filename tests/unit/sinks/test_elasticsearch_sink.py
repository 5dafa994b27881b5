"""Retry and per-item failure logic of the bulk writer, against a scripted stand-in for the client.

This is a unit test of the sink's own decisions; the real Elasticsearch behaviour is covered by
tests/integration.
"""

from __future__ import annotations

from typing import Any

import pytest
from elastic_transport import ConnectionError as TransportConnectionError

from sinks.elasticsearch import ElasticsearchSink, ElasticsearchUnavailable, Item, backoff_s

ITEMS = [Item(f"{i:032x}", b'{"title": "t"}', "articles.enriched", 0, i) for i in range(3)]


class ScriptedClient:
    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls: list[int] = []

    def bulk(self, operations: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(len(operations) // 2)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return {"items": [{"index": {"status": s, "error": {"type": "mapper_parsing_exception"}}} for s in answer]}


def sink(client: ScriptedClient, attempts: int = 3) -> ElasticsearchSink:
    return ElasticsearchSink(client, "akhbar-test", max_attempts=attempts, sleep=lambda _s: None)  # type: ignore[arg-type]


def test_all_indexed_first_time() -> None:
    result = sink(ScriptedClient([201, 201, 200])).write(ITEMS)
    assert (result.indexed, result.failures, result.attempts) == (3, [], 1)


def test_item_429_retried_and_400_dead_lettered() -> None:
    client = ScriptedClient([201, 429, 400], [201])
    result = sink(client).write(ITEMS)
    assert result.indexed == 2 and client.calls == [3, 1]
    assert [(f.item.offset, f.reason) for f in result.failures] == [(2, "index_rejected")]


def test_connection_errors_are_retried_then_reported() -> None:
    err = TransportConnectionError("refused")
    with pytest.raises(ElasticsearchUnavailable, match="3 document"):
        sink(ScriptedClient(err, err, err), attempts=3).write(ITEMS)
    ok = sink(ScriptedClient(err, [201, 201, 201])).write(ITEMS)
    assert ok.indexed == 3 and ok.attempts == 2


def test_backoff_is_capped() -> None:
    assert [backoff_s(a) for a in (1, 2, 3)] == [0.5, 1.0, 2.0] and backoff_s(50) == 8.0
