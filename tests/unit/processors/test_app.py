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


async def handled(ev: FakeEvent) -> tuple[FakeProducer, Sent]:
    producer = FakeProducer()
    handler = EventHandler(CHAIN, producer, enriched_topic="articles.enriched", dlq_topic="articles.dlq")
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
