"""Finding a JDK: the newest installed one that is recent enough, unless the settings name one."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from devstack.errors import StackError

JVM_ROOT = Path("/usr/lib/jvm")  # where Debian packages and Temurin's apt repository install JDKs

_VERSION_RE = re.compile(r'^JAVA_VERSION="?(?P<v>[0-9][0-9._+-]*)"?\s*$', re.MULTILINE)


@dataclass(frozen=True, order=True)
class Jdk:
    major: int
    version: str
    home: Path


def parse_release(text: str) -> str | None:
    """The JAVA_VERSION of a JDK's ``release`` file (``"25.0.3"``, ``"17.0.15"``, ``"1.8.0_412"``)."""
    match = _VERSION_RE.search(text)
    return match.group("v") if match else None


def major_of(version: str) -> int:
    """Java's feature version: ``"1.8.0_412"`` -> 8, ``"21.0.2"`` -> 21, ``"25"`` -> 25."""
    parts = re.split(r"[._+-]", version)
    first = int(parts[0])
    return int(parts[1]) if first == 1 and len(parts) > 1 else first


def describe(home: Path) -> Jdk | None:
    """The JDK at ``home``, or None when it is not one (no ``bin/java`` or no readable ``release`` file)."""
    release = home / "release"
    if not (home / "bin" / "java").exists() or not release.is_file():
        return None
    version = parse_release(release.read_text(encoding="utf-8", errors="replace"))
    if version is None:
        return None
    return Jdk(major=major_of(version), version=version, home=home.resolve())


def installed(root: Path = JVM_ROOT) -> list[Jdk]:
    """The JDKs under ``root``, deduplicated through symlinks."""
    if not root.is_dir():
        return []
    found: dict[Path, Jdk] = {}
    for child in sorted(root.iterdir()):
        jdk = describe(child)
        if jdk is not None:
            found[jdk.home] = jdk
    return list(found.values())


def choose(candidates: Iterable[Jdk], minimum: int) -> Jdk | None:
    """The newest candidate whose major version is at least ``minimum``."""
    eligible = [jdk for jdk in candidates if jdk.major >= minimum]
    return max(eligible, default=None)


def select(configured: Path | None, minimum: int, purpose: str, root: Path = JVM_ROOT) -> Jdk:
    """The configured JDK (checked) or the newest installed one >= ``minimum``; a StackError otherwise."""
    if configured is not None:
        jdk = describe(configured)
        if jdk is None:
            raise StackError(f"{purpose}: {configured} is not a JDK (no bin/java or release file)")
        if jdk.major < minimum:
            raise StackError(f"{purpose} needs Java {minimum}+, but {configured} is Java {jdk.version}")
        return jdk
    jdks = installed(root)
    jdk = choose(jdks, minimum)
    if jdk is None:
        seen = ", ".join(f"{j.home} ({j.version})" for j in jdks) or "none"
        raise StackError(
            f"{purpose} needs Java {minimum}+; JDKs found under {root}: {seen}. "
            f"Install one (e.g. apt-get install temurin-21-jdk) or set the JDK path in the stack settings."
        )
    return jdk
