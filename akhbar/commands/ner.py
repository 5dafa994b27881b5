"""CLI commands for named entities: ``akhbar ner``, ``akhbar eval ner``, ``akhbar train ner``.

Plain ``click`` commands; the CLI entry point registers them.  They take explicit options and never read the
environment.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from processors.ner import BACKENDS  # shipped = CRF + BiLSTM-CRF ensemble; crf = the CRF alone

TRAINING_MISSING = "akhbar train/eval need the training package of a source checkout (it is not in the wheel)"


@click.command("ner")
@click.option("--conll-in", "conll_in", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--conll-out", "conll_out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--backend", type=click.Choice(BACKENDS), default="shipped", show_default=True)
@click.option("--camel-model-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
def ner_cmd(conll_in: Path, conll_out: Path, backend: str, camel_model_dir: Path | None) -> None:
    """Tag a pre-tokenised CoNLL file (first column = token) and write ``token<TAB>BIO-tag``."""
    from processors.ner import tag_tokens
    from processors.ner.conll import read_conll, write_conll

    sents, _ = read_conll(conll_in, with_tags=False)
    tags = tag_tokens(sents, backend=backend, camel_model_dir=camel_model_dir)
    with conll_out.open("w", encoding="utf-8") as out:
        write_conll(out, sents, tags)


@click.command("ner")
@click.option("--gold", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--backend", type=click.Choice(BACKENDS), default="shipped", show_default=True)
@click.option("--camel-model-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
def eval_ner_cmd(gold: Path, backend: str, camel_model_dir: Path | None) -> None:
    """Tag the gold file's tokens and print precision/recall/F1 per type and micro as JSON."""
    import orjson

    from processors.ner import tag_tokens
    from processors.ner.conll import read_conll

    try:
        from training.ner.evaluate import evaluate
    except ImportError as exc:
        raise click.ClickException(TRAINING_MISSING) from exc

    sents, gold_tags = read_conll(gold)
    pred = tag_tokens(sents, backend=backend, camel_model_dir=camel_model_dir)
    sys.stdout.write(orjson.dumps(evaluate(gold_tags, pred), option=orjson.OPT_INDENT_2).decode() + "\n")


@click.command("ner")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Model directory to write (the shipped one is processors/ner/model); a file path means its folder.",
)
@click.option("--seed", type=int, default=None, help="Random seed (default: the shipped model's).")
@click.option("--dev/--no-dev", default=True, show_default=True, help="Also train on 90% and report dev F1.")
@click.option("--full/--no-full", default=True, show_default=True, help="Train the shipped model on 100%.")
@click.option(
    "--work",
    "work_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the (large, not shipped) word vectors here between runs.",
)
def train_ner_cmd(
    data_dir: Path, out_dir: Path, seed: int | None, dev: bool, full: bool, work_dir: Path | None
) -> None:
    """Train the NER model from ``DATA/ner`` (+ unlabelled text and gazetteers) into ``OUT``."""
    import orjson

    try:
        from training.ner.train_ner import DEFAULT_SEED, TrainConfig, run
    except ImportError as exc:
        raise click.ClickException(TRAINING_MISSING) from exc

    if out_dir.suffix:  # `--out model/ner.crfsuite`: the model is a directory of files, use the file's folder
        out_dir = out_dir.parent
    seed = DEFAULT_SEED if seed is None else seed
    meta = run(data_dir, out_dir, seed=seed, dev=dev, full=full, cfg=TrainConfig(), work_dir=work_dir)
    sys.stdout.write(orjson.dumps(meta.get("dev", {}), option=orjson.OPT_INDENT_2).decode() + "\n")
