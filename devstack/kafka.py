"""The one-node Kafka (KRaft broker + controller) of the local stack, run from Maven Central jars."""

from __future__ import annotations

import base64
import shutil
import time
import uuid
from pathlib import Path

from devstack import jdk, procs, versions
from devstack.config import StackConfig
from devstack.errors import StackError
from devstack.layout import KAFKA_POM, Layout
from devstack.procs import write_private

NODE_ID = 1  # the only node of the cluster, broker and controller at once
LIBS_MARKER = ".complete"  # written after copy-dependencies succeeded, so a half-copied libs/ is redone
MIN_LIBS = 20  # kafka_2.13 4.1 brings ~45 jars; fewer means the resolution went wrong
# JVM flags of Kafka's own kafka-run-class.sh / kafka-server-start.sh, minus GC logging.
KAFKA_JVM_FLAGS = (
    "-server",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
)
ADMIN_TIMEOUT_MS = 3000  # one readiness probe: a local broker answers metadata in milliseconds once up
FORMAT_HEAP_MB = 256  # `kafka-storage format` only writes two small files
LOG_RETENTION_HOURS = 168  # Kafka's default week: replays of recent articles stay possible
LOG_SEGMENT_BYTES = 256 * 1024 * 1024  # smaller than the 1 GiB default so retention frees disk on a laptop


def render_server_properties(cfg: StackConfig, data_dir: Path) -> str:
    """server.properties of a single KRaft node listening on ``cfg.host`` only."""
    broker = f"{cfg.host}:{cfg.kafka_port}"
    controller = f"{cfg.host}:{cfg.kafka_controller_port}"
    props = {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        # Dynamic quorum (KIP-853): what `kafka-storage format --standalone` expects.
        "controller.quorum.bootstrap.servers": controller,
        "listeners": f"PLAINTEXT://{broker},CONTROLLER://{controller}",
        "advertised.listeners": f"PLAINTEXT://{broker},CONTROLLER://{controller}",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        # One node: every internal topic has exactly one replica.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        # Consumers join at once instead of waiting 3 s for more members (tests and demos start many groups).
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "true",
        "log.retention.hours": str(LOG_RETENTION_HOURS),
        "log.segment.bytes": str(LOG_SEGMENT_BYTES),
    }
    if cfg.secure_password is not None:
        sasl = f"{cfg.host}:{cfg.kafka_sasl_port}"
        props["listeners"] += f",SASL_PLAINTEXT://{sasl}"
        props["advertised.listeners"] += f",SASL_PLAINTEXT://{sasl}"
        props["listener.security.protocol.map"] += ",SASL_PLAINTEXT:SASL_PLAINTEXT"
        props["sasl.enabled.mechanisms"] = "PLAIN"
        props["listener.name.sasl_plaintext.plain.sasl.jaas.config"] = (
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f"user_{cfg.kafka_sasl_user}={_jaas_quote(cfg.secure_password.get_secret_value())};"
        )
    lines = ["# Written by devstack/kafka.py on every start; edit the settings, not this file."]
    lines += [f"{key}={value}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


def _jaas_quote(value: str) -> str:
    """A JAAS option value in double quotes (backslash and quote escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_log4j(level: str = "INFO") -> str:
    """log4j2 configuration: everything to stdout, which the stack appends to logs/kafka.log."""
    return "\n".join(
        [
            "# Written by devstack/kafka.py.",
            "status = warn",
            "appender.stdout.type = Console",
            "appender.stdout.name = STDOUT",
            "appender.stdout.layout.type = PatternLayout",
            "appender.stdout.layout.pattern = [%d] %p %m (%c)%n",
            f"rootLogger.level = {level}",
            "rootLogger.appenderRefs = stdout",
            "rootLogger.appenderRef.stdout.ref = STDOUT",
            # Quieten the per-request and state-change chatter a one-node broker does not need.
            "logger.request.name = kafka.request.logger",
            "logger.request.level = WARN",
            "logger.statechange.name = state.change.logger",
            "logger.statechange.level = WARN",
            "",
        ]
    )


def new_cluster_id() -> str:
    """A KRaft cluster id in Kafka's format (URL-safe base64 of a random UUID, no padding)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def java_argv(java: Path, heap_mb: int, libs: Path, log4j: Path, main: str, *args: str) -> list[str]:
    return [
        str(java),
        f"-Xms{heap_mb}m",
        f"-Xmx{heap_mb}m",
        *KAFKA_JVM_FLAGS,
        f"-Dlog4j2.configurationFile=file:{log4j}",
        "-cp",
        f"{libs}/*",
        main,
        *args,
    ]


def ensure_libs(lay: Layout, java_home: Path) -> None:
    """Resolve Kafka's jars with Maven into the cache (once; offline first, then online)."""
    libs = lay.kafka.libs
    if (libs / LIBS_MARKER).exists():
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError("Maven (mvn) is needed once to fetch Kafka's jars from Maven Central; apt-get install maven")
    if libs.exists():
        shutil.rmtree(libs)
    libs.mkdir(parents=True)
    argv = [
        mvn, "-B", "-q", "-f", str(KAFKA_POM), f"-Dmaven.repo.local={lay.m2}",
        f"-Dkafka.version={versions.KAFKA_VERSION}", f"-Dscala.binary.version={versions.SCALA_BINARY_VERSION}",
        f"-Dlog4j.version={versions.LOG4J_VERSION}", f"-Dlog4j.slf4j.artifact={versions.LOG4J_SLF4J_ARTIFACT}",
        "dependency:copy-dependencies", f"-DoutputDirectory={libs}", "-DincludeScope=runtime",
    ]  # fmt: skip
    env = procs.child_env({"JAVA_HOME": str(java_home)})
    try:
        procs.run([argv[0], "-o", *argv[1:]], env=env, what="resolving Kafka's jars offline")
    except StackError:
        procs.run(argv, env=env, what=f"resolving Kafka {versions.KAFKA_VERSION}'s jars from Maven Central")
    if len(list(libs.glob("*.jar"))) < MIN_LIBS:
        raise StackError(f"Maven copied too few jars into {libs}; delete it and retry")
    (libs / LIBS_MARKER).write_text(versions.KAFKA_VERSION + "\n", encoding="utf-8")


def prepare(cfg: StackConfig, lay: Layout) -> Path:
    """Jars, configuration and a formatted log directory; returns the java binary to run."""
    java = jdk.select(cfg.java_home, versions.MIN_KAFKA_JAVA, "Kafka")
    ensure_libs(lay, java.home)
    paths = lay.kafka
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    write_private(paths.properties, render_server_properties(cfg, paths.data))
    paths.log4j.write_text(render_log4j(), encoding="utf-8")
    if not (paths.data / "meta.properties").exists():
        if not paths.cluster_id.exists():
            paths.cluster_id.write_text(new_cluster_id() + "\n", encoding="utf-8")
        cluster_id = paths.cluster_id.read_text(encoding="utf-8").strip()
        argv = java_argv(
            java.home / "bin" / "java", FORMAT_HEAP_MB, paths.libs, paths.log4j, "kafka.tools.StorageTool",
            "format", "--standalone", "-t", cluster_id, "-c", str(paths.properties),
        )  # fmt: skip
        procs.run(argv, env=procs.child_env({}), what="formatting Kafka's log directory")
    return java.home / "bin" / "java"


def config_changed(cfg: StackConfig, lay: Layout) -> bool:
    """The running broker was started with other settings (ports, security) than ``cfg`` asks for."""
    props = lay.kafka.properties
    current = props.read_text(encoding="utf-8") if props.exists() else None
    return current != render_server_properties(cfg, lay.kafka.data)


def marker(lay: Layout) -> str:
    """What identifies our broker in a process list: its server.properties path."""
    return str(lay.kafka.properties)


def spawn(cfg: StackConfig, lay: Layout, java: Path) -> procs.Spawned:
    if procs.port_open(cfg.host, cfg.kafka_port) or procs.port_open(cfg.host, cfg.kafka_controller_port):
        raise StackError(
            f"Kafka: port {cfg.kafka_port} or {cfg.kafka_controller_port} on {cfg.host} is already taken by another "
            f"process; stop it or set AKHBAR_STACK__KAFKA_PORT / AKHBAR_STACK__KAFKA_CONTROLLER_PORT"
        )
    paths = lay.kafka
    argv = java_argv(java, cfg.kafka_heap_mb, paths.libs, paths.log4j, "kafka.Kafka", str(paths.properties))
    return procs.spawn(argv, log=paths.log, pid_file=paths.pid, env=procs.child_env({}), cwd=paths.config_dir)


def ready(cfg: StackConfig) -> bool:
    """A real request: the broker answers a metadata (list topics) call."""
    from kafka import KafkaAdminClient  # imported here: kafka-python is slow to import and only needed here

    bootstrap = f"{cfg.host}:{cfg.kafka_port}"
    if not procs.port_open(cfg.host, cfg.kafka_port):
        return False
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap, request_timeout_ms=ADMIN_TIMEOUT_MS, client_id="akhbar-stack"
        )
    except Exception:  # NoBrokersAvailable and friends: not ready yet
        return False
    try:
        admin.list_topics()
        return True
    except Exception:  # any failed request means not ready yet
        return False
    finally:
        admin.close()


def wait(cfg: StackConfig, lay: Layout, spawned: procs.Spawned, deadline: float) -> None:
    procs.wait_ready("Kafka", spawned, lambda: ready(cfg), deadline, lay.kafka.log)


def start(cfg: StackConfig, lay: Layout) -> None:
    java = prepare(cfg, lay)
    spawned = spawn(cfg, lay, java)
    wait(cfg, lay, spawned, time.monotonic() + cfg.ready_timeout_s)
