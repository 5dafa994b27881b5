"""The local stack: one Kafka node and one Elasticsearch node on loopback, without Docker.

``up`` fetches what is missing (Kafka's jars with Maven, Elasticsearch's integ-test-zip from Maven Central),
builds and installs akhbar's Arabic analysis plugin, starts both as detached processes and waits until each
answers a real request. ``down`` stops them (SIGTERM, bounded wait, SIGKILL). ``status`` reports without
changing anything. Versions are pinned in :mod:`devstack.versions`; where files live is documented in
:mod:`devstack.layout` and docs/stack.md.

Modules: ``versions`` (pins), ``layout`` (paths), ``jdk`` (JDK choice), ``procs`` (detached processes, pid files,
readiness polling), ``kafka``, ``elasticsearch``, ``plugin`` (building the analysis plugin).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from devstack import elasticsearch, kafka, procs, versions
from devstack.config import StackConfig
from devstack.errors import StackError
from devstack.layout import Layout, layout

Component = Literal["kafka", "elasticsearch"]
COMPONENTS: tuple[Component, ...] = ("kafka", "elasticsearch")

__all__ = [
    "COMPONENTS",
    "Component",
    "ComponentStatus",
    "StackError",
    "StackStatus",
    "down",
    "start_component",
    "status",
    "stop_component",
    "up",
]


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    running: bool  # the process is alive (ready tells whether it also answers)
    ready: bool
    pid: int | None
    port: int
    address: str  # Kafka: the bootstrap servers; Elasticsearch: the HTTP URL
    version: str
    log: Path

    def __str__(self) -> str:
        state = "ready" if self.ready else ("running, not ready" if self.running else "stopped")
        pid = f"pid {self.pid}" if self.pid else "no pid"
        return f"{self.name:<13} {state:<18} {pid:<10} {self.address:<24} v{self.version}  log {self.log}"


@dataclass(frozen=True)
class StackStatus:
    kafka: ComponentStatus
    elasticsearch: ComponentStatus

    @property
    def running(self) -> bool:
        return self.kafka.ready and self.elasticsearch.ready

    @property
    def bootstrap_servers(self) -> str:
        return self.kafka.address

    @property
    def elasticsearch_url(self) -> str:
        return self.elasticsearch.address

    def __str__(self) -> str:
        return f"{self.kafka}\n{self.elasticsearch}"


def _as_root() -> bool:
    return os.geteuid() == 0


def _layout(cfg: StackConfig) -> Layout:
    return layout(cfg, _as_root())


def _kafka_status(cfg: StackConfig, lay: Layout) -> ComponentStatus:
    pid = procs.live_pid(lay.kafka.pid, kafka.marker(lay))
    return ComponentStatus(
        name="kafka",
        running=pid is not None,
        ready=pid is not None and kafka.ready(cfg),
        pid=pid,
        port=cfg.kafka_port,
        address=f"{cfg.host}:{cfg.kafka_port}",
        version=versions.KAFKA_VERSION,
        log=lay.kafka.log,
    )


def _es_status(cfg: StackConfig, lay: Layout) -> ComponentStatus:
    pid = procs.live_pid(lay.es.pid, elasticsearch.marker(lay))
    ready = pid is not None and elasticsearch.ready(cfg)
    return ComponentStatus(
        name="elasticsearch",
        running=pid is not None,
        ready=ready,
        pid=pid,
        port=cfg.es_port,
        address=f"http://{cfg.host}:{cfg.es_port}",
        version=(elasticsearch.version(cfg) if ready else None) or versions.ELASTICSEARCH_VERSION,
        log=lay.es.stdout_log,
    )


def status(cfg: StackConfig) -> StackStatus:
    """What is running now (changes nothing)."""
    lay = _layout(cfg)
    return StackStatus(kafka=_kafka_status(cfg, lay), elasticsearch=_es_status(cfg, lay))


def _check_name(name: str) -> Component:
    if name == "kafka":
        return "kafka"
    if name == "elasticsearch":
        return "elasticsearch"
    raise StackError(f"unknown stack component {name!r}; expected one of {', '.join(COMPONENTS)}")


def up(cfg: StackConfig) -> StackStatus:
    """Start whatever is not running (preparing it first) and wait until both answer; idempotent.

    A component running with a configuration other than ``cfg``'s is restarted with ``cfg``'s.
    """
    lay = _layout(cfg)
    as_root = _as_root()
    pending: list[tuple[str, procs.Spawned]] = []
    # Running with other settings (e.g. a test stack started before it was secured): restart that component.
    if procs.live_pid(lay.kafka.pid, kafka.marker(lay)) is not None and kafka.config_changed(cfg, lay):
        procs.stop(lay.kafka.pid, kafka.marker(lay))
    if procs.live_pid(lay.es.pid, elasticsearch.marker(lay)) is not None and elasticsearch.config_changed(cfg, lay):
        procs.stop(lay.es.pid, elasticsearch.marker(lay))
    if procs.live_pid(lay.kafka.pid, kafka.marker(lay)) is None:
        procs.stop(lay.kafka.pid, kafka.marker(lay))  # strays of an earlier run (lost pid file or parent)
        java = kafka.prepare(cfg, lay)
        pending.append(("kafka", kafka.spawn(cfg, lay, java)))
    if procs.live_pid(lay.es.pid, elasticsearch.marker(lay)) is None:
        try:
            procs.stop(lay.es.pid, elasticsearch.marker(lay))
            es_java = elasticsearch.prepare(cfg, lay, as_root)
            pending.append(("elasticsearch", elasticsearch.spawn(cfg, lay, es_java, as_root)))
        except BaseException:
            for name, _ in pending:
                stop_component(cfg, name)
            raise
    deadline = time.monotonic() + cfg.ready_timeout_s
    try:
        for name, spawned in pending:
            if name == "kafka":
                kafka.wait(cfg, lay, spawned, deadline)
            else:
                elasticsearch.wait(cfg, lay, spawned, deadline)
    except BaseException:
        for name, _ in pending:
            stop_component(cfg, name)
        raise
    result = status(cfg)
    for component in (result.kafka, result.elasticsearch):
        if not component.ready:  # running from an earlier `up` but not answering (still starting, or wedged)
            _wait_existing(cfg, component.name, deadline)
    return status(cfg)


def _wait_existing(cfg: StackConfig, name: str, deadline: float) -> None:
    check = kafka.ready if name == "kafka" else elasticsearch.ready
    while not check(cfg):
        if time.monotonic() > deadline:
            raise StackError(f"{name} is running but does not answer; try `akhbar stack down` then `up`")
        time.sleep(procs.POLL_INTERVAL_S)


def down(cfg: StackConfig) -> None:
    """Stop both components at once (each: SIGTERM, bounded wait, SIGKILL); nothing happens for what is not running."""
    with ThreadPoolExecutor(max_workers=len(COMPONENTS)) as pool:
        for future in [pool.submit(stop_component, cfg, name) for name in COMPONENTS]:
            future.result()


def stop_component(cfg: StackConfig, name: str) -> bool:
    """Stop one component; True if it was running."""
    component = _check_name(name)
    lay = _layout(cfg)
    if component == "kafka":
        return procs.stop(lay.kafka.pid, kafka.marker(lay))
    return procs.stop(lay.es.pid, elasticsearch.marker(lay))


def start_component(cfg: StackConfig, name: str) -> ComponentStatus:
    """Start one component if it is not running and wait until it answers."""
    component = _check_name(name)
    lay = _layout(cfg)
    if component == "kafka":
        if procs.live_pid(lay.kafka.pid, kafka.marker(lay)) is None:
            procs.stop(lay.kafka.pid, kafka.marker(lay))  # strays of an earlier run (lost pid file or parent)
            kafka.start(cfg, lay)
        else:
            _wait_existing(cfg, "kafka", time.monotonic() + cfg.ready_timeout_s)
        return _kafka_status(cfg, lay)
    if procs.live_pid(lay.es.pid, elasticsearch.marker(lay)) is None:
        procs.stop(lay.es.pid, elasticsearch.marker(lay))
        elasticsearch.start(cfg, lay, _as_root())
    else:
        _wait_existing(cfg, "elasticsearch", time.monotonic() + cfg.ready_timeout_s)
    return _es_status(cfg, lay)
