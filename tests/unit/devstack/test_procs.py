"""Pid files, log tails and the CLI wiring (no services: only this test process and a sleeping child)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import devstack as stack
from akhbar.commands.stack import stack as stack_group
from akhbar.settings import Settings, StackSettings
from devstack import procs


def test_tail_returns_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)), encoding="utf-8")
    assert procs.tail(log, 3).splitlines() == ["line 97", "line 98", "line 99"]
    assert procs.tail(tmp_path / "missing.log") == ""


def test_stale_pid_file_is_removed(tmp_path: Path) -> None:
    pid_file = tmp_path / "x.pid"
    pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
    # our own pid is alive, but its command line lacks the marker: treated as a recycled pid
    assert procs.live_pid(pid_file, "/no/such/marker/server.properties") is None
    assert not pid_file.exists()
    pid_file.write_text("garbage", encoding="utf-8")
    assert procs.live_pid(pid_file, "x") is None


def test_spawn_live_pid_and_stop(tmp_path: Path) -> None:
    marker = str(tmp_path / "marker-arg")
    pid_file = tmp_path / "run" / "child.pid"
    log = tmp_path / "logs" / "child.log"
    argv = [sys.executable, "-c", "import sys, time; print('hello', flush=True); time.sleep(60)", marker]
    spawned = procs.spawn(argv, log=log, pid_file=pid_file, env=procs.child_env({}), cwd=tmp_path)
    try:
        assert procs.live_pid(pid_file, marker) == spawned.pid
        assert procs.exit_code(spawned) is None
    finally:
        assert procs.stop(pid_file, marker, timeout_s=10) is True
    # reaped by stop(): no zombie, and no "subprocess is still running" ResourceWarning when the Popen is collected
    assert spawned.pid not in procs._CHILDREN
    assert spawned.popen is not None and spawned.popen.returncode is not None
    assert not pid_file.exists()
    assert procs.stop(pid_file, marker) is False
    assert "starting at" in log.read_text(encoding="utf-8")


def test_wait_ready_reports_exit_code_and_log(tmp_path: Path) -> None:
    log = tmp_path / "dies.log"
    argv = [sys.executable, "-c", "print('fatal: no config', flush=True); raise SystemExit(3)"]
    spawned = procs.spawn(argv, log=log, pid_file=tmp_path / "dies.pid", env=procs.child_env({}), cwd=tmp_path)
    with pytest.raises(stack.StackError, match=r"(?s)exited with code 3.*fatal: no config"):
        procs.wait_ready("Dies", spawned, lambda: False, deadline=float("inf"), log=log)


def test_child_env_scrubs_java_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ES_JAVA_OPTS", "-Xmx16g")
    env = procs.child_env({"ES_JAVA_HOME": "/j"})
    assert "ES_JAVA_OPTS" not in env and env["ES_JAVA_HOME"] == "/j"


def test_unknown_component_is_a_stack_error(tmp_path: Path) -> None:
    with pytest.raises(stack.StackError, match="unknown stack component"):
        stack.stop_component(StackSettings(state_dir=tmp_path), "zookeeper")


def test_cli_status_uses_the_settings_from_the_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[StackSettings] = []

    def fake_status(cfg: StackSettings) -> stack.StackStatus:
        seen.append(cfg)
        down = stack.ComponentStatus("kafka", False, False, None, 1, "127.0.0.1:1", "4.1.2", tmp_path / "k.log")
        return stack.StackStatus(kafka=down, elasticsearch=down)

    monkeypatch.setattr(stack, "status", fake_status)
    settings = Settings(stack=StackSettings(state_dir=tmp_path, kafka_port=1))
    result = CliRunner().invoke(stack_group, ["status"], obj=settings)
    assert result.exit_code == 3  # not running
    assert "stopped" in result.output
    assert seen == [settings.stack]
