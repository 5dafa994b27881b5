"""`akhbar dlq`: reading, filtering and replay planning over in-memory consumers and producers."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from kafka import TopicPartition
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError, NotLeaderForPartitionError

from akhbar import dlq
from akhbar.cli import cli
from producers.ids import article_id
from schemas import REPLAYS_HEADER, DeadLetter, Reason, Stage, dead_letter, dead_letter_record, replays_of

TOPICS = dlq.Topics(raw="t.raw", enriched="t.enriched", dlq="t.dlq")
RAW = {"title": "خبر عن الطقس", "body": "توقعت الأرصاد أمطاراً غزيرة على المناطق الساحلية غداً.", "source": "أ"}


def letter(
    reason: Reason = Reason.NOT_ARABIC,
    stage: Stage = Stage.PROCESS,
    *,
    original: bytes | str = b"{}",
    key: str | None = "a1",
    at: str = "2026-05-01T10:00:00.000Z",
    replays: int = 0,
    origin: str | None = None,
) -> DeadLetter:
    d = dead_letter(
        original,
        reason=reason,
        detail="why",
        stage=stage,
        article_id=key,
        topic=None if stage == Stage.PRODUCE else "t.raw",
        partition=None if stage == Stage.PRODUCE else 2,
        offset=None if stage == Stage.PRODUCE else 40,
        origin=origin,
        replays=replays,
    )
    return d.model_copy(update={"failed_at": at})


def held(d: DeadLetter, partition: int = 0, offset: int = 0) -> dlq.Letter:
    record = dead_letter_record(d)
    key = record.key.decode() if record.key else None
    return dlq.Letter(partition, offset, key, d, tuple(record.headers))


# --- a consumer over lists -----------------------------------------------------------------------------------


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


class FakeConsumer:
    """Partitions as lists; ``late`` records appear on the topic after the end offsets were taken."""

    def __init__(self, topic: str, partitions: dict[int, list[Record]], late: list[Record] | None = None) -> None:
        self.topic = topic
        self.logs = partitions
        self.late = late or []
        self.positions: dict[int, int] = {}
        self.paused: set[int] = set()
        self.polls = 0

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(self.logs) if topic == self.topic else None

    def assign(self, partitions: list[TopicPartition]) -> None:
        assert {tp.partition for tp in partitions} == set(self.logs)

    def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        ends = {tp: len(self.logs[tp.partition]) for tp in partitions}
        for r in self.late:  # what is written from now on is past the ends just captured
            self.logs[r.partition].append(r)
        return ends

    def seek_to_beginning(self, *partitions: TopicPartition) -> None:
        for tp in partitions:
            self.positions[tp.partition] = 0

    def position(self, partition: TopicPartition, timeout_ms: int | None = None) -> int | None:
        return self.positions.get(partition.partition)

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused |= {tp.partition for tp in partitions}

    def poll(self, timeout_ms: int = 0) -> dict[TopicPartition, list[Any]]:
        self.polls += 1
        out: dict[TopicPartition, list[Any]] = {}
        for p, log in self.logs.items():
            if p in self.paused:
                continue
            start = self.positions[p]
            if batch := log[start : start + 2]:  # two at a time: several polls per partition
                out[TopicPartition(self.topic, p)] = batch
                self.positions[p] = start + len(batch)
        return out


def record(d: DeadLetter, partition: int, offset: int) -> Record:
    r = dead_letter_record(d)
    return Record("t.dlq", partition, offset, r.key, r.value, r.headers)


def test_read_letters_reads_every_partition_to_the_end_offsets_captured_at_start() -> None:
    p0 = [record(letter(key=f"k{n}"), 0, n) for n in range(3)]
    p1 = [record(letter(Reason.INVALID_ENRICHED, Stage.SINK, key="s1"), 1, 0)]
    p1.append(Record("t.dlq", 1, 1, None, b"{not a letter"))
    late = [record(letter(key="late"), 0, 3)]
    consumer = FakeConsumer("t.dlq", {0: p0, 1: p1, 2: []}, late=late)
    unreadable: list[dlq.Unreadable] = []

    got = list(dlq.read_letters(consumer, "t.dlq", unreadable, idle_timeout_s=5))

    # partitions are read side by side, each in offset order
    assert [(x.position, x.key) for x in got if x.partition == 0] == [("0:0", "k0"), ("0:1", "k1"), ("0:2", "k2")]
    assert [(x.position, x.key) for x in got if x.partition == 1] == [("1:0", "s1")] and len(got) == 4
    sunk = next(x for x in got if x.key == "s1")
    assert sunk.letter.stage == "sink" and dict(sunk.headers)["reason"] == b"invalid_enriched"
    assert [(u.partition, u.offset) for u in unreadable] == [(1, 1)] and "not a dead letter" in unreadable[0].error
    assert consumer.paused == {0, 1, 2}


def test_read_letters_stops_loudly_when_a_partition_makes_no_progress() -> None:
    class Stuck(FakeConsumer):
        def poll(self, timeout_ms: int = 0) -> dict[TopicPartition, list[Any]]:
            return {}

    consumer = Stuck("t.dlq", {0: [record(letter(), 0, 0)]})
    with pytest.raises(dlq.DlqReadError, match="partitions not read to the end: 0 at 0 of 1"):
        list(dlq.read_letters(consumer, "t.dlq", [], idle_timeout_s=0, poll_timeout_ms=1))
    with pytest.raises(dlq.DlqReadError, match="no partitions"):
        list(dlq.read_letters(consumer, "other", []))

    class Unknown(FakeConsumer):  # kafka-python answers None when the offset lookup did not finish in time
        def position(self, partition: TopicPartition, timeout_ms: int | None = None) -> int | None:
            return None

    with pytest.raises(dlq.DlqReadError, match=r"position in t.dlq\[0\] was not known within 2s"):
        list(dlq.read_letters(Unknown("t.dlq", {0: []}), "t.dlq", [], idle_timeout_s=2))


# --- selecting ----------------------------------------------------------------------------------------------


NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        ("2h", NOW - timedelta(hours=2)),
        ("7d", NOW - timedelta(days=7)),
        ("45s", NOW - timedelta(seconds=45)),
        ("1w", NOW - timedelta(weeks=1)),
        ("2026-04-30T08:15:00Z", datetime(2026, 4, 30, 8, 15, tzinfo=UTC)),
        ("2026-04-30T08:15:00.123Z", datetime(2026, 4, 30, 8, 15, 0, 123000, tzinfo=UTC)),
        ("2026-04-30T11:15:00+03:00", datetime(2026, 4, 30, 8, 15, tzinfo=UTC)),
        ("2026-04-30", datetime(2026, 4, 30, tzinfo=UTC)),
        ("2026-04-30T08:15", datetime(2026, 4, 30, 8, 15, tzinfo=UTC)),
    ],
)
def test_since_takes_iso_8601_or_a_duration_before_now(text: str, expected: datetime) -> None:
    assert dlq.parse_since(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "2h30", "-2h", "10y", ""])
def test_since_rejects_anything_else_saying_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match=r"neither an ISO 8601 time .* nor a duration"):
        dlq.parse_since(text, now=NOW)


def test_select_filters_by_reason_stage_and_strictly_after_since() -> None:
    items = [
        held(letter(Reason.NOT_ARABIC, Stage.PROCESS, at="2026-05-01T09:00:00.000Z"), offset=0),
        held(letter(Reason.NOT_ARABIC, Stage.PROCESS, at="2026-05-01T10:00:00.000Z"), offset=1),
        held(letter(Reason.INVALID_JSON, Stage.PRODUCE, key=None, at="2026-05-01T11:00:00.000Z"), offset=2),
        held(letter(Reason.INDEX_REJECTED, Stage.SINK, at="2026-05-01T11:30:00.000Z"), offset=3),
    ]

    def offsets(**kw: Any) -> list[int]:
        return [x.offset for x in dlq.select(items, **kw)]

    assert offsets() == [0, 1, 2, 3]
    assert offsets(reasons=["not_arabic"]) == [0, 1]
    assert offsets(reasons=["not_arabic", "index_rejected"]) == [0, 1, 3]
    assert offsets(stages=["produce", "sink"]) == [2, 3]
    assert offsets(reasons=["not_arabic"], stages=["sink"]) == []
    # strictly after: the newest failed_at of one replay is the --since of the next and excludes that letter
    assert offsets(since=datetime(2026, 5, 1, 10, tzinfo=UTC)) == [2, 3]
    assert offsets(since=datetime(2026, 5, 1, 10, tzinfo=UTC), stages=["process"]) == []


def test_find_matches_the_key_the_article_id_or_a_dlq_position() -> None:
    a = held(letter(key="abc"), 0, 5)
    b = held(letter(key="abc", replays=1), 3, 9)
    c = held(letter(Reason.INVALID_JSON, Stage.PRODUCE, key=None), 1, 7)
    assert list(dlq.find([a, b, c], "abc")) == [a, b]
    assert list(dlq.find([a, b, c], "1:7")) == [c]
    assert list(dlq.find([a, b, c], "nope")) == []


# --- printing -----------------------------------------------------------------------------------------------


def test_list_line_and_json_carry_position_stage_reason_key_where_size_replays() -> None:
    d = letter(original=b"x" * 70_000, replays=2).model_copy(update={"detail": "a\tlong\n" + "d" * 200})
    line = dlq.list_line(held(d, 4, 12)).split("\t")
    assert line[:7] == [
        "2026-05-01T10:00:00.000Z",
        "4:12",
        "process",
        "not_arabic",
        "a1",
        "t.raw[2]@40",
        "70000B (truncated)",
    ]
    assert line[7] == "replays=2" and line[8].startswith("a long d") and len(line[8]) == dlq.DETAIL_CHARS
    produced = held(letter(Reason.INVALID_JSON, Stage.PRODUCE, key=None, origin="feed.jsonl:3"))
    assert dlq.list_line(produced).split("\t")[4:6] == ["-", "feed.jsonl:3"]
    obj = json.loads(dlq.as_json(held(d, 4, 12)))
    assert (obj["dlq_partition"], obj["dlq_offset"], obj["key"], obj["headers"]["replays"]) == (4, 12, "a1", "2")
    assert obj["original_truncated"] is True and obj["reason"] == "not_arabic"


def test_render_decodes_a_utf8_original_and_keeps_base64_otherwise() -> None:
    text = dlq.render(held(letter(original=json.dumps(RAW, ensure_ascii=False)), 0, 3))
    assert text.startswith("dlq 0:3  key a1") and "  reason: not_arabic" in text and "  header stage: process" in text
    assert '"title": "خبر عن الطقس"' in text and ", UTF-8):" in text
    binary = dlq.render(held(letter(original=bytes(range(128, 160))), 0, 4))
    assert "not UTF-8, base64 as stored" in binary and base64.b64encode(bytes(range(128, 160))).decode() in binary


def test_summary_counts_shown_letters_by_reason_and_stage_out_of_all_read() -> None:
    items = [held(letter()), held(letter()), held(letter(Reason.INDEX_REJECTED, Stage.SINK))]
    summary = dlq.Summary()
    for x in dlq.select(summary.seen(items), reasons=["not_arabic"]):
        summary.add(x)
    assert str(summary) == "2 of 3 letters; by reason: not_arabic 2; by stage: process 2"


# --- planning a replay --------------------------------------------------------------------------------------


def test_process_letters_go_back_to_raw_and_sink_letters_to_enriched_with_the_replay_count() -> None:
    raw = held(letter(original='{"id": "a1"}', replays=2))
    step = dlq.plan_letter(raw, TOPICS)
    assert isinstance(step, dlq.Planned)
    assert (step.topic, step.key, step.value) == ("t.raw", b"a1", b'{"id": "a1"}')
    assert replays_of(step.headers) == 3 and dict(step.headers)["schema"] == b"raw_article.v1"

    sunk = dlq.plan_letter(held(letter(Reason.INDEX_REJECTED, Stage.SINK, original=b'{"id": "e"}', key="e")), TOPICS)
    assert isinstance(sunk, dlq.Planned)
    assert (sunk.topic, sunk.key, sunk.value, replays_of(sunk.headers)) == ("t.enriched", b"e", b'{"id": "e"}', 1)
    assert dict(sunk.headers)["schema"] == b"enriched_article.v1"


def test_a_binary_original_is_replayed_as_the_bytes_it_was_and_a_keyless_one_without_key() -> None:
    step = dlq.plan_letter(held(letter(Reason.INVALID_UTF8, original=b"\xff\xfe ok", key=None)), TOPICS)
    assert isinstance(step, dlq.Planned)
    assert (step.key, step.value) == (None, b"\xff\xfe ok")


def test_a_truncated_original_is_skipped_with_its_key() -> None:
    step = dlq.plan_letter(held(letter(original=b"x" * 100_000, key="big")), TOPICS)
    assert isinstance(step, dlq.Skipped)
    assert step.source.label == "big" and "original truncated (100000 bytes" in step.why


def test_produce_letters_are_prepared_again_into_an_article_or_a_new_dead_letter() -> None:
    valid = held(letter(Reason.SCHEMA_VIOLATION, Stage.PRODUCE, original=json.dumps(RAW), key=None, origin="in/a.json"))
    step = dlq.plan_letter(valid, TOPICS)
    assert isinstance(step, dlq.Planned)
    expected_id = article_id(None, RAW["title"], RAW["body"])[0]
    assert (step.topic, step.key) == (
        "t.raw",
        expected_id.encode(),
    ) and step.what == f"re-prepared: article {expected_id}"
    article = orjson.loads(step.value)
    assert article["id"] == expected_id and article["origin"] == "in/a.json" and article["title"] == RAW["title"]
    assert replays_of(step.headers) == 1

    broken = held(letter(Reason.INVALID_JSON, Stage.PRODUCE, original="{broken", key=None, replays=1), 2, 8)
    again = dlq.plan_letter(broken, TOPICS)
    assert isinstance(again, dlq.Planned) and again.topic == "t.dlq" and again.key is None
    relettered = DeadLetter.model_validate(orjson.loads(again.value))
    assert (relettered.stage, relettered.reason, relettered.replays) == ("produce", "invalid_json", 2)
    assert relettered.origin == "t.dlq@2:8"  # the letter had no origin: the new one says where it was replayed from
    assert replays_of(again.headers) == 2 and again.what == "re-prepared: dead letter again (invalid_json)"


def test_produce_letters_that_hold_no_input_are_skipped() -> None:
    head = held(letter(Reason.FILE_TOO_LARGE, Stage.PRODUCE, original=b"{" * 4096, key=None, origin="in/huge.json"))
    step = dlq.plan_letter(head, TOPICS)
    assert isinstance(step, dlq.Skipped) and "run `akhbar produce` on in/huge.json again" in step.why


# --- sending a replay ---------------------------------------------------------------------------------------


class Future:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def get(self, timeout: float | None = None) -> object:
        if self.error is not None:
            raise self.error
        return object()


@dataclass
class FakeProducer:
    outcomes: dict[bytes | None, Exception] = field(default_factory=dict)  # by key: what the delivery fails with
    refuse: set[bytes | None] = field(default_factory=set)  # by key: send() itself raises
    sent: list[tuple[str, bytes | None, bytes, list[tuple[str, bytes]]]] = field(default_factory=list)
    flushed: list[float | None] = field(default_factory=list)

    def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Future:
        if key in self.refuse:
            raise MessageSizeTooLargeError("too big")
        assert value is not None
        self.sent.append((topic, key, value, headers or []))
        return Future(self.outcomes.get(key))

    def flush(self, timeout: float | None = None) -> None:
        self.flushed.append(timeout)


def test_replay_sends_the_plan_and_reports_per_topic_reason_skips_and_newest_failed_at() -> None:
    items = [
        held(letter(key="p1", at="2026-05-01T10:00:00.000Z")),
        held(letter(key="p2", at="2026-05-01T10:05:00.000Z", replays=1)),
        held(letter(Reason.INDEX_REJECTED, Stage.SINK, key="s1", at="2026-05-01T09:00:00.000Z")),
        held(letter(key="big", original=b"x" * 70_000, at="2026-05-01T11:00:00.000Z")),
    ]
    producer = FakeProducer()
    report = dlq.replay(dlq.replay_plan(items, TOPICS), producer, timeout_s=3)

    assert [(t, k, replays_of(h)) for t, k, _v, h in producer.sent] == [
        ("t.raw", b"p1", 1),
        ("t.raw", b"p2", 2),
        ("t.enriched", b"s1", 1),
    ]
    assert producer.flushed == [3]
    assert report.replayed == {"t.raw": 2, "t.enriched": 1} and report.by_reason == {
        "not_arabic": 2,
        "index_rejected": 1,
    }
    assert [s.source.label for s in report.skipped] == ["big"] and report.failed == []
    assert report.newest_failed_at == "2026-05-01T10:05:00.000Z"  # the skipped letter is newer but was not replayed
    lines = report.lines()
    assert (
        lines[0] == "replayed 3: t.raw 2, t.enriched 1" and lines[2] == "skipped 1:" and lines[3].startswith("  big\t")
    )
    assert (
        lines[-1] == "newest failed_at replayed: 2026-05-01T10:05:00.000Z (next time: --since 2026-05-01T10:05:00.000Z)"
    )


def test_replay_reports_every_send_that_was_refused_failed_or_not_acknowledged() -> None:
    items = [held(letter(key=k)) for k in ("ok", "refused", "failed", "late")]
    producer = FakeProducer(
        outcomes={b"failed": NotLeaderForPartitionError("gone"), b"late": KafkaTimeoutError("no ack")},
        refuse={b"refused"},
    )
    report = dlq.replay(dlq.replay_plan(items, TOPICS), producer, timeout_s=1)
    assert report.replayed == {"t.raw": 1}
    assert [label for label, _ in report.failed] == ["refused", "failed", "late"]
    assert "MessageSizeTooLargeError" in report.failed[0][1] and "KafkaTimeoutError" in report.failed[2][1]
    assert any(line.startswith("failed 3 (not delivered") for line in report.lines())


def test_replay_headers_name_the_count_the_processor_and_sink_copy_into_a_new_letter() -> None:
    step = dlq.plan_letter(held(letter(replays=4)), TOPICS)
    assert isinstance(step, dlq.Planned)
    assert [name for name, _ in step.headers].count(REPLAYS_HEADER) == 1 and replays_of(step.headers) == 5


# --- the command line ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "--reason", "bogus"], "not_arabic"),
        (["replay", "--stage", "parse"], "'produce', 'process', 'sink'"),
        (["replay", "--since", "last week"], "neither an ISO 8601 time"),
    ],
)
def test_bad_filter_values_are_usage_errors_listing_what_is_valid(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["dlq", *args])
    assert result.exit_code == 2 and message in result.output
