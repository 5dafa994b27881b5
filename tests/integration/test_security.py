"""Credentials against the real secured test stack: SASL/PLAIN on Kafka, basic auth on Elasticsearch.

The right credentials carry articles end to end and never appear in any log. A wrong credential makes each
component stop at once with one clear error (exit code 2), instead of reconnecting forever while logging the
same authentication failure (what kafka-python and aiokafka do on their own: a retry storm).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from pydantic import SecretStr

from akhbar.settings import LOCAL_KAFKA_USER, ElasticsearchSettings, KafkaSettings, Settings
from tests.fixtures.synthetic import make_articles
from tests.integration.conftest import REPO, TEST_PASSWORD, Workers, count_docs, settings_env, wait_for
from tests.integration.reliability import record

WRONG_PASSWORD = "not-the-password-1234"
REJECTION_BOUND_S = 30.0  # generous for a loaded machine: the rejection itself takes one round trip
KAFKA_REJECTION = "rejected the credentials"
ES_REJECTION = "HTTP 401"


def over_sasl(s: Settings, password: str) -> Settings:
    kafka = KafkaSettings(
        **{
            **s.kafka.model_dump(),
            "bootstrap_servers": f"127.0.0.1:{s.stack.kafka_sasl_port}",
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "PLAIN",
            "sasl_username": LOCAL_KAFKA_USER,
            "sasl_password": SecretStr(password),
        }
    )
    return s.model_copy(update={"kafka": kafka})


def with_es_password(s: Settings, password: str) -> Settings:
    es = ElasticsearchSettings(**{**s.elasticsearch.model_dump(), "password": SecretStr(password)})
    return s.model_copy(update={"elasticsearch": es})


def run_akhbar(s: Settings, *args: str, stdin: str | None = None) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "akhbar", *args],
        env=settings_env(s),
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, time.monotonic() - started


def test_sasl_and_basic_auth_carry_articles_end_to_end_without_logging_secrets(
    settings: Settings, es: Elasticsearch, tmp_path: Path
) -> None:
    secured = over_sasl(settings, TEST_PASSWORD)
    workers = Workers(secured, tmp_path)
    try:
        workers.start("processor", "process", "--loglevel", "warning")
        workers.start("sink", "sink")
        feed = tmp_path / "feed.jsonl"
        feed.write_text(
            "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in make_articles(12, seed=21)), encoding="utf-8"
        )
        done, _ = run_akhbar(secured, "produce", "--no-progress", str(feed))
        assert done.returncode == 0, done.stderr[-3000:]
        assert "produced 12" in done.stderr
        wait_for(
            lambda: count_docs(es, settings.elasticsearch.alias) == 12,
            what="12 documents indexed over SASL + basic auth",
            check=workers.assert_alive,
            diagnose=workers.tails,
        )
    finally:
        workers.stop_all()
    logs = done.stdout + done.stderr + "".join(p.read_text(errors="replace") for p in tmp_path.glob("*.log"))
    assert TEST_PASSWORD not in logs


def assert_one_clear_error(done: subprocess.CompletedProcess[str], elapsed: float, scenario: str) -> str:
    """Exit code 2 within the bound, exactly one `error:` line, no traceback, no retries, no secret; the line."""
    output = done.stdout + done.stderr
    assert done.returncode == 2, output[-3000:]
    assert elapsed < REJECTION_BOUND_S
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output[-3000:]
    assert "Traceback" not in output and "retrying" not in output
    assert WRONG_PASSWORD not in output
    record(scenario, exit_code=done.returncode, error_lines=len(errors), seconds_to_exit=elapsed)
    return errors[0]


@pytest.mark.parametrize(
    ("command", "needs_input"),
    [(("produce", "--no-progress", "-"), True), (("process", "--loglevel", "warning"), False), (("sink",), False)],
    ids=["produce", "process", "sink"],
)
def test_wrong_kafka_password_is_one_clear_error_not_a_retry_storm(
    settings: Settings, command: tuple[str, ...], needs_input: bool
) -> None:
    article = json.dumps(make_articles(1, seed=3)[0], ensure_ascii=False) + "\n"
    done, elapsed = run_akhbar(over_sasl(settings, WRONG_PASSWORD), *command, stdin=article if needs_input else "")
    error = assert_one_clear_error(done, elapsed, f"wrong Kafka password: akhbar {command[0]}")
    assert KAFKA_REJECTION in error and f"user '{LOCAL_KAFKA_USER}'" in error
    assert (done.stdout + done.stderr).count("Authentication failed") == 1  # once: no reconnect loop behind it


@pytest.mark.parametrize("command", [("sink",), ("search", "غزة")], ids=["sink", "search"])
def test_wrong_elasticsearch_password_is_one_clear_error(settings: Settings, command: tuple[str, ...]) -> None:
    done, elapsed = run_akhbar(with_es_password(settings, WRONG_PASSWORD), *command)
    error = assert_one_clear_error(done, elapsed, f"wrong Elasticsearch password: akhbar {command[0]}")
    assert ES_REJECTION in error and "'elastic'" in error
