"""Path layout (root vs not) and the analysis plugin's sources and hash."""

from __future__ import annotations

import json
import re
from pathlib import Path

from akhbar.settings import StackSettings
from devstack import plugin, versions
from devstack.layout import PLUGIN_SOURCE_DIR, ROOT_ES_PARENT, layout, state_id


def test_layout_non_root_keeps_everything_under_state_and_cache(tmp_path: Path) -> None:
    cfg = StackSettings(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache")
    lay = layout(cfg, as_root=False)
    assert lay.es.base == lay.es.link == tmp_path / "state" / "elasticsearch"
    assert lay.es.home == lay.es.base / "home"
    assert lay.kafka.libs == tmp_path / "cache" / f"kafka-{versions.KAFKA_VERSION}" / "libs"
    assert lay.kafka.pid == tmp_path / "state" / "run" / "kafka.pid"
    assert lay.es.pid == tmp_path / "state" / "run" / "elasticsearch.pid"
    assert lay.es.zip.name == f"elasticsearch-{versions.ELASTICSEARCH_VERSION}.zip"


def test_layout_root_moves_elasticsearch_out_of_reach_of_root_only_dirs(tmp_path: Path) -> None:
    cfg_a = StackSettings(state_dir=tmp_path / "a")
    cfg_b = StackSettings(state_dir=tmp_path / "b")
    lay_a, lay_b = layout(cfg_a, as_root=True), layout(cfg_b, as_root=True)
    assert lay_a.es.base == ROOT_ES_PARENT / state_id(tmp_path / "a") / "elasticsearch"
    assert lay_a.es.link == tmp_path / "a" / "elasticsearch"
    assert lay_a.es.base != lay_b.es.base
    assert lay_a.kafka.data == tmp_path / "a" / "kafka" / "data"  # Kafka runs as the caller: stays in state


def test_state_id_is_stable_and_short(tmp_path: Path) -> None:
    assert state_id(tmp_path) == state_id(tmp_path / "x" / "..")
    assert re.fullmatch(r"[0-9a-f]{12}", state_id(tmp_path))


def test_named_components_match_the_java_annotations() -> None:
    declared = json.loads((PLUGIN_SOURCE_DIR / "src" / "plugin" / plugin.NAMED_COMPONENTS).read_text("utf-8"))
    found: dict[str, dict[str, str]] = {}
    for source in (PLUGIN_SOURCE_DIR / "src" / "main" / "java").rglob("*.java"):
        text = source.read_text(encoding="utf-8")
        name = re.search(r'@NamedComponent\("([^"]+)"\)', text)
        if not name:
            continue
        iface = re.search(r"implements (\w+)", text)
        package = re.search(r"^package ([\w.]+);", text, re.MULTILINE)
        assert iface and package
        cls = f"{package.group(1)}.{source.stem}"
        found.setdefault(f"org.elasticsearch.plugin.analysis.{iface.group(1)}", {})[name.group(1)] = cls
    assert found == declared


def test_plugin_registers_the_stock_names() -> None:
    declared = json.loads((PLUGIN_SOURCE_DIR / "src" / "plugin" / plugin.NAMED_COMPONENTS).read_text("utf-8"))
    assert set(declared["org.elasticsearch.plugin.analysis.AnalyzerFactory"]) == {"arabic"}
    assert set(declared["org.elasticsearch.plugin.analysis.TokenFilterFactory"]) == {
        "arabic_normalization",
        "arabic_stem",
        "lowercase",
        "decimal_digit",
    }


def test_plugin_hash_is_stable_and_sensitive_to_sources(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "plugin"
    shutil.copytree(PLUGIN_SOURCE_DIR, copy, ignore=shutil.ignore_patterns("target"))
    assert plugin.source_hash(copy) == plugin.source_hash(PLUGIN_SOURCE_DIR)
    java = next((copy / "src").rglob("ArabicStemFilterFactory.java"))
    java.write_text(java.read_text("utf-8") + "\n// changed\n", encoding="utf-8")
    assert plugin.source_hash(copy) != plugin.source_hash(PLUGIN_SOURCE_DIR)
    (copy / "target").mkdir()
    (copy / "target" / "junk.class").write_bytes(b"x")
    assert plugin.source_hash(copy) == plugin.source_hash(copy)


def test_descriptor_rendering() -> None:
    template = (PLUGIN_SOURCE_DIR / "src" / "plugin" / plugin.DESCRIPTOR).read_text("utf-8")
    text = plugin.render_descriptor(template, "abc123")
    props = dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert props["name"] == plugin.PLUGIN_NAME
    assert props["elasticsearch.version"] == versions.ELASTICSEARCH_VERSION
    assert props["version"] == f"{versions.ANALYSIS_PLUGIN_VERSION}+abc123"
    assert "${" not in "".join(line for line in text.splitlines() if not line.startswith("#"))
