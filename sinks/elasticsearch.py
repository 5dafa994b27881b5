"""The Elasticsearch bulk writer: a :class:`sinks.base.Sink` for the article index alias.

``flush()`` sends the items added since the last flush as bulk requests to the alias, with
``require_alias=true`` (a missing alias is an error, never an auto-created plain index) and external
versioning (``_id`` = article id, ``version`` = the item's version, ``version_type=external_gte``).

Who may change an indexed article: the copy with the newer ``enriched_at`` (``sinks.worker.version_of`` makes
it the item's version, in epoch milliseconds). An equal version rewrites the document (a replay of the same copy is
idempotent); an older one is answered 409 and counted as stale: skipped and committed, never dead-lettered.

Every answer is sorted by :func:`classify` into one :class:`Answer`:

    written      2xx
    stale        409 version_conflict_engine_exception: the index holds a newer copy
    unavailable  no answer (connection refused/reset, timeout), 429, 5xx, cluster_block_exception (index or
                 cluster: read_only, read_only_allow_delete, write), index_closed_exception, 401 or
                 security_exception (credentials or privileges: an operator's fix, not the document's fault)
    no_alias     index_not_found_exception: the write alias is gone (require_alias); the sink points it at its
                 versioned index again when that exists, else it is unavailable like the rest
    rejected     any other error of one item (mapping, parsing): that document, for good -> dead letter
    bad_request  any other 4xx of a whole request: the bulk is split in halves until the refused document(s)
                 are alone -> dead letter index_request_rejected; the rest is written

Blocks and closed indices come both ways: per item inside a 200 bulk answer (index-level) and as the whole
request's error (cluster-level); both are classified alike. What it retries, with stamina: the bulk of the
items not yet written while Elasticsearch is unavailable, bounded by attempts and total time; past the bound
it raises :class:`Backpressure` and keeps those items for the next ``flush()`` (the worker pauses, probes and
calls it again). ``setup()`` waits the same way, bounded by its own timeout, while a block refuses the
template or the alias.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NoReturn

import orjson
import stamina
from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, Elasticsearch

from schemas import FieldKind, Reason
from sinks.base import Backpressure, Flushed, Item, Rejection, Sink
from sinks.index import AliasUnrecoverable, ensure_index, restore_alias

log = logging.getLogger(__name__)

# Refusals that say nothing about the document: the same request passes once the node or an operator is done.
UNAVAILABLE_TYPES = frozenset({"cluster_block_exception", "index_closed_exception", "security_exception"})


class Answer(StrEnum):
    WRITTEN = "written"
    STALE = "stale"
    UNAVAILABLE = "unavailable"
    NO_ALIAS = "no_alias"
    REJECTED = "rejected"
    BAD_REQUEST = "bad_request"


def classify(status: int | None, error_type: str | None, *, whole_request: bool) -> Answer:
    """Sort one Elasticsearch answer: ``status`` None = no HTTP answer at all (connection error, timeout);
    ``error_type`` = the error's ``type``; ``whole_request`` = the bulk request failed, not one of its items."""
    if status is None:
        return Answer.UNAVAILABLE
    if status < 300:
        return Answer.WRITTEN
    if error_type == "version_conflict_engine_exception":
        return Answer.STALE
    if error_type == "index_not_found_exception":
        return Answer.NO_ALIAS
    if status == 429 or status >= 500 or status == 401 or error_type in UNAVAILABLE_TYPES:
        return Answer.UNAVAILABLE
    return Answer.BAD_REQUEST if whole_request else Answer.REJECTED


def error_of(body: object, fallback: str) -> tuple[str, str]:
    """``(type, reason)`` of an Elasticsearch error body (a request's ``{"error": {...}}`` or an item's error)."""
    err = body.get("error", body) if isinstance(body, Mapping) else None
    if isinstance(err, Mapping):
        return str(err.get("type", fallback)), str(err.get("reason", ""))
    return fallback, str(err or body or "")


class _NotAccepted(Exception):
    """One bulk attempt left items unwritten because Elasticsearch is unavailable."""


class _SetupRefused(Exception):
    """One start-up attempt found Elasticsearch unavailable."""


class Unavailable(RuntimeError):
    """Elasticsearch stayed unavailable for the whole start-up wait: the sink stops, having consumed nothing."""


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
        setup_timeout_s: float,
        extra_indices: Mapping[str, Mapping[str, FieldKind]] | None = None,
    ) -> None:
        """``attempts``/``retry_timeout_s``/``wait_*``: the bound and backoff of one flush's retries (the backoff
        of start-up's too); ``retry_after_s``: how soon the worker should try a refused batch again at the
        latest; ``setup_timeout_s``: how long start-up waits for Elasticsearch to take the template and alias;
        ``extra_indices``: further aliases (with their field lists) that items may name, e.g. the stories'."""
        self.client = client
        self.alias = alias
        self.extra_indices = dict(extra_indices or {})
        self.replicas = replicas
        self.attempts = attempts
        self.retry_timeout_s = retry_timeout_s
        self.wait_initial_s = wait_initial_s
        self.wait_max_s = wait_max_s
        self.retry_after_s = retry_after_s
        self.setup_timeout_s = setup_timeout_s
        self._pending: list[Item] = []  # added, not yet written (kept across a Backpressure)
        self._written = 0  # outcomes of the batch so far, returned by the flush that completes it
        self._stale = 0
        self._rejected: list[Rejection] = []
        # True after a flush ended in Backpressure: the worker logs the outage once per round, so the attempts of
        # the flushes it retries log at debug until one succeeds.
        self._refusing = False

    # --- start-up -----------------------------------------------------------------------------------------

    def setup(self) -> None:
        """Template, versioned index and alias (:func:`sinks.index.ensure_index`); while Elasticsearch is
        unavailable (away, or a cluster block refusing the template), wait with backoff for at most
        ``setup_timeout_s``, one line per attempt, then raise :class:`Unavailable`."""
        try:
            for attempt in stamina.retry_context(
                on=_SetupRefused,
                attempts=None,
                timeout=self.setup_timeout_s,
                wait_initial=self.wait_initial_s,
                wait_max=self.wait_max_s,
            ):
                with attempt:
                    self._setup_once(attempt.num)
        except _SetupRefused as exc:
            raise Unavailable(
                f"Elasticsearch did not take the index template and alias {self.alias!r} within "
                f"{self.setup_timeout_s:.0f}s ({exc}); nothing was consumed"
            ) from exc

    def _setup_once(self, attempt: int) -> None:
        try:
            ensure_index(self.client, self.alias, replicas=self.replicas)
            for alias, fields in self.extra_indices.items():
                ensure_index(self.client, alias, replicas=self.replicas, fields=fields)
            return
        except (TransportConnectionError, ConnectionTimeout) as exc:
            why = f"{type(exc).__name__}: {exc}"
        except ApiError as exc:
            kind, reason = error_of(exc.body, exc.message)
            if classify(exc.meta.status, kind, whole_request=True) is not Answer.UNAVAILABLE:
                raise
            why = f"HTTP {exc.meta.status} {kind}: {reason}"[:500]
        log.warning(
            "setting up %s: Elasticsearch unavailable (%s), attempt %d; waiting up to %.0fs in all",
            self.alias,
            why,
            attempt,
            self.setup_timeout_s,
        )
        raise _SetupRefused(why)

    # --- writing ------------------------------------------------------------------------------------------

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
            index = item.alias or self.alias
            action = {"_index": index, "_id": item.doc_id, "version": item.version, "version_type": "external_gte"}
            ops.append(orjson.dumps({"index": action}))
            source = item.source
            ops.append(orjson.dumps(orjson.loads(source)) if b"\n" in source or b"\r" in source else source)
        return ops

    def flush(self) -> Flushed:
        """Write the pending items; return what was written, skipped as stale and rejected for good."""
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
                    self._attempt(attempt.num, attempt.next_wait)
        except _NotAccepted as exc:
            self._refusing = True
            raise Backpressure(
                f"{len(self._pending)} document(s) not accepted by Elasticsearch after {attempts} attempts: {exc}",
                retry_after_s=self.retry_after_s,
                kept=len(self._pending),
            ) from exc
        self._refusing = False
        flushed = Flushed(self._written, self._stale, self._rejected, attempts)
        self._written, self._stale, self._rejected = 0, 0, []
        return flushed

    def _attempt(self, attempt: int, next_wait_s: float) -> None:
        """One round of bulk requests of the pending items; raises _NotAccepted while some are left to retry.

        The round starts as one request; a request refused as a whole with a client error is split in halves
        (each sent on its own) until the refused document is alone in its request: a batch of n with k such
        documents takes at most about 2·k·log2(n) requests. When Elasticsearch turns out unavailable, the
        request's items and the parts not sent yet are kept for the next attempt.
        """
        queue: deque[list[Item]] = deque([self._pending] if self._pending else [])
        retry: list[Item] = []
        why = ""
        no_alias = False
        while queue:
            chunk = queue.popleft()
            try:
                resp = self.client.bulk(operations=self._operations(chunk), require_alias=True)
            except (TransportConnectionError, ConnectionTimeout) as exc:
                answer, why_now = Answer.UNAVAILABLE, f"{type(exc).__name__}: {exc}"
            except ApiError as exc:
                kind, reason = error_of(exc.body, exc.message)
                answer = classify(exc.meta.status, kind, whole_request=True)
                why_now = f"HTTP {exc.meta.status} {kind}: {reason}"[:1000]
                if answer is Answer.BAD_REQUEST:
                    self._split(chunk, queue, exc.meta.status, why_now)
                    continue
            else:
                item_why, item_no_alias = self._outcomes(chunk, resp["items"], retry)
                why, no_alias = item_why or why, no_alias or item_no_alias
                continue
            # The whole request was refused for a reason that is not the documents': keep them and what is
            # still queued, and try again in the next attempt.
            no_alias = no_alias or answer is Answer.NO_ALIAS
            retry += chunk
            while queue:
                retry += queue.popleft()
            why = why_now
        if no_alias:
            why = self._repair_alias(why)
        self._pending = retry
        if retry:
            self._not_accepted(attempt, next_wait_s, why)

    def _split(self, chunk: list[Item], queue: deque[list[Item]], status: int, why: str) -> None:
        """A whole request refused as bad: its halves go next, or, alone, the document is dead-lettered."""
        if len(chunk) == 1:
            self._rejected.append(Rejection(chunk[0], status, Reason.INDEX_REQUEST_REJECTED, why))
            return
        log.info("bulk of %d to %s refused as a whole (%s); sending it in halves", len(chunk), self.alias, why)
        half = len(chunk) // 2
        queue.appendleft(chunk[half:])
        queue.appendleft(chunk[:half])

    def _outcomes(self, chunk: list[Item], results: list[dict[str, Any]], retry: list[Item]) -> tuple[str, bool]:
        """Each item's answer in a bulk response; returns why some are to be retried and whether the alias
        is missing."""
        why = ""
        no_alias = False
        for item, result in zip(chunk, results, strict=True):
            outcome = result.get("index", {})
            status = int(outcome.get("status", 500))
            kind, reason = error_of(outcome.get("error") or {}, "error")
            answer = classify(status, kind if status >= 300 else None, whole_request=False)
            if answer is Answer.WRITTEN:
                self._written += 1
            elif answer is Answer.STALE:
                self._stale += 1
                log.debug("%s: stale copy (version %d) skipped: %s", item.doc_id, item.version, reason)
            elif answer is Answer.REJECTED:
                detail = f"{kind}: {reason}"[:1000]
                self._rejected.append(Rejection(item, status, Reason.INDEX_REJECTED, detail))
            else:
                retry.append(item)
                no_alias = no_alias or answer is Answer.NO_ALIAS
                why = f"item status {status} {kind}: {reason}"[:1000]
        return why, no_alias

    def _repair_alias(self, why: str) -> str:
        """The alias was missing: point it at its versioned index again (the items go in the next attempt), or
        say why it cannot be (the batch waits as in an outage). Returns the reason the items are retried."""
        for alias in (self.alias, *self.extra_indices):
            try:
                if alias != self.alias and self.client.indices.exists_alias(name=alias):
                    continue  # the articles' alias is the one a bulk names first; the others only when gone
                target = restore_alias(self.client, alias)
            except AliasUnrecoverable as exc:
                return f"{why}; {exc}"
            except (TransportConnectionError, ConnectionTimeout) as exc:
                return f"{why}; restoring the alias: {type(exc).__name__}: {exc}"
            except ApiError as exc:
                kind, reason = error_of(exc.body, exc.message)
                return f"{why}; restoring the alias: HTTP {exc.meta.status} {kind}: {reason}"[:1000]
            log.warning("alias %s was missing; pointed it at %s again", alias, target)
        return f"{why}; alias restored"

    def _not_accepted(self, attempt: int, next_wait_s: float, why: str) -> NoReturn:
        then = f"retrying in {next_wait_s:.1f}s or more" if attempt < self.attempts else "giving up for now"
        log.log(
            logging.DEBUG if self._refusing else logging.WARNING,
            "bulk of %d to %s: attempt %d/%d failed, Elasticsearch unavailable (%s); %s",
            len(self._pending),
            self.alias,
            attempt,
            self.attempts,
            why,
            then,
        )
        raise _NotAccepted(why)
