"""CLI commands for topic/geo/keyword tags: ``akhbar train topics`` and ``akhbar eval topics``.

Plain ``click`` commands; the CLI entry point registers them. They take explicit options and never
read the environment.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

DEFAULT_OUT = Path("processors/topics/model/topics.npz")  # where the shipped bundle lives in the repo
DEFAULT_SEED = 13  # same seed as training.topics.train_topics.SEED: reruns reproduce the shipped bundle
TRAINING_MISSING = "akhbar train/eval need the training package of a source checkout (it is not in the wheel)"


@click.command("topics")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="Folder with sanad_alkhaleej.jsonl, ant_v1.jsonl, ant_multisource.jsonl.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Model bundle (.npz) to write; its meta.json is written next to it.",
)
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True)
@click.option("--skip-loo", is_flag=True, help="Skip leave-one-outlet-out evaluation (no calibration fit).")
def train_topics_cmd(data_dir: Path, out: Path, seed: int, skip_loo: bool) -> None:
    """Train the topic + geo classifiers and keyword statistics; print metrics as JSON."""
    try:
        from training.topics.train_topics import train
    except ImportError as exc:
        raise click.ClickException(TRAINING_MISSING) from exc

    metrics = train(data_dir, out, seed=seed, run_loo=not skip_loo)
    sys.stdout.write(orjson.dumps(metrics, option=orjson.OPT_INDENT_2).decode() + "\n")


@click.command("topics")
@click.option(
    "--jsonl",
    "jsonl",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="JSON lines with text, optional title, topic_unified (and optional geo_scope).",
)
@click.option(
    "--model",
    "model",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Bundle to evaluate instead of the shipped one.",
)
def eval_topics_cmd(jsonl: Path, model: Path | None) -> None:
    """Print top-label accuracy and macro-F1 (over the gold labels present) as JSON."""
    try:
        from training.topics.evaluate import evaluate_jsonl
    except ImportError as exc:
        raise click.ClickException(TRAINING_MISSING) from exc

    result = evaluate_jsonl(jsonl, model_path=model)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
