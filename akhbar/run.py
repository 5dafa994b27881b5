"""Entry points of the three workers and of ``akhbar enrich``: settings in, component wired and run."""

from __future__ import annotations

import itertools
import logging
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

import orjson

from akhbar.logs import quiet_repeats
from akhbar.settings import Settings
from akhbar.wiring import (
    article_producer,
    chain_config,
    ensure_story_topics,
    ensure_topics,
    faust_broker,
    faust_credentials,
    sink_worker,
    story_params,
    story_state_reader,
)
from producers.kafka import ProduceStats, produce_items
from producers.prepare import prepare
from producers.sources import DirectorySource, JsonLinesSource, SourceItem, read_article_file
from schemas import DeadLetter, EnrichedArticle, RawArticle, Stage, dead_letter

# Each worker imports only its own side: the producer starts in a fraction of a second without faust,
# the NLP models or the Elasticsearch client.
if TYPE_CHECKING:
    from processors.app import ProcessorConfig, StoryStageConfig
    from processors.chain import Chain
    from sinks.worker import SinkStats

log = logging.getLogger(__name__)


def _items(paths: list[Path], watch: bool, stopper: list[DirectorySource]) -> Iterator[SourceItem]:
    for path in paths:
        if str(path) == "-":
            yield from JsonLinesSource.open("-")
        elif path.is_dir():
            src = DirectorySource(path, watch=watch)
            stopper.append(src)
            yield from src
        elif path.suffix.lower() in (".jsonl", ".ndjson"):
            yield from JsonLinesSource.open(path)
        else:
            yield from read_article_file(path)


def _paced(items: Iterator[SourceItem], rate: float) -> Iterator[SourceItem]:
    """At most ``rate`` items per second, on a fixed schedule (no bursts to catch up after a stall)."""
    interval = 1.0 / rate
    next_at = time.monotonic()
    for item in items:
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        next_at = max(next_at + interval, time.monotonic() - interval)
        yield item


def run_producer(
    s: Settings, paths: list[Path], *, watch: bool = False, progress: bool = True, rate: float | None = None
) -> ProduceStats:
    ensure_topics(s.kafka)
    watchers: list[DirectorySource] = []

    def on_term(signum: int, _frame: Any) -> None:
        for w in watchers:
            w.stop()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    bar: Any = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(unit=" articles", desc="produce", dynamic_ncols=True)
    with article_producer(s) as producer:
        try:
            items = _items(paths, watch, watchers)
            produce_items(
                _paced(items, rate) if rate else items,
                producer,
                on_item=(lambda _r: bar.update(1)) if bar is not None else None,
            )
        except KeyboardInterrupt:
            log.info("producer: stopping, flushing what was read")
            producer.flush()
        finally:
            if bar is not None:
                bar.close()
        return producer.stats


def processor_config(s: Settings) -> ProcessorConfig:
    from processors.app import ProcessorConfig

    p = s.processor
    return ProcessorConfig(
        broker=faust_broker(s.kafka),
        raw_topic=s.kafka.raw_topic,
        enriched_topic=s.kafka.enriched_topic,
        dlq_topic=s.kafka.dlq_topic,
        partitions=s.kafka.partitions,
        app_id=p.app_id,
        chain=chain_config(s.enrich),
        broker_credentials=faust_credentials(s.kafka),
        compression=s.kafka.compression,
        session_timeout_s=p.session_timeout_s,
        heartbeat_interval_s=p.heartbeat_interval_s,
        output_batch_bytes=p.output_batch_bytes,
        output_linger_s=p.output_linger_s,
        max_message_bytes=s.kafka.max_message_bytes,
        delivery_timeout_s=s.kafka.delivery_timeout_ms / 1000,
        stories=story_stage_config(s) if s.stories.enabled else None,
    )


def story_stage_config(s: Settings) -> StoryStageConfig:
    from processors.app import StoryStageConfig

    st = s.stories
    return StoryStageConfig(
        params=story_params(st),
        tagged_topic=st.tagged_topic,
        stories_topic=st.stories_topic,
        state_topic=st.state_topic,
        read_state=story_state_reader(s),
    )


def run_processor(s: Settings, *, loglevel: str = "info") -> None:
    from processors.app import run_worker
    from processors.size import check_fits

    cfg = processor_config(s)
    check_fits(cfg.chain.caps, cfg.max_message_bytes)  # the enrich caps keep every output under the size contract
    ensure_topics(s.kafka)
    if s.stories.enabled:
        ensure_story_topics(s)
    run_worker(cfg, loglevel=loglevel, on_logging_ready=quiet_repeats)


def run_sink(s: Settings, *, idle_exit_s: float | None = None) -> SinkStats:
    ensure_topics(s.kafka)
    if s.stories.enabled:
        ensure_story_topics(s)
    worker = sink_worker(s)
    worker.install_signal_handlers()
    return worker.run(idle_exit_s=idle_exit_s)


def enrich_line(payload: bytes, origin: str, chain: Chain) -> EnrichedArticle | DeadLetter:
    """One input line through the producer's validation and the processor's chain, as the pipeline would."""
    from processors.chain import enrich_message

    prepared = prepare(SourceItem(origin=origin, payload=payload))
    if not isinstance(prepared, RawArticle):
        return prepared
    # The processor reads the article from its Kafka message: so does this path, so that both judge it alike.
    result = enrich_message(orjson.dumps(prepared.model_dump()), chain, key=prepared.id)
    if isinstance(result, EnrichedArticle):
        return result
    # As the producer's letters do, this one keeps the line as it was given and where it was read.
    return dead_letter(
        payload,
        reason=result.reason,
        detail=result.detail,
        stage=Stage.PROCESS,
        article_id=prepared.id,
        origin=origin,
    )


def run_enrich(s: Settings, stdin: BinaryIO, stdout: IO[str], dlq_path: Path | None) -> tuple[int, int]:
    """``akhbar enrich``: each stdin line through prepare (as the producer would) and the processor chain."""
    from processors.chain import build_chain

    chain = build_chain(chain_config(s.enrich))
    stories = None
    if s.stories.enabled:  # the lines, in order, through the same story stage as the stream's
        from processors.stories.stage import StoryStage, keyword_df

        stories = StoryStage(story_params(s.stories), keyword_df())
    ok = rejected = 0
    dlq = dlq_path.open("w", encoding="utf-8") if dlq_path else None
    try:
        for lineno, line in zip(itertools.count(1), stdin):
            if not line.strip():
                continue
            result = enrich_line(line.rstrip(b"\r\n"), f"stdin:{lineno}", chain)
            if isinstance(result, EnrichedArticle):
                doc = result.model_dump() if stories is None else stories.apply(result.model_dump()).document
                stdout.write(orjson.dumps(doc).decode() + "\n")
                ok += 1
                continue
            rejected += 1
            if dlq is not None:
                dlq.write(orjson.dumps(result.model_dump()).decode() + "\n")
            else:
                log.warning("line %d rejected: %s (%s)", lineno, result.reason, result.detail)
    finally:
        if dlq is not None:
            dlq.close()
    stdout.flush()
    return ok, rejected
