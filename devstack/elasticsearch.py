"""The one-node Elasticsearch of the local stack: the integ-test-zip from Maven Central plus akhbar's plugin."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pwd
import shutil
import time
import urllib.error
import urllib.request
import zipfile
from http import HTTPStatus
from pathlib import Path

from devstack import jdk, plugin, procs, versions
from devstack.config import StackConfig
from devstack.errors import StackError
from devstack.layout import Layout

HOME_MARKER = ".akhbar-installed"  # in home/: the distribution version unpacked there, written last
PLUGIN_MARKER = ".akhbar-plugin"  # in home/: the hash of the installed analysis plugin
KEYSTORE_FILE = "elasticsearch.keystore"  # in config/: where bootstrap.password lives
BOOTSTRAP_MARKER = ".akhbar-bootstrap.sha256"  # in config/: digest of the password last put into the keystore
DOWNLOAD_TIMEOUT_S = 60.0  # per socket operation; the 130 MB zip itself may take minutes on a slow link
DOWNLOAD_CHUNK = 1 << 20  # 1 MiB reads keep memory flat while hashing on the fly
HTTP_PROBE_TIMEOUT_S = 3.0  # one readiness probe: the health call itself waits at most 1 s server-side
CLUSTER_NAME = "akhbar-local"  # shows up in logs and `GET /`, distinguishing it from a real cluster
NODE_NAME = "akhbar-local"  # the only node; names its log file logs/akhbar-local.log
SHARED_DIR_MODE = 0o755  # /var/lib/akhbar/<id>: the Elasticsearch user must be able to traverse it


def render_elasticsearch_yml(cfg: StackConfig, data: Path, logs: Path) -> str:
    """elasticsearch.yml for a loopback-only, single-node, security-off node that needs no network."""
    settings: dict[str, str | bool | int] = {
        "cluster.name": CLUSTER_NAME,
        "node.name": NODE_NAME,
        "path.data": str(data),
        "path.logs": str(logs),
        "network.host": cfg.host,
        "http.port": cfg.es_port,
        "transport.port": cfg.es_transport_port,
        "discovery.type": "single-node",
        # Open by default for local development (docker-compose.yml explains security for anything shared);
        # a secured stack (settings.stack.secure_password) uses basic auth over loopback HTTP, no TLS.
        "xpack.security.enabled": cfg.secure_password is not None,
        # A laptop disk at 90 % must not turn indices read-only.
        "cluster.routing.allocation.disk.threshold_enabled": False,
        # Nothing here downloads at start-up: the integ-test-zip has no ingest-geoip or ML modules, and their
        # settings (e.g. `ingest.geoip.downloader.enabled`) do not exist on it; setting them fails the boot.
    }
    if cfg.secure_password is not None:
        settings["xpack.security.http.ssl.enabled"] = False
        settings["xpack.security.transport.ssl.enabled"] = False
    lines = ["# Written by devstack/elasticsearch.py on every start; edit the settings, not this file."]
    lines += [f"{key}: {json.dumps(value)}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def render_heap_options(heap_mb: int) -> str:
    return f"# Written by devstack/elasticsearch.py.\n-Xms{heap_mb}m\n-Xmx{heap_mb}m\n"


def file_digests(path: Path) -> tuple[str, str]:
    """SHA-1 and SHA-256 of a file, in one pass."""
    sha1 = hashlib.sha1()  # Maven Central publishes SHA-1 checksums; integrity, not security
    sha256 = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(DOWNLOAD_CHUNK):
            sha1.update(chunk)
            sha256.update(chunk)
    return sha1.hexdigest(), sha256.hexdigest()


def central_sha1(url: str) -> str | None:
    """The .sha1 Maven Central publishes for ``url``, or None when it has none (HTTP 404)."""
    try:
        with urllib.request.urlopen(url + ".sha1", timeout=DOWNLOAD_TIMEOUT_S) as resp:  # fixed URL
            return str(resp.read().decode("ascii")).split()[0].lower()
    except urllib.error.HTTPError as exc:
        if exc.code == HTTPStatus.NOT_FOUND:
            return None
        raise StackError(f"could not download {url}.sha1: {exc}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise StackError(f"could not download {url}.sha1: {exc}") from exc


def verify(path: Path, sha256: str, sha1: str | None) -> str | None:
    """Why ``path`` is not the pinned file (None when it is)."""
    actual_sha1, actual_sha256 = file_digests(path)
    if actual_sha256 != sha256:
        return f"sha256 {actual_sha256}, pinned {sha256}"
    if sha1 is not None and actual_sha1 != sha1:
        return f"sha1 {actual_sha1}, Maven Central says {sha1}"
    return None


def ensure_zip(lay: Layout) -> Path:
    """The integ-test-zip in the cache: downloaded if missing, checked against the pinned SHA-256 and Central's .sha1.

    ``dl/<zip>.sha1`` records a completed check (Central's sha1, or ``none`` when it publishes none), so a later
    unpack needs no network.
    """
    zip_path, checked = lay.es.zip, lay.es.zip_sha1
    url = versions.ELASTICSEARCH_ZIP_URL
    if zip_path.exists() and checked.exists():
        return zip_path
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    sha1 = central_sha1(url)
    if zip_path.exists():
        problem = verify(zip_path, versions.ELASTICSEARCH_ZIP_SHA256, sha1)
        if problem:
            zip_path.unlink()
            raise StackError(f"{zip_path} is not the pinned Elasticsearch zip ({problem}); deleted it, run again")
    else:
        part = zip_path.with_suffix(".zip.part")
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as resp, part.open("wb") as out:
                shutil.copyfileobj(resp, out, DOWNLOAD_CHUNK)
        except (urllib.error.URLError, OSError) as exc:
            part.unlink(missing_ok=True)
            raise StackError(f"could not download {url}: {exc}") from exc
        problem = verify(part, versions.ELASTICSEARCH_ZIP_SHA256, sha1)
        if problem:
            part.unlink(missing_ok=True)
            raise StackError(f"checksum mismatch for {url}: {problem}")
        part.replace(zip_path)
    checked.write_text(f"{sha1 or 'none'}\n", encoding="utf-8")
    return zip_path


def extract(zip_path: Path, dest: Path) -> None:
    """Unpack the distribution's single top-level directory as ``dest``, keeping the executable bits."""
    staging = dest.with_name(dest.name + ".unpacking")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            target = Path(zf.extract(info, staging))
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                target.chmod(mode)
    tops = list(staging.iterdir())
    if len(tops) != 1 or not tops[0].is_dir():
        raise StackError(f"{zip_path}: expected one top-level directory, found {[t.name for t in tops]}")
    if dest.exists():
        shutil.rmtree(dest)
    tops[0].replace(dest)
    staging.rmdir()


def ensure_user(name: str) -> pwd.struct_passwd:
    """The unprivileged system user Elasticsearch runs as when we are root (created once, idempotently)."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    procs.run(
        [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", name],
        env=procs.child_env({}),
        what=f"creating the system user {name} for Elasticsearch",
    )  # fmt: skip
    return pwd.getpwnam(name)


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid, follow_symlinks=False)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)


def _plugin_env(lay: Layout, java_home: Path) -> dict[str, str]:
    return procs.child_env(
        {"ES_JAVA_HOME": str(java_home), "ES_PATH_CONF": str(lay.es.config_dir), "ES_TMPDIR": str(lay.es.tmp)}
    )


def install(cfg: StackConfig, lay: Layout, java_home: Path, as_root: bool) -> None:
    """Unpack the distribution and install the analysis plugin, each only when missing or changed."""
    es = lay.es
    marker = es.home / HOME_MARKER
    es.base.mkdir(parents=True, exist_ok=True)
    if as_root:
        for parent in (es.base.parent.parent, es.base.parent):
            parent.chmod(SHARED_DIR_MODE)
    if not marker.exists() or marker.read_text(encoding="utf-8").strip() != versions.ELASTICSEARCH_VERSION:
        extract(ensure_zip(lay), es.home)
        marker.write_text(versions.ELASTICSEARCH_VERSION + "\n", encoding="utf-8")
    for directory in (es.data, es.logs, es.tmp):
        directory.mkdir(parents=True, exist_ok=True)
    zip_path, plugin_hash = plugin.build(lay.plugin_cache, lay.m2, java_home)
    plugin_marker = es.home / PLUGIN_MARKER
    installed_dir = es.home / "plugins" / plugin.PLUGIN_NAME
    current = plugin_marker.read_text(encoding="utf-8").strip() if plugin_marker.exists() else None
    if current != plugin_hash or not installed_dir.is_dir():
        if installed_dir.exists():
            shutil.rmtree(installed_dir)
        procs.run(
            [str(es.home / "bin" / "elasticsearch-plugin"), "install", "--batch", zip_path.as_uri()],
            env=_plugin_env(lay, java_home),
            what="installing the Arabic analysis plugin into Elasticsearch",
            cwd=es.home,
        )
        plugin_marker.write_text(plugin_hash + "\n", encoding="utf-8")


def _as_es_user_env(cfg: StackConfig, lay: Layout, java_home: Path, as_root: bool) -> dict[str, str]:
    """The environment of a process run as the Elasticsearch user (the node itself, its keystore tool)."""
    env = _plugin_env(lay, java_home)
    if as_root:
        env.update({"HOME": str(lay.es.base), "USER": cfg.es_user, "LOGNAME": cfg.es_user})
    return env


def _password_digest(cfg: StackConfig) -> str | None:
    """SHA-256 of the secured stack's password (what the marker next to the keystore records); None = open."""
    if cfg.secure_password is None:
        return None
    return hashlib.sha256(cfg.secure_password.get_secret_value().encode("utf-8")).hexdigest()


def _keystore_current(cfg: StackConfig, lay: Layout) -> bool:
    """The keystore already holds ``cfg``'s password (or the stack is open and needs none)."""
    digest = _password_digest(cfg)
    if digest is None:
        return True
    marker = lay.es.config_dir / BOOTSTRAP_MARKER
    return marker.exists() and marker.read_text(encoding="utf-8").strip() == digest


def _set_bootstrap_password(cfg: StackConfig, lay: Layout, java_home: Path, as_root: bool) -> None:
    """Put the secured stack's password into the keystore as ``bootstrap.password`` (the ``elastic`` user's).

    Only when it changed (a digest is kept next to the keystore): each keystore command starts a JVM.
    """
    digest = _password_digest(cfg)
    if cfg.secure_password is None or digest is None or _keystore_current(cfg, lay):
        return
    secret = cfg.secure_password.get_secret_value().encode("utf-8")
    tool = str(lay.es.home / "bin" / "elasticsearch-keystore")
    env = _as_es_user_env(cfg, lay, java_home, as_root)
    user = cfg.es_user if as_root else None  # the keystore tool refuses to change the file's owner
    if not (lay.es.config_dir / KEYSTORE_FILE).exists():
        procs.run([tool, "create"], env=env, what="creating the Elasticsearch keystore", cwd=lay.es.home, user=user)
    procs.run(
        [tool, "add", "--stdin", "--force", "bootstrap.password"],
        env=env,
        what="setting the elastic user's bootstrap password",
        cwd=lay.es.home,
        stdin=secret,
        user=user,
    )
    procs.write_private(lay.es.config_dir / BOOTSTRAP_MARKER, digest + "\n")


def configure(cfg: StackConfig, lay: Layout, as_root: bool, java_home: Path) -> None:
    es = lay.es
    procs.write_private(es.config_dir / "elasticsearch.yml", render_elasticsearch_yml(cfg, es.data, es.logs))
    options_d = es.config_dir / "jvm.options.d"
    options_d.mkdir(exist_ok=True)
    (options_d / "akhbar-heap.options").write_text(render_heap_options(cfg.es_heap_mb), encoding="utf-8")
    if as_root:
        user = ensure_user(cfg.es_user)
        _chown_tree(es.base, user.pw_uid, user.pw_gid)
        if not es.link.is_symlink() and not es.link.exists():
            es.link.parent.mkdir(parents=True, exist_ok=True)
            es.link.symlink_to(es.base, target_is_directory=True)
    _set_bootstrap_password(cfg, lay, java_home, as_root)  # after the chown: the keystore tool runs as that user


def prepare(cfg: StackConfig, lay: Layout, as_root: bool) -> Path:
    """Everything short of starting the node; returns the JDK home it runs on."""
    java = jdk.select(cfg.es_java_home, versions.MIN_ES_JAVA, f"Elasticsearch {versions.ELASTICSEARCH_VERSION}")
    install(cfg, lay, java.home, as_root)
    configure(cfg, lay, as_root, java.home)
    return java.home


def config_changed(cfg: StackConfig, lay: Layout) -> bool:
    """The running node was started with other settings (ports, security, password) than ``cfg`` asks for."""
    yml = lay.es.config_dir / "elasticsearch.yml"
    try:
        current = yml.read_text(encoding="utf-8")
    except OSError:
        return True
    return current != render_elasticsearch_yml(cfg, lay.es.data, lay.es.logs) or not _keystore_current(cfg, lay)


def marker(lay: Layout) -> str:
    """What identifies our node in a process list: the launcher's class path contains our home directory."""
    return str(lay.es.home) + "/"


def spawn(cfg: StackConfig, lay: Layout, java_home: Path, as_root: bool) -> procs.Spawned:
    if procs.port_open(cfg.host, cfg.es_port) or procs.port_open(cfg.host, cfg.es_transport_port):
        raise StackError(
            f"Elasticsearch: port {cfg.es_port} or {cfg.es_transport_port} on {cfg.host} is already taken by another "
            f"process; stop it or set AKHBAR_STACK__ES_PORT / AKHBAR_STACK__ES_TRANSPORT_PORT"
        )
    env = _as_es_user_env(cfg, lay, java_home, as_root)
    return procs.spawn(
        [str(lay.es.home / "bin" / "elasticsearch")],
        log=lay.es.stdout_log,
        pid_file=lay.es.pid,
        env=env,
        cwd=lay.es.home,
        user=cfg.es_user if as_root else None,
    )


def _get(cfg: StackConfig, path: str) -> dict[str, object] | None:
    request = urllib.request.Request(f"http://{cfg.host}:{cfg.es_port}{path}")
    if cfg.secure_password is not None:
        token = base64.b64encode(f"{cfg.es_admin_user}:{cfg.secure_password.get_secret_value()}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_PROBE_TIMEOUT_S) as resp:  # loopback http
            body = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def ready(cfg: StackConfig) -> bool:
    """The cluster is at least yellow."""
    health = _get(cfg, "/_cluster/health?wait_for_status=yellow&timeout=1s")
    return health is not None and health.get("status") in ("yellow", "green") and not health.get("timed_out")


def version(cfg: StackConfig) -> str | None:
    root = _get(cfg, "/")
    ver = root.get("version") if root else None
    number = ver.get("number") if isinstance(ver, dict) else None
    return str(number) if number else None


def wait(cfg: StackConfig, lay: Layout, spawned: procs.Spawned, deadline: float) -> None:
    procs.wait_ready("Elasticsearch", spawned, lambda: ready(cfg), deadline, lay.es.stdout_log)


def start(cfg: StackConfig, lay: Layout, as_root: bool) -> None:
    java_home = prepare(cfg, lay, as_root)
    spawned = spawn(cfg, lay, java_home, as_root)
    wait(cfg, lay, spawned, time.monotonic() + cfg.ready_timeout_s)
