"""Hostile operations against the real local stack, from outside: what a newsroom's operators and upstream writers
do to a running pipeline, with clients that are not akhbar's, and what became of every article.

Runs the processor and the sink as child processes (as `akhbar up` does) on topics and an index alias of its own,
then, one scenario after another: oversized wire copy, foreign writers' poison and stale copies on
``articles.enriched``, an index write block, a closed index, a cluster-wide read-only block and a deleted alias.
Every article it sends is looked for afterwards: indexed (by id), dead-lettered (by key), or lost. Prints one
JSON report; exits 1 when anything was lost or a worker died. The texts are written for this script.

    python scripts/hostile.py            # starts the local stack (`akhbar stack up`) when it is not running
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import devstack  # noqa: E402
from akhbar.settings import Settings, to_env  # noqa: E402
from akhbar.wiring import chain_config, ensure_topics, es_client, kafka_client_config  # noqa: E402
from processors.chain import build_chain, enrich  # noqa: E402
from schemas import EnrichedArticle, RawArticle  # noqa: E402
from sinks.index import drop_index, index_name  # noqa: E402

WAIT_S = 90.0  # bound for "every article has an outcome" per scenario on a loaded 2-core machine
HOLD_S = 15.0  # how long each block stands while articles keep arriving

PEOPLE = ["مريم الخطيب", "عادل السعدي", "رنا الحسيني", "طارق الجبوري", "سلمى الفارس", "كريم العمري"]
PLACES = ["طرابلس", "صنعاء", "الخرطوم", "نواكشوط", "حلب", "الموصل", "صفاقس", "إربد"]
LINES = [
    "التقى {p} ممثلين عن نقابة الصيادين في {c} لمناقشة ارتفاع أسعار الوقود وأثره على موسم الصيد.",
    "وقالت مصادر محلية في {c} إن {p} وعد بتخصيص ميزانية لإصلاح الطرق المتضررة من السيول.",
    "وأفاد شهود بأن حركة السوق في {c} عادت إلى طبيعتها بعد إغلاق دام ثلاثة أيام.",
    "وأكد {p} أن لجنة فنية ستزور {c} الأسبوع المقبل لتقييم حاجة المدارس إلى الترميم.",
    "ونقلت الإذاعة المحلية في {c} عن {p} قوله إن المفاوضات مع المزارعين ما زالت مستمرة.",
]


def raw_article(n: int, tag: str, *, lines: int = 6) -> dict[str, Any]:
    body = " ".join(
        LINES[(n + i) % len(LINES)].format(p=PEOPLE[(n + i) % len(PEOPLE)], c=PLACES[(n * 3 + i) % len(PLACES)])
        for i in range(lines)
    )
    url = f"https://hostile.example/{tag}/{n}"
    return {
        "schema_version": 1,
        "id": hashlib.sha256(url.encode()).hexdigest()[:32],
        "url": url,
        "canonical_url": url,
        "source": "نشرة الاختبار",
        "title": f"{PLACES[n % len(PLACES)]}: متابعة ميدانية رقم {n}",
        "body": body,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


def oversized_article(n: int, tag: str) -> dict[str, Any]:
    """~260k characters of wire copy dense with names: the case that once vanished without a trace."""
    art = raw_article(n, tag)
    names = " و".join(f"{PEOPLE[i % 6]} من {PLACES[i % 8]}" for i in range(9000))
    art["body"] = f"أسماء المشاركين في الاجتماع الموسع: {names}."
    return art


class Run:
    def __init__(self) -> None:
        base = Settings()
        tag = uuid.uuid4().hex[:8]
        self.tag = tag
        self.s = base.model_copy(
            update={
                "kafka": base.kafka.model_copy(
                    update={
                        "raw_topic": f"hostile-{tag}.raw",
                        "enriched_topic": f"hostile-{tag}.enriched",
                        "dlq_topic": f"hostile-{tag}.dlq",
                    }
                ),
                "elasticsearch": base.elasticsearch.model_copy(update={"alias": f"akhbar-hostile-{tag}"}),
                "processor": base.processor.model_copy(update={"app_id": f"akhbar-processor-hostile-{tag}"}),
                "sink": base.sink.model_copy(update={"group_id": f"akhbar-sink-hostile-{tag}"}),
            }
        )
        self.logs = Path(tempfile.mkdtemp(prefix=f"akhbar-hostile-{tag}-"))
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.es: Elasticsearch = es_client(self.s.elasticsearch)
        client = kafka_client_config(self.s.kafka)
        # A plain kafka-python producer: what a foreign upstream writer would use, not akhbar's.
        self.producer = KafkaProducer(**client, acks="all", max_request_size=self.s.kafka.max_message_bytes)
        self.consumer = KafkaConsumer(**client, enable_auto_commit=False)

    def start(self, name: str) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "akhbar", name],
            env=to_env(self.s, dict(os.environ)),
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def alive(self) -> dict[str, bool]:
        return {name: proc.poll() is None for name, proc in self.procs.items()}

    def send(self, topic: str, key: str | None, value: bytes) -> None:
        self.producer.send(topic, key=key.encode() if key else None, value=value)

    def dead_letters(self) -> dict[str, list[str]]:
        """Article id -> the reasons it was dead-lettered with, over the whole DLQ topic."""
        tp = [
            TopicPartition(self.s.kafka.dlq_topic, p)
            for p in self.consumer.partitions_for_topic(self.s.kafka.dlq_topic) or ()
        ]
        self.consumer.assign(tp)
        self.consumer.seek_to_beginning(*tp)
        end = self.consumer.end_offsets(tp)
        out: dict[str, list[str]] = {}
        while any(self.consumer.position(t) < end[t] for t in tp):
            for records in self.consumer.poll(timeout_ms=500).values():
                for r in records:
                    letter = orjson.loads(r.value)
                    out.setdefault(letter.get("article_id") or "?", []).append(letter["reason"])
        return out

    def indexed(self, ids: list[str]) -> set[str]:
        self.es.indices.refresh(index=self.s.elasticsearch.alias, ignore_unavailable=True)
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            resp = self.es.mget(
                index=index_name(self.s.elasticsearch.alias), ids=ids[start : start + 500], source=False
            )
            found |= {d["_id"] for d in resp["docs"] if d.get("found")}
        return found

    def outcome(
        self, ids: list[str], *, until: Callable[[set[str], dict[str, list[str]]], bool] | None = None
    ) -> tuple[set[str], dict[str, list[str]]]:
        deadline = time.monotonic() + WAIT_S
        while True:
            indexed, letters = self.indexed(ids), self.dead_letters()
            done = all(i in indexed or i in letters for i in ids) and (until is None or until(indexed, letters))
            if done or time.monotonic() > deadline:
                return indexed, letters
            time.sleep(1.0)

    def close(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.producer.close()
        self.consumer.close()
        drop_index(self.es, self.s.elasticsearch.alias)


def row(
    run: Run, name: str, ids: list[str], *, expect_dead: frozenset[str] = frozenset(), note: str = ""
) -> dict[str, Any]:
    indexed, letters = run.outcome(ids)
    dead = {i for i in ids if i in letters and i not in indexed}
    lost = [i for i in ids if i not in indexed and i not in letters]
    return {
        "scenario": name,
        "produced": len(ids),
        "indexed": len(indexed & set(ids)),
        "dead_lettered": len(dead),
        "dead_letter_reasons": sorted({r for i in dead for r in letters[i]}),
        "unexpected_dead_letters": sorted(dead - set(expect_dead)),
        "lost": len(lost),
        "workers_alive": run.alive(),
        "note": note,
    }


@contextmanager
def held(what: str, on: Callable[[], object], off: Callable[[], object]) -> Iterator[None]:
    on()
    try:
        yield
        time.sleep(HOLD_S)
    finally:
        off()


def main() -> int:
    cfg = Settings().stack
    devstack.up(cfg)
    run = Run()
    ensure_topics(run.s.kafka)
    chain = build_chain(chain_config(run.s.enrich))
    run.start("process")
    run.start("sink")
    raw, enriched = run.s.kafka.raw_topic, run.s.kafka.enriched_topic
    index = index_name(run.s.elasticsearch.alias)
    rows = []
    n = 0

    def batch(count: int) -> list[dict[str, Any]]:
        nonlocal n
        arts = [raw_article(n + i, run.tag) for i in range(count)]
        n += count
        return arts

    try:
        # 1. Oversized wire copy among normal articles, straight onto articles.raw.
        arts = batch(40) + [oversized_article(10_000 + i, run.tag) for i in range(2)]
        for a in arts:
            run.send(raw, a["id"], orjson.dumps(a))
        run.producer.flush()
        rows.append(row(run, "oversized wire copy (260k chars of names) among 40 normal", [a["id"] for a in arts]))

        # 2. A foreign writer on articles.enriched: valid documents with poison between them.
        good = []
        for a in batch(20):
            result = enrich(RawArticle.model_validate(a), chain)
            assert isinstance(result, EnrichedArticle)
            good.append(result)
        poison: list[tuple[str, bytes]] = []
        mismatched = good[0].model_dump() | {"id": "f" * 32}
        poison.append(("e" * 32, orjson.dumps(mismatched)))  # key and id disagree
        bad_id = good[1].model_dump() | {"id": "../../_bulk"}
        poison.append(("../../_bulk", orjson.dumps(bad_id)))  # an id Elasticsearch would refuse
        poison.append(("d" * 32, orjson.dumps(good[2].model_dump())[:500]))  # cut mid-document
        for i, doc in enumerate(good):
            run.send(enriched, doc.id, orjson.dumps(doc.model_dump()))
            if i % 7 == 3 and poison:
                key, value = poison.pop()
                run.send(enriched, key, value)
        run.producer.flush()
        ids = [d.id for d in good] + ["e" * 32, "../../_bulk", "d" * 32]
        rows.append(
            row(
                run,
                "foreign writer: 20 valid enriched, 3 poison between them",
                ids,
                expect_dead=frozenset({"e" * 32, "../../_bulk", "d" * 32}),
            )
        )

        # 3.-5. Temporary write refusals while articles keep arriving: they must wait, not dead-letter.
        blocks: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
            (
                "index write block (maintenance)",
                lambda: run.es.indices.put_settings(index=index, settings={"index.blocks.write": True}),
                lambda: run.es.indices.put_settings(index=index, settings={"index.blocks.write": None}),
            ),
            ("closed index", lambda: run.es.indices.close(index=index), lambda: run.es.indices.open(index=index)),
            (
                "cluster-wide read-only block",
                lambda: run.es.cluster.put_settings(persistent={"cluster.blocks.read_only": True}),
                lambda: run.es.cluster.put_settings(persistent={"cluster.blocks.read_only": None}),
            ),
        ]
        for name, on, off in blocks:
            arts = batch(60)
            with held(name, on, off):
                for a in arts:
                    run.send(raw, a["id"], orjson.dumps(a))
                run.producer.flush()
            rows.append(row(run, f"{name}, {HOLD_S:.0f} s, 60 articles", [a["id"] for a in arts]))

        # 6. The alias is deleted by an operator: nothing may land in a rogue index named like it.
        run.es.indices.delete_alias(index=index, name=run.s.elasticsearch.alias)
        arts = batch(30)
        for a in arts:
            run.send(raw, a["id"], orjson.dumps(a))
        run.producer.flush()
        r = row(run, "alias deleted, 30 articles", [a["id"] for a in arts])
        rogue = run.es.indices.exists(index=run.s.elasticsearch.alias) and not run.es.indices.exists_alias(
            name=run.s.elasticsearch.alias
        )
        r["rogue_index_created"] = bool(rogue)
        rows.append(r)

        # 7. A stale copy (older enriched_at, other title) written over an indexed article.
        target = good[5]
        stale = target.model_dump() | {
            "title": "نسخة قديمة يجب ألا تحل محل الأحدث",
            "enriched_at": (datetime.fromisoformat(target.enriched_at.replace("Z", "+00:00")) - timedelta(hours=1))
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        }
        run.send(enriched, target.id, orjson.dumps(stale))
        run.producer.flush()
        time.sleep(5)
        run.es.indices.refresh(index=index)
        kept = run.es.get(index=index, id=target.id)["_source"]["title"]
        rows.append(
            {
                "scenario": "stale copy over an indexed article",
                "produced": 1,
                "newer_kept": kept == target.title,
                "workers_alive": run.alive(),
            }
        )
    finally:
        run.close()
    report = {"tag": run.tag, "logs": str(run.logs), "scenarios": rows}
    print(json.dumps(report, ensure_ascii=False, indent=2))
    bad = any(
        r.get("lost")
        or r.get("unexpected_dead_letters")
        or not all(r["workers_alive"].values())
        or r.get("rogue_index_created")
        or r.get("newer_kept") is False
        for r in rows
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
