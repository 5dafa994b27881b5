"""Bulk writes to Elasticsearch with bounded, named retries.

``ElasticsearchSink.write(batch)`` sends one bulk request (``_id`` = article id, so a replay overwrites
instead of duplicating), retries what is retryable, and returns per-item failures for the dead-letter topic.
What it retries: the whole request on connection errors, timeouts, 429 and 5xx; single items that answered
429 or 5xx. Bounded by ``max_attempts``; past that it raises ``ElasticsearchUnavailable`` and the caller
keeps the batch (and its uncommitted offsets) and pauses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, Elasticsearch

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # with the backoff below: ~15 s of retrying before the sink pauses the consumer
BACKOFF_BASE_S = 0.5  # first wait; doubles each attempt
BACKOFF_MAX_S = 8.0  # no single wait longer than this
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class ElasticsearchUnavailable(RuntimeError):
    """Elasticsearch did not accept the batch within the retry bound."""


@dataclass(frozen=True)
class Item:
    """One document to index and where it came from (for commits and dead letters)."""

    doc_id: str
    source: bytes  # the document JSON, as received
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class ItemFailure:
    item: Item
    status: int
    reason: str  # machine-readable code for the DLQ
    detail: str


@dataclass(frozen=True)
class WriteResult:
    indexed: int
    failures: list[ItemFailure]
    attempts: int


def backoff_s(attempt: int) -> float:
    return float(min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (attempt - 1)))


class ElasticsearchSink:
    def __init__(
        self,
        client: Elasticsearch,
        alias: str,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.alias = alias
        self.max_attempts = max_attempts
        self.sleep = sleep

    def available(self) -> bool:
        """One cheap health request: does Elasticsearch answer at all (any status but an error)?"""
        try:
            self.client.cluster.health(timeout="1s")
        except (TransportConnectionError, ConnectionTimeout, ApiError):
            return False
        return True

    def _operations(self, items: Sequence[Item]) -> Any:
        """NDJSON lines as bytes: the documents go out as they came from Kafka, never parsed and re-encoded.

        The client's NDJSON serializer passes bytes lines through; a source spread over several lines (pretty-
        printed by some other producer) is compacted first, since a bulk body needs one line per document.
        """
        ops: list[bytes] = []
        for item in items:
            ops.append(orjson.dumps({"index": {"_index": self.alias, "_id": item.doc_id}}))
            source = item.source
            ops.append(orjson.dumps(orjson.loads(source)) if b"\n" in source or b"\r" in source else source)
        return ops

    def write(self, items: Sequence[Item]) -> WriteResult:
        """Index ``items``; return what was indexed and the items Elasticsearch rejected for good."""
        pending = list(items)
        failures: list[ItemFailure] = []
        indexed = 0
        last_error = ""
        for attempt in range(1, self.max_attempts + 1):
            if not pending:
                break
            try:
                resp = self.client.bulk(operations=self._operations(pending))
            except (TransportConnectionError, ConnectionTimeout) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            except ApiError as exc:
                if exc.meta.status not in RETRYABLE_STATUS:
                    raise
                last_error = f"HTTP {exc.meta.status}: {exc.message}"
            else:
                retry = []
                for item, result in zip(pending, resp["items"], strict=True):
                    outcome = result.get("index", {})
                    status = int(outcome.get("status", 500))
                    if status < 300:
                        indexed += 1
                    elif status in RETRYABLE_STATUS:
                        retry.append(item)
                        last_error = f"item status {status}"
                    else:
                        err = outcome.get("error") or {}
                        failures.append(
                            ItemFailure(
                                item,
                                status,
                                "index_rejected",
                                f"{err.get('type', 'error')}: {err.get('reason', '')}"[:1000],
                            )
                        )
                pending = retry
                if not pending:
                    return WriteResult(indexed, failures, attempt)
            if attempt < self.max_attempts:
                wait = backoff_s(attempt)
                log.warning(
                    "bulk of %d to %s: attempt %d/%d failed (%s); retrying in %.1fs",
                    len(pending),
                    self.alias,
                    attempt,
                    self.max_attempts,
                    last_error,
                    wait,
                )
                self.sleep(wait)
        if pending:
            raise ElasticsearchUnavailable(
                f"{len(pending)} document(s) not accepted by Elasticsearch after {self.max_attempts} attempts: "
                f"{last_error}"
            )
        return WriteResult(indexed, failures, self.max_attempts)


def make_client(
    url: str,
    *,
    api_key: str | None = None,
    basic_auth: tuple[str, str] | None = None,
    ca_certs: str | None = None,
    request_timeout_s: float = 30.0,
) -> Elasticsearch:
    """A client whose own retries are off: every retry is the sink's, bounded and logged."""
    kwargs: dict[str, Any] = {"request_timeout": request_timeout_s, "max_retries": 0, "retry_on_timeout": False}
    if api_key:
        kwargs["api_key"] = api_key
    if basic_auth:
        kwargs["basic_auth"] = basic_auth
    if ca_certs:
        kwargs["ca_certs"] = ca_certs
    return Elasticsearch(url, **kwargs)
