"""Configuration rendering for the local Kafka and Elasticsearch."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from akhbar.settings import LOCAL_KAFKA_USER, StackSettings
from devstack import elasticsearch, kafka


def _props(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_server_properties_single_kraft_node_on_loopback() -> None:
    cfg = StackSettings(kafka_port=19092, kafka_controller_port=19093)
    props = _props(kafka.render_server_properties(cfg, Path("/s/kafka/data")))
    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["log.dirs"] == "/s/kafka/data"
    assert "controller.quorum.voters" not in props  # `format --standalone` wants the dynamic quorum


def test_server_properties_one_node_replication_and_fast_rebalance() -> None:
    props = _props(kafka.render_server_properties(StackSettings(), Path("/d")))
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["transaction.state.log.min.isr"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["auto.create.topics.enable"] == "true"


def test_server_properties_follow_the_host_setting() -> None:
    props = _props(kafka.render_server_properties(StackSettings(host="127.0.0.2"), Path("/d")))
    assert props["listeners"].startswith("PLAINTEXT://127.0.0.2:9092,")


def test_cluster_id_format() -> None:
    cid = kafka.new_cluster_id()
    assert len(cid) == 22 and "=" not in cid and "+" not in cid and "/" not in cid
    assert cid != kafka.new_cluster_id()


def test_kafka_java_argv_sets_heap_and_log4j() -> None:
    argv = kafka.java_argv(Path("/j/bin/java"), 512, Path("/c/libs"), Path("/s/log4j2.properties"), "kafka.Kafka", "p")
    assert argv[:3] == ["/j/bin/java", "-Xms512m", "-Xmx512m"]
    assert "-Dlog4j2.configurationFile=file:/s/log4j2.properties" in argv
    assert argv[argv.index("-cp") + 1] == "/c/libs/*"
    assert argv[-2:] == ["kafka.Kafka", "p"]


def test_log4j_config_has_a_root_logger_on_stdout() -> None:
    text = kafka.render_log4j()
    assert "rootLogger.level = INFO" in text
    assert "appender.stdout.type = Console" in text


def _yml(text: str) -> dict[str, str]:
    pairs = (line.split(": ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_elasticsearch_yml_single_node_loopback_security_off() -> None:
    cfg = StackSettings(es_port=19200, es_transport_port=19300)
    yml = _yml(elasticsearch.render_elasticsearch_yml(cfg, Path("/b/data"), Path("/b/logs")))
    assert yml["discovery.type"] == '"single-node"'
    assert yml["network.host"] == '"127.0.0.1"'
    assert yml["http.port"] == "19200"
    assert yml["transport.port"] == "19300"
    assert yml["xpack.security.enabled"] == "false"
    assert yml["cluster.routing.allocation.disk.threshold_enabled"] == "false"
    assert yml["path.data"] == '"/b/data"'
    assert yml["path.logs"] == '"/b/logs"'


def test_elasticsearch_yml_sets_no_setting_the_stripped_distribution_lacks() -> None:
    text = elasticsearch.render_elasticsearch_yml(StackSettings(), Path("/d"), Path("/l"))
    keys = _yml(text).keys()
    assert not any(key.startswith(("ingest.geoip", "xpack.ml", "telemetry")) for key in keys)


def test_elasticsearch_yml_is_valid_yaml() -> None:
    import yaml  # type: ignore[import-untyped]

    data = yaml.safe_load(elasticsearch.render_elasticsearch_yml(StackSettings(), Path("/d"), Path("/l")))
    assert data["http.port"] == 9200
    assert data["xpack.security.enabled"] is False


def test_heap_options() -> None:
    assert elasticsearch.render_heap_options(768).splitlines()[1:] == ["-Xms768m", "-Xmx768m"]


def test_secured_stack_adds_a_sasl_listener_and_keeps_loopback() -> None:
    cfg = StackSettings(kafka_port=19092, kafka_sasl_port=19094, secure_password=SecretStr('pa"ss\\word'))
    props = _props(kafka.render_server_properties(cfg, Path("/d")))
    assert props["listeners"].endswith(",SASL_PLAINTEXT://127.0.0.1:19094")
    assert props["listener.security.protocol.map"].endswith(",SASL_PLAINTEXT:SASL_PLAINTEXT")
    assert props["sasl.enabled.mechanisms"] == "PLAIN"
    jaas = props["listener.name.sasl_plaintext.plain.sasl.jaas.config"]
    assert jaas.startswith("org.apache.kafka.common.security.plain.PlainLoginModule required ")
    assert jaas.endswith(f'user_{LOCAL_KAFKA_USER}="pa\\"ss\\\\word";')  # JAAS quoting of " and \
    assert props["inter.broker.listener.name"] == "PLAINTEXT"


def test_open_stack_has_no_sasl_listener() -> None:
    props = _props(kafka.render_server_properties(StackSettings(), Path("/d")))
    assert "SASL" not in props["listeners"] and "sasl.enabled.mechanisms" not in props


def test_secured_stack_turns_elasticsearch_security_on_without_tls() -> None:
    import yaml  # type: ignore[import-untyped]

    cfg = StackSettings(secure_password=SecretStr("x"))
    yml = yaml.safe_load(elasticsearch.render_elasticsearch_yml(cfg, Path("/d"), Path("/l")))
    assert yml["xpack.security.enabled"] is True
    assert yml["xpack.security.http.ssl.enabled"] is False
    assert yml["network.host"] == "127.0.0.1"


def test_the_stack_password_is_a_secret_in_settings() -> None:
    cfg = StackSettings(secure_password=SecretStr("hunter2-secret"))
    assert "hunter2-secret" not in repr(cfg) and "hunter2-secret" not in str(cfg.model_dump())
