"""``paperwire harvest …``: one run of one live source (arXiv, Hugging Face, GitHub, Papers with Code)."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click

from paperwire.cli.context import Context, pass_ctx
from paperwire.ingest.report import HarvestReport

_DAY = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _finish(ctx: Context, report: HarvestReport, sync: bool = True) -> None:
    """Print the summary line, bring this host's search index up to date, exit 1 on failure."""
    if sync and report.ok:
        ctx.runtime.indexes.sync()
    click.echo(report.line())
    sys.exit(0 if report.ok else 1)


@click.group()
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


COMMANDS = (harvest,)
