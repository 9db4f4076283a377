"""``paperwire digest …`` and ``paperwire subscribers …``: run, deliver, preview digests; manage subscribers."""

from __future__ import annotations

import json
import sys
import webbrowser
from datetime import date, datetime
from pathlib import Path

import click

from paperwire.cli.context import Context, pass_ctx

_DAY = click.DateTime(formats=["%Y-%m-%d"])


def _date(value: datetime | None) -> date | None:
    return value.date() if value else None


# -- digest ---------------------------------------------------------------------------------------------
@click.group()
def digest() -> None:
    """Build and send email digests (docs/digests.md)."""


@digest.command("run")
@click.option("--period", type=click.Choice(["daily", "weekly"]), help="Only this frequency (default: both).")
@click.option("--date", "day", type=_DAY, help="The sending day (default: today, UTC).")
@click.option("--any-day", is_flag=True, help="Build even if the day is not a sending day (daily: Mon–Fri; "
              "weekly: digest_weekly_day).")
@click.option("--no-send", is_flag=True, help="Only queue the digests; send them later ('digest deliver').")
@pass_ctx
def digest_run(ctx: Context, period: str | None, day: datetime | None, any_day: bool, no_send: bool) -> None:
    """Build the digests due on a day and send everything queued. Running it twice sends nothing twice."""
    from paperwire.digest.service import run_digests

    run = run_digests(ctx.runtime, period, _date(day), any_day=any_day, send=not no_send)
    for line in run.lines():
        click.echo(line)
    sys.exit(0 if run.ok else 1)


@digest.command("deliver")
@click.option("--limit", type=click.IntRange(1), help="Send at most this many messages.")
@pass_ctx
def digest_deliver(ctx: Context, limit: int | None) -> None:
    """Send what is due in the outbox (new messages and retries)."""
    from paperwire.digest.service import deliver_outbox

    report = deliver_outbox(ctx.runtime, limit=limit)
    click.echo(f"delivery: {report.line()}")
    for error in ([report.unreachable] if report.unreachable else []) + report.errors[:10]:
        click.echo(f"  {error}")
    sys.exit(1 if report.unreachable else 0)


@digest.command("preview")
@click.argument("email")
@click.option("--date", "day", type=_DAY, help="The sending day (default: today, UTC).")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the HTML part here.")
@click.option("--open", "open_browser", is_flag=True, help="Open the HTML part in a browser.")
@click.option("--raw", is_flag=True, help="Print the whole MIME message instead of the text part.")
@pass_ctx
def digest_preview(ctx: Context, email: str, day: datetime | None, html_path: Path | None, open_browser: bool,
                   raw: bool) -> None:
    """Show the digest a subscriber would get (nothing is queued or sent)."""
    from paperwire.digest.service import preview

    try:
        sub, rendered, data = preview(ctx.runtime, email, _date(day))
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    if rendered is None or data is None:
        click.echo(f"{sub.email}: nothing new to send for that day (empty digests are skipped)")
        return
    if raw:
        click.echo(data.decode("utf-8", "replace"))
    else:
        click.echo(f"Subject: {rendered.subject}\nTo: {sub.email} ({sub.state}, {sub.frequency})\n")
        click.echo(rendered.text)
    if html_path or open_browser:
        target = (html_path or Path(ctx.settings().data_dir) / "digest-preview.html").absolute()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(rendered.html, encoding="utf-8")
        click.echo(f"HTML written to {target}", err=True)
        if open_browser:
            webbrowser.open(target.as_uri())


@digest.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_ctx
def digest_status(ctx: Context, as_json: bool) -> None:
    """Messages per state in the outbox, and the latest failures."""
    store = ctx.runtime.store
    counts = store.outbox.outbox_counts()
    failed = store.outbox.list_outbox(state="failed", limit=10)
    if as_json:
        click.echo(json.dumps({"outbox": counts, "failed": [
            {"key": m.key, "to": m.recipient, "error": m.last_error, "attempts": m.attempts} for m in failed]}))
        return
    click.echo("outbox: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty"))
    for m in failed:
        click.echo(f"  failed {m.key} to {m.recipient} after {m.attempts} attempts: {m.last_error}")


@digest.command("inbound")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def digest_inbound(ctx: Context, path: Path | None) -> None:
    """Handle a mail to the List-Unsubscribe address (from a file or standard input, e.g. an MTA pipe)."""
    from paperwire.digest.service import handle_inbound

    raw = path.read_bytes() if path else sys.stdin.buffer.read(1_000_000)
    sub = handle_inbound(ctx.runtime, raw)
    click.echo(f"unsubscribed {sub.email}" if sub else "no valid unsubscribe token found; nothing done")


# -- subscribers ------------------------------------------------------------------------------------------
@click.group()
def subscribers() -> None:
    """Digest subscribers."""


@subscribers.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", help="Recorded as each subscriber's source (default: import:<file name>).")
@pass_ctx
def subscribers_import(ctx: Context, path: Path, source: str | None) -> None:
    """Add subscribers confirmed elsewhere from a CSV file: email,frequency,topics (topics separated by ';').

    Known addresses, including those that unsubscribed, are left as they are.
    """
    from paperwire.digest.subscriptions import SubscriptionError, import_csv

    try:
        report = import_csv(ctx.runtime.store, ctx.runtime.settings, path, source)
    except SubscriptionError as exc:
        raise click.ClickException(str(exc)) from None
    for line, problem in report.errors[:50]:
        click.echo(f"{path}:{line}: {problem}", err=True)
    click.echo(report.summary())
    sys.exit(1 if report.errors else 0)


@subscribers.command("list")
@click.option("--state", type=click.Choice(["pending", "confirmed", "unsubscribed", "bounced"]))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_ctx
def subscribers_list(ctx: Context, state: str | None, as_json: bool) -> None:
    """Every subscriber with its state, frequency, source and topics."""
    store = ctx.runtime.store
    rows, after = [], 0
    while page := store.subscriptions.list_subscribers(state=state, after_id=after, limit=5000):
        rows += page
        after = page[-1].id
    last = store.outbox.last_digests([s.id for s in rows])
    if as_json:
        click.echo(json.dumps([{
            "email": s.email, "state": s.state, "frequency": s.frequency, "source": s.source,
            "topics": [{"kind": t.kind, "value": t.value} for t in s.topics],
            "created": s.created_at.isoformat() if s.created_at else None,
            "confirmed": s.confirmed_at.isoformat() if s.confirmed_at else None,
            "last_digest": last[s.id].isoformat() if s.id in last else None, "account": s.user_id is not None,
        } for s in rows], ensure_ascii=False, indent=2))
        return
    for s in rows:
        topics = "; ".join(t.query() for t in s.topics) or "(trending only)"
        sent = last[s.id].strftime("%Y-%m-%d") if s.id in last else "never"
        click.echo(f"{s.email:<32} {s.state:<12} {s.frequency:<7} {s.source:<16} last {sent:<10} {topics}")
    click.echo(f"{len(rows)} subscribers", err=True)


# -- admin ------------------------------------------------------------------------------------------------


COMMANDS = (digest, subscribers)
