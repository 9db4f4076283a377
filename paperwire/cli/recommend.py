"""``paperwire recommend EMAIL|HANDLE``: a member's "For you" ranking, as their page and feed show it."""

from __future__ import annotations

import json
from datetime import date, datetime

import click

from paperwire.cli.context import Context, pass_ctx


@click.command(name="recommend")
@click.argument("who")
@click.option("--window", type=click.Choice(["day", "week", "month"]), default="day", show_default=True,
              help="The newest announced day, week or month.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Rank papers announced since this "
              "day instead (YYYY-MM-DD).")
@click.option("--category", default="", help="Only papers listed in this arXiv category, e.g. cs.CL.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--offset", default=0, type=click.IntRange(0))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the API's shape, papers in short).")
@pass_ctx
def recommend_cmd(ctx: Context, who: str, window: str, since: datetime | None, category: str, limit: int,
                  offset: int, as_json: bool) -> None:
    """Print the papers ranked for a member (by email or handle), each with why."""
    from paperwire.recommend import service

    rt = ctx.runtime
    user = rt.store.accounts.get_user_by_email(who) if "@" in who else rt.store.accounts.get_user_by_handle(who)
    if user is None:
        raise click.ClickException(f"no account {who!r}")
    day: date | None = since.date() if since else None
    found = service.recommend(rt.store, rt.settings, user.id, window, day, category or None, limit, offset)
    if as_json:
        click.echo(json.dumps({
            "user": user.handle, "window": found.window, "start": found.start.isoformat() if found.start else None,
            "end": found.end.isoformat() if found.end else None, "candidates": found.candidates,
            "signals": found.signals, "enough_signals": found.enough, "exploration": found.exploration,
            "results": [{"id": i.paper.id, "title": i.paper.title, **i.to_json()} for i in found.items]},
            ensure_ascii=False, indent=2))
        return
    span = f"{found.start} to {found.end}" if found.start != found.end else f"{found.end}"
    click.echo(f"For you, {user.handle}: {len(found.items)} of {found.candidates} papers announced {span}"
               f"{' in ' + category if category else ''} (learning from {found.signals} papers)")
    if not found.enough:
        click.echo("few signals yet: save, like or import papers to make this ranking useful", err=True)
    for n, item in enumerate(found.items, start=offset + 1):
        click.echo(f"{n:>3}. {item.paper.id}  {item.paper.title}")
        for reason in item.reasons:
            click.echo(f"       {reason}")


COMMANDS = (recommend_cmd,)
