"""``paperwire dev …``: tools for development, such as a local SMTP sink."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def dev() -> None:
    """Development helpers."""


@dev.command("smtp-sink")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=1025, show_default=True, type=click.IntRange(1, 65535))
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Also save each message here (.eml, and its HTML part as .html).")
def dev_smtp_sink(host: str, port: int, directory: Path | None) -> None:
    """A local SMTP server that accepts every message and prints it (needs the dev dependencies)."""
    from paperwire.mail.sink import run_sink

    try:
        run_sink(host, port, directory.absolute() if directory else None, lambda line: click.echo(line))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from None


COMMANDS = (dev,)
