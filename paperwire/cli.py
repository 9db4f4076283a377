"""The ``paperwire`` command: thin commands over the library.

Each command gathers options, builds a Runtime from Settings, and calls one
library function; what a command prints is formatting only.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from paperwire.config import Settings, settings_table
from paperwire.ingest.report import HarvestReport
from paperwire.runtime import Runtime


def _settings(overrides: dict[str, Any]) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise click.UsageError(f"invalid setting: {problems}") from None


class Context:
    """What every command receives: the settings overrides and a lazily built Runtime."""

    def __init__(self, overrides: dict[str, Any]) -> None:
        self.overrides = overrides
        self._runtime: Runtime | None = None

    def settings(self, **more: Any) -> Settings:
        return _settings({**self.overrides, **more})

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime(self.settings())
        return self._runtime

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()


pass_ctx = click.make_pass_decorator(Context)


@click.group()
@click.option("--db", "database_url", help="Database URL (PAPERWIRE_DATABASE_URL); default SQLite in the data dir.")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Data directory (PAPERWIRE_DATA_DIR).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
@click.version_option(package_name="paperwire")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, data_dir: Path | None, verbose: bool) -> None:
    """Paperwire: find, rank and deliver research papers."""
    overrides = {"database_url": database_url, "data_dir": data_dir.absolute() if data_dir else None}
    obj = ctx.obj = Context(overrides)
    logging.basicConfig(level=logging.DEBUG if verbose else obj.settings().log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.call_on_close(obj.close)


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
    from paperwire.docs import settings_markdown

    if markdown:
        click.echo(settings_markdown(), nl=False)
        return
    for info in settings_table():
        click.echo(f"{info.env} (default {info.default})\n    {info.help}")


@cli.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--batch-size", type=click.IntRange(1, 100_000), help="Papers per transaction.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--embed", "then_embed", is_flag=True, help="Then embed the new and changed papers.")
@pass_ctx
def import_cmd(ctx: Context, paths: tuple[Path, ...], batch_size: int | None, quiet: bool, then_embed: bool) -> None:
    """Import papers from JSON-lines files (Paperwire or Kaggle format, .gz or plain)."""
    from paperwire.progress import embed_with_progress, import_with_progress

    runtime = ctx.runtime
    show = not quiet and sys.stderr.isatty()
    try:
        report = import_with_progress(runtime, list(paths), batch_size, show=show)
        click.echo(report.summary())
        if then_embed and runtime.embedder is not None:
            click.echo(embed_with_progress(runtime, reembed=False, limit=None, show=show).summary())
    except KeyboardInterrupt:
        click.echo("interrupted: whole batches are saved, the one in progress was rolled back; "
                   "run the same command again to finish", err=True)
        sys.exit(130)
    sys.exit(0 if report.ok else 1)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_ctx
def stats(ctx: Context, as_json: bool) -> None:
    """What the store holds: papers, by category and by month."""
    result = ctx.runtime.store.stats()
    if as_json:
        click.echo(json.dumps(asdict(result), default=str, indent=2))
        return
    span = f"{result.first_announced} … {result.last_announced}" if result.papers else "none"
    click.echo(f"papers: {result.papers}\nannounced: {span}\nembeddings: {result.embeddings}")
    click.echo("top categories (primary):")
    for cat, n in list(result.by_category.items())[:15]:
        click.echo(f"  {cat:<12} {n:>8}")
    click.echo("by month:")
    for month, n in result.by_month.items():
        click.echo(f"  {month}  {n:>8}")


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
@click.option("--workers", "web_workers", type=int, help="Web processes (PAPERWIRE_WEB_WORKERS).")
@pass_ctx
def serve(ctx: Context, host: str | None, port: int | None, web_workers: int | None) -> None:
    """Run the web service."""
    from paperwire.web.server import serve as run_server

    ctx.overrides.update({k: v for k, v in {"host": host, "port": port, "web_workers": web_workers}.items() if v})
    run_server(ctx.settings())


# -- harvest: live sources, one run of one source ----------------------------------------------

_DAY = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _finish(ctx: Context, report: HarvestReport, sync: bool = True) -> None:
    """Print the summary line, bring this host's search index up to date, exit 1 on failure."""
    if sync and report.ok:
        ctx.runtime.indexes.sync()
    click.echo(report.line())
    sys.exit(0 if report.ok else 1)


@cli.group()
def harvest() -> None:
    """Fetch from live sources (arXiv, Hugging Face, GitHub): each command runs one source once."""


@harvest.command("arxiv")
@click.option("--set", "sets", multiple=True, help="OAI-PMH set (repeatable; '*' = all arXiv). Default: harvest_sets.")
@click.option("--from", "start", type=_DAY, help="First datestamp (YYYY-MM-DD). Default: where the last run ended.")
@click.option("--to", "until", type=_DAY, help="Last datestamp (YYYY-MM-DD), inclusive.")
@click.option("--max-pages", type=click.IntRange(1), help="Stop after this many pages; the next run resumes.")
@click.option("--format", "fmt", type=click.Choice(["arXiv", "arXivRaw", "oai_dc"]), help="Metadata format.")
@click.option("--base-url", help="OAI-PMH base URL (PAPERWIRE_ARXIV_OAI_URL).")
@pass_ctx
def harvest_arxiv(ctx: Context, sets: tuple[str, ...], start: datetime | None, until: datetime | None,
                  max_pages: int | None, fmt: str | None, base_url: str | None) -> None:
    """Harvest arXiv metadata over OAI-PMH, incrementally; a killed run resumes where it stopped."""
    from paperwire.ingest.harvest import run_arxiv

    settings = ctx.settings(arxiv_oai_url=base_url, arxiv_oai_format=fmt)
    chosen = ["" if s == "*" else s for s in sets] or None
    _finish(ctx, run_arxiv(ctx.runtime.store, settings, chosen, _day(start), _day(until), max_pages))


@harvest.command("listing")
@click.option("--category", "categories", multiple=True,
              help="Feed category (repeatable). Default: listing_categories.")
@click.option("--base-url", help="Feed base URL (PAPERWIRE_ARXIV_RSS_URL).")
@pass_ctx
def harvest_listing(ctx: Context, categories: tuple[str, ...], base_url: str | None) -> None:
    """Read today's arXiv announcement feeds: same-day new papers."""
    from paperwire.ingest.harvest import run_listing

    settings = ctx.settings(arxiv_rss_url=base_url)
    _finish(ctx, run_listing(ctx.runtime.store, settings, list(categories) or None))


@harvest.command("hf")
@click.option("--from", "start", type=_DAY, help="First day (YYYY-MM-DD). Default: hf_days_back days ago.")
@click.option("--to", "end", type=_DAY, help="Last day, inclusive. Default: today.")
@click.option("--base-url", help="Hugging Face base URL (PAPERWIRE_HF_URL).")
@click.option("--api-url", help="arXiv query API for papers missing from the store (PAPERWIRE_ARXIV_API_URL).")
@click.option("--no-fill", is_flag=True, help="Do not ask the arXiv API for missing papers.")
@pass_ctx
def harvest_hf(ctx: Context, start: datetime | None, end: datetime | None, base_url: str | None,
               api_url: str | None, no_fill: bool) -> None:
    """Import Hugging Face daily papers: upvotes, GitHub links and stars, project pages."""
    from paperwire.ingest.harvest import run_hf

    settings = ctx.settings(hf_url=base_url, arxiv_api_url=api_url, hf_fill_from_arxiv=False if no_fill else None)
    _finish(ctx, run_hf(ctx.runtime.store, settings, _day(start), _day(end)))


@harvest.command("stars")
@click.option("--limit", type=click.IntRange(1), help="Most repositories to check. Default: stars_max_repos.")
@click.option("--no-backfill", is_flag=True, help="Do not rebuild star histories from stargazers.")
@click.option("--base-url", help="GitHub API base URL (PAPERWIRE_GITHUB_API_URL).")
@pass_ctx
def harvest_stars(ctx: Context, limit: int | None, no_backfill: bool, base_url: str | None) -> None:
    """Snapshot GitHub stars of linked repositories (and backfill star history of new small ones)."""
    from paperwire.ingest.harvest import run_stars

    settings = ctx.settings(github_api_url=base_url)
    _finish(ctx, run_stars(ctx.runtime.store, settings, limit, backfill=not no_backfill), sync=False)


@harvest.command("ids")
@click.argument("ids", nargs=-1, required=True)
@click.option("--base-url", help="arXiv query API URL (PAPERWIRE_ARXIV_API_URL).")
@pass_ctx
def harvest_ids(ctx: Context, ids: tuple[str, ...], base_url: str | None) -> None:
    """Fetch papers by arXiv id (2501.00001, 2501.00001v2, hep-th/9901001) from the query API."""
    from paperwire.ingest.harvest import run_ids

    _finish(ctx, run_ids(ctx.runtime.store, ctx.settings(arxiv_api_url=base_url), list(ids)))


@harvest.command("pwc")
@click.argument("path", type=click.Path(path_type=Path))
@pass_ctx
def harvest_pwc(ctx: Context, path: Path) -> None:
    """Import code links from Papers with Code's links-between-papers-and-code.json (.gz or plain)."""
    from paperwire.ingest.harvest import run_pwc

    _finish(ctx, run_pwc(ctx.runtime.store, path))


def _add_commands() -> None:
    # the other command modules import Context and pass_ctx from here, hence the late import
    from paperwire import cli_live, cli_mail, cli_search

    for module in (cli_search, cli_live, cli_mail):
        for command in module.COMMANDS:
            cli.add_command(command)


_add_commands()


def main() -> None:
    """Entry point of the ``paperwire`` script."""
    cli(prog_name="paperwire")


if __name__ == "__main__":
    main()
