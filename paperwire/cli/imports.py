"""``paperwire import``: papers from JSON-lines files, with the search index following."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from paperwire.cli.context import Context, pass_ctx


@click.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--batch-size", type=click.IntRange(1, 100_000), help="Papers per transaction.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--embed", "then_embed", is_flag=True, help="Then embed the new and changed papers.")
@pass_ctx
def import_cmd(ctx: Context, paths: tuple[Path, ...], batch_size: int | None, quiet: bool, then_embed: bool) -> None:
    """Import papers from JSON-lines files (Paperwire or Kaggle format, .gz or plain)."""
    from paperwire.cli.progress import embed_with_progress, import_with_progress

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


COMMANDS = (import_cmd,)
