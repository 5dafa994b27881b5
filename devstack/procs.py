"""Child processes of the stack: start detached, find again through pid files, stop politely then firmly."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no stubs in the locked environment

from devstack.errors import StackError

STOP_TIMEOUT_S = 45.0  # Kafka's controlled shutdown and Elasticsearch's flush finish well within this
POLL_INTERVAL_S = 0.25  # readiness/exit polling: fast enough for a snappy `up`, cheap on 2 cores
LOG_TAIL_LINES = 30  # enough of a log to show why a process died, short enough to read in a terminal
CONNECT_TIMEOUT_S = 0.5  # a loopback connect either succeeds at once or nothing listens
KILL_WAIT_S = 5.0  # after SIGKILL the kernel frees a process at once; this only bounds the bookkeeping
TAIL_BYTES = 256 * 1024  # read at most this much of a log's end to find its last lines
# Variables that would silently change how the children run; the stack sets what they need explicitly.
SCRUBBED_ENV = (
    "ES_JAVA_OPTS",
    "ES_PATH_CONF",
    "ES_HOME",
    "KAFKA_OPTS",
    "KAFKA_HEAP_OPTS",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "CLASSPATH",
)


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The environment a child gets: ours minus the variables above, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(extra)
    return env


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file (empty when it does not exist)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - TAIL_BYTES))
            data = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


# Popen objects of the daemons this process started, kept so they are not garbage-collected while running
# (Popen.__del__ would warn "subprocess N is still running") and so stop() can reap them (no zombies).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class Spawned:
    pid: int
    popen: subprocess.Popen[bytes] | None


def spawn(
    argv: Sequence[str],
    *,
    log: Path,
    pid_file: Path,
    env: Mapping[str, str],
    cwd: Path,
    user: str | None = None,
) -> Spawned:
    """Start ``argv`` in its own session (it outlives us), output appended to ``log``, pid written to ``pid_file``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(
            f"\n--- akhbar stack: starting at {time.strftime('%Y-%m-%dT%H:%M:%S%z')}: {' '.join(argv)}\n".encode()
        )
        out.flush()
        try:
            popen = subprocess.Popen(  # argv is built by the stack, never from user text
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(env),
                cwd=cwd,
                start_new_session=True,
                user=user,
                group=user,
                extra_groups=[] if user else None,
                close_fds=True,
            )
        except OSError as exc:
            raise StackError(f"could not start {argv[0]}: {exc}") from exc
    _CHILDREN[popen.pid] = popen
    pid_file.write_text(f"{popen.pid}\n", encoding="utf-8")
    return Spawned(pid=popen.pid, popen=popen)


def _reap(pids: set[int]) -> None:
    """Collect the exit status of ended children we started (psutil may have reaped them already: fine)."""
    for pid in pids:
        popen = _CHILDREN.get(pid)
        if popen is not None and popen.poll() is not None:
            _CHILDREN.pop(pid, None)


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def live_pid(pid_file: Path, marker: str) -> int | None:
    """The pid in ``pid_file`` if that process is alive and its command line contains ``marker``.

    The marker (a path unique to this state directory) guards against a recycled pid. A stale pid file is removed.
    """
    pid = read_pid(pid_file)
    if pid is None:
        return None
    try:
        proc = psutil.Process(pid)
        if proc.status() != psutil.STATUS_ZOMBIE and marker in " ".join(proc.cmdline()):
            return pid
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        pass
    pid_file.unlink(missing_ok=True)
    return None


def exit_code(spawned: Spawned) -> int | None:
    """The exit code if the process has ended (None while it runs)."""
    if spawned.popen is not None:
        code = spawned.popen.poll()
        if code is not None:
            _CHILDREN.pop(spawned.pid, None)
        return code
    return None if psutil.pid_exists(spawned.pid) else -1


def orphans(marker: str) -> list[psutil.Process]:
    """JVMs whose command line contains ``marker`` (e.g. an Elasticsearch server whose launcher was killed)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if cmdline and Path(cmdline[0]).name == "java" and marker in " ".join(cmdline):
            with contextlib.suppress(psutil.Error):
                if proc.status() != psutil.STATUS_ZOMBIE:  # a zombie only waits for its reaper
                    found.append(proc)
    return found


def stop(pid_file: Path, marker: str, timeout_s: float = STOP_TIMEOUT_S) -> bool:
    """SIGTERM the process group, wait up to ``timeout_s``, then SIGKILL it. True if something was running.

    Processes of ours that lost their pid file or their parent (found through ``marker``) are stopped too.
    """
    pid = live_pid(pid_file, marker)
    group: list[psutil.Process] = []
    if pid is not None:
        with contextlib.suppress(psutil.NoSuchProcess):
            group = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        _signal_group(pid, signal.SIGTERM)
    strays = [proc for proc in orphans(marker) if proc.pid not in {p.pid for p in group}]
    for proc in strays:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.terminate()
    targets = group + strays
    if not targets:
        pid_file.unlink(missing_ok=True)
        if pid is None:
            _reap(set(_CHILDREN))
        return False
    _, alive = psutil.wait_procs(targets, timeout=timeout_s)
    if alive:
        if pid is not None:
            _signal_group(pid, signal.SIGKILL)
        for proc in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        psutil.wait_procs(alive, timeout=KILL_WAIT_S)
    _reap({proc.pid for proc in targets})
    pid_file.unlink(missing_ok=True)
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)  # started with start_new_session=True, so the pid is also the group id
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


def port_open(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            return True
    except OSError:
        return False


def wait_ready(
    name: str,
    spawned: Spawned,
    check: Callable[[], bool],
    deadline: float,
    log: Path,
) -> None:
    """Poll ``check`` until it passes; a StackError (exit code + log tail) if the process dies or time runs out."""
    while True:
        code = exit_code(spawned)
        if code is not None:
            raise StackError(
                f"{name} (pid {spawned.pid}) exited with code {code} while starting; last lines of {log}:\n{tail(log)}"
            )
        if check():
            return
        if time.monotonic() > deadline:
            raise StackError(
                f"{name} (pid {spawned.pid}) is running but not ready after the timeout; last lines of {log}:\n"
                f"{tail(log)}"
            )
        time.sleep(POLL_INTERVAL_S)


PRIVATE_FILE_MODE = 0o600  # configuration that may hold the secured stack's password: owner only


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (created that way: no window of wider access)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(path, PRIVATE_FILE_MODE)  # an existing file keeps its old mode through O_CREAT


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    what: str,
    cwd: Path | None = None,
    stdin: bytes | None = None,
    user: str | None = None,
) -> str:
    """Run a short command to completion; its output, or a StackError with the output's tail.

    Secrets go through ``stdin``, never ``argv`` (which the error message repeats).
    """
    try:
        done = subprocess.run(  # argv is built by the stack
            list(argv),
            env=dict(env),
            cwd=cwd,
            input=stdin if stdin is not None else b"",
            capture_output=True,
            check=False,
            user=user,
            group=user,
            extra_groups=[] if user else None,
        )
    except OSError as exc:
        raise StackError(f"{what}: could not run {argv[0]}: {exc}") from exc
    output = (done.stdout + done.stderr).decode("utf-8", errors="replace")
    if done.returncode != 0:
        last = "\n".join(output.splitlines()[-LOG_TAIL_LINES:])
        raise StackError(f"{what} failed (exit code {done.returncode}): {' '.join(argv)}\n{last}")
    return output
