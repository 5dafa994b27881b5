"""The Elasticsearch bulk writer: a :class:`sinks.base.Sink` for the article index alias.

``flush()`` sends the items added since the last flush as bulk requests (``_id`` = article id, so a replay
overwrites instead of duplicating). Each item's outcome is one of three: written (2xx), retryable (429, 5xx:
sent again in the next attempt) or rejected (any other status: returned for the dead-letter topic). A request
that fails as a whole on a connection error, a timeout, 429 or 5xx is retried too. What it retries, with
stamina: the bulk request of the items not yet written, bounded by attempts and total time; past the bound it
raises :class:`Backpressure` and keeps those items for the next ``flush()``.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

import orjson
import stamina
from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, Elasticsearch

from schemas import Reason
from sinks.base import Backpressure, Flushed, Item, Rejection, Sink
from sinks.index import ensure_index

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})  # overloaded or failing nodes: the same request may pass


class _NotAccepted(Exception):
    """One bulk attempt left items unwritten for a reason worth retrying."""


class ElasticsearchSink(Sink):
    def __init__(
        self,
        client: Elasticsearch,
        *,
        alias: str,
        replicas: int,
        attempts: int,
        retry_timeout_s: float,
        wait_initial_s: float,
        wait_max_s: float,
        retry_after_s: float,
    ) -> None:
        """``attempts``/``retry_timeout_s``/``wait_*``: the bound and backoff of one flush's retries;
        ``retry_after_s``: how soon the worker should try a refused batch again at the latest."""
        self.client = client
        self.alias = alias
        self.replicas = replicas
        self.attempts = attempts
        self.retry_timeout_s = retry_timeout_s
        self.wait_initial_s = wait_initial_s
        self.wait_max_s = wait_max_s
        self.retry_after_s = retry_after_s
        self._pending: list[Item] = []  # added, not yet written (kept across a Backpressure)
        self._written = 0  # outcomes of the batch so far, returned by the flush that completes it
        self._rejected: list[Rejection] = []

    def setup(self) -> None:
        ensure_index(self.client, self.alias, replicas=self.replicas)

    def add(self, item: Item) -> None:
        self._pending.append(item)

    def available(self) -> bool:
        """One cheap health request: does Elasticsearch answer at all (any status but an error)?"""
        try:
            self.client.cluster.health(timeout="1s")
        except (TransportConnectionError, ConnectionTimeout, ApiError):
            return False
        return True

    def _operations(self, items: list[Item]) -> Any:
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

    def flush(self) -> Flushed:
        """Write the pending items; return what was written and what Elasticsearch rejected for good."""
        attempts = 0
        try:
            for attempt in stamina.retry_context(
                on=_NotAccepted,
                attempts=self.attempts,
                timeout=self.retry_timeout_s,
                wait_initial=self.wait_initial_s,
                wait_max=self.wait_max_s,
            ):
                with attempt:
                    attempts = attempt.num
                    self._bulk(attempt.num, attempt.next_wait)
        except _NotAccepted as exc:
            raise Backpressure(
                f"{len(self._pending)} document(s) not accepted by Elasticsearch after {attempts} attempts: {exc}",
                retry_after_s=self.retry_after_s,
                kept=len(self._pending),
            ) from exc
        flushed = Flushed(self._written, self._rejected, attempts)
        self._written, self._rejected = 0, []
        return flushed

    def _bulk(self, attempt: int, next_wait_s: float) -> None:
        """One bulk request of the pending items; raises _NotAccepted while some are left to retry."""
        if not self._pending:
            return
        try:
            resp = self.client.bulk(operations=self._operations(self._pending))
        except (TransportConnectionError, ConnectionTimeout) as exc:
            self._not_accepted(attempt, next_wait_s, f"{type(exc).__name__}: {exc}")
        except ApiError as exc:
            if exc.meta.status not in RETRYABLE_STATUS:
                raise
            self._not_accepted(attempt, next_wait_s, f"HTTP {exc.meta.status}: {exc.message}")
        retry: list[Item] = []
        last_status = 0
        for item, result in zip(self._pending, resp["items"], strict=True):
            outcome = result.get("index", {})
            status = int(outcome.get("status", 500))
            if status < 300:
                self._written += 1
            elif status in RETRYABLE_STATUS:
                retry.append(item)
                last_status = status
            else:
                err = outcome.get("error") or {}
                detail = f"{err.get('type', 'error')}: {err.get('reason', '')}"[:1000]
                self._rejected.append(Rejection(item, status, Reason.INDEX_REJECTED, detail))
        self._pending = retry
        if retry:
            self._not_accepted(attempt, next_wait_s, f"item status {last_status}")

    def _not_accepted(self, attempt: int, next_wait_s: float, why: str) -> NoReturn:
        then = f"retrying in {next_wait_s:.1f}s or more" if attempt < self.attempts else "giving up for now"
        log.warning(
            "bulk of %d to %s: attempt %d/%d failed (%s); %s",
            len(self._pending),
            self.alias,
            attempt,
            self.attempts,
            why,
            then,
        )
        raise _NotAccepted(why)
