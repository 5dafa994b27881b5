"""A send the processor cannot make stops it loudly, and the committed offset stays before the article.

Two ways a send fails, each against the real broker with the real faust worker as a child process: the producer
refuses the record itself (a request size below the dead letter's), or the broker refuses it (a topic limit below
the document's) and the delivery future fails. Either way the worker logs one error naming the input, exits with
status 1, and commits nothing past the input; a normal worker started afterwards processes every article.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

from akhbar.settings import EnrichSettings, Settings, StoriesSettings
from akhbar.wiring import TOPIC_MAX_MESSAGE_BYTES, kafka_client_config
from tests.fixtures.synthetic import make_articles
from tests.integration.conftest import REPO, Workers, raw_producer, read_topic, settings_env, wait_for
from tests.integration.reliability import record

CORE_STEPS = ("clean", "dates", "language", "normalise")  # no NER models to load: the worker starts in seconds
# The processor of `akhbar process` without its topic set-up (which would raise a lowered topic limit again) and
# with the message-size limit of its producer given on the command line.
WORKER = (
    "import sys\n"
    "from dataclasses import replace\n"
    "from akhbar.run import processor_config\n"
    "from akhbar.settings import Settings\n"
    "from processors.app import run_worker\n"
    "cfg = processor_config(Settings())\n"
    "run_worker(replace(cfg, max_message_bytes=int(sys.argv[1])), loglevel='warning')\n"
)


def committed(s: Settings, partition: int) -> int | None:
    admin = KafkaAdminClient(**kafka_client_config(s.kafka))
    try:
        offsets = admin.list_consumer_group_offsets(s.processor.app_id)
    finally:
        admin.close()
    at = offsets.get(TopicPartition(s.kafka.raw_topic, partition))
    return None if at is None or at.offset < 0 else int(at.offset)


def send_raw(s: Settings, count: int, seed: int) -> None:
    producer = raw_producer(s)
    try:
        for n, article in enumerate(make_articles(count, seed=seed)):
            doc = {
                "schema_version": 1,
                "id": f"{seed:04x}{n:028x}",
                "source": article["source"],
                "title": article["title"],
                "body": article["body"],
                "fetched_at": "2026-11-20T10:00:00Z",
            }
            producer.send(s.kafka.raw_topic, orjson.dumps(doc), key=doc["id"].encode(), partition=0)
        producer.flush()
    finally:
        producer.close()


def run_to_exit(s: Settings, max_message_bytes: int, log: Path, timeout: float = 90) -> int:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(max_message_bytes)],
            env=settings_env(s),
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"the worker did not stop:\n{log.read_text(errors='replace')[-3000:]}") from None


@pytest.mark.parametrize("refused_by", ["producer", "broker"])
def test_a_failed_send_stops_the_worker_without_committing_past_the_article(
    refused_by: str, settings: Settings, tmp_path: Path
) -> None:
    # the chain's own send (the story stage's sends fail the same way: it stops the worker, tested with its kill)
    s = settings.model_copy(
        update={"enrich": EnrichSettings(steps=CORE_STEPS), "stories": StoriesSettings(enabled=False)}
    )
    workers = Workers(s, tmp_path)
    try:
        # 1. two articles processed normally: the group's committed offset is 2
        send_raw(s, 2, seed=1)
        workers.start("processor", "process", "--loglevel", "warning")
        wait_for(lambda: committed(s, 0) == 2, what="offset 2 committed", check=workers.assert_alive)
        assert workers.stop("processor") == 0

        # 2. three more, and a send that cannot succeed
        send_raw(s, 3, seed=2)
        if refused_by == "broker":
            admin = KafkaAdminClient(**kafka_client_config(s.kafka))
            try:
                admin.alter_configs(
                    [
                        ConfigResource(
                            ConfigResourceType.TOPIC, s.kafka.enriched_topic, configs={TOPIC_MAX_MESSAGE_BYTES: "1000"}
                        )
                    ]
                )
            finally:
                admin.close()
            limit = s.kafka.max_message_bytes
        else:
            limit = 1200  # the ~2 KB document is dead-lettered as too large, and its ~1.5 KB letter is refused too
        started = time.monotonic()
        code = run_to_exit(s, limit, tmp_path / "failing.log")
        log = (tmp_path / "failing.log").read_text(errors="replace")
        errors = [line for line in log.splitlines() if "not delivered" in line]
        assert code == 1, log[-3000:]
        assert len(errors) == 1 and f"{s.kafka.raw_topic}[0]@2 not delivered" in errors[0], log[-3000:]
        assert ("MessageSizeTooLargeError" if refused_by == "producer" else "Error") in errors[0]
        assert committed(s, 0) == 2  # nothing committed past the article whose output was not sent

        # 3. the cause removed, a normal worker processes the rest: nothing was lost
        if refused_by == "broker":
            admin = KafkaAdminClient(**kafka_client_config(s.kafka))
            try:
                admin.alter_configs(
                    [
                        ConfigResource(
                            ConfigResourceType.TOPIC,
                            s.kafka.enriched_topic,
                            configs={TOPIC_MAX_MESSAGE_BYTES: str(s.kafka.max_message_bytes)},
                        )
                    ]
                )
            finally:
                admin.close()
        workers.start("processor", "process", "--loglevel", "warning")
        wait_for(lambda: committed(s, 0) == 5, what="offset 5 committed", check=workers.assert_alive)
        outputs = read_topic(s, s.kafka.enriched_topic, expected=5, timeout=30)
        letters = read_topic(s, s.kafka.dlq_topic, expected=1, timeout=3)
        ids = {r.key for r in outputs}
        record(
            f"processor send refused by the {refused_by} (3 articles after 2 done)",
            produced=5,
            enriched_before=2,
            enriched_after=len(ids),  # no sink here: outputs on the enriched topic
            dead_lettered=len(letters),
            lost=5 - len(ids) - len(letters),
            recovery_s=time.monotonic() - started,
            exit_code=code,
            committed_while_stopped=2,
        )
        assert len(ids) == 5 and not letters
    finally:
        workers.stop_all()
