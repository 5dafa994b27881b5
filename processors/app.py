"""The faust worker: ``articles.raw`` -> enrichment chain -> ``articles.enriched``; rejects -> ``articles.dlq``.

Data flow and delivery guarantee:

    articles.raw ──take_events(batch)──▶ enrich_message() ──▶ articles.enriched   (key = article id)
                                              └─ Rejected ──▶ articles.dlq         (original + reason + position)

Events are taken in batches; every output of a batch is awaited until Kafka acknowledged it, and only then
does faust ack the batch's input events, whose offsets it commits. A crash loses no article: what was not
committed is read again, and because ids are deterministic the sink's writes are idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, cast

import faust
import orjson

from processors.enrich import EnrichConfig, Rejected, enrich_message, warm_up
from schemas import dead_letter

log = logging.getLogger(__name__)

APP_ID = "akhbar-processor"  # also the consumer group: every worker with this id shares the partitions
BATCH_MAX = 200  # events per batch: amortises the delivery wait without holding many in memory
BATCH_WITHIN_S = 0.1  # a lone article waits at most 100 ms for company
DEFAULT_PARTITIONS = 3  # must match the topics created by `akhbar` (settings.kafka.partitions)
SESSION_TIMEOUT_S = 10.0  # a killed worker's partitions move to the others after 10 s (faust's default: 60 s)
HEARTBEAT_INTERVAL_S = 3.0  # a third of the session timeout, as Kafka recommends


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
    batch_max: int = BATCH_MAX
    batch_within_s: float = BATCH_WITHIN_S


@dataclass
class Counters:
    enriched: int = 0
    dead_lettered: int = 0


def make_app(cfg: ProcessorConfig) -> tuple[faust.App, Counters]:
    """Build the faust app and its agent (not started)."""
    app = faust.App(
        cfg.app_id,
        broker=cfg.broker,
        broker_credentials=cfg.broker_credentials,
        web_enabled=False,  # no HTTP endpoint: health is the consumer lag, watched by `akhbar up`
        topic_disable_leader=True,
        topic_partitions=cfg.partitions,
        consumer_auto_offset_reset="earliest",  # a new group starts from the oldest unprocessed article
        producer_acks=-1,
        producer_compression_type="gzip",
        stream_wait_empty=False,
        broker_session_timeout=SESSION_TIMEOUT_S,
        broker_heartbeat_interval=HEARTBEAT_INTERVAL_S,
        store="memory://",
    )
    counters = Counters()
    raw = app.topic(
        cfg.raw_topic,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=cfg.partitions,
    )
    enriched = app.topic(cfg.enriched_topic, key_serializer="raw", value_serializer="raw", partitions=cfg.partitions)
    dlq = app.topic(cfg.dlq_topic, key_serializer="raw", value_serializer="raw")

    async def handle(event: faust.types.EventT) -> asyncio.Future[Any]:
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
            counters.dead_lettered += 1
            fut = await dlq.send(
                key=message.key,
                value=orjson.dumps(letter.model_dump()),
                headers=[("reason", rej.reason.encode())],
                force=True,
            )
            return fut  # type: ignore[return-value]
        counters.enriched += 1
        fut = await enriched.send(
            key=article.id.encode(),
            value=orjson.dumps(article.model_dump()),
            headers=[("schema", b"enriched_article.v1")],
            force=True,
        )
        return fut  # type: ignore[return-value]

    @app.agent(raw, name="enrich")  # type: ignore[untyped-decorator,unused-ignore]
    async def enrich_agent(stream: faust.StreamT[Any]) -> None:
        async for events in cast(Any, stream).take_events(cfg.batch_max, within=cfg.batch_within_s):
            pending = [await handle(event) for event in events]
            # Wait for Kafka to acknowledge every output before faust acks (and later commits) the inputs.
            await asyncio.gather(*pending)

    return app, counters


def run_worker(cfg: ProcessorConfig, loglevel: str = "info") -> None:
    """Run the faust worker in this process until SIGINT/SIGTERM (graceful: in-flight batch finishes)."""
    warm_up(cfg.enrich)  # load the NLP models before joining the group, not on the first batch
    app, _ = make_app(cfg)
    worker = faust.Worker(app, loglevel=loglevel, quiet=True, override_logging=True)
    worker.execute_from_commandline()
