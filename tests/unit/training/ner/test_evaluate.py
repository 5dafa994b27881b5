"""Seqeval-style scoring and the ``akhbar ner`` / ``akhbar eval ner`` round trip."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from processors.ner.conll import read_conll
from training.ner.evaluate import evaluate


def test_evaluate_micro_and_per_type() -> None:
    gold = [["B-PERS", "I-PERS", "O", "B-LOC"]]
    pred = [["B-PERS", "O", "O", "B-LOC"]]
    rep = evaluate(gold, pred)
    assert rep["LOC"]["f1"] == 1.0
    assert rep["PERS"]["f1"] == 0.0
    assert rep["micro"]["precision"] == 0.5 and rep["micro"]["recall"] == 0.5


def test_cli_roundtrip_and_eval(tmp_path: Path) -> None:
    from akhbar.commands.ner import eval_ner_cmd, ner_cmd

    src = tmp_path / "in.conll"
    src.write_text(
        "وصل\tO\nالرئيس\tO\nإلى\tO\nالقاهرة\tB-LOC\n.\tO\n\nوقالت\tO\nوزارة\tB-ORG\nالخارجية\tI-ORG\n\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.conll"
    res = CliRunner().invoke(ner_cmd, ["--conll-in", str(src), "--conll-out", str(out)])
    assert res.exit_code == 0, res.output
    got_s, got_t = read_conll(out)
    want_s, _ = read_conll(src)
    assert got_s == want_s
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines.count("") == 3  # two sentence breaks + final newline
    valid = {"O"} | {f"{p}-{t}" for p in "BI" for t in ("PERS", "LOC", "ORG", "MISC")}
    assert all(y in valid for t in got_t for y in t)
    res = CliRunner().invoke(eval_ner_cmd, ["--gold", str(src)])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    assert "micro" in rep and 0.0 <= rep["micro"]["f1"] <= 1.0
