"""``paperwire trending``: the stored ranking of a window, or recompute it first."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from paperwire.cli.context import Context, pass_ctx
from paperwire.models import TRENDING_WINDOWS


@click.command(name="trending")
@click.option("--window", type=click.Choice(TRENDING_WINDOWS), default="week", show_default=True)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--offset", default=0, type=click.IntRange(0))
@click.option("--recompute", is_flag=True, help="Recompute every window's ranking now (as the worker does) first.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the API's shape).")
@pass_ctx
def trending_cmd(ctx: Context, window: str, limit: int, offset: int, recompute: bool, as_json: bool) -> None:
    """Print the trending papers of a window with their scores and why they rank there.

    Rankings are computed by the worker's 'trending' job; one that was never
    computed is computed now.
    """
    from paperwire.trending import ranking
    from paperwire.trending import recompute as run_recompute

    store = ctx.runtime.store
    result = ranking(store, window, limit, offset)
    if recompute or result.computed_at is None:
        if not recompute:
            click.echo("no ranking computed yet (is the worker running?): computing it now", err=True)
        run_recompute(store, ctx.runtime.settings)
        result = ranking(store, window, limit, offset)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    assert result.computed_at is not None
    age = datetime.now(UTC) - result.computed_at
    click.echo(f"Trending {result.phrase}: {result.total} papers (computed {result.computed_at:%Y-%m-%d %H:%M} UTC, "
               f"{int(age.total_seconds() // 60)} min ago)")
    if not result.items:
        click.echo("nothing is trending: no stars, upvotes or new papers in this window", err=True)
    for item in result.items:
        title = item.paper.title if item.paper else "(paper no longer stored)"
        click.echo(f"{item.entry.rank:>4}. [{item.entry.score:6.3f}] {item.entry.paper_id}  {title}")
        click.echo(f"        {' · '.join(str(r['text']) for r in item.entry.reasons)}")


COMMANDS = (trending_cmd,)
