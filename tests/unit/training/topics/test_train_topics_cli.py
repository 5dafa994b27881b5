"""``akhbar train topics`` refuses a data folder without the training sets."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from akhbar.commands.topics import train_topics_cmd


def test_train_topics_needs_data(tmp_path: Path) -> None:
    result = CliRunner().invoke(train_topics_cmd, ["--data", str(tmp_path), "--out", str(tmp_path / "m.npz")])
    assert result.exit_code != 0
    assert isinstance(result.exception, FileNotFoundError)
