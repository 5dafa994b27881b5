"""The faust worker: ``articles.raw`` -> enrichment chain -> ``articles.enriched``; rejects -> ``articles.dlq``.

Data flow and delivery guarantee:

    articles.raw ──events (noack)──▶ enrich_message() ──▶ app producer ──▶ articles.enriched   (key = article id)
                                          └─ Rejected ──▶ app producer ──▶ articles.dlq   (original + reason + position)

Fetched messages reach the stream through ``processors.transport`` (faust's aiokafka transport, with an inline
hand-over of each message instead of four asyncio tasks).

Each input event is acked (its offset becomes committable) only in the delivery callback of its output, never
implicitly: faust's own acking would mark an event done when the agent is cancelled half-way through it.
A crash or a stop loses no article: what was not committed is read again, and because ids are deterministic
the re-sent outputs overwrite the same documents downstream.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass, field
from typing import Any, cast

import faust
import orjson

from processors.enrich import EnrichConfig, Rejected, enrich_message, warm_up
from processors.transport import Transport
from schemas import dead_letter

log = logging.getLogger(__name__)

APP_ID = "akhbar-processor"  # also the consumer group: every worker with this id shares the partitions
DEFAULT_PARTITIONS = 6  # must match the topics created by `akhbar` (settings.kafka.partitions)
SESSION_TIMEOUT_S = 10.0  # a killed worker's partitions move to the others after 10 s (faust's default: 60 s)
HEARTBEAT_INTERVAL_S = 3.0  # a third of the session timeout, as Kafka recommends
OUTPUT_BATCH_BYTES = 512 * 1024  # ~70 enriched articles per request; faust's 16 KiB default sends two
# fill batches for 100 ms: on this 2-core VM every request wakes the broker across cores; at 100 ms rather than 50
# (and the producer's 50 rather than 20) Kafka's CPU per article in the e2e run went 0.17-0.21 -> 0.11-0.16 ms,
# for 0.1-0.2 s more p95 latency at 50 articles/s (1.65 -> 1.76-1.86 s)
OUTPUT_LINGER_S = 0.1


@dataclass(frozen=True)
class ProcessorConfig:
    broker: str  # "kafka://host:port[;kafka://host2:port]"
    raw_topic: str
    enriched_topic: str
    dlq_topic: str
    partitions: int = DEFAULT_PARTITIONS
    app_id: str = APP_ID
    enrich: EnrichConfig = field(default_factory=EnrichConfig)
    broker_credentials: Any = None  # faust.SASLCredentials / SSLCredentials built by the CLI from settings
    compression: str = "snappy"  # of the outputs; settings.kafka.compression


class _App(faust.App):  # type: ignore[misc,unused-ignore]
    """faust's app on the transport of ``processors.transport`` (a cheaper hand-over of fetched messages)."""

    def _new_transport(self) -> Any:
        return Transport(self.conf.broker_consumer, self)


def make_app(cfg: ProcessorConfig) -> faust.App:
    """Build the faust app and its agent (not started)."""
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
        producer_max_batch_size=OUTPUT_BATCH_BYTES,
        producer_linger=OUTPUT_LINGER_S,
        stream_wait_empty=False,
        broker_session_timeout=SESSION_TIMEOUT_S,
        broker_heartbeat_interval=HEARTBEAT_INTERVAL_S,
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
    # Outputs go straight to the app's producer (the one faust's Topic.send ends in): Topic.send would first
    # wrap each in a FutureMessage and a PendingMessage and call the send sensors, ~5 % of a worker's CPU, for
    # nothing used here (raw bytes, no callbacks, no transactions). The producer is the app's own, so it is
    # flushed on stop and on rebalance as before.
    enriched_topic, dlq_topic = cfg.enriched_topic, cfg.dlq_topic
    enriched_headers = [("schema", b"enriched_article.v1")]

    async def handle(producer: Any, event: faust.types.EventT) -> asyncio.Future[Any]:
        message = event.message
        value = event.value if isinstance(event.value, bytes | str) or event.value is None else bytes(event.value)
        try:
            article = enrich_message(value, cfg.enrich)
        except Rejected as rej:
            key = message.key.decode("utf-8", "replace") if isinstance(message.key, bytes) else None
            letter = dead_letter(
                value,
                reason=rej.reason,
                detail=rej.detail,
                stage="process",
                article_id=key,
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
            )
            log.warning("dead-letter %s[%s]@%s: %s", message.topic, message.partition, message.offset, rej)
            fut = await producer.send(
                dlq_topic,
                message.key,
                orjson.dumps(letter.model_dump()),
                None,
                None,
                [("schema", b"dead_letter.v1"), ("reason", rej.reason.encode())],
            )
            return cast(asyncio.Future[Any], fut)
        fut = await producer.send(
            enriched_topic, article.id.encode(), orjson.dumps(article.model_dump()), None, None, enriched_headers
        )
        return cast(asyncio.Future[Any], fut)

    @app.agent(raw, name="enrich")  # type: ignore[untyped-decorator,unused-ignore]
    async def enrich_agent(stream: faust.StreamT[Any]) -> None:
        # faust acks an event when the loop moves past it, even when the agent is cancelled half-way (SIGTERM);
        # with noack() nothing is acked implicitly: an input is acked only once Kafka acknowledged its output.
        producer = await app.maybe_start_producer()
        async for event in cast(Any, stream).noack().events():
            delivered = await handle(producer, event)
            delivered.add_done_callback(functools.partial(_ack_when_delivered, event))

    return app


def _ack_when_delivered(event: Any, delivered: asyncio.Future[Any]) -> None:
    """Ack the input event (its offset becomes committable) once its output is safely in Kafka."""
    if delivered.cancelled() or delivered.exception() is not None:
        message = event.message
        log.error(
            "output of %s[%s]@%s not delivered (%s); left unacked, it is read again after a restart",
            message.topic,
            message.partition,
            message.offset,
            "cancelled" if delivered.cancelled() else delivered.exception(),
        )
        return
    event.ack()


class _Worker(faust.Worker):  # type: ignore[misc,unused-ignore]
    """faust's worker without its terminal spinner.

    To spin on every log record, faust's spinner handler sets the root logger to DEBUG whatever ``loglevel`` says:
    every ``log.debug`` on the hot path (faust's publish_message, aiokafka's connection) then built a LogRecord
    that the handler dropped, 3-5 % of the worker's CPU. A pipeline worker has no terminal to spin on.
    """

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        self.spinner = None


def run_worker(cfg: ProcessorConfig, loglevel: str = "info") -> None:
    """Run the faust worker in this process until SIGINT/SIGTERM (graceful: in-flight batch finishes)."""
    warm_up(cfg.enrich)  # load the NLP models before joining the group, not on the first batch
    app = make_app(cfg)
    worker = _Worker(app, loglevel=loglevel, quiet=True, override_logging=True)
    worker.execute_from_commandline()
