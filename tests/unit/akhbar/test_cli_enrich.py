"""`akhbar enrich`: the processor's chain over JSON lines, no Kafka or Elasticsearch involved."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from akhbar.cli import cli


def test_enrich_prints_one_object_per_valid_line_and_dead_letters_the_rest(tmp_path: Path) -> None:
    lines = [
        json.dumps({"title": "خـبر أول", "body": "افتتحت البلدية حديقة جديدة في وسط المدينة.", "source": "أ"}),
        "{not json",
        json.dumps({"title": "English only", "body": "The council opened a new park downtown."}),
        "",
        json.dumps({"title": "خبر ثان", "body": "<p>أعلن النادي عن تعاقده مع مدرب جديد للموسم المقبل.</p>"}),
    ]
    dlq = tmp_path / "dlq.jsonl"
    result = CliRunner().invoke(
        cli, ["enrich", "--dlq", str(dlq)], input="\n".join(lines).encode(), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["title"] for o in out] == ["خبر أول", "خبر ثان"]
    assert out[1]["body"] == "أعلن النادي عن تعاقده مع مدرب جديد للموسم المقبل." and "markup_removed" in out[1]["flags"]
    letters = [json.loads(line) for line in dlq.read_text().splitlines()]
    assert [(d["reason"], d["origin"]) for d in letters] == [("invalid_json", "stdin:2"), ("not_arabic", "stdin:3")]
    assert "enriched 2, rejected 2" in result.stderr
