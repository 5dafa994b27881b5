"""``akhbar dlq list | show | replay``: the dead-letter queue read, inspected and replayed (see akhbar/dlq.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import click

from akhbar import dlq as letters
from akhbar.settings import Settings
from schemas import Reason, Stage

CLOSE_TIMEOUT_S = 5.0  # after the deliveries were awaited, closing only has to tidy up connections
DELIVERY_MARGIN_S = 5.0  # a replay waits the producer's delivery timeout plus this for its acknowledgements


class Since(click.ParamType):
    """``--since``: ISO 8601 or a duration before now (30m, 2h, 7d)."""

    name = "TIME"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return letters.parse_since(str(value), now=datetime.now(UTC))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


reason_option = click.option(
    "--reason",
    "reasons",
    multiple=True,
    type=click.Choice([r.value for r in Reason]),
    help="Only letters with this reason (repeatable).",
)
stage_option = click.option(
    "--stage",
    "stages",
    multiple=True,
    type=click.Choice([s.value for s in Stage]),
    help="Only letters of this stage (repeatable).",
)
since_option = click.option(
    "--since",
    type=Since(),
    default=None,
    help="Only letters that failed strictly after this: ISO 8601 (2026-05-01T12:00:00Z) or 30m, 2h, 7d.",
)


def _settings() -> Settings:
    obj = click.get_current_context().find_object(Settings)
    return obj if obj is not None else Settings()


def _read_all(s: Settings, unreadable: list[letters.Unreadable]) -> Iterator[letters.Letter]:
    """Every letter of the DLQ, through a reader that is closed when the iteration ends."""
    from akhbar.wiring import dlq_reader

    consumer = dlq_reader(s)
    try:
        yield from letters.read_letters(consumer, s.kafka.dlq_topic, unreadable)
    except letters.DlqReadError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        consumer.close()


def _report_unreadable(unreadable: list[letters.Unreadable]) -> None:
    for u in unreadable:
        click.echo(f"unreadable\t{u.partition}:{u.offset}\t{u.error}", err=True)


@click.group()
def dlq() -> None:
    """The dead-letter queue: list, show and replay what failed.

    Kafka topics are append-only: a replay never removes letters. Use --since (the newest failed_at a replay
    reports) so the next replay does not re-run the same letters."""


@dlq.command(name="list")
@reason_option
@stage_option
@since_option
@click.option("--json", "json_lines", is_flag=True, help="One JSON object per letter (whole, with its position).")
def list_cmd(reasons: tuple[str, ...], stages: tuple[str, ...], since: datetime | None, json_lines: bool) -> None:
    """One line per letter: failed_at, DLQ partition:offset, stage, reason, key, where from, size, replays, detail.
    A summary by reason and stage goes to stderr."""
    s = _settings()
    unreadable: list[letters.Unreadable] = []
    summary = letters.Summary()
    for item in letters.select(summary.seen(_read_all(s, unreadable)), reasons=reasons, stages=stages, since=since):
        summary.add(item)
        if json_lines:
            sys.stdout.buffer.write(letters.as_json(item) + b"\n")
        else:
            click.echo(letters.list_line(item))
    sys.stdout.flush()
    _report_unreadable(unreadable)
    click.echo(f"{summary}; unreadable {len(unreadable)}", err=True)


@dlq.command()
@click.argument("key")
def show(key: str) -> None:
    """The letters keyed KEY (article id), or the one at PARTITION:OFFSET of the DLQ, whole; exit 1 if none."""
    unreadable: list[letters.Unreadable] = []
    found = 0
    for item in letters.find(_read_all(_settings(), unreadable), key):
        found += 1
        click.echo(("\n" if found > 1 else "") + letters.render(item))
    _report_unreadable(unreadable)
    if not found:
        click.echo(f"no dead letter with key or position {key!r}", err=True)
        sys.exit(1)


@dlq.command()
@reason_option
@stage_option
@since_option
@click.option("--dry-run", is_flag=True, help="Print what would be replayed; send nothing.")
def replay(reasons: tuple[str, ...], stages: tuple[str, ...], since: datetime | None, dry_run: bool) -> None:
    """Re-run what failed: process letters onto the raw topic, sink letters onto the enriched topic, produce
    letters through the producer's validation again; each with the header replays = its count + 1.

    Letters whose original was truncated are skipped and named. Exit 1 if any send was not delivered."""
    s = _settings()
    k = s.kafka
    topics = letters.Topics(raw=k.raw_topic, enriched=k.enriched_topic, dlq=k.dlq_topic)
    unreadable: list[letters.Unreadable] = []
    selected = letters.select(_read_all(s, unreadable), reasons=reasons, stages=stages, since=since)
    plan = letters.replay_plan(selected, topics)
    if dry_run:
        report = letters.Report()
        for step in plan:
            click.echo(letters.plan_line(step))
            if isinstance(step, letters.Skipped):
                report.skipped.append(step)
            else:
                report.delivered(step.source, step.topic)
    else:
        from akhbar.wiring import ensure_topics, replay_producer

        ensure_topics(k)
        producer = replay_producer(s)
        try:
            report = letters.replay(plan, producer, timeout_s=k.delivery_timeout_ms / 1000 + DELIVERY_MARGIN_S)
        finally:
            producer.close(timeout=CLOSE_TIMEOUT_S)
    _report_unreadable(unreadable)
    for line in report.lines(dry_run=dry_run):
        click.echo(line)
    if report.failed:
        sys.exit(1)
