"""The README's main job (`akhbar up`) and `akhbar search`, as a user runs them, on the real local stack."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from elasticsearch import Elasticsearch

from akhbar.settings import Settings
from producers.ids import article_id
from tests.integration.conftest import REPO, count_docs, settings_env

SAMPLES = REPO / "samples" / "articles"


def test_up_indexes_a_watched_folder_and_search_finds_variants(
    settings: Settings, es: Elasticsearch, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    samples = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".json", ".txt", ".html"))
    for p in samples:
        shutil.copy(p, inbox / p.name)
    (inbox / "broken.json").write_text("{not json", encoding="utf-8")
    env = settings_env(settings)
    up = subprocess.run(
        [sys.executable, "-m", "akhbar", "up", "--watch", str(inbox), "--exit-when-idle"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert up.returncode == 0, up.stderr[-4000:]
    assert "all input processed and indexed" in up.stderr
    final = up.stderr.replace("\r", "\n").splitlines()
    status = [line for line in final if line.startswith("ingested")][-1]
    assert f"ingested {len(samples)} | enriched {len(samples)} | indexed {len(samples)} | dead-lettered 1" in status
    assert count_docs(es, settings.elasticsearch.alias) == len(samples)

    # «إسماعيل هنية» in one outlet, «اسماعيل هنيه» in the other: one query finds both
    search = subprocess.run(
        [sys.executable, "-m", "akhbar", "search", "إسماعيل هنية"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert search.returncode == 0, search.stderr[-2000:]
    pair = [
        json.loads((SAMPLES / f"0{n}_pair1_outlet_{x}_gaza_ceasefire.json").read_text())
        for n, x in ((3, "a"), (4, "b"))
    ]
    pair_ids = {article_id(a["url"], a["title"], a["body"])[0] for a in pair}
    assert "article(s) match" in search.stdout
    assert all(f"id={i}" in search.stdout for i in pair_ids), search.stdout
    json_out = subprocess.run(
        [sys.executable, "-m", "akhbar", "search", "--json", "اسماعيل هنيه"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json_out.returncode == 0, json_out.stderr[-2000:]
    assert pair_ids <= {h["_id"] for h in json.loads(json_out.stdout)}
