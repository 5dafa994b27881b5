"""The processor's per-event handling with an in-memory producer and fake events: no Kafka, no faust worker."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from akhbar.settings import EnrichSettings
from akhbar.wiring import chain_config
from processors.chain import build_chain
from processors.handler import EventHandler

CHAIN = build_chain(chain_config(EnrichSettings(steps=("clean", "dates", "language", "normalise"))))
ARTICLE_ID = "2" * 32
ARTICLE = {
    "schema_version": 1,
    "id": ARTICLE_ID,
    "source": "صحيفة المثال",
    "title": "افتتاح مستشفى جديد",
    "body": "افتتحت وزارة الصحة مستشفى جديداً في القاهرة يضم مئتي سرير.",
    "fetched_at": "2026-11-20T10:00:00Z",
}


@dataclass
class FakeMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)


@dataclass
class FakeEvent:
    message: FakeMessage
    value: Any
    acks: int = 0

    def ack(self) -> bool:
        self.acks += 1
        return True


@dataclass
class Sent:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    delivery: asyncio.Future[Any]


@dataclass
class FakeProducer:
    """Queues each record; its delivery future resolves only when the test says so (as Kafka's ack would)."""

    sent: list[Sent] = field(default_factory=list)

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        partition: int | None,
        timestamp: float | None,
        headers: list[tuple[str, bytes]],
    ) -> asyncio.Future[Any]:
        assert partition is None and timestamp is None
        delivery: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.sent.append(Sent(topic, key, value, headers, delivery))
        return delivery


def event(value: Any, *, key: bytes | None = ARTICLE_ID.encode(), offset: int = 41) -> FakeEvent:
    return FakeEvent(FakeMessage("articles.raw", 3, offset, key), value)


def valid() -> bytes:
    return json.dumps(ARTICLE, ensure_ascii=False).encode()


def make_handler(producer: Any, stops: list[BaseException], max_message_bytes: int = 4 * 1024 * 1024) -> EventHandler:
    return EventHandler(
        CHAIN,
        producer,
        enriched_topic="articles.enriched",
        dlq_topic="articles.dlq",
        max_message_bytes=max_message_bytes,
        stop=stops.append,
    )


async def handled(ev: FakeEvent) -> tuple[FakeProducer, Sent]:
    producer = FakeProducer()
    handler = make_handler(producer, [])
    delivery = await handler.handle(ev)
    [sent] = producer.sent
    assert delivery is sent.delivery
    return producer, sent


async def settle() -> None:
    for _ in range(3):  # done callbacks run on the loop's next turns
        await asyncio.sleep(0)


def test_enriched_output_is_keyed_by_article_id_with_the_schema_header() -> None:
    async def main() -> Sent:
        _, sent = await handled(event(valid()))
        return sent

    sent = asyncio.run(main())
    doc = json.loads(sent.value)
    assert sent.topic == "articles.enriched" and sent.key == ARTICLE_ID.encode() == doc["id"].encode()
    assert sent.headers == [("schema", b"enriched_article.v1")]
    assert doc["steps"] == ["clean", "dates", "language", "normalise"] and doc["language"] == "ar"


def test_the_event_is_acked_after_delivery_not_before() -> None:
    async def main() -> tuple[int, int]:
        ev = event(valid())
        _, sent = await handled(ev)
        await settle()
        before = ev.acks
        sent.delivery.set_result(None)
        await settle()
        return before, ev.acks

    assert asyncio.run(main()) == (0, 1)


@pytest.mark.parametrize("outcome", ["failed", "cancelled"])
def test_no_ack_when_delivery_fails_or_is_cancelled(outcome: str, caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> int:
        ev = event(valid())
        _, sent = await handled(ev)
        if outcome == "failed":
            sent.delivery.set_exception(RuntimeError("broker gone"))
        else:
            sent.delivery.cancel()
        await settle()
        return ev.acks

    assert asyncio.run(main()) == 0
    assert "not delivered" in caplog.text and "left unacked" in caplog.text


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"{not json", "invalid_json"),
        (b"\xff\xfe", "invalid_utf8"),
        (None, "empty_message"),
        (b'{"schema_version": 1, "id": "half an article"}', "schema_violation"),
        (
            json.dumps({**ARTICLE, "title": "News", "body": "The ministry opened a new hospital."}).encode(),
            "not_arabic",
        ),
    ],
)
def test_rejected_input_is_dead_lettered_with_its_position_and_reason(value: bytes | None, reason: str) -> None:
    async def main() -> tuple[Sent, int]:
        ev = event(value, key=b"poison-1", offset=99)
        _, sent = await handled(ev)
        sent.delivery.set_result(None)
        await settle()
        return sent, ev.acks

    sent, acks = asyncio.run(main())
    letter = json.loads(sent.value)
    assert sent.topic == "articles.dlq" and sent.key == b"poison-1"
    assert sent.headers == [
        ("schema", b"dead_letter.v1"),
        ("reason", reason.encode()),
        ("stage", b"process"),
        ("replays", b"0"),
    ]
    assert (letter["stage"], letter["reason"]) == ("process", reason)
    assert (letter["topic"], letter["partition"], letter["offset"], letter["article_id"]) == (
        "articles.raw",
        3,
        99,
        "poison-1",
    )
    assert letter["original_size"] == len(value or b"")
    assert acks == 1  # a dead-lettered input is done once its letter is delivered


def test_a_dead_letter_is_not_acked_before_its_delivery() -> None:
    async def main() -> int:
        ev = event(b"{not json")
        await handled(ev)
        await settle()
        return ev.acks

    assert asyncio.run(main()) == 0


def test_a_memoryview_value_is_read_as_bytes() -> None:
    async def main() -> Sent:
        _, sent = await handled(event(memoryview(valid())))
        return sent

    assert asyncio.run(main()).topic == "articles.enriched"


def test_a_send_that_raises_leaves_the_input_unacked_and_stops_the_handler(caplog: pytest.LogCaptureFixture) -> None:
    class RefusingProducer(FakeProducer):
        async def send(self, *args: Any) -> asyncio.Future[Any]:
            raise RuntimeError("MessageSizeTooLargeError: the message is too large")

    async def main() -> tuple[FakeEvent, FakeEvent, list[BaseException], Any, Any]:
        stops: list[BaseException] = []
        producer = RefusingProducer()
        handler = make_handler(producer, stops)
        first, second = event(valid(), offset=7), event(valid(), offset=8)
        out_first = await handler.handle(first)
        out_second = await handler.handle(second)  # after the failure nothing more is sent
        await settle()
        return first, second, stops, out_first, out_second

    first, second, stops, out_first, out_second = asyncio.run(main())
    assert (first.acks, second.acks) == (0, 0) and out_first is None and out_second is None
    assert len(stops) == 1 and "too large" in str(stops[0])
    [line] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "articles.raw[3]@7 not delivered (RuntimeError: MessageSizeTooLargeError" in line.getMessage()


def test_a_failed_delivery_stops_the_handler_once_and_nothing_after_it_is_acked() -> None:
    async def main() -> tuple[list[int], list[BaseException], int]:
        stops: list[BaseException] = []
        producer = FakeProducer()
        handler = make_handler(producer, stops)
        events = [event(valid(), offset=n) for n in (10, 11, 12)]
        for ev in events:
            await handler.handle(ev)
        producer.sent[2].delivery.set_result(None)  # a later input's output arrives first ...
        producer.sent[1].delivery.set_exception(RuntimeError("broker gone"))  # ... an earlier one fails
        producer.sent[0].delivery.set_result(None)
        await settle()
        late = event(valid(), offset=13)
        await handler.handle(late)
        return [ev.acks for ev in [*events, late]], stops, len(producer.sent)

    acks, stops, sent = asyncio.run(main())
    assert acks == [1, 0, 0, 0]  # only the input before the failed one is done: its offset is all faust commits
    assert [str(e) for e in stops] == ["broker gone"]
    assert sent == 3  # once stopped, the handler sends nothing more


def test_inputs_are_acked_in_their_partition_order_whatever_order_their_outputs_arrive_in() -> None:
    async def main() -> list[list[int]]:
        producer = FakeProducer()
        handler = make_handler(producer, [])
        events = [event(valid(), offset=n) for n in (20, 21, 22)]
        other = FakeEvent(FakeMessage("articles.raw", 4, 5, ARTICLE_ID.encode()), valid())
        for ev in [*events, other]:
            await handler.handle(ev)
        seen = []
        for n in (3, 2, 1, 0):  # outputs arrive newest first
            producer.sent[n].delivery.set_result(None)
            await settle()
            seen.append([ev.acks for ev in [*events, other]])
        return seen

    assert asyncio.run(main()) == [[0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1], [1, 1, 1, 1]]


def test_an_enriched_document_over_the_size_contract_is_dead_lettered_and_acked_after_its_letter() -> None:
    big = json.dumps({**ARTICLE, "body": "افتتحت وزارة الصحة مستشفى جديداً في القاهرة. " * 200}, ensure_ascii=False)

    async def main() -> tuple[Sent, int, int]:
        producer = FakeProducer()
        handler = make_handler(producer, [], max_message_bytes=16 * 1024)
        ev = event(big.encode(), offset=30)
        await handler.handle(ev)
        [sent] = producer.sent
        await settle()
        before = ev.acks
        sent.delivery.set_result(None)
        await settle()
        return sent, before, ev.acks

    sent, before, after = asyncio.run(main())
    letter = json.loads(sent.value)
    assert sent.topic == "articles.dlq" and (letter["reason"], letter["stage"]) == ("too_large_enriched", "process")
    assert (letter["topic"], letter["partition"], letter["offset"], letter["article_id"]) == (
        "articles.raw",
        3,
        30,
        ARTICLE_ID,
    )
    assert "15,360" in letter["detail"]  # the limit less Kafka's record overhead
    assert (before, after) == (0, 1)


def test_a_replayed_input_that_fails_again_carries_its_replay_count_into_the_letter() -> None:
    async def main() -> Sent:
        ev = event(b"{not json")
        ev.message.headers = [("schema", b"raw_article.v1"), ("replays", b"2")]
        _, sent = await handled(ev)
        return sent

    sent = asyncio.run(main())
    assert json.loads(sent.value)["replays"] == 2 and ("replays", b"2") in sent.headers
