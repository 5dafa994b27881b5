"""CLI commands for named entities: ``akhbar ner``, ``akhbar eval ner``, ``akhbar train ner``.

Plain ``click`` commands; the CLI entry point registers them.  They take explicit options and never read the
environment.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

BACKENDS = ("auto", "shipped", "crf", "camel")  # shipped = CRF + BiLSTM-CRF ensemble; crf = the CRF alone


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
    from processors.ner.conll import evaluate, read_conll

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
def train_ner_cmd(data_dir: Path, out_dir: Path, seed: int | None, dev: bool) -> None:
    """Train the NER model from ``DATA/ner`` (+ unlabelled text and gazetteers) into ``OUT``."""
    import orjson

    from processors.ner.train import DEFAULT_SEED, TrainConfig, run

    if out_dir.suffix:  # `--out model/ner.crfsuite`: the model is a directory of files, use the file's folder
        out_dir = out_dir.parent
    meta = run(data_dir, out_dir, seed=DEFAULT_SEED if seed is None else seed, dev=dev, full=True, cfg=TrainConfig())
    sys.stdout.write(orjson.dumps(meta.get("dev", {}), option=orjson.OPT_INDENT_2).decode() + "\n")
