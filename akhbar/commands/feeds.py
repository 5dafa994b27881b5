"""``akhbar feeds poll | list | import-opml``: live feeds (see akhbar/feeds.py and producers/feeds/)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from akhbar.settings import Settings
from producers.feeds.config import FeedConfig, FeedConfigError, import_opml, load_feeds

CONFIG_ERROR_EXIT = 2  # like a usage error: the feeds file must change


def _load(path: Path) -> tuple[FeedConfig, ...]:
    try:
        return load_feeds(path)
    except FeedConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(CONFIG_ERROR_EXIT)


def _settings() -> Settings:
    obj = click.get_current_context().obj
    assert isinstance(obj, Settings)
    return obj


config_option = click.option(
    "--config", "config", type=click.Path(path_type=Path, exists=True, dir_okay=False), required=True,
    help="The feeds file (TOML, [[feeds]] tables; `akhbar feeds import-opml` writes one).",
)  # fmt: skip


@click.group()
def feeds() -> None:
    """Follow outlets' RSS/Atom/JSON feeds and news sitemaps; fetch and extract every article."""


@feeds.command()
@config_option
@click.option("--once", is_flag=True, help="Poll every feed once, produce what is new, and exit.")
@click.option("--jsonl", is_flag=True, help="Write the raw articles as JSON lines to stdout instead of Kafka.")
@click.option(
    "--status-file", type=click.Path(path_type=Path), default=None, help="Keep poll counts in this JSON file."
)
def poll(config: Path, once: bool, jsonl: bool, status_file: Path | None) -> None:
    """Poll the feeds and produce their new and updated articles to the raw topic (or stdout with --jsonl)."""
    from akhbar.feeds import run_feeds
    from producers.kafka import ProduceFailed

    configured = _load(config)
    try:
        stats = run_feeds(
            _settings(), configured, once=once, jsonl_out=sys.stdout.buffer if jsonl else None, status_file=status_file
        )
    except ProduceFailed as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"feeds polled {stats.feeds_polled} (not modified {stats.not_modified}, failed {stats.failed}), "
        f"new items {stats.items_new}, updated {stats.items_updated}, pages fetched {stats.pages_fetched}, "
        f"articles {stats.articles}, dead-lettered {stats.dead_letters}",
        err=True,
    )


@feeds.command(name="list")
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed.")
def list_feeds(config: Path, as_json: bool) -> None:
    """Each feed's last poll, status code, new items, failures, next poll and disabled reason (state topic)."""
    from akhbar.feeds import feed_states, status_rows

    rows = status_rows(_load(config), feed_states(_settings()))
    if as_json:
        for row in rows:
            click.echo(orjson.dumps(row).decode())
        return
    cols = ["feed", "status", "last_poll", "new_items", "produced", "failures", "next_poll", "interval_s", "disabled"]
    width = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    click.echo("  ".join(c.ljust(width[c]) for c in cols))
    for row in rows:
        click.echo("  ".join(str(row[c]).ljust(width[c]) for c in cols))
    disabled = sum(1 for r in rows if r["disabled"] != "-")
    click.echo(f"{len(rows)} feeds, {disabled} disabled", err=True)


@feeds.command(name="import-opml")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
def import_opml_cmd(path: Path) -> None:
    """Convert a feed reader's OPML export to a feeds file (TOML on stdout)."""
    try:
        click.echo(import_opml(path.read_bytes()), nl=False)
    except FeedConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(CONFIG_ERROR_EXIT)
