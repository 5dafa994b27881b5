"""Retry and per-item outcome logic of the bulk writer, against a scripted stand-in for the client.

This is a unit test of the sink's own decisions; the real Elasticsearch behaviour is covered by
tests/integration.
"""

from __future__ import annotations

from typing import Any

import pytest
import stamina
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elastic_transport import ConnectionError as TransportConnectionError
from elasticsearch import BadRequestError

from sinks.base import Backpressure, Flushed, Item
from sinks.elasticsearch import ElasticsearchSink

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
    return ElasticsearchSink(
        client,  # type: ignore[arg-type]
        alias="akhbar-test",
        replicas=0,
        attempts=attempts,
        retry_timeout_s=60.0,
        wait_initial_s=0.5,
        wait_max_s=8.0,
        retry_after_s=30.0,
    )


def write(s: ElasticsearchSink, items: list[Item]) -> Flushed:
    for item in items:
        s.add(item)
    return s.flush()


def test_all_indexed_first_time() -> None:
    result = write(sink(ScriptedClient([201, 201, 200])), ITEMS)
    assert (result.written, result.rejected, result.attempts) == (3, [], 1)


def test_item_429_retried_and_400_dead_lettered() -> None:
    client = ScriptedClient([201, 429, 400], [201])
    result = write(sink(client), ITEMS)
    assert result.written == 2 and client.calls == [3, 1]
    assert [(r.item.offset, r.reason) for r in result.rejected] == [(2, "index_rejected")]


def test_connection_errors_are_retried_then_reported() -> None:
    err = TransportConnectionError("refused")
    with pytest.raises(Backpressure, match="3 document"):
        write(sink(ScriptedClient(err, err, err), attempts=3), ITEMS)
    ok = write(sink(ScriptedClient(err, [201, 201, 201])), ITEMS)
    assert ok.written == 3 and ok.attempts == 2


def test_a_refused_batch_is_kept_and_only_its_unwritten_items_sent_again() -> None:
    err = TransportConnectionError("refused")
    client = ScriptedClient([201, 429, 400], err, err, [201])
    s = sink(client)
    with pytest.raises(Backpressure) as refused:
        write(s, ITEMS)
    assert refused.value.kept == 1 and refused.value.retry_after_s == 30.0
    result = s.flush()  # the worker's retry: nothing added, the kept item goes out again
    assert client.calls == [3, 1, 1, 1]
    assert result.written == 2 and [r.item.offset for r in result.rejected] == [2]
    assert write(s, []).written == 0  # the outcomes were handed over once


def test_a_request_level_client_error_is_not_retried() -> None:
    meta = ApiResponseMeta(400, "1.1", HttpHeaders(), 0.01, NodeConfig("http", "localhost", 9200))
    client = ScriptedClient(BadRequestError("illegal_argument_exception", meta, {}))
    with pytest.raises(BadRequestError):
        write(sink(client), ITEMS)
    assert client.calls == [3]


def test_bulk_backoff_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", waits.append)
    err = TransportConnectionError("refused")
    with stamina.set_testing(False), pytest.raises(Backpressure, match="after 8 attempts"):
        write(sink(ScriptedClient(*[err] * 8), attempts=8), ITEMS)
    lower = [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]  # doubling from wait_initial_s, capped at wait_max_s (plus jitter)
    assert len(waits) == 7 and all(low <= w <= 8.0 for low, w in zip(lower, waits, strict=True))
