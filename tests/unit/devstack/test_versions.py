"""The versions pinned in devstack/versions.py are the ones docker-compose.yml and the poms use."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from akhbar.settings import KafkaSettings
from devstack import versions
from devstack.layout import KAFKA_POM, PLUGIN_SOURCE_DIR

REPO = Path(__file__).resolve().parents[3]
POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _pom_properties(pom: Path) -> dict[str, str]:
    props = ET.parse(pom).getroot().find("m:properties", POM_NS)
    assert props is not None
    return {child.tag.split("}")[1]: (child.text or "").strip() for child in props}


def test_compose_images_are_the_pinned_versions() -> None:
    services = _compose()["services"]
    assert services["kafka"]["image"] == versions.KAFKA_IMAGE == f"apache/kafka:{versions.KAFKA_VERSION}"
    assert services["elasticsearch"]["image"] == versions.ELASTICSEARCH_IMAGE
    assert services["elasticsearch"]["image"].endswith(f":{versions.ELASTICSEARCH_VERSION}")
    assert services["kibana"]["image"] == versions.KIBANA_IMAGE
    assert versions.KIBANA_VERSION == versions.ELASTICSEARCH_VERSION


def test_every_compose_image_is_pinned_to_a_version() -> None:
    for name, service in _compose()["services"].items():
        image = service.get("image", "")
        tag = image.rsplit(":", 1)[-1] if ":" in image else ""
        assert tag and tag != "latest", f"service {name} has an unpinned image {image!r}"


def test_compose_workers_run_the_three_commands_with_container_addresses() -> None:
    services = _compose()["services"]
    commands = {name: services[name]["command"] for name in ("producer", "processor", "sink")}
    assert commands == {
        "producer": ["akhbar", "produce", "--watch", "/data/inbox"],
        "processor": ["akhbar", "process"],
        "sink": ["akhbar", "sink"],
    }
    for name in commands:
        env = services[name]["environment"]
        assert env["AKHBAR_KAFKA__BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert env["AKHBAR_ELASTICSEARCH__URL"] == "http://elasticsearch:9200"
        assert services[name]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["sink"]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"


def test_compose_broker_takes_the_message_size_contract_of_the_settings() -> None:
    env = _compose()["services"]["kafka"]["environment"]
    assert int(env["KAFKA_MESSAGE_MAX_BYTES"]) == KafkaSettings().max_message_bytes


def test_dockerfile_uses_the_pinned_python_image() -> None:
    first = next(
        line for line in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines() if line.startswith("FROM ")
    )
    assert first == f"FROM {versions.PYTHON_IMAGE} AS base"


def _dockerfile_stages() -> dict[str, list[str]]:
    """The Dockerfile's build stages by name, each with its instruction lines."""
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    for line in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.startswith("FROM "):
            current = stages.setdefault(line.split(" AS ")[-1].strip(), [])
        elif line and not line.startswith("#"):
            current.append(line)
    return stages


def test_each_worker_builds_the_image_of_its_role() -> None:
    services = _compose()["services"]
    stages = _dockerfile_stages()
    for role in ("producer", "processor", "sink"):
        build = services[role]["build"]
        assert build["target"] == role and build["dockerfile"] == "Dockerfile"
        assert role in stages
    # Only the processor installs the NLP extra (faust, camel-tools, torch); producer and sink get the base.
    installs = {role: [line for line in stages[role] if line.startswith("RUN pip install")] for role in stages}
    assert installs["producer"] == installs["sink"] == ["RUN pip install ."]
    assert len(installs["processor"]) == 1 and '".[processor]"' in installs["processor"][0]


def test_kafka_pom_defaults_equal_the_pins() -> None:
    props = _pom_properties(KAFKA_POM)
    assert props["kafka.version"] == versions.KAFKA_VERSION
    assert props["scala.binary.version"] == versions.SCALA_BINARY_VERSION
    assert props["log4j.version"] == versions.LOG4J_VERSION
    assert props["log4j.slf4j.artifact"] == versions.LOG4J_SLF4J_ARTIFACT


def test_plugin_pom_defaults_equal_the_pins() -> None:
    props = _pom_properties(PLUGIN_SOURCE_DIR / "pom.xml")
    assert props["elasticsearch.version"] == versions.ELASTICSEARCH_VERSION
    assert props["lucene.version"] == versions.LUCENE_VERSION
    version = ET.parse(PLUGIN_SOURCE_DIR / "pom.xml").getroot().find("m:version", POM_NS)
    assert version is not None and version.text == versions.ANALYSIS_PLUGIN_VERSION


def test_download_url_is_maven_central_integ_test_zip() -> None:
    assert (
        "https://repo1.maven.org/maven2/org/elasticsearch/distribution/integ-test-zip/elasticsearch/"
        f"{versions.ELASTICSEARCH_VERSION}/elasticsearch-{versions.ELASTICSEARCH_VERSION}.zip"
    ) == versions.ELASTICSEARCH_ZIP_URL
    assert len(versions.ELASTICSEARCH_ZIP_SHA256) == 64
