"""``akhbar stack up | down | status``: the local Kafka + Elasticsearch (see docs/stack.md)."""

from __future__ import annotations

import sys
import time

import click

from akhbar.settings import Settings, StackSettings


def _stack_settings() -> StackSettings:
    obj = click.get_current_context().obj
    if isinstance(obj, Settings):
        return obj.stack
    if isinstance(obj, StackSettings):  # tests may hand the stack settings directly
        return obj
    return Settings().stack


@click.group()
def stack() -> None:
    """The local Kafka and Elasticsearch (no Docker): start, stop, inspect."""


@stack.command()
def up() -> None:
    """Start Kafka and Elasticsearch (fetching/building what is missing) and wait until both answer."""
    import devstack as local

    started = time.monotonic()
    try:
        result = local.up(_stack_settings())
    except local.StackError as exc:
        click.echo(f"akhbar stack up: {exc}", err=True)
        sys.exit(1)
    click.echo(str(result))
    click.echo(f"ready in {time.monotonic() - started:.1f} s", err=True)


@stack.command()
def down() -> None:
    """Stop Elasticsearch and Kafka (SIGTERM, then SIGKILL after a bounded wait)."""
    import devstack as local

    try:
        local.down(_stack_settings())
    except local.StackError as exc:
        click.echo(f"akhbar stack down: {exc}", err=True)
        sys.exit(1)
    click.echo(str(local.status(_stack_settings())))


@stack.command()
def status() -> None:
    """Show each component: ready/running/stopped, pid, address, version, log file. Exit 0 only if both are ready."""
    import devstack as local

    result = local.status(_stack_settings())
    click.echo(str(result))
    sys.exit(0 if result.running else 3)
