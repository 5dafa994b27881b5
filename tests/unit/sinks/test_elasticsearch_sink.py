"""Retry and per-item outcome logic of the bulk writer, against a scripted stand-in for the client.

This is a unit test of the sink's own decisions; the real Elasticsearch behaviour is covered by
tests/integration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
import stamina
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elastic_transport import ConnectionError as TransportConnectionError
from elasticsearch import ApiError, BadRequestError

from sinks.base import Backpressure, Flushed, Item
from sinks.elasticsearch import Answer, ElasticsearchSink, Unavailable, classify

ITEMS = [Item(f"{i:032x}", b'{"title": "t"}', "articles.enriched", 0, i, version=1000 + i, replays=0) for i in range(3)]


class ScriptedClient:
    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls: list[int] = []
        self.options: list[dict[str, Any]] = []

    def bulk(self, operations: list[bytes], **options: Any) -> dict[str, Any]:
        self.calls.append(len(operations) // 2)
        self.options.append(options)
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
        setup_timeout_s=60.0,
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


def test_a_request_level_client_error_is_not_retried_but_split() -> None:
    # Issue 14: a 400 for the whole bulk no longer stops the sink; the batch is split until the refused
    # document is alone (here every request is refused, so each document ends in the dead-letter topic).
    meta = ApiResponseMeta(400, "1.1", HttpHeaders(), 0.01, NodeConfig("http", "localhost", 9200))
    refused = BadRequestError("illegal_argument_exception", meta, {})
    client = ScriptedClient(*[refused] * 5)
    result = write(sink(client), ITEMS)
    assert client.calls == [3, 1, 2, 1, 1]  # halves, each sent once: never the same request again
    assert result.written == 0 and result.attempts == 1
    assert [(r.item.offset, r.reason) for r in result.rejected] == [(i, "index_request_rejected") for i in range(3)]


def test_bulk_backoff_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", waits.append)
    err = TransportConnectionError("refused")
    with stamina.set_testing(False), pytest.raises(Backpressure, match="after 8 attempts"):
        write(sink(ScriptedClient(*[err] * 8), attempts=8), ITEMS)
    lower = [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]  # doubling from wait_initial_s, capped at wait_max_s (plus jitter)
    assert len(waits) == 7 and all(low <= w <= 8.0 for low, w in zip(lower, waits, strict=True))


# --- the classification, one test per class ------------------------------------------------------------


def test_2xx_is_written() -> None:
    assert classify(201, None, whole_request=False) is Answer.WRITTEN
    assert classify(200, None, whole_request=True) is Answer.WRITTEN


def test_a_version_conflict_is_stale() -> None:
    assert classify(409, "version_conflict_engine_exception", whole_request=False) is Answer.STALE


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_overload_and_server_errors_are_unavailable(status: int) -> None:
    for whole_request in (True, False):
        assert classify(status, "es_rejected_execution_exception", whole_request=whole_request) is Answer.UNAVAILABLE


def test_no_answer_at_all_is_unavailable() -> None:  # connection refused or reset, timeout
    assert classify(None, None, whole_request=True) is Answer.UNAVAILABLE


@pytest.mark.parametrize(
    ("status", "whole_request"),
    [
        (403, False),  # index write or read_only block, per item of a 200 bulk
        (429, False),  # index read_only_allow_delete (flood-stage watermark), per item
        (403, True),  # cluster read_only or read_only_allow_delete: the whole request
    ],
)
def test_blocks_are_unavailable(status: int, whole_request: bool) -> None:
    assert classify(status, "cluster_block_exception", whole_request=whole_request) is Answer.UNAVAILABLE


def test_a_closed_index_is_unavailable() -> None:
    for whole_request in (True, False):
        assert classify(400, "index_closed_exception", whole_request=whole_request) is Answer.UNAVAILABLE


def test_refused_credentials_or_privileges_are_unavailable() -> None:
    assert classify(401, "security_exception", whole_request=True) is Answer.UNAVAILABLE
    assert classify(403, "security_exception", whole_request=False) is Answer.UNAVAILABLE


def test_a_missing_alias_is_no_alias() -> None:
    assert classify(404, "index_not_found_exception", whole_request=False) is Answer.NO_ALIAS


def test_a_document_level_error_is_rejected() -> None:
    assert classify(400, "document_parsing_exception", whole_request=False) is Answer.REJECTED
    assert classify(400, "mapper_parsing_exception", whole_request=False) is Answer.REJECTED


def test_any_other_client_error_of_a_whole_request_is_a_bad_request() -> None:
    assert classify(400, "action_request_validation_exception", whole_request=True) is Answer.BAD_REQUEST
    assert classify(413, "http_content_too_long", whole_request=True) is Answer.BAD_REQUEST


# --- the bulk against a client that answers by content ---------------------------------------------------


def api_error(status: int, kind: str, reason: str = "") -> ApiError:
    meta = ApiResponseMeta(status, "1.1", HttpHeaders(), 0.01, NodeConfig("http", "localhost", 9200))
    return ApiError(kind, meta, {"error": {"type": kind, "reason": reason}, "status": status})


def item_error(status: int, kind: str) -> dict[str, Any]:
    return {"index": {"status": status, "error": {"type": kind, "reason": f"{kind} reason"}}}


@dataclass
class FakeIndices:
    aliases: set[str] = field(default_factory=set)
    indices: set[str] = field(default_factory=set)
    put_aliases: list[tuple[str, str]] = field(default_factory=list)

    def exists_alias(self, *, name: str) -> bool:
        return name in self.aliases

    def get_alias(self, *, name: str) -> Any:
        return SimpleNamespace(body={f"{name}-v1": {"aliases": {name: {}}}})

    def exists(self, *, index: str) -> bool:
        return index in self.indices

    def put_alias(self, *, index: str, name: str, is_write_index: bool) -> None:
        self.put_aliases.append((index, name))
        self.aliases.add(name)


class ContentClient:
    """Answers each bulk from its documents: ``request_refused`` ids fail the whole request with a 400;
    ``item_answers`` gives an id's per-item answer (default 201); ``down`` = requests fail as ``down`` says."""

    def __init__(self, alias: str = "akhbar-test") -> None:
        self.alias = alias
        self.request_refused: set[str] = set()
        self.item_answers: dict[str, dict[str, Any]] = {}
        self.down: list[Exception] = []
        self.requests: list[list[str]] = []
        self.actions: list[dict[str, Any]] = []
        self.options: list[dict[str, Any]] = []
        self.indices = FakeIndices(aliases={alias}, indices={f"{alias}-v1"})

    def bulk(self, operations: list[bytes], **options: Any) -> dict[str, Any]:
        actions = [orjson.loads(line)["index"] for line in operations[::2]]
        ids = [a["_id"] for a in actions]
        self.requests.append(ids)
        self.actions += actions
        self.options.append(options)
        if self.down:
            raise self.down.pop(0)
        if self.request_refused & set(ids):
            raise api_error(400, "action_request_validation_exception", "illegal version value")
        if self.alias not in self.indices.aliases:
            return {"items": [item_error(404, "index_not_found_exception") for _ in ids]}
        return {"items": [self.item_answers.get(i, {"index": {"status": 201}}) for i in ids]}


def items(n: int) -> list[Item]:
    return [Item(f"{i:032x}", b"{}", "articles.enriched", i % 2, i, version=1000 + i, replays=i % 3) for i in range(n)]


def test_bulks_require_the_alias_and_carry_the_version_externally() -> None:
    client = ContentClient()
    write(sink(client), items(2))  # type: ignore[arg-type]
    assert client.options == [{"require_alias": True}]
    assert client.actions == [
        {"_index": "akhbar-test", "_id": f"{i:032x}", "version": 1000 + i, "version_type": "external_gte"}
        for i in range(2)
    ]


def test_a_bisect_isolates_the_refused_document_and_writes_the_rest() -> None:
    client = ContentClient()
    batch = items(16)
    client.request_refused = {batch[11].doc_id}
    result = write(sink(client), batch)  # type: ignore[arg-type]
    assert result.written == 15 and result.attempts == 1
    [rejection] = result.rejected
    assert (rejection.item, rejection.status, rejection.reason) == (batch[11], 400, "index_request_rejected")
    assert "action_request_validation_exception: illegal version value" in rejection.detail
    assert len(client.requests) == 9  # 1 + 2 per level of halving (log2 16 = 4)
    written = [i for ids in client.requests if batch[11].doc_id not in ids for i in ids]
    assert sorted(written) == sorted(it.doc_id for it in batch if it is not batch[11])  # each written once


def test_two_refused_documents_among_many() -> None:
    client = ContentClient()
    batch = items(50)
    client.request_refused = {batch[0].doc_id, batch[49].doc_id}
    result = write(sink(client), batch)  # type: ignore[arg-type]
    assert result.written == 48 and [r.item.offset for r in result.rejected] == [0, 49]


def test_an_outage_in_the_middle_of_a_bisect_keeps_the_unsent_parts() -> None:
    client = ContentClient()
    batch = items(4)
    client.request_refused = {batch[0].doc_id}
    refused = api_error(400, "action_request_validation_exception")
    # the whole batch is refused, its first half too, then Elasticsearch goes away
    client.down = [refused, refused, TransportConnectionError("refused")]
    s = sink(client, attempts=1)
    with pytest.raises(Backpressure) as kept:
        write(s, batch)  # type: ignore[arg-type]
    assert kept.value.kept == 4
    result = s.flush()  # Elasticsearch is back: the kept items go again, the bisect finds the refused one
    assert result.written == 3 and [r.item.offset for r in result.rejected] == [0]


def test_stale_copies_are_counted_not_rejected() -> None:
    client = ContentClient()
    batch = items(3)
    client.item_answers[batch[1].doc_id] = item_error(409, "version_conflict_engine_exception")
    result = write(sink(client), batch)  # type: ignore[arg-type]
    assert (result.written, result.stale, result.rejected) == (2, 1, [])


@pytest.mark.parametrize(
    "answer",
    [
        item_error(403, "cluster_block_exception"),  # index.blocks.write / read_only
        item_error(429, "cluster_block_exception"),  # index.blocks.read_only_allow_delete
        item_error(400, "index_closed_exception"),
    ],
)
def test_blocked_or_closed_items_are_kept_not_dead_lettered(answer: dict[str, Any]) -> None:
    client = ContentClient()
    batch = items(3)
    for it in batch:
        client.item_answers[it.doc_id] = answer
    s = sink(client, attempts=2)
    with pytest.raises(Backpressure, match=answer["index"]["error"]["type"]) as kept:
        write(s, batch)  # type: ignore[arg-type]
    assert kept.value.kept == 3 and len(client.requests) == 2
    client.item_answers.clear()  # the block is lifted
    result = s.flush()
    assert (result.written, result.rejected) == (3, [])


def test_a_cluster_block_of_the_whole_request_is_kept() -> None:
    client = ContentClient()
    block = api_error(403, "cluster_block_exception", "blocked by: [FORBIDDEN/6/cluster read-only (api)];")
    client.down = [block, block]
    s = sink(client, attempts=2)
    with pytest.raises(Backpressure, match="cluster read-only"):
        write(s, items(3))  # type: ignore[arg-type]
    assert [len(r) for r in client.requests] == [3, 3]  # never split: it is not the documents' fault
    assert s.flush().written == 3


def test_a_missing_alias_is_restored_when_its_index_exists(caplog: pytest.LogCaptureFixture) -> None:
    client = ContentClient()
    client.indices.aliases.clear()
    result = write(sink(client), items(2))  # type: ignore[arg-type]
    assert result.written == 2 and result.attempts == 2
    assert client.indices.put_aliases == [("akhbar-test-v1", "akhbar-test")]
    assert "alias akhbar-test was missing; pointed it at akhbar-test-v1 again" in caplog.text


@pytest.mark.parametrize(
    ("indices", "why"),
    [
        (set(), "alias 'akhbar-test' and its index 'akhbar-test-v1' are both missing"),
        ({"akhbar-test", "akhbar-test-v1"}, "a plain index named 'akhbar-test' stands where the alias should be"),
    ],
)
def test_a_missing_alias_without_its_index_is_unavailable(indices: set[str], why: str) -> None:
    client = ContentClient()
    client.indices = FakeIndices(indices=indices)
    s = sink(client, attempts=2)
    with pytest.raises(Backpressure, match=re.escape(why)) as kept:
        write(s, items(2))  # type: ignore[arg-type]
    assert kept.value.kept == 2 and client.indices.put_aliases == []


# --- start-up --------------------------------------------------------------------------------------------


def test_setup_waits_while_a_block_stands(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    block = api_error(403, "cluster_block_exception", "blocked by: [FORBIDDEN/6/cluster read-only (api)];")
    answers: list[Exception | None] = [block, block, None]

    def ensure(*_args: Any, **_kwargs: Any) -> str:
        answer = answers.pop(0)
        if answer is not None:
            raise answer
        return "akhbar-test-v1"

    monkeypatch.setattr("sinks.elasticsearch.ensure_index", ensure)
    sink(ContentClient()).setup()  # type: ignore[arg-type]
    assert answers == [] and caplog.text.count("setting up akhbar-test: Elasticsearch unavailable") == 2


def test_setup_gives_up_after_its_bound_and_never_hides_other_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    block = api_error(403, "cluster_block_exception", "blocked")

    def blocked(*_args: Any, **_kwargs: Any) -> str:
        raise block

    monkeypatch.setattr("sinks.elasticsearch.ensure_index", blocked)
    with pytest.raises(Unavailable, match="within 60s"):
        sink(ContentClient()).setup()  # type: ignore[arg-type]

    def bad_template(*_args: Any, **_kwargs: Any) -> str:
        raise api_error(400, "illegal_argument_exception", "unknown analyzer")

    monkeypatch.setattr("sinks.elasticsearch.ensure_index", bad_template)
    with pytest.raises(ApiError, match="illegal_argument_exception"):
        sink(ContentClient()).setup()  # type: ignore[arg-type]
