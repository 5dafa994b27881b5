"""Building akhbar's Arabic analysis plugin (devstack/analysis-plugin) into an installable zip.

Maven compiles the jar; this module zips it with the two descriptor files Elasticsearch reads from a stable
plugin's directory (``stable-plugin-descriptor.properties`` and ``named_components.json``). The result is cached
under ``<cache>/analysis-plugin/<hash>/`` where the hash covers the plugin sources and the pinned versions, so a
fresh clone with the same sources reuses it and any edit rebuilds it.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

from devstack import procs, versions
from devstack.errors import StackError
from devstack.layout import PLUGIN_SOURCE_DIR

PLUGIN_NAME = "akhbar-analysis"  # the name in the descriptor, and the directory under plugins/
JAR_NAME = f"{PLUGIN_NAME}.jar"  # <finalName> in the plugin's pom.xml
DESCRIPTOR = "stable-plugin-descriptor.properties"  # the file name Elasticsearch looks for in a stable plugin
NAMED_COMPONENTS = "named_components.json"  # name -> class index Elasticsearch reads instead of scanning jars
HASH_CHARS = 16  # 64 bits of a sha256: collisions between plugin revisions are not a concern
ZIP_DATE = (2026, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same zip bytes


def source_files(source: Path = PLUGIN_SOURCE_DIR) -> list[Path]:
    """The files that make up the plugin: pom.xml and src/ (never a stray target/)."""
    files = [source / "pom.xml", *sorted(p for p in (source / "src").rglob("*") if p.is_file())]
    return [p for p in files if p.is_file()]


def source_hash(source: Path = PLUGIN_SOURCE_DIR) -> str:
    """A hash of the plugin sources and the versions it is built against."""
    digest = hashlib.sha256()
    digest.update(
        f"{versions.ELASTICSEARCH_VERSION}|{versions.LUCENE_VERSION}|{versions.ANALYSIS_PLUGIN_VERSION}".encode()
    )
    for path in source_files(source):
        digest.update(str(path.relative_to(source)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:HASH_CHARS]


def render_descriptor(template: str, plugin_hash: str) -> str:
    return template.replace("${plugin_version}", f"{versions.ANALYSIS_PLUGIN_VERSION}+{plugin_hash}").replace(
        "${elasticsearch_version}", versions.ELASTICSEARCH_VERSION
    )


def build(cache: Path, m2: Path, java_home: Path, source: Path = PLUGIN_SOURCE_DIR) -> tuple[Path, str]:
    """The plugin zip (built now unless cached) and its hash."""
    plugin_hash = source_hash(source)
    out_dir = cache / plugin_hash
    zip_path = out_dir / f"{PLUGIN_NAME}-{plugin_hash}.zip"
    if zip_path.exists():
        return zip_path, plugin_hash
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError("Maven (mvn) is needed once to build the Arabic analysis plugin; apt-get install maven")
    build_dir = out_dir / "build"
    argv = [
        mvn, "-B", "-q", "-f", str(source / "pom.xml"), f"-Dmaven.repo.local={m2}",
        f"-Dakhbar.build.dir={build_dir}", f"-Delasticsearch.version={versions.ELASTICSEARCH_VERSION}",
        f"-Dlucene.version={versions.LUCENE_VERSION}", "package",
    ]  # fmt: skip
    env = procs.child_env({"JAVA_HOME": str(java_home)})
    try:
        procs.run([argv[0], "-o", *argv[1:]], env=env, what="building the analysis plugin offline")
    except StackError:
        procs.run(argv, env=env, what="building the analysis plugin")
    jar = build_dir / JAR_NAME
    if not jar.is_file():
        raise StackError(f"Maven finished but {jar} is missing")
    tmp = zip_path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in (
            (JAR_NAME, jar.read_bytes()),
            (NAMED_COMPONENTS, (source / "src" / "plugin" / NAMED_COMPONENTS).read_bytes()),
            (
                DESCRIPTOR,
                render_descriptor((source / "src" / "plugin" / DESCRIPTOR).read_text("utf-8"), plugin_hash).encode(),
            ),
        ):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    tmp.replace(zip_path)
    return zip_path, plugin_hash
