"""The ``paperwire`` group and its store-wide commands: migrate, settings, stats, copy, serve.

Each command gathers options, builds a Runtime from Settings, and calls one
library function; what a command prints is formatting only.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import click

from paperwire.cli import admin, dev, digest, harvest, imports, recommend, search, trending, worker
from paperwire.cli.authors import authors as authors_group
from paperwire.cli.context import Context, pass_ctx
from paperwire.config import settings_table
from paperwire.lifeline import follow_parent


@click.group()
@click.option("--db", "database_url", help="Database URL (PAPERWIRE_DATABASE_URL); default SQLite in the data dir.")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Data directory (PAPERWIRE_DATA_DIR).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
@click.version_option(package_name="paperwire")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, data_dir: Path | None, verbose: bool) -> None:
    """Paperwire: find, rank and deliver research papers."""
    follow_parent()  # a child of 'paperwire run' stops when its supervisor dies (no-op otherwise)
    overrides = {"database_url": database_url, "data_dir": data_dir.absolute() if data_dir else None}
    obj = ctx.obj = Context(overrides)
    logging.basicConfig(level=logging.DEBUG if verbose else obj.settings().log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not verbose:
        for handler in logging.getLogger().handlers:
            handler.addFilter(ours_or_warnings)
    ctx.call_on_close(obj.close)


def ours_or_warnings(record: logging.LogRecord) -> bool:
    """Paperwire's and uvicorn's own messages at the configured level, other libraries' from WARNING up:
    onnxruntime's quantiser alone logs ~50 INFO lines (some through the root logger) the first time the
    embedding model is built, which buried what a first ``make run`` has to say. ``-v`` shows them."""
    return record.levelno >= logging.WARNING or record.name.split(".", 1)[0] in ("paperwire", "uvicorn")


@cli.command()
@pass_ctx
def migrate(ctx: Context) -> None:
    """Apply pending database migrations."""
    from paperwire.store import open_store

    settings = ctx.settings()
    store = open_store(settings.resolved_database_url())
    try:
        applied = store.migrate()
        click.echo(f"applied: {', '.join(applied)}" if applied else "database is up to date")
        click.echo(f"migrations: {', '.join(store.applied_migrations())}")
    finally:
        store.close()


@cli.command(name="settings")
@click.option("--markdown", is_flag=True, help="Print the table as Markdown (docs/settings.md).")
def settings_cmd(markdown: bool) -> None:
    """List every setting, its environment variable, default and help."""
    from paperwire.cli.docs import settings_markdown

    if markdown:
        click.echo(settings_markdown(), nl=False)
        return
    for info in settings_table():
        click.echo(f"{info.env} (default {info.default})\n    {info.help}")



@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_ctx
def stats(ctx: Context, as_json: bool) -> None:
    """What the store holds: papers, by category and by month."""
    from paperwire.schedule import embedding_lines

    result = ctx.runtime.store.stats()
    work = ctx.runtime.store.embed_batches.progress()
    if as_json:
        click.echo(json.dumps({**asdict(result), "embedding_work": [asdict(p) for p in work]}, default=str, indent=2))
        return
    span = f"{result.first_announced} … {result.last_announced}" if result.papers else "none"
    click.echo(f"papers: {result.papers}\nannounced: {span}\nembeddings: {result.embeddings}")
    click.echo("top categories (primary):")
    for cat, n in list(result.by_category.items())[:15]:
        click.echo(f"  {cat:<12} {n:>8}")
    click.echo("by month:")
    for month, n in result.by_month.items():
        click.echo(f"  {month}  {n:>8}")
    for line in embedding_lines(work, datetime.now(UTC)):
        click.echo(line)


@cli.command(name="copy")
@click.option("--from", "source_url", required=True, help="Database URL to copy from.")
@click.option("--to", "target_url", required=True, help="Database URL to copy into (migrated here; must be empty).")
def copy_cmd(source_url: str, target_url: str) -> None:
    """Copy a whole instance to another database and verify it by counts and checksums."""
    from paperwire.store import open_store
    from paperwire.store.copy import CopyError, copy_store

    source, target = open_store(source_url), open_store(target_url)
    try:
        source.migrate()
        target.migrate()
        report = copy_store(source, target)
    except CopyError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        source.close()
        target.close()
    for table, count in report.rows.items():
        click.echo(f"{table:<20} {count:>9} rows  sha256 {report.checksums[table][:16]}")
    click.echo("copy verified: counts and checksums match")


@cli.command()
@click.option("--host", help="Listen address (PAPERWIRE_HOST).")
@click.option("--port", type=int, help="Listen port (PAPERWIRE_PORT).")
@click.option("--processes", "--workers", "web_processes", type=int,
              help="Web processes (PAPERWIRE_WEB_PROCESSES); --workers is its uvicorn-style name.")
@pass_ctx
def serve(ctx: Context, host: str | None, port: int | None, web_processes: int | None) -> None:
    """Run the web service."""
    from paperwire.web.server import serve as run_server

    ctx.overrides.update({k: v for k, v in {"host": host, "port": port, "web_processes": web_processes}.items() if v})
    run_server(ctx.settings())


for _module in (imports, harvest, search, trending, recommend, worker, digest, admin, dev):
    for _command in _module.COMMANDS:
        cli.add_command(_command)
admin.admin.add_command(authors_group)  # paperwire admin authors …


def main() -> None:
    """Entry point of the ``paperwire`` script."""
    cli(prog_name="paperwire")


if __name__ == "__main__":
    main()
