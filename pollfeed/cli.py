"""`flask pollfeed compact | verify | adopt | rotate-epoch`: the change log's maintenance, from the command line."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from . import idempotency, maintenance
from .settings import parse_duration

cli = AppGroup("pollfeed", help="Maintain Pollfeed's change log.")


def _duration(ctx, param, value):
    try:
        return None if value is None else parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command("compact")
@click.option("--retention", default=None, callback=_duration,
              help="Override POLLFEED_CHANGES_RETENTION (e.g. 7d, 12h).")
@click.option("--batch", default=5000, show_default=True, type=click.IntRange(min=1),
              help="Changes deleted per transaction.")
def compact(retention, batch):
    """Drop changes older than the retention window (cursors older than that get 410), and stored
    Idempotency-Key responses older than POLLFEED_IDEMPOTENCY_TTL."""
    window = current_app.config["POLLFEED_CHANGES_RETENTION"] if retention is None else retention
    with click.progressbar(length=0, label="compacting", file=sys.stderr) as bar:
        dropped = maintenance.compact(window, batch=batch, progress=bar)
    click.echo(f"dropped {dropped} change(s) older than {window}")
    ttl = current_app.config["POLLFEED_IDEMPOTENCY_TTL"]
    keys = idempotency.drop_expired(ttl)
    click.echo(f"dropped {keys} idempotency key(s) older than {ttl}")


@cli.command("adopt")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Rows per transaction.")
@click.option("--after-compaction", is_flag=True,
              help="Run on a compacted log too: rows quiet since before its horizon are logged again, as creates.")
def adopt(batch, after_compaction):
    """Bring into the change log the versioned rows it never heard of (a table made versioned in place, rows
    inserted by raw SQL): a create each, and an access period for each Grant whose principal has none
    open. Writers may go on meanwhile; safe to run again."""
    with click.progressbar(length=0, label="adopting", file=sys.stderr) as bar:
        try:
            logged = maintenance.adopt(batch=batch, progress=bar, after_compaction=after_compaction)
        except maintenance.AdoptRefused as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"logged {logged} row(s) the change log had not heard of")


@cli.command("rotate-epoch")
def rotate_epoch():
    """A new cursor epoch: every open client re-lists. Not needed after a restore (stamps notice it)."""
    old, new = maintenance.rotate_epoch()
    click.echo(f"cursor epoch {old} -> {new}: clients holding older cursors get 410 cursor-unknown and re-list")


@cli.command("verify")
def verify():
    """Check the log against the rows: versions, stamps, tombstones, dense increasing positions."""
    problems = maintenance.verify()
    for line in problems:
        click.echo(f"- {line}")
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) found")
    click.echo("change log consistent")
