"""The story stage alone: quality on the gold set and the silver SaudiNewsNet reprint pairs, speed at window sizes.

Quality (``--quality``): the gold set (``samples/stories/gold.jsonl``) and the 4,097 SaudiNewsNet articles of
``../shared/data/topics`` go through the default chain (as ``akhbar enrich``; cached in ``build/stories/``), then
the story stage with the settings' defaults:
* gold, in time order and over 30 shuffled orders (a backfill): pairwise precision/recall, BCubed F1, reprints;
* SaudiNewsNet (benchmark use only): of the silver near-duplicate pairs, the share in one story and marked reprint.

Speed (``--speed``): a window is filled with N articles (the topic corpora's texts, the article text cut at a
random point so that copies are not reprints, arrival times within the window), then 2,000 more are assigned;
reported: CPU ms per article (features and assignment), articles/s on one core, peak RSS.

    python bench/stories.py [--quality] [--speed] [--windows 10000,50000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from akhbar.settings import Settings  # noqa: E402
from akhbar.wiring import story_params  # noqa: E402
from processors.stories.features import features_of  # noqa: E402
from processors.stories.index import StoryIndex  # noqa: E402
from processors.stories.scoring import bcubed, pairwise  # noqa: E402
from processors.stories.stage import keyword_df  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "topics"
BUILD = ROOT / "build" / "stories"


def enriched(raw: Path, out: Path) -> list[dict[str, Any]]:
    if not out.exists() or out.stat().st_mtime < raw.stat().st_mtime:
        with raw.open("rb") as fin, out.open("wb") as fout:
            subprocess.run([sys.executable, "-m", "akhbar", "enrich"], stdin=fin, stdout=fout, check=True, cwd=ROOT)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def run(docs: list[dict[str, Any]], order: list[int], df: Any) -> list[tuple[str, str | None]]:
    index = StoryIndex(story_params(Settings().stories))
    out: list[tuple[str, str | None]] = [("", None)] * len(docs)
    for i in order:
        a = index.assign(features_of(docs[i], df))
        out[i] = (a.story_id, a.duplicate_of)
    return out


def quality(df: Any) -> dict[str, Any]:
    BUILD.mkdir(parents=True, exist_ok=True)
    gold_lines = [
        json.loads(line) for line in (ROOT / "samples/stories/gold.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    gold = {g["url"]: g for g in gold_lines}
    docs = enriched(ROOT / "samples/stories/gold.jsonl", BUILD / "gold.enriched.jsonl")
    truth = [gold[d["url"]]["gold_story"] for d in docs]
    id_of = {d["url"]: d["id"] for d in docs}
    want_dup = [id_of[gold[d["url"]]["gold_reprint_of"]] if gold[d["url"]]["gold_reprint_of"] else None for d in docs]

    def scores(order: list[int]) -> dict[str, float]:
        out = run(docs, order, df)
        p, r = pairwise(truth, [s for s, _ in out])
        found = sum(1 for (_, d), w in zip(out, want_dup, strict=True) if w and d == w)
        false = sum(1 for (_, d), w in zip(out, want_dup, strict=True) if d and d != w)
        return {"precision": p, "recall": r, "bcubed_f1": bcubed(truth, [s for s, _ in out])[2],
                "reprints_found": found, "reprints": sum(1 for w in want_dup if w), "reprints_false": false}  # fmt: skip

    by_time = sorted(range(len(docs)), key=lambda i: (docs[i]["published_at"], docs[i]["id"]))
    rng = random.Random(1)
    shuffled = []
    for _ in range(30):
        order = list(range(len(docs)))
        rng.shuffle(order)
        shuffled.append(scores(order))
    report: dict[str, Any] = {
        "gold_articles": len(docs), "gold_stories": len(set(truth)), "gold_time_order": scores(by_time),
        "gold_shuffled_median": {k: statistics.median(s[k] for s in shuffled) for k in shuffled[0]},
        "gold_shuffled_min": {k: min(s[k] for s in shuffled) for k in ("precision", "recall", "bcubed_f1")},
    }  # fmt: skip
    src = SHARED / "saudinewsnet_unlabelled.jsonl"
    if src.exists():
        raw = BUILD / "snn.raw.jsonl"
        url_of: dict[str, str] = {}
        with raw.open("w", encoding="utf-8") as fh:
            for line in src.read_text(encoding="utf-8").splitlines():
                r = json.loads(line)
                url_of[r["id"]] = r["url"]
                art = {"url": r["url"], "source": r["source"], "title": r["title"], "body": r["text"],
                       "published_at": r["date"].replace(" ", "T") + "+03:00"}  # fmt: skip
                fh.write(json.dumps(art, ensure_ascii=False) + "\n")
        snn = enriched(raw, BUILD / "snn.enriched.jsonl")
        index_of = {d["url"]: i for i, d in enumerate(snn)}
        out = run(snn, sorted(range(len(snn)), key=lambda i: (snn[i]["published_at"] or "", snn[i]["id"])), df)
        pairs = []
        for line in (SHARED / "saudinewsnet_neardup_pairs.tsv").read_text(encoding="utf-8").splitlines()[1:]:
            a, b = line.split("\t")[:2]
            if url_of.get(a) in index_of and url_of.get(b) in index_of:
                pairs.append((index_of[url_of[a]], index_of[url_of[b]]))
        same = sum(1 for a, b in pairs if out[a][0] == out[b][0])
        ids = [d["id"] for d in snn]
        rep = sum(
            1 for a, b in pairs if out[a][1] == ids[b] or out[b][1] == ids[a] or (out[a][1] and out[a][1] == out[b][1])
        )
        report["saudinewsnet"] = {"articles": len(snn), "pairs": len(pairs), "same_story": same / len(pairs),
                                  "marked_reprint": rep / len(pairs), "stories": len({s for s, _ in out})}  # fmt: skip
    return report


def speed(df: Any, window: int, extra: int = 2000) -> dict[str, Any]:
    texts: list[tuple[str, str]] = []
    for name in ("sanad_alkhaleej.jsonl", "ant_v1.jsonl", "ant_multisource.jsonl"):
        for line in (SHARED / name).read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            texts.append((r.get("title") or "", r.get("text") or r.get("body") or ""))
    rng = random.Random(7)
    params = story_params(Settings().stories)
    index = StoryIndex(params)
    t0 = 1_800_000_000.0
    span = params.window_s * 0.9

    def article(n: int) -> dict[str, Any]:
        title, body = texts[n % len(texts)]
        words = body.split()
        cut = rng.randint(len(words) // 3, max(len(words) // 3 + 1, len(words)))
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + span * n / (window + extra)))
        return {"id": f"{n:032x}", "source": f"outlet{n % 40}", "title": title,
                "body": " ".join(words[rng.randint(0, 20):cut]), "published_at": at, "fetched_at": at}  # fmt: skip

    for n in range(window):
        index.assign(features_of(article(n), df))
    docs = [article(window + n) for n in range(extra)]
    c0 = time.process_time()
    feats = [features_of(d, df) for d in docs]
    c1 = time.process_time()
    for f in feats:
        index.assign(f)
    c2 = time.process_time()
    return {"window": window, "in_window": len(index), "open_stories": index.open_stories,
            "features_ms": 1000 * (c1 - c0) / extra, "assign_ms": 1000 * (c2 - c1) / extra,
            "articles_per_s": extra / (c2 - c0), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--windows", default="10000,50000")
    args = ap.parse_args()
    both = not (args.quality or args.speed)
    df = keyword_df()
    report: dict[str, Any] = {"bench": "stories", "params": vars(story_params(Settings().stories))}
    if args.quality or both:
        report["quality"] = quality(df)
    if args.speed or both:
        report["speed"] = [speed(df, int(w)) for w in args.windows.split(",")]  # peak RSS grows: larger last
    print(json.dumps(report, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
