"""``paperwire admin authors …``: correct who is who on author pages (merge two spellings of one person,
split a namesake's papers off, show what a name covers). docs/web.md, "Author pages"."""

from __future__ import annotations

import json

import click

from paperwire.cli.context import Context, pass_ctx
from paperwire.community.authors import AuthorError, merge_authors, split_author, unmerge_author
from paperwire.models import author_key, author_slug


@click.group("authors")
def authors() -> None:
    """Author pages: merge names, split namesakes, show a name."""


@authors.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def authors_show(ctx: Context, name: str, as_json: bool) -> None:
    """What NAME's page holds: its key, papers, spellings, and the merges and splits touching it."""
    store = ctx.runtime.store
    key = store.authors.canonical(author_key(name))
    profile = store.authors.profile(key) if key else None
    if profile is None:
        raise click.ClickException(f"nobody called {name!r} wrote a paper here")
    _, ids = store.authors.paper_ids(key, 10_000)
    corrections = store.authors.corrections()
    merged = sorted(alias for alias, into in corrections.aliases.items() if into == key)
    data = {"key": key, "page": f"/author/{author_slug(key)}", "papers": profile.total, "paper_ids": ids,
            "spellings": dict(profile.spellings), "merged_in": merged,
            "split_off": [{"key": k, "name": label} for k, label in profile.split_to]}
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(f"{profile.name}: {profile.total} papers at {data['page']} (key {key!r})")
    click.echo("spellings: " + "; ".join(f"{n} ({c})" for n, c in profile.spellings))
    if merged:
        click.echo("merged in: " + ", ".join(merged))
    for k, label in profile.split_to:
        click.echo(f"split off: {label} ({k!r})")
    click.echo("papers: " + " ".join(ids))


@authors.command("merge")
@click.argument("name")
@click.argument("into")
@pass_ctx
def authors_merge(ctx: Context, name: str, into: str) -> None:
    """List NAME's papers on INTO's page from now on (two spellings of one person, such as "J. Smith" and
    "Jane Smith"); NAME's page then redirects there. Later imports keep the merge."""
    try:
        n = merge_authors(ctx.runtime.store, name, into)
    except AuthorError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"merged {name!r} into {into!r}: {n} papers rewritten")


@authors.command("unmerge")
@click.argument("name")
@pass_ctx
def authors_unmerge(ctx: Context, name: str) -> None:
    """Undo a merge: NAME gets its own page again."""
    try:
        n = unmerge_author(ctx.runtime.store, name)
    except AuthorError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"unmerged {name!r}: {n} papers rewritten" if n else f"{name!r} was not merged into anyone")


@authors.command("split")
@click.argument("name")
@click.option("--papers", "paper_ids", required=True, help="Comma-separated arXiv ids of the namesake's papers.")
@click.option("--as", "as_name", required=True, help='The namesake\'s own name, such as "Wei Wang (Tsinghua)".')
@pass_ctx
def authors_split(ctx: Context, name: str, paper_ids: str, as_name: str) -> None:
    """On the given papers, list the author NAME as someone else with their own page (two people who
    share a name). Split them back with NAME and --as the original name. Later imports keep the split."""
    ids = [p.strip() for p in paper_ids.split(",") if p.strip()]
    try:
        n = split_author(ctx.runtime.store, name, ids, as_name)
    except AuthorError as exc:
        raise click.ClickException(str(exc)) from None
    if not n:
        raise click.ClickException(f"none of those papers lists {name!r} as an author")
    click.echo(f"{n} papers now list {as_name!r} (/author/{author_slug(as_name)})")
