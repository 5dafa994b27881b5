"""Choosing a JDK from /usr/lib/jvm-like directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import jdk
from devstack.errors import StackError


def _fake_jdk(root: Path, name: str, version: str) -> Path:
    home = root / name
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").write_text("#!/bin/sh\n")
    (home / "release").write_text(f'IMPLEMENTOR="x"\nJAVA_VERSION="{version}"\nJAVA_VERSION_DATE="2026-01-01"\n')
    return home


@pytest.mark.parametrize(
    ("version", "major"), [("25.0.3", 25), ("17.0.15", 17), ("1.8.0_412", 8), ("21", 21), ("21.0.2+13", 21)]
)
def test_major_of(version: str, major: int) -> None:
    assert jdk.major_of(version) == major


def test_parse_release() -> None:
    assert jdk.parse_release('IMPLEMENTOR="Eclipse Adoptium"\nJAVA_VERSION="25.0.3"\n') == "25.0.3"
    assert jdk.parse_release("nothing here") is None


def test_select_newest_eligible(tmp_path: Path) -> None:
    _fake_jdk(tmp_path, "java-17-openjdk-amd64", "17.0.15")
    newest = _fake_jdk(tmp_path, "temurin-25-jdk-amd64", "25.0.3")
    _fake_jdk(tmp_path, "temurin-21-jdk-amd64", "21.0.7")
    assert jdk.select(None, 21, "ES", root=tmp_path).home == newest.resolve()
    assert jdk.select(None, 17, "Kafka", root=tmp_path).major == 25


def test_symlinks_are_deduplicated_and_non_jdks_ignored(tmp_path: Path) -> None:
    real = _fake_jdk(tmp_path, "java-17-openjdk-amd64", "17.0.15")
    (tmp_path / "java-1.17.0-openjdk-amd64").symlink_to(real)
    (tmp_path / "openjdk-17").mkdir()  # Debian's shared-files directory: no bin/java
    assert [j.home for j in jdk.installed(tmp_path)] == [real.resolve()]


def test_no_eligible_jdk_is_a_clear_error(tmp_path: Path) -> None:
    _fake_jdk(tmp_path, "java-17-openjdk-amd64", "17.0.15")
    with pytest.raises(StackError, match=r"needs Java 21\+.*17\.0\.15"):
        jdk.select(None, 21, "Elasticsearch", root=tmp_path)


def test_configured_jdk_wins_but_is_checked(tmp_path: Path) -> None:
    old = _fake_jdk(tmp_path, "java-17", "17.0.15")
    _fake_jdk(tmp_path, "java-25", "25.0.3")
    assert jdk.select(old, 17, "Kafka", root=tmp_path).home == old.resolve()
    with pytest.raises(StackError, match="needs Java 21"):
        jdk.select(old, 21, "Elasticsearch", root=tmp_path)
    with pytest.raises(StackError, match="not a JDK"):
        jdk.select(tmp_path / "missing", 17, "Kafka", root=tmp_path)
