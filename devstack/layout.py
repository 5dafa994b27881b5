"""Where everything lives, computed from the settings (pure: nothing here touches the disk).

Cache (``cfg.cache_dir``, shared by every state directory, safe to delete)::

    dl/elasticsearch-<ver>.zip[.sha1]   the integ-test-zip from Maven Central and its verified checksum
    m2/                                  Maven's local repository (Kafka jars, plugin build dependencies)
    kafka-<ver>/libs/*.jar               the broker's class path (``mvn dependency:copy-dependencies``)
    analysis-plugin/<hash>/              the Arabic analysis plugin built from devstack/analysis-plugin

State (``cfg.state_dir``, one per settings; delete it to start from empty topics and indices)::

    run/kafka.pid, run/elasticsearch.pid
    logs/kafka.log                       the broker's log4j output and JVM messages
    kafka/server.properties, kafka/log4j2.properties, kafka/cluster.id, kafka/data/
    elasticsearch/                       Elasticsearch's base (see below); a symlink to it when running as root

Elasticsearch base (``<state_dir>/elasticsearch``, or ``/var/lib/akhbar/<id>/elasticsearch`` as root)::

    home/            the unpacked distribution with the plugin installed and config/ rewritten on each start
    data/, logs/, tmp/
    logs/elasticsearch.stdout.log

Elasticsearch refuses to run as root, so a root caller runs it as ``cfg.es_user``; that user cannot reach
anything under ``/root`` (mode 700), hence the base moves to ``/var/lib/akhbar/<id>`` where ``<id>`` is a hash of
the resolved state directory (two state directories never share a node).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from devstack import versions
from devstack.config import StackConfig

ROOT_ES_PARENT = Path("/var/lib/akhbar")  # FHS place for state of a service run by a system user
PLUGIN_SOURCE_DIR = Path(__file__).resolve().parent / "analysis-plugin"  # shipped with the package
KAFKA_POM = Path(__file__).resolve().parent / "kafka-pom.xml"  # shipped with the package
STATE_ID_CHARS = 12  # 48 bits of a sha256: distinct per state directory, short enough to type


def state_id(state_dir: Path) -> str:
    """A short stable id for a state directory, used to keep root-mode Elasticsearch bases apart."""
    return hashlib.sha256(str(state_dir.expanduser().resolve()).encode()).hexdigest()[:STATE_ID_CHARS]


@dataclass(frozen=True)
class KafkaPaths:
    libs: Path
    config_dir: Path
    properties: Path
    log4j: Path
    cluster_id: Path
    data: Path
    log: Path
    pid: Path


@dataclass(frozen=True)
class ElasticsearchPaths:
    zip: Path
    zip_sha1: Path
    link: Path  # <state_dir>/elasticsearch: the base itself, or a symlink to it when running as root
    base: Path
    home: Path
    config_dir: Path
    data: Path
    logs: Path
    tmp: Path
    stdout_log: Path
    pid: Path


@dataclass(frozen=True)
class Layout:
    cache: Path
    state: Path
    m2: Path
    plugin_cache: Path
    kafka: KafkaPaths
    es: ElasticsearchPaths


def layout(cfg: StackConfig, as_root: bool) -> Layout:
    cache = cfg.cache_dir.expanduser()
    state = cfg.state_dir.expanduser()
    run = state / "run"
    kafka_dir = state / "kafka"
    kafka = KafkaPaths(
        libs=cache / f"kafka-{versions.KAFKA_VERSION}" / "libs",
        config_dir=kafka_dir,
        properties=kafka_dir / "server.properties",
        log4j=kafka_dir / "log4j2.properties",
        cluster_id=kafka_dir / "cluster.id",
        data=kafka_dir / "data",
        log=state / "logs" / "kafka.log",
        pid=run / "kafka.pid",
    )
    link = state / "elasticsearch"
    base = ROOT_ES_PARENT / state_id(state) / "elasticsearch" if as_root else link
    home = base / "home"
    es = ElasticsearchPaths(
        zip=cache / "dl" / f"elasticsearch-{versions.ELASTICSEARCH_VERSION}.zip",
        zip_sha1=cache / "dl" / f"elasticsearch-{versions.ELASTICSEARCH_VERSION}.zip.sha1",
        link=link,
        base=base,
        home=home,
        config_dir=home / "config",
        data=base / "data",
        logs=base / "logs",
        tmp=base / "tmp",
        stdout_log=base / "logs" / "elasticsearch.stdout.log",
        pid=run / "elasticsearch.pid",
    )
    return Layout(
        cache=cache,
        state=state,
        m2=cache / "m2",
        plugin_cache=cache / "analysis-plugin",
        kafka=kafka,
        es=es,
    )
