"""The ``akhbar`` command line: settings are read once here and handed to each component."""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from pathlib import Path

import click

from akhbar.errors import CredentialsRejected
from akhbar.logs import quiet_repeats
from akhbar.settings import Settings

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples" / "articles"  # the bundled demo articles


def _setup_logging(verbose: bool) -> None:
    owned = not logging.getLogger().handlers  # basicConfig adds a handler only when the root has none
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("kafka", "elastic_transport", "aiokafka", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Every retry logs its own line naming what it retries; stamina's generic "retry_scheduled" would repeat it.
    logging.getLogger("stamina").setLevel(logging.ERROR)
    if owned:  # only on the handler made here: an embedding program's (or pytest's) handlers stay as they are
        quiet_repeats()  # an outage's repeated client errors: once, then a count every 10 s
    # Offset readers (status line, lag) use group-less consumers on purpose; kafka-python warns about each one.
    logging.getLogger("kafka.coordinator.consumer").addFilter(
        lambda record: not str(record.msg).startswith("group_id is None")
    )


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """akhbar: Arabic news from feeds through Kafka and enrichment into Elasticsearch."""
    _setup_logging(verbose)
    ctx.obj = Settings()


def _settings() -> Settings:
    obj = click.get_current_context().obj
    assert isinstance(obj, Settings)
    return obj


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--watch", is_flag=True, help="Keep watching the folders for new or changed files.")
@click.option("--progress/--no-progress", default=True, help="Progress bar on stderr.")
@click.option(
    "--rate", type=float, default=None, help="Send at most this many articles per second (replays, load tests)."
)
def produce(paths: tuple[Path, ...], watch: bool, progress: bool, rate: float | None) -> None:
    """Validate articles and put them on the raw topic. PATHS: JSON-lines files, folders of article files
    (.json/.jsonl/.txt/.html), or - for JSON lines on stdin. Rejected input goes to the dead-letter topic."""
    from akhbar.run import run_producer

    s = _settings()
    from producers.kafka import ProduceFailed

    try:
        stats = run_producer(s, list(paths) or [Path("-")], watch=watch, progress=progress, rate=rate)
    except ProduceFailed as exc:
        click.echo(f"error: {exc}", err=True)
        for key, error in exc.unsent:
            click.echo(f"unsent\t{key}\t{error}", err=True)
        sys.exit(1)
    click.echo(f"read {stats.read}, produced {stats.produced}, dead-lettered {stats.dead_lettered}", err=True)


@cli.command()
@click.option("--loglevel", default="info", show_default=True)
def process(loglevel: str) -> None:
    """Run the faust enrichment worker (articles.raw -> articles.enriched / articles.dlq)."""
    from akhbar.run import run_processor

    run_processor(_settings(), loglevel=loglevel)


@cli.command()
@click.option("--idle-exit", type=float, default=None, help="Exit after this many seconds without records.")
def sink(idle_exit: float | None) -> None:
    """Run the Elasticsearch sink worker (articles.enriched -> index alias)."""
    from akhbar.run import run_sink

    stats = run_sink(_settings(), idle_exit_s=idle_exit)
    click.echo(f"indexed {stats.indexed}, dead-lettered {stats.dead_lettered}, bulks {stats.bulks}", err=True)


@cli.command()
@click.option(
    "--dlq",
    "dlq_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Write rejected lines here as dead-letter JSON records.",
)
def enrich(dlq_path: Path | None) -> None:
    """Enrich JSON lines from stdin to stdout with the processor's chain (no Kafka, no Elasticsearch).

    Each input line is an article object (any form `akhbar produce` accepts). Output: one enriched JSON
    object per valid line; rejects go to --dlq (or a one-line reason on stderr)."""
    from akhbar.run import run_enrich

    ok, rejected = run_enrich(_settings(), sys.stdin.buffer, sys.stdout, dlq_path)
    click.echo(f"enriched {ok}, rejected {rejected}", err=True)


@cli.command()
@click.argument("query")
@click.option("-n", "--size", default=10, show_default=True)
@click.option("--source", default=None, help="Only articles from this source.")
@click.option("--json", "as_json", is_flag=True, help="Raw hits as JSON.")
@click.option("--stories", "by_story", is_flag=True, help="One hit per story, with its article and outlet counts.")
def search(query: str, size: int, source: str | None, as_json: bool, by_story: bool) -> None:
    """Search the index: top hits with highlighted snippets; spelling variants match."""
    from akhbar.search import print_hits, search_articles

    s = _settings()
    result = search_articles(s, query, size=size, source=source, by_story=by_story)
    print_hits(result, as_json=as_json)


_SPAN = {"m": 60, "h": 3600, "d": 86400}


def _span(value: str | None) -> timedelta | None:
    if value is None:
        return None
    number, unit = value[:-1], value[-1:]
    if unit not in _SPAN or not number.replace(".", "", 1).isdigit():
        raise click.BadParameter(f"{value!r}: a number and m, h or d (e.g. 24h)", param_hint="--since")
    return timedelta(seconds=float(number) * _SPAN[unit])


@cli.command()
@click.option("--since", default=None, help="Only stories with an article in this span (e.g. 24h, 3d).")
@click.option("-n", "--size", default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Story documents as JSON.")
def stories(since: str | None, size: int, as_json: bool) -> None:
    """The top stories: most articles and growth first, with their outlets and main names."""
    from akhbar.search import print_stories, top_stories

    print_stories(top_stories(_settings(), since=_span(since), size=size), as_json=as_json)


@cli.command()
@click.option(
    "--watch",
    "watch_dir",
    type=click.Path(path_type=Path),
    default=SAMPLES_DIR,
    show_default=True,
    help="Folder the producer watches.",
)
@click.option(
    "--feeds",
    "feeds_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Poll the feeds of this file (TOML) instead of watching a folder.",
)
@click.option(
    "--exit-when-idle",
    is_flag=True,
    help="Stop once everything in the folder (or, with --feeds, one poll of every feed) is indexed.",
)
@click.option("--stack/--no-stack", "with_stack", default=True, help="Start the local Kafka + Elasticsearch.")
def up(watch_dir: Path, feeds_file: Path | None, exit_when_idle: bool, with_stack: bool) -> None:
    """The whole pipeline on this machine: stack + producer (watching a folder, or polling feeds) + processor + sink."""
    from akhbar.pipeline import run_pipeline

    code = run_pipeline(
        _settings(), watch_dir, exit_when_idle=exit_when_idle, with_stack=with_stack, feeds_file=feeds_file
    )
    sys.exit(code)


@cli.group()
def train() -> None:
    """Train the shipped models."""


@cli.group(name="eval")
def evaluate() -> None:
    """Measure the models."""


def _register() -> None:
    from akhbar.commands.dlq import dlq
    from akhbar.commands.feeds import feeds
    from akhbar.commands.ner import eval_ner_cmd, ner_cmd, train_ner_cmd
    from akhbar.commands.stack import stack
    from akhbar.commands.topics import eval_topics_cmd, train_topics_cmd

    cli.add_command(stack)
    cli.add_command(dlq)
    cli.add_command(feeds)
    cli.add_command(ner_cmd, name="ner")
    train.add_command(train_ner_cmd, name="ner")
    train.add_command(train_topics_cmd, name="topics")
    evaluate.add_command(eval_ner_cmd, name="ner")
    evaluate.add_command(eval_topics_cmd, name="topics")


_register()


CONFIG_ERROR_EXIT = 2  # like a usage error: retrying will not help, the configuration must change


def main() -> None:
    try:
        cli(prog_name="akhbar")
    except CredentialsRejected as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(CONFIG_ERROR_EXIT)
