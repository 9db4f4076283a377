"""``paperwire admin …``: users (disable, enable, grant admin) and moderation of submissions."""

from __future__ import annotations

import json

import click

from paperwire.cli.comments import comments
from paperwire.cli.context import Context, pass_ctx


@click.group()
def admin() -> None:
    """Moderation: accounts, submissions and comments."""


def _user(ctx: Context, who: str) -> int:
    accounts = ctx.runtime.store.accounts
    user = accounts.get_user_by_email(who.strip().lower()) if "@" in who else accounts.get_user_by_handle(who)
    if user is None:
        raise click.ClickException(f"no account {who!r}")
    return user.id


@admin.command("users")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_ctx
def admin_users(ctx: Context, as_json: bool) -> None:
    """List accounts."""
    users = ctx.runtime.store.accounts.list_users(limit=100_000)
    if as_json:
        click.echo(json.dumps([{"handle": u.handle, "email": u.email, "verified": u.verified, "disabled": u.disabled,
                                "admin": u.is_admin, "created": u.created_at.isoformat()} for u in users], indent=2))
        return
    for u in users:
        flags = [f for f, on in (("verified", u.verified), ("DISABLED", u.disabled), ("admin", u.is_admin)) if on]
        click.echo(f"{u.handle:<24} {u.email:<36} {u.created_at:%Y-%m-%d} {' '.join(flags)}")


@admin.command("disable")
@click.argument("who")
@pass_ctx
def admin_disable(ctx: Context, who: str) -> None:
    """Disable an account (email or handle): it cannot sign in, its sessions and tokens stop working, and
    its upvotes and submissions stop counting."""
    ctx.runtime.store.accounts.update_user(_user(ctx, who), disabled=True)
    click.echo(f"disabled {who}")


@admin.command("enable")
@click.argument("who")
@pass_ctx
def admin_enable(ctx: Context, who: str) -> None:
    """Enable a disabled account again."""
    ctx.runtime.store.accounts.update_user(_user(ctx, who), disabled=False)
    click.echo(f"enabled {who}")


@admin.command("grant")
@click.argument("who")
@click.option("--revoke", is_flag=True, help="Take the admin flag away instead.")
@pass_ctx
def admin_grant(ctx: Context, who: str, revoke: bool) -> None:
    """Mark an account as an administrator (or not)."""
    ctx.runtime.store.accounts.update_user(_user(ctx, who), is_admin=not revoke)
    click.echo(f"{who} is {'no longer ' if revoke else ''}an administrator")


@admin.command("hide")
@click.argument("paper_id")
@click.option("--reason", default="", help="Why (kept with the submission).")
@click.option("--show", is_flag=True, help="Show a hidden submission again instead.")
@pass_ctx
def admin_hide(ctx: Context, paper_id: str, reason: str, show: bool) -> None:
    """Hide a submission: the paper stays, 'submitted by' and its place in community lists go."""
    if not ctx.runtime.store.community.set_submission_hidden(paper_id, not show, reason or None):
        raise click.ClickException(f"no submission of {paper_id}")
    click.echo(f"{'shown' if show else 'hidden'}: submission of {paper_id}")


@admin.command("submissions")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@pass_ctx
def admin_submissions(ctx: Context, limit: int) -> None:
    """Recent submissions, hidden ones included."""
    for s in ctx.runtime.store.community.list_submissions(limit=limit, include_hidden=True):
        hidden = f" HIDDEN ({s.hidden_reason or 'no reason'})" if s.hidden_at else ""
        click.echo(f"{s.submitted_at:%Y-%m-%d %H:%M} {s.paper_id:<18} by {s.handle} ×{s.times}{hidden}")


# -- dev ----------------------------------------------------------------------------------------------------


admin.add_command(comments)  # paperwire admin comments … (cli/comments.py)

COMMANDS = (admin,)
