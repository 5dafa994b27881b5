"""Rows of the reliability report, written by the fault tests as they run.

At the end of the session the rows go to ``$AKHBAR_RELIABILITY_OUT`` (default: build/reliability.json);
``python -m tests.integration.reliability`` renders docs/reliability.md from that file.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROWS: list[dict[str, Any]] = []
REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "build" / "reliability.json"


def record(scenario: str, **measured: Any) -> None:
    ROWS.append({"scenario": scenario, **{k: round(v, 1) if isinstance(v, float) else v for k, v in measured.items()}})


def write() -> Path | None:
    if not ROWS:
        return None
    out = Path(os.environ.get("AKHBAR_RELIABILITY_OUT", DEFAULT_OUT))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(ROWS, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return out


def render(rows: list[dict[str, Any]]) -> str:
    lines = [
        "# Reliability: measured outcomes",
        "",
        "Produced by the integration tests against the real local Kafka and Elasticsearch (`scripts/test`, then",
        "`python -m tests.integration.reliability`): `test_faults.py` (every fault scenario asserts that the index",
        "ends with exactly the distinct article ids produced), `test_bad_input_corpus.py` (every bad-input kind",
        "ends as defined, the pipeline still indexing afterwards), `test_security.py` (a rejected credential",
        "ends the command with exit code 2 and one `error:` line), and the hostile-operation tests",
        "`test_sink_hostile.py`, `test_oversized.py`, `test_send_failure.py`, `test_dlq_replay.py` (every article",
        "indexed or dead-lettered with its reason, none lost; blocks pause instead of dead-lettering).",
        "",
        "| scenario | articles produced | indexed before the fault | indexed after | time to recover (s) | notes |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        notes = ", ".join(
            f"{k} {v}"
            for k, v in r.items()
            if k not in {"scenario", "produced", "indexed_before", "indexed_after", "recovery_s"}
        )
        cells = [
            r["scenario"],
            r.get("produced"),
            r.get("indexed_before"),
            r.get("indexed_after"),
            r.get("recovery_s"),
            notes,
        ]
        lines.append("| " + " | ".join("—" if c is None else str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    (REPO / "docs" / "reliability.md").write_text(render(json.loads(src.read_text())), encoding="utf-8")
    print(f"wrote docs/reliability.md from {src}")
