"""Integration tests run against a real Kafka broker and a real Elasticsearch node on 127.0.0.1.

The session fixture starts the project's own local stack (``devstack.up``) on test ports, in a state
directory of its own, and stops it at the end if it started it. Nothing is mocked: when the stack cannot
start, the tests fail with the stack's error (they never skip). Each test gets unique topic, index and
consumer-group names, and deletes them afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from pydantic import SecretStr

import devstack as stack
from akhbar.settings import (
    DEFAULT_CACHE_DIR,
    LOCAL_ES_USER,
    ElasticsearchSettings,
    KafkaSettings,
    ProcessorSettings,
    Settings,
    SinkSettings,
    StackSettings,
    StoriesSettings,
    to_env,
)
from akhbar.wiring import ensure_topics, es_client, kafka_client_config
from sinks.index import drop_index

TEST_KAFKA_PORT = 19092  # test ports: a developer's own `akhbar up` on the defaults keeps running undisturbed
TEST_KAFKA_CONTROLLER_PORT = 19093
TEST_ES_PORT = 19200
TEST_ES_TRANSPORT_PORT = 19300
TEST_KAFKA_SASL_PORT = 19094
# The test stack is secured (Elasticsearch basic auth, plus a Kafka SASL/PLAIN listener next to the plaintext
# one), so every test goes through the credential path; the test password is not a secret.
TEST_PASSWORD = "akhbar-test-secret"
TEST_STATE_DIR = DEFAULT_CACHE_DIR / "test-stack"
WAIT_S = 120.0  # generous bound for "eventually indexed" on a loaded 2-core machine
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.integration import reliability

    if (out := reliability.write()) is not None:
        print(f"\nreliability rows written to {out}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack_settings() -> Iterator[StackSettings]:
    cfg = StackSettings(
        state_dir=TEST_STATE_DIR,
        kafka_port=TEST_KAFKA_PORT,
        kafka_controller_port=TEST_KAFKA_CONTROLLER_PORT,
        es_port=TEST_ES_PORT,
        es_transport_port=TEST_ES_TRANSPORT_PORT,
        kafka_sasl_port=TEST_KAFKA_SASL_PORT,
        secure_password=SecretStr(TEST_PASSWORD),
        ready_timeout_s=240.0,
    )
    was_running = stack.status(cfg).running
    started = time.monotonic()
    stack.up(cfg)
    print(f"\nlocal stack ready in {time.monotonic() - started:.1f}s (already running: {was_running})")
    yield cfg
    if not was_running:
        stack.down(cfg)


@pytest.fixture()
def settings(stack_settings: StackSettings) -> Iterator[Settings]:
    """Settings with unique topics, index alias and consumer groups for one test; cleaned up afterwards."""
    tag = uuid.uuid4().hex[:10]
    s = Settings(
        stack=stack_settings,
        kafka=KafkaSettings(
            bootstrap_servers=f"127.0.0.1:{stack_settings.kafka_port}",
            raw_topic=f"test-{tag}.raw",
            enriched_topic=f"test-{tag}.enriched",
            dlq_topic=f"test-{tag}.dlq",
        ),
        elasticsearch=ElasticsearchSettings(
            url=f"http://127.0.0.1:{stack_settings.es_port}",
            alias=f"akhbar-test-{tag}",
            username=LOCAL_ES_USER,
            password=SecretStr(TEST_PASSWORD),
        ),
        processor=ProcessorSettings(app_id=f"akhbar-processor-{tag}"),
        sink=SinkSettings(group_id=f"akhbar-sink-{tag}"),
        stories=StoriesSettings(
            tagged_topic=f"test-{tag}.tagged",
            state_topic=f"test-{tag}.stories.state",
            stories_topic=f"test-{tag}.stories",
            alias=f"akhbar-test-{tag}-stories",
        ),
    )
    ensure_topics(s.kafka)
    yield s
    drop_index(es_client(s.elasticsearch), s.elasticsearch.alias)
    drop_index(es_client(s.elasticsearch), s.stories.alias)
    admin = KafkaAdminClient(**kafka_client_config(s.kafka))
    try:
        ours = [t for t in admin.list_topics() if tag in t]
        if ours:
            admin.delete_topics(ours)
    finally:
        admin.close()


def settings_env(s: Settings) -> dict[str, str]:
    """The environment that makes a child `python -m akhbar ...` read the same settings."""
    return to_env(s, dict(os.environ))


class Workers:
    """Processor and sink as real child processes (as in production), stopped with SIGTERM at the end."""

    def __init__(self, s: Settings, tmp: Path) -> None:
        self.s = s
        self.tmp = tmp
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with (self.tmp / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "akhbar", *args],
                env=settings_env(self.s),
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def stop(self, name: str, timeout: float = 60) -> int:
        proc = self.procs.pop(name)
        proc.terminate()
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(
                f"{name} did not stop within {timeout}s of SIGTERM:\n{self.log(name)[-3000:]}"
            ) from None

    def kill(self, name: str) -> None:
        """SIGKILL: no chance to flush or commit."""
        proc = self.procs.pop(name)
        proc.kill()
        proc.wait()

    def tails(self, lines: int = 25) -> str:
        """The last lines of every worker log this test started (for timeout messages)."""
        out = []
        for path in sorted(self.tmp.glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name}\n" + "\n".join(line[:300] for line in tail))
        return "\n".join(out)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    def assert_alive(self) -> None:
        """Long-running workers are still running; a producer may have finished, but only successfully."""
        for name, proc in self.procs.items():
            code = proc.poll()
            if code is None or (name == "producer" and code == 0):
                continue
            raise AssertionError(f"{name} exited with {code}:\n{self.log(name)[-3000:]}")


@pytest.fixture()
def workers(settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    w = Workers(settings, tmp_path)
    yield w
    w.stop_all()


@pytest.fixture()
def es(settings: Settings) -> Elasticsearch:
    return es_client(settings.elasticsearch)


def wait_for(
    predicate: Callable[[], Any],
    *,
    timeout: float = WAIT_S,
    what: str = "condition",
    check: Callable[[], None] | None = None,
    diagnose: Callable[[], str] | None = None,
) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        if check is not None:
            check()
        time.sleep(0.5)
    extra = f"\n{diagnose()}" if diagnose is not None else ""
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last value: {last!r}){extra}")


def count_docs(es: Elasticsearch, alias: str) -> int:
    if not es.indices.exists_alias(name=alias):
        return 0
    es.indices.refresh(index=alias)
    return int(es.count(index=alias)["count"])


def read_topic(s: Settings, topic: str, *, expected: int, timeout: float = 60.0) -> list[Any]:
    """Read records from the start of a topic until ``expected`` arrived (or time runs out)."""
    consumer = KafkaConsumer(
        topic,
        **kafka_client_config(s.kafka),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=1000,
    )
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < expected and time.monotonic() < deadline:
            for r in consumer:
                records.append(r)
    finally:
        consumer.close()
    return records


def raw_producer(s: Settings) -> KafkaProducer:
    return KafkaProducer(**kafka_client_config(s.kafka), acks="all")


def write_articles(folder: Path, articles: list[dict[str, Any]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n, article in enumerate(articles):
        (folder / f"{n:03d}.json").write_text(json.dumps(article, ensure_ascii=False), encoding="utf-8")
