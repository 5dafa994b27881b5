"""The story stage in the stream: one event of ``articles.tagged`` -> its outputs, acked once all are in Kafka.

    articles.tagged (1 partition) ──▶ StoryStage.apply ──▶ articles.enriched     (the article + story_id, duplicate_of)
                                                      ├──▶ akhbar.stories       (its story's document, key = story id)
                                                      └──▶ akhbar.stories.state (the window's changed records)

The state topic is the stage's memory: compacted, one record per window article (``a/<id>``), per open story
(``s/<id>``) and the stream time (``meta``); tombstones for what left the window. A worker that takes the
partition (at start, after a rebalance, after a crash) reads it back before its first event, so it continues from
exactly the state the outputs were computed from. An input whose outputs were already written (it was not acked
when the last worker stopped) is found in that state by its article id and gives the same story again: the
outputs are rewritten unchanged. Inputs are acked in order once all their outputs are delivered, as in
``processors.handler``; a failed send stops the worker.

Nothing here imports faust or a Kafka client: the agent passes its producer and events in, and ``read_state``
(built by ``akhbar.run``) reads the state topic.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from processors.handler import Event, Producer
from processors.stories.index import StoryParams
from processors.stories.stage import Record, StoryStage
from processors.topics.keywords import DocFreq
from schemas import ENRICHED_HEADERS, STORY_HEADERS, Reason, Stage, dead_letter, dead_letter_record, replays_of

log = logging.getLogger(__name__)
STATE_HEADERS = [("schema", b"story_state.v1")]


class StoryHandler:
    def __init__(
        self,
        params: StoryParams,
        df: DocFreq,
        producer: Producer,
        *,
        read_state: Callable[[], Iterable[Record]],
        enriched_topic: str,
        stories_topic: str,
        state_topic: str,
        dlq_topic: str,
        stop: Callable[[BaseException], None],
    ) -> None:
        self._params, self._df, self._producer = params, df, producer
        self._read_state = read_state
        self._enriched_topic, self._stories_topic = enriched_topic, stories_topic
        self._state_topic, self._dlq_topic = state_topic, dlq_topic
        self._stop = stop
        self._stage: StoryStage | None = None
        self._next_offset: int | None = None
        self._pending: deque[tuple[Event, list[asyncio.Future[Any]]]] = deque()
        self.failure: BaseException | None = None

    async def _restore(self) -> StoryStage:
        records = await asyncio.get_running_loop().run_in_executor(None, lambda: list(self._read_state()))
        stage = StoryStage(self._params, self._df, records)
        log.info(
            "story stage: %d window articles in %d open stories read back from %s (%d records)",
            len(stage.index), stage.index.open_stories, self._state_topic, len(records),
        )  # fmt: skip
        return stage

    async def handle(self, event: Event) -> None:
        if self.failure is not None:
            return
        message = event.message
        if self._stage is None or message.offset != self._next_offset:
            # first event here, or the partition was elsewhere meanwhile: the state topic has the latest state
            self._stage = await self._restore()
        self._next_offset = message.offset + 1
        sends = [self._send(topic, record) for topic, record in self._outputs(event, self._stage)]
        try:
            futures = [await send for send in sends]
        except Exception as exc:  # refused before queueing
            self._fail(event, exc)
            return
        self._pending.append((event, futures))
        for future in futures:
            future.add_done_callback(self._on_delivery)

    def _outputs(self, event: Event, stage: StoryStage) -> list[tuple[str, tuple[bytes | None, bytes | None, Any]]]:
        message = event.message
        value = event.value
        try:
            doc = orjson.loads(value)
            if not isinstance(doc, dict) or "id" not in doc:
                raise ValueError("not an enriched article")
        except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
            letter = dead_letter(
                value if isinstance(value, bytes | str) else None,
                reason=Reason.INVALID_ENRICHED,
                detail=f"the story stage cannot read this message: {exc}"[:1000],
                stage=Stage.PROCESS,
                article_id=message.key.decode("utf-8", "replace") if message.key else None,
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
                replays=replays_of(message.headers),
            )
            record = dead_letter_record(letter)
            return [(self._dlq_topic, (record.key, record.value, record.headers))]
        result = stage.apply(doc)
        outputs: list[tuple[str, tuple[bytes | None, bytes | None, Any]]] = []
        for key, state in result.changes:  # the state first: a crash after it rewrites the same outputs
            encoded = None if state is None else orjson.dumps(state)
            outputs.append((self._state_topic, (key.encode(), encoded, STATE_HEADERS)))
        outputs.append((self._stories_topic, (result.story["id"].encode(), orjson.dumps(result.story), STORY_HEADERS)))
        outputs.append((self._enriched_topic, (doc["id"].encode(), orjson.dumps(result.document), ENRICHED_HEADERS)))
        return outputs

    def _send(self, topic: str, record: tuple[bytes | None, bytes | None, Any]) -> Any:
        key, value, headers = record
        return self._producer.send(topic, key, value, None, None, headers)  # type: ignore[arg-type]

    def _on_delivery(self, done: asyncio.Future[Any]) -> None:
        if not done.cancelled():
            done.exception()
        while self._pending and self.failure is None and all(f.done() for f in self._pending[0][1]):
            event, futures = self._pending[0]
            for f in futures:
                exc = asyncio.CancelledError("the delivery was cancelled") if f.cancelled() else f.exception()
                if exc is not None:
                    self._fail(event, exc)
                    return
            self._pending.popleft()
            event.ack()

    def _fail(self, event: Event, exc: BaseException) -> None:
        if self.failure is not None:
            return
        self.failure = exc
        m = event.message
        log.error(
            "story stage: outputs of %s[%s]@%s not delivered (%s: %s); left unacked: stopping the worker",
            m.topic, m.partition, m.offset, type(exc).__name__, exc,
        )  # fmt: skip
        self._stop(exc)
