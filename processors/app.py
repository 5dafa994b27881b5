"""The faust worker: ``articles.raw`` -> enrichment chain -> ``articles.enriched``; rejects -> ``articles.dlq``.

Data flow and delivery guarantee:

    articles.raw ──events (noack)──▶ EventHandler ──▶ app producer ──▶ articles.enriched   (key = article id)
                                          └─ DeadLetter ──▶ app producer ──▶ articles.dlq   (original + reason + position)

The per-event work (enrich, output record, send, ack in the delivery callback) is ``processors.handler``, which
knows nothing of faust; this module only builds the faust app around it. Fetched messages reach the stream
through ``processors.transport`` (faust's aiokafka transport, with an inline hand-over of each message instead of
four asyncio tasks).

A crash or a stop loses no article: what was not acked is not committed and is read again, and because ids are
deterministic the re-sent outputs overwrite the same documents downstream. An output that cannot be sent (after
the producer's own retries, bounded by its request timeout) crashes the app: the worker stops, commits only what
was acked, and exits with status 1.

Every size the worker's clients know is the message-size contract (``kafka.max_message_bytes``): the producer's
largest request and the consumer's largest fetch per partition.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import faust

from processors.chain import Chain, ChainConfig, build_chain, warm_up
from processors.handler import EventHandler
from processors.stories.index import StoryParams
from processors.stories.stage import Record
from processors.transport import Transport


@dataclass(frozen=True)
class ProcessorConfig:
    """Everything the worker needs, from ``akhbar.run.processor_config``; each default has its reason in settings."""

    broker: str  # "kafka://host:port[;kafka://host2:port]"
    raw_topic: str
    enriched_topic: str
    dlq_topic: str
    partitions: int
    app_id: str  # also the consumer group: every worker with this id shares the partitions
    chain: ChainConfig
    broker_credentials: Any  # faust.SASLCredentials / SSLCredentials built by akhbar.wiring, or None
    compression: str  # of the outputs
    session_timeout_s: float
    heartbeat_interval_s: float
    output_batch_bytes: int
    output_linger_s: float
    max_message_bytes: int  # the message-size contract: largest request of the producer, fetch of the consumer
    delivery_timeout_s: float  # the producer retries a send this long (its request timeout), then it has failed
    stories: StoryStageConfig | None = None  # the story stage after the chain; None: the chain writes enriched


@dataclass(frozen=True)
class StoryStageConfig:
    """The story stage (``processors.stories.handler``): its topics, its parameters, how to read its state."""

    params: StoryParams
    tagged_topic: str  # the chain's output and the stage's input, one partition
    stories_topic: str
    state_topic: str
    read_state: Callable[[], Iterable[Record]]


class _App(faust.App):  # type: ignore[misc,unused-ignore]
    """faust's app on the transport of ``processors.transport`` (a cheaper hand-over of fetched messages)."""

    def _new_transport(self) -> Any:
        return Transport(self.conf.broker_consumer, self)


def make_app(cfg: ProcessorConfig, chain: Chain) -> faust.App:
    """Build the faust app and its agent (not started); the agent enriches with ``chain``."""
    app = _App(
        cfg.app_id,
        broker=cfg.broker,
        broker_credentials=cfg.broker_credentials,
        web_enabled=False,  # no HTTP endpoint: health is the consumer lag, watched by `akhbar up`
        topic_disable_leader=True,
        topic_partitions=cfg.partitions,
        consumer_auto_offset_reset="earliest",  # a new group starts from the oldest unprocessed article
        producer_acks=-1,
        producer_compression_type=None if cfg.compression == "none" else cfg.compression,
        producer_max_batch_size=cfg.output_batch_bytes,
        producer_linger=cfg.output_linger_s,
        producer_max_request_size=cfg.max_message_bytes,
        producer_request_timeout=cfg.delivery_timeout_s,
        consumer_max_fetch_size=cfg.max_message_bytes,
        stream_wait_empty=False,
        broker_session_timeout=cfg.session_timeout_s,
        broker_heartbeat_interval=cfg.heartbeat_interval_s,
        store="memory://",
    )
    raw = app.topic(
        cfg.raw_topic,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=cfg.partitions,
    )

    @app.agent(raw, name="enrich")  # type: ignore[untyped-decorator,unused-ignore]
    async def enrich_agent(stream: faust.StreamT[Any]) -> None:
        # faust acks an event when the loop moves past it, even when the agent is cancelled half-way (SIGTERM);
        # with noack() nothing is acked implicitly: the handler acks an input once Kafka acknowledged its output.
        # Outputs go straight to the app's producer (the one faust's Topic.send ends in): Topic.send would first
        # wrap each in a FutureMessage and a PendingMessage and call the send sensors, ~5 % of a worker's CPU, for
        # nothing used here (raw bytes, no callbacks, no transactions). The producer is the app's own, so it is
        # flushed on stop and on rebalance.
        producer = await app.maybe_start_producer()
        crashing: list[asyncio.Task[None]] = []  # the crash in progress (a reference, so the task is not collected)

        def stop(exc: BaseException) -> None:
            # An output could not be sent: crash the app, which stops its worker (exit status 1). Nothing after the
            # failed input is acked, so nothing past it is committed.
            if not crashing and not app.should_stop:
                crashing.append(asyncio.ensure_future(app.crash(exc)))

        handler = EventHandler(
            chain,
            producer,
            enriched_topic=cfg.enriched_topic if cfg.stories is None else cfg.stories.tagged_topic,
            dlq_topic=cfg.dlq_topic,
            max_message_bytes=cfg.max_message_bytes,
            stop=stop,
        )
        async for event in cast(Any, stream).noack().events():
            await handler.handle(event)

    if cfg.stories is not None:
        _story_agent(app, cfg, cfg.stories)
    return app


def _story_agent(app: faust.App, cfg: ProcessorConfig, st: StoryStageConfig) -> None:
    """The story stage's agent on the one partition of the tagged topic: one worker of the group holds it."""
    from processors.stories.handler import StoryHandler
    from processors.stories.stage import keyword_df

    tagged = app.topic(
        st.tagged_topic,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=1,
    )

    @app.agent(tagged, name="stories")  # type: ignore[untyped-decorator,unused-ignore]
    async def story_agent(stream: faust.StreamT[Any]) -> None:
        producer = await app.maybe_start_producer()
        crashing: list[asyncio.Task[None]] = []

        def stop(exc: BaseException) -> None:
            if not crashing and not app.should_stop:
                crashing.append(asyncio.ensure_future(app.crash(exc)))

        handler = StoryHandler(
            st.params,
            keyword_df(),
            producer,
            read_state=st.read_state,
            enriched_topic=cfg.enriched_topic,
            stories_topic=st.stories_topic,
            state_topic=st.state_topic,
            dlq_topic=cfg.dlq_topic,
            stop=stop,
        )
        async for event in cast(Any, stream).noack().events():
            await handler.handle(event)


class _Worker(faust.Worker):  # type: ignore[misc,unused-ignore]
    """faust's worker without its terminal spinner.

    To spin on every log record, faust's spinner handler sets the root logger to DEBUG whatever ``loglevel`` says:
    every ``log.debug`` on the hot path (faust's publish_message, aiokafka's connection) then built a LogRecord
    that the handler dropped, 3-5 % of the worker's CPU. A pipeline worker has no terminal to spin on.
    """

    on_logging_ready: Callable[[logging.Logger], None] | None = None

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        self.spinner = None
        if self.on_logging_ready is not None:  # faust has just replaced the root logger's handlers
            self.on_logging_ready(logger)


def run_worker(
    cfg: ProcessorConfig,
    loglevel: str = "info",
    *,
    on_logging_ready: Callable[[logging.Logger], None] | None = None,
) -> None:
    """Run the faust worker in this process until SIGINT/SIGTERM (graceful: in-flight batch finishes).

    ``on_logging_ready`` is called with the root logger once faust has set up its handlers (the CLI puts its
    repeat filter on them there)."""
    chain = build_chain(cfg.chain)
    warm_up(chain)  # load the NLP models before joining the group, not on the first batch
    app = make_app(cfg, chain)
    worker = _Worker(app, loglevel=loglevel, quiet=True, override_logging=True)
    worker.on_logging_ready = on_logging_ready
    worker.execute_from_commandline()
