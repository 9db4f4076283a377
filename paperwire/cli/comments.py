"""``paperwire admin comments …``: moderation of discussions (open reports, held and hidden comments)."""

from __future__ import annotations

import json
from typing import cast

import click

from paperwire.cli.context import Context, pass_ctx
from paperwire.community import discussions
from paperwire.community.service import CommunityError
from paperwire.models import Comment, CommentStatus


@click.group("comments")
def comments() -> None:
    """Moderate comments: reports, the new accounts' held comments, hide and show."""


def _line(c: Comment) -> str:
    text = " ".join(c.body.split())
    flags = "".join(f" {f}" for f, on in (("HELD", c.status == "held"), ("HIDDEN", c.status == "hidden"),
                                          ("DELETED", c.deleted)) if on)
    return f"#{c.id:<6} {c.created_at:%Y-%m-%d %H:%M} {c.paper_id:<18} by {c.handle}{flags}: {text[:100]}"


@comments.command("reports")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_ctx
def comments_reports(ctx: Context, as_json: bool) -> None:
    """Reported comments with their open reports, most reported first; then those awaiting review."""
    queue = discussions.moderation_queue(ctx.runtime.store)
    if as_json:
        click.echo(json.dumps({
            "reported": [{"comment": rc.comment.id, "paper": rc.comment.paper_id, "author": rc.comment.handle,
                          "status": rc.comment.status, "body": rc.comment.body,
                          "reports": [{"by": r.handle, "reason": r.reason, "at": r.created_at.isoformat()}
                                      for r in rc.reports]} for rc in queue.reported],
            "held": [{"comment": c.id, "paper": c.paper_id, "author": c.handle, "body": c.body} for c in queue.held],
        }, indent=2))
        return
    if not queue.reported and not queue.held:
        click.echo("nothing to moderate")
    for rc in queue.reported:
        click.echo(_line(rc.comment))
        for r in rc.reports:
            click.echo(f"         reported by {r.handle} {r.created_at:%Y-%m-%d %H:%M}: {r.reason}")
    for c in queue.held:
        click.echo(_line(c) + "  (awaiting review: `unhide` lets it through)")


def _moderate(ctx: Context, comment_id: int, hide: bool, reason: str) -> None:
    try:
        keys = discussions.moderate(ctx.runtime.store, ctx.runtime.settings, comment_id, hide, reason or None)
    except CommunityError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'hidden' if hide else 'shown'}: comment {comment_id}"
               + (f" ({len(keys)} reply email queued)" if keys else ""))


@comments.command("hide")
@click.argument("comment_id", type=click.IntRange(1, 2**53))
@click.option("--reason", default="", help="Why (shown to moderators, kept with the comment).")
@pass_ctx
def comments_hide(ctx: Context, comment_id: int, reason: str) -> None:
    """Hide a comment: only its author and moderators see it; its open reports are resolved."""
    _moderate(ctx, comment_id, True, reason)


@comments.command("unhide")
@click.argument("comment_id", type=click.IntRange(1, 2**53))
@pass_ctx
def comments_unhide(ctx: Context, comment_id: int) -> None:
    """Show a hidden comment again, or let a held one through (dismisses its open reports)."""
    _moderate(ctx, comment_id, False, "")


@comments.command("list")
@click.option("--status", type=click.Choice(["held", "hidden", "visible"]), default="hidden", show_default=True)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@pass_ctx
def comments_list(ctx: Context, status: str, limit: int) -> None:
    """Comments in one status, oldest first."""
    for c in ctx.runtime.store.discussions.comments_by_status(cast(CommentStatus, status), limit):
        click.echo(_line(c))
