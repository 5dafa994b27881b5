"""The dead-letter queue as a tool: read it whole, filter it, and replay what failed (``akhbar dlq``).

Plain functions over clients built in ``akhbar.wiring``: a group-less consumer that reads every partition of
the DLQ from the beginning to the end offsets seen at start (so a read terminates even while letters keep
arriving), and an acks=all idempotent producer for replays.

Replaying puts a letter's original back where it failed: ``process`` letters onto the raw topic, ``sink``
letters onto the enriched topic, and ``produce`` letters through the producer's ``prepare`` again (the result,
an article or again a dead letter, is sent as ``akhbar produce`` sends it). Every replayed message carries the
header ``replays`` = the letter's count + 1, which a stage copies into the letter if the message fails again.
Keys are the original keys (article ids), so a replay re-writes the same documents downstream.

Kafka topics are append-only: replaying never removes a letter from the DLQ. ``--since`` (letters that failed
strictly after a time) is how an operator avoids replaying the same letters twice; a replay reports the newest
``failed_at`` it replayed, which is the ``--since`` of the next run.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson
from kafka import TopicPartition
from kafka.errors import KafkaError
from pydantic import ValidationError

from producers.prepare import prepare
from producers.sources import SourceItem
from schemas import (
    ENRICHED_HEADERS,
    RAW_HEADERS,
    REPLAYS_HEADER,
    DeadLetter,
    RawArticle,
    Reason,
    Stage,
    dead_letter_record,
)

log = logging.getLogger(__name__)

POLL_TIMEOUT_MS = 500  # one poll of the DLQ; a local broker answers a fetch in milliseconds
READ_IDLE_TIMEOUT_S = 30.0  # no record for this long while a partition is short of its end offset: stop loudly
DETAIL_CHARS = 80  # the detail column of `akhbar dlq list`; `akhbar dlq show` prints it whole
# The reasons whose original is not the input the producer read (the head of a too-large file, the OS error of
# an unreadable one): re-preparing it would judge something else. The file itself must be produced again.
NOT_THE_INPUT = frozenset({Reason.FILE_TOO_LARGE, Reason.UNREADABLE_FILE})
_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_POSITION = re.compile(r"(\d+):(\d+)")


class DlqReadError(RuntimeError):
    """The DLQ could not be read to its end offsets (missing topic, or no progress within the bound)."""


@dataclass(frozen=True)
class Letter:
    """A dead letter as read from the DLQ, with where it sits there."""

    partition: int
    offset: int
    key: str | None
    letter: DeadLetter
    headers: tuple[tuple[str, bytes], ...] = ()

    @property
    def position(self) -> str:
        """``PARTITION:OFFSET`` on the DLQ, as ``akhbar dlq show`` takes it."""
        return f"{self.partition}:{self.offset}"

    @property
    def label(self) -> str:
        """How reports name the letter: its key (the article id) when it has one, else its DLQ position."""
        return self.key or self.letter.article_id or f"dlq@{self.position}"


@dataclass(frozen=True)
class Unreadable:
    """A record on the DLQ that is not a dead letter (written by another client); reported, never replayed."""

    partition: int
    offset: int
    error: str


class Consumer(Protocol):
    """What :func:`read_letters` uses of kafka-python's ``KafkaConsumer``."""

    def partitions_for_topic(self, topic: str) -> set[int] | None: ...
    def assign(self, partitions: list[TopicPartition]) -> None: ...
    def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]: ...
    def seek_to_beginning(self, *partitions: TopicPartition) -> None: ...
    def position(self, partition: TopicPartition, timeout_ms: int | None = ...) -> int | None: ...
    def pause(self, *partitions: TopicPartition) -> None: ...
    def poll(self, timeout_ms: int = ...) -> dict[TopicPartition, list[Any]]: ...


def read_letters(
    consumer: Consumer,
    topic: str,
    unreadable: list[Unreadable],
    *,
    idle_timeout_s: float = READ_IDLE_TIMEOUT_S,
    poll_timeout_ms: int = POLL_TIMEOUT_MS,
) -> Iterator[Letter]:
    """Every dead letter of ``topic`` (each partition in offset order), up to the end offsets seen at start.

    Records that are not dead letters are appended to ``unreadable`` (the caller reports them). Raises
    :class:`DlqReadError` when the topic has no partitions, or when ``idle_timeout_s`` pass without a record
    while some partition is still short of its end offset.
    """
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        raise DlqReadError(f"topic {topic!r} has no partitions (does it exist?)")
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    ends = consumer.end_offsets(tps)
    consumer.seek_to_beginning(*tps)
    timeout_ms = int(idle_timeout_s * 1000)
    left = {tp for tp in tps if _position(consumer, tp, timeout_ms) < ends[tp]}
    if done := [tp for tp in tps if tp not in left]:
        consumer.pause(*done)  # empty partitions: nothing to fetch from them
    last_progress = time.monotonic()
    while left:
        batch = consumer.poll(timeout_ms=poll_timeout_ms)
        if batch:
            last_progress = time.monotonic()
        for tp, records in batch.items():
            for record in records:
                if record.offset >= ends[tp]:
                    break  # arrived after the start: the next read sees it
                letter = _decode(record, unreadable)
                if letter is not None:
                    yield letter
        for tp in [tp for tp in left if _position(consumer, tp, timeout_ms) >= ends[tp]]:
            left.discard(tp)
            consumer.pause(tp)
        if left and time.monotonic() - last_progress > idle_timeout_s:
            short = ", ".join(
                f"{tp.partition} at {_position(consumer, tp, timeout_ms)} of {ends[tp]}" for tp in sorted(left)
            )
            raise DlqReadError(
                f"no record from {topic!r} for {idle_timeout_s:.0f}s; partitions not read to the end: {short}"
            )


def _position(consumer: Consumer, tp: TopicPartition, timeout_ms: int) -> int:
    """The consumer's next offset in ``tp``; kafka-python blocks for as long as it needs to look it up unless
    given a timeout, after which it answers None."""
    position = consumer.position(tp, timeout_ms=timeout_ms)
    if position is None:
        raise DlqReadError(f"the position in {tp.topic}[{tp.partition}] was not known within {timeout_ms / 1000:.0f}s")
    return position


def _decode(record: Any, unreadable: list[Unreadable]) -> Letter | None:
    try:
        letter = DeadLetter.model_validate(orjson.loads(record.value))
    except (orjson.JSONDecodeError, TypeError, ValidationError) as exc:
        error = f"not a dead letter: {type(exc).__name__}: {str(exc)[:200]}"
        log.warning("dlq record %d:%d %s", record.partition, record.offset, error)
        unreadable.append(Unreadable(record.partition, record.offset, error))
        return None
    key = record.key.decode("utf-8", "replace") if record.key is not None else None
    return Letter(record.partition, record.offset, key, letter, tuple(record.headers or ()))


# --- selecting ------------------------------------------------------------------------------------------------


def parse_since(text: str, *, now: datetime) -> datetime:
    """``--since``: an ISO 8601 time (a date alone is midnight; no zone is UTC) or a duration before ``now``
    such as ``30m``, ``2h``, ``7d`` (units s, m, h, d, w). Raises ValueError saying what is accepted."""
    value = text.strip()
    if match := _DURATION.fullmatch(value):
        return now - timedelta(**{_DURATION_UNITS[match[2]]: int(match[1])})
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither an ISO 8601 time (2026-05-01, 2026-05-01T12:00:00Z) "
            "nor a duration (30s, 30m, 2h, 7d, 1w)"
        ) from None
    return _aware(when)


def failed_at(letter: DeadLetter) -> datetime:
    """When the letter was written (its ``failed_at``, RFC 3339 by the schema) as an aware datetime."""
    return _aware(datetime.fromisoformat(letter.failed_at))


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)  # a time without zone is taken as UTC


def select(
    letters: Iterable[Letter],
    *,
    reasons: Collection[str] = (),
    stages: Collection[str] = (),
    since: datetime | None = None,
) -> Iterator[Letter]:
    """The letters with one of ``reasons`` and one of ``stages`` (empty = any) that failed strictly after
    ``since``: strictly, so the newest ``failed_at`` of one replay is the ``--since`` of the next."""
    for item in letters:
        d = item.letter
        if reasons and d.reason not in reasons:
            continue
        if stages and d.stage not in stages:
            continue
        if since is not None and failed_at(d) <= since:
            continue
        yield item


def find(letters: Iterable[Letter], key: str) -> Iterator[Letter]:
    """``akhbar dlq show KEY``: the letters keyed ``key`` (Kafka key or article id), or the one at
    ``PARTITION:OFFSET`` of the DLQ when ``key`` has that form."""
    if position := _POSITION.fullmatch(key):
        partition, offset = int(position[1]), int(position[2])
        yield from (x for x in letters if x.partition == partition and x.offset == offset)
        return
    yield from (x for x in letters if key in (x.key, x.letter.article_id))


# --- printing -------------------------------------------------------------------------------------------------


def where_from(d: DeadLetter) -> str:
    """Where the input came from: the producer's origin, else ``topic[partition]@offset``."""
    if d.origin:
        return d.origin
    if d.topic is not None:
        return f"{d.topic}[{d.partition}]@{d.offset}"
    return "-"


def list_line(item: Letter) -> str:
    """One tab-separated line of ``akhbar dlq list``: when, DLQ position, stage, reason, key, where from,
    original size, replays, detail (cut)."""
    d = item.letter
    size = f"{d.original_size}B" + (" (truncated)" if d.original_truncated else "")
    detail = d.detail if len(d.detail) <= DETAIL_CHARS else d.detail[: DETAIL_CHARS - 1] + "…"
    cells = [d.failed_at, item.position, d.stage, d.reason, item.key or d.article_id or "-", where_from(d), size]
    return "\t".join([*cells, f"replays={d.replays}", detail.replace("\n", " ").replace("\t", " ")])


def as_json(item: Letter) -> bytes:
    """One JSON line of ``akhbar dlq list --json``: the whole letter plus its DLQ position, key and headers."""
    headers = {name: value.decode("utf-8", "replace") for name, value in item.headers}
    extra = {"dlq_partition": item.partition, "dlq_offset": item.offset, "key": item.key, "headers": headers}
    return orjson.dumps({**extra, **item.letter.model_dump()})


def original_bytes(d: DeadLetter) -> bytes:
    """The original message as it came (what was kept of it: 64 KiB at most)."""
    if d.original_encoding == "base64":
        return base64.b64decode(d.original)
    return d.original.encode("utf-8")


def render(item: Letter) -> str:
    """``akhbar dlq show``: every field, the headers, then the original (pretty JSON when it is JSON, the text
    when it is UTF-8, else its base64 as stored)."""
    d = item.letter
    lines = [f"dlq {item.position}  key {item.key or '-'}"]
    lines += [f"  {name}: {value}" for name, value in d.model_dump(exclude={"original"}).items()]
    lines += [f"  header {name}: {value.decode('utf-8', 'replace')}" for name, value in item.headers]
    kept = f"{len(original_bytes(d))} of {d.original_size} bytes" + (", truncated" if d.original_truncated else "")
    if d.original_encoding == "base64":
        lines += [f"original ({kept}; not UTF-8, base64 as stored):", d.original]
        return "\n".join(lines)
    try:
        text = orjson.dumps(orjson.loads(d.original), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        text = d.original
    lines += [f"original ({kept}, UTF-8):", text]
    return "\n".join(lines)


@dataclass
class Summary:
    """Counts of what ``akhbar dlq list`` printed, by reason and by stage, out of every letter read."""

    read: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    by_stage: Counter[str] = field(default_factory=Counter)

    def seen(self, letters: Iterable[Letter]) -> Iterator[Letter]:
        """Pass ``letters`` through, counting them as read."""
        for item in letters:
            self.read += 1
            yield item

    def add(self, item: Letter) -> None:
        self.by_reason[item.letter.reason] += 1
        self.by_stage[item.letter.stage] += 1

    def __str__(self) -> str:
        shown = sum(self.by_stage.values())
        return (
            f"{shown} of {self.read} letters; by reason: {_counts(self.by_reason)}; by stage: {_counts(self.by_stage)}"
        )


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counter.most_common()) or "none"


# --- replaying ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topics:
    """Where replays go: the pipeline's raw, enriched and dead-letter topics of the settings."""

    raw: str
    enriched: str
    dlq: str


@dataclass(frozen=True)
class Planned:
    """One message a replay sends for a letter."""

    source: Letter
    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    what: str  # for the operator: the original as it was, or what re-preparing it gave


@dataclass(frozen=True)
class Skipped:
    """A letter a replay cannot re-run, and why."""

    source: Letter
    why: str


def _replay_headers(base: Iterable[tuple[str, bytes]], letter: DeadLetter) -> tuple[tuple[str, bytes], ...]:
    return (*base, (REPLAYS_HEADER, str(letter.replays + 1).encode()))


def plan_letter(item: Letter, topics: Topics) -> Planned | Skipped:
    """What replaying one letter sends: its original onto the topic of its stage's input, or for a ``produce``
    letter what ``prepare`` makes of the original now; skipped when the original is incomplete or not the input."""
    d = item.letter
    if d.original_truncated:
        return Skipped(item, f"original truncated ({d.original_size} bytes, {len(d.original)} kept)")
    original = original_bytes(d)
    key = d.article_id.encode() if d.article_id is not None else None  # the key of the message that failed
    if d.stage == Stage.PROCESS:
        return Planned(item, topics.raw, key, original, _replay_headers(RAW_HEADERS, d), "original")
    if d.stage == Stage.SINK:
        return Planned(item, topics.enriched, key, original, _replay_headers(ENRICHED_HEADERS, d), "original")
    if d.reason in NOT_THE_INPUT:
        return Skipped(item, f"{d.reason}: the letter holds no input; run `akhbar produce` on {d.origin} again")
    result = prepare(SourceItem(origin=d.origin or f"{topics.dlq}@{item.position}", payload=original))
    if isinstance(result, RawArticle):
        value = orjson.dumps(result.model_dump())
        headers = _replay_headers(RAW_HEADERS, d)
        return Planned(item, topics.raw, result.id.encode(), value, headers, f"re-prepared: article {result.id}")
    record = dead_letter_record(result.model_copy(update={"replays": d.replays + 1}))
    what = f"re-prepared: dead letter again ({result.reason})"
    return Planned(item, topics.dlq, record.key, record.value, tuple(record.headers), what)


def replay_plan(letters: Iterable[Letter], topics: Topics) -> Iterator[Planned | Skipped]:
    """:func:`plan_letter` for each letter, lazily (a replay streams the DLQ instead of holding it)."""
    return (plan_letter(item, topics) for item in letters)


@dataclass
class Report:
    """What a replay sent (per target topic, and by the letters' reasons), skipped and failed to deliver."""

    replayed: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)
    skipped: list[Skipped] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (letter label, error)
    newest_failed_at: str | None = None
    _newest: datetime | None = field(default=None, repr=False, compare=False)  # newest_failed_at, parsed

    def delivered(self, source: Letter, topic: str) -> None:
        """Count ``source`` as replayed onto ``topic`` (by a dry run: as what would be)."""
        d = source.letter
        self.replayed[topic] += 1
        self.by_reason[d.reason] += 1
        if self._newest is None or failed_at(d) > self._newest:
            self.newest_failed_at, self._newest = d.failed_at, failed_at(d)

    def lines(self, *, dry_run: bool = False) -> list[str]:
        verb = "would replay" if dry_run else "replayed"
        out = [f"{verb} {sum(self.replayed.values())}: {_counts(self.replayed)}"]
        out.append(f"by reason: {_counts(self.by_reason)}")
        out.append(f"skipped {len(self.skipped)}" + ":" * bool(self.skipped))
        out += [f"  {s.source.label}\t{s.why}" for s in self.skipped]
        if self.failed:
            out.append(f"failed {len(self.failed)} (not delivered; replay again with the same --since):")
            out += [f"  {label}\t{error}" for label, error in self.failed]
        if self.newest_failed_at is not None:
            done = "to replay" if dry_run else "replayed"
            out.append(f"newest failed_at {done}: {self.newest_failed_at} (next time: --since {self.newest_failed_at})")
        return out


class Delivery(Protocol):
    """kafka-python's ``FutureRecordMetadata``: ``get`` raises the delivery error or KafkaTimeoutError."""

    def get(self, timeout: float | None = ...) -> object: ...


class Producer(Protocol):
    """What :func:`replay` uses of kafka-python's ``KafkaProducer``."""

    def send(
        self,
        topic: str,
        value: bytes | None = ...,
        key: bytes | None = ...,
        headers: list[tuple[str, bytes]] | None = ...,
    ) -> Delivery: ...
    def flush(self, timeout: float | None = ...) -> None: ...


def replay(plan: Iterable[Planned | Skipped], producer: Producer, *, timeout_s: float) -> Report:
    """Send every planned message, then wait (at most ``timeout_s`` in all) for each delivery; what was refused
    or not acknowledged in time is in ``Report.failed``, by letter."""
    report = Report()
    pending: list[tuple[Letter, str, Delivery]] = []  # not the values: the producer holds them until sent
    for step in plan:
        if isinstance(step, Skipped):
            report.skipped.append(step)
            continue
        try:
            future = producer.send(step.topic, value=step.value, key=step.key, headers=list(step.headers))
        except KafkaError as exc:  # too large for max_request_size, buffer full past max_block_ms, ...
            report.failed.append((step.source.label, f"{type(exc).__name__}: {exc}"))
            continue
        pending.append((step.source, step.topic, future))
    deadline = time.monotonic() + timeout_s
    try:
        producer.flush(timeout=timeout_s)
    except KafkaError as exc:  # the deliveries below say which sends it concerns
        log.error("flush did not complete within %.0fs: %s", timeout_s, exc)
    for source, topic, future in pending:
        try:
            future.get(timeout=max(0.0, deadline - time.monotonic()))
        except KafkaError as exc:
            report.failed.append((source.label, f"{type(exc).__name__}: {exc}"))
        else:
            report.delivered(source, topic)
    return report


def plan_line(step: Planned | Skipped) -> str:
    """A line of ``akhbar dlq replay --dry-run``."""
    d = step.source.letter
    head = f"{step.source.position}\t{step.source.label}\t{d.stage}/{d.reason}"
    if isinstance(step, Skipped):
        return f"skip\t{head}\t{step.why}"
    return f"send\t{head}\t-> {step.topic}\t{step.what}\treplays={d.replays + 1}"
