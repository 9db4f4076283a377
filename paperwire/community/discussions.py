"""Discussions on papers: comments and one level of replies, votes, reports, moderation, reply emails.

Who may do what:
- verified, enabled members comment, reply, upvote (once, reversibly; not their own) and report;
- authors edit their comment for ``comment_edit_minutes`` after posting and delete it at any time (a
  tombstone stays while it has replies, so they still read in place);
- moderators (accounts with the admin flag, ``paperwire admin grant``) hide and show comments, let held
  ones through and see open reports (``/moderation/comments``, ``paperwire admin comments``).

Abuse is kept small: each account posts at most ``comments_per_hour`` (counted in the store, so every
process shares the count), and while an account is younger than ``comment_hold_hours`` its comments are
held until a moderator lets one through: the author sees them marked "awaiting review", nobody else does.

A reply tells the author of the comment it answers by email when that member opted in (off by default):
the message is queued in the outbox under the key ``comment_reply:<reply id>`` (so once per reply, even
when a held reply is let through later) and sent by the mail thread or the worker, never by the request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from paperwire.community.service import CommunityError, HourlyLimited
from paperwire.config import Settings
from paperwire.mail.outbox import queue_mail
from paperwire.models import User
from paperwire.models.discussions import (
    COMMENT_MAX,
    REPORT_REASON_MAX,
    Comment,
    CommentReport,
    CommentStatus,
    clean_comment,
    clean_reason,
)
from paperwire.security.keys import b64, derive
from paperwire.security.throttle import Throttle
from paperwire.store import Store

COMMENT = "comment"
"""The throttle's kind of comments."""
REPLY_KIND = "comment_reply"
"""The outbox kind of reply emails."""
_TOKEN_RE = re.compile(r"^(\d{1,18})\.([A-Za-z0-9_-]{43})$")


class CommentLimited(HourlyLimited):
    """Too many comments this hour."""

    def __init__(self, limit: int, retry_after: float) -> None:
        super().__init__(f"posted {limit} comments", retry_after)


@dataclass
class Posted:
    """A new comment and the keys of the emails it queued (hand them to the mail thread)."""

    comment: Comment
    mail_keys: list[str] = field(default_factory=list)


@dataclass
class ReportedComment:
    """A comment with its open reports, as moderators see it."""

    comment: Comment
    reports: list[CommentReport]


@dataclass
class ModerationQueue:
    """What waits for a moderator: reported comments, held comments, and the hidden ones (to show again)."""

    reported: list[ReportedComment]
    held: list[Comment]
    hidden: list[Comment]


def is_moderator(user: User | None) -> bool:
    """Moderators are the site's administrators."""
    return user is not None and user.is_admin and not user.disabled


def _require_member(user: User) -> None:
    if user.disabled:
        raise CommunityError("This account is disabled.", 403)
    if not user.verified:
        raise CommunityError("Verify your email address first: follow the link we sent you.", 403)


def _clean_body(body: str) -> str:
    text = clean_comment(body)
    if not text:
        raise CommunityError("Write something first: the comment is empty.")
    if len(text) > COMMENT_MAX:
        raise CommunityError(f"A comment may have at most {COMMENT_MAX:,} characters; this one has {len(text):,}.")
    return text


def can_see(comment: Comment, viewer: User | None) -> bool:
    """Whether ``viewer`` may read this comment: everyone sees shown comments of enabled accounts; the
    author also sees their held and hidden ones, moderators see everything."""
    if is_moderator(viewer):
        return True
    if viewer is not None and viewer.id == comment.user_id:
        return True
    return comment.status == "visible" and not comment.author_disabled


def may_edit(comment: Comment, viewer: User | None, settings: Settings, now: datetime) -> bool:
    """Whether ``viewer`` may still edit it: its author, within the edit window, not deleted."""
    return (viewer is not None and viewer.id == comment.user_id and not comment.deleted and not viewer.disabled
            and now - comment.created_at <= timedelta(minutes=settings.comment_edit_minutes))


def thread(store: Store, paper_id: str, viewer: User | None = None) -> list[Comment]:
    """The paper's discussion as ``viewer`` sees it: top-level comments oldest first, each with its
    replies oldest first. A deleted comment, or one hidden from this viewer, stays as a placeholder only
    while it has replies to show."""
    rows = store.discussions.paper_comments(paper_id, viewer.id if viewer else None)
    top = {c.id: c for c in rows if c.parent_id is None}
    for c in rows:
        if c.parent_id is not None and c.parent_id in top and not c.deleted and can_see(c, viewer):
            top[c.parent_id].replies.append(c)
    shown = []
    for c in top.values():
        if not can_see(c, viewer):  # hidden from this viewer: a placeholder keeps its replies in place
            c = replace(c, body="", redacted=True)
        if (not c.deleted and not c.redacted) or c.replies:
            shown.append(c)
    return shown


def _get(store: Store, comment_id: int, viewer: User | None) -> Comment:
    comment = store.discussions.get_comment(comment_id, viewer.id if viewer else None)
    if comment is None or not can_see(comment, viewer):
        raise CommunityError(f"There is no comment {comment_id} here.", 404)
    return comment


def get_comment(store: Store, comment_id: int, viewer: User | None = None) -> Comment:
    """One comment ``viewer`` may read (``CommunityError`` 404 otherwise)."""
    return _get(store, comment_id, viewer)


def _held(store: Store, settings: Settings, user: User) -> bool:
    """A young account's comments wait for a moderator until one of them was let through."""
    if settings.comment_hold_hours == 0 or is_moderator(user):
        return False
    young = store.clock() - user.created_at < timedelta(hours=settings.comment_hold_hours)
    return young and not store.discussions.has_shown_comment(user.id)


def post(store: Store, settings: Settings, user: User, paper_id: str, body: str, reply_to: int | None = None,
         throttle: Throttle | None = None) -> Posted:
    """Comment on a paper, or reply to comment ``reply_to`` (a reply to a reply joins the same thread).
    ``CommentLimited`` past ``comments_per_hour``; ``CommunityError`` for anything else refused."""
    _require_member(user)
    text = _clean_body(body)
    paper = store.papers.get_paper(paper_id)
    if paper is None:
        raise CommunityError(f"There is no paper {paper_id!r} here.", 404)
    parent: Comment | None = None
    if reply_to is not None:
        parent = _get(store, reply_to, user)
        if parent.paper_id != paper.id:
            raise CommunityError(f"Comment {reply_to} is about another paper.", 422)
        if parent.deleted:
            raise CommunityError("That comment was deleted; reply to the discussion instead.", 422)
    if not is_moderator(user):
        throttle = throttle or Throttle(store, settings, store.clock)
        if not throttle.allow(COMMENT, str(user.id), settings.comments_per_hour):
            raise CommentLimited(settings.comments_per_hour, throttle.retry_after(COMMENT, str(user.id)))
    status: CommentStatus = "held" if _held(store, settings, user) else "visible"
    comment = store.discussions.add_comment(
        paper.id, user.id, text, status, parent_id=(parent.parent_id or parent.id) if parent else None,
        reply_to_user=parent.user_id if parent else None)
    return Posted(comment, notify_reply(store, settings, comment))


def edit(store: Store, settings: Settings, user: User, comment_id: int, body: str) -> Comment:
    """Change one's own comment within the edit window."""
    comment = _get(store, comment_id, user)
    if comment.user_id != user.id:
        raise CommunityError("Only its author may edit a comment.", 403)
    if not may_edit(comment, user, settings, store.clock()):
        raise CommunityError(f"Comments can be edited for {settings.comment_edit_minutes} minutes after posting; "
                             "this one can only be deleted now.", 403)
    store.discussions.edit_comment(comment.id, _clean_body(body))
    return _get(store, comment_id, user)


def delete(store: Store, user: User, comment_id: int) -> Comment:
    """Delete one's own comment (moderators hide instead: deleting is the author's)."""
    comment = _get(store, comment_id, user)
    if comment.user_id != user.id:
        raise CommunityError("Only its author may delete a comment; report it if it breaks the rules.", 403)
    store.discussions.delete_comment(comment.id)
    return _get(store, comment_id, user)


def vote(store: Store, user: User, comment_id: int, on: bool = True) -> Comment:
    """Upvote a comment (once per member) or take the upvote back; returns it with its count."""
    _require_member(user)
    comment = _get(store, comment_id, user)
    if comment.deleted or comment.status != "visible":
        raise CommunityError("This comment cannot be upvoted.", 422)
    if comment.user_id == user.id:
        raise CommunityError("You cannot upvote your own comment.", 422)
    store.discussions.set_vote(comment.id, user.id, on)
    return _get(store, comment_id, user)


def report(store: Store, user: User, comment_id: int, reason: str) -> bool:
    """Report a comment to the moderators with a reason; True for a new report (a second report by the
    same member replaces its reason)."""
    _require_member(user)
    comment = _get(store, comment_id, user)
    text = clean_reason(reason)
    if not text:
        raise CommunityError("Say why: what is wrong with this comment?")
    if len(text) > REPORT_REASON_MAX:
        raise CommunityError(f"A reason may have at most {REPORT_REASON_MAX} characters.")
    if comment.deleted:
        raise CommunityError("This comment was deleted already.", 422)
    return store.discussions.add_report(comment.id, user.id, text)


def moderate(store: Store, settings: Settings, comment_id: int, hide: bool, reason: str | None = None) -> list[str]:
    """Hide a comment, or show it (a held comment is let through); resolves its open reports. Returns the
    keys of emails queued (a reply let through tells whom it answers). ``CommunityError`` 404 when unknown."""
    comment = store.discussions.get_comment(comment_id)
    if comment is None:
        raise CommunityError(f"There is no comment {comment_id} here.", 404)
    store.discussions.set_status(comment.id, "hidden" if hide else "visible",
                                 (reason or "").strip()[:REPORT_REASON_MAX] or None)
    if hide:
        return []
    shown = store.discussions.get_comment(comment.id)
    assert shown is not None
    return notify_reply(store, settings, shown)


def moderation_queue(store: Store, limit: int = 100) -> ModerationQueue:
    """Open reports grouped by comment (most reported first), held comments, hidden comments."""
    reports = store.discussions.reports(open_only=True, limit=limit * 5)
    by_comment: dict[int, list[CommentReport]] = {}
    for r in reports:
        by_comment.setdefault(r.comment_id, []).append(r)
    comments = store.discussions.get_comments(list(by_comment))
    reported = sorted((ReportedComment(comments[cid], rs) for cid, rs in by_comment.items() if cid in comments),
                      key=lambda rc: (-len(rc.reports), rc.comment.created_at))[:limit]
    return ModerationQueue(reported, store.discussions.comments_by_status("held", limit),
                           store.discussions.comments_by_status("hidden", limit))


# -- reply emails ------------------------------------------------------------------------------------------
def _signature(secret: bytes, user_id: int) -> str:
    return b64(hmac.new(derive(secret, "comment-replies-off"), str(user_id).encode(), hashlib.sha256).digest())


def opt_out_token(secret: bytes, user_id: int) -> str:
    """The token of a reply email's opt-out link: the member's id, signed (it reveals nothing else)."""
    return f"{user_id}.{_signature(secret, user_id)}"


def read_opt_out_token(secret: bytes, token: str) -> int | None:
    """The member an opt-out token names, or None when it is malformed or forged."""
    match = _TOKEN_RE.match(token.strip())
    if match is None:
        return None
    user_id = int(match.group(1))
    return user_id if hmac.compare_digest(_signature(secret, user_id), match.group(2)) else None


def set_reply_emails(store: Store, user: User, on: bool) -> None:
    """Turn emails about replies to one's comments on or off."""
    store.discussions.set_reply_emails(user.id, on)


def notify_reply(store: Store, settings: Settings, reply: Comment) -> list[str]:
    """Queue the email telling the author of the answered comment about a shown reply, if they opted in;
    the key makes it once per reply. Returns the keys queued now."""
    target = reply.reply_to_user
    if target is None or reply.status != "visible" or reply.deleted or target == reply.user_id:
        return []
    recipient = store.accounts.get_user(target)
    if recipient is None or recipient.disabled or not recipient.verified:
        return []
    if not store.discussions.reply_emails(recipient.id):
        return []
    paper = store.papers.get_paper(reply.paper_id)
    key = f"{REPLY_KIND}:{reply.id}"
    payload = {"user_id": recipient.id, "handle": recipient.handle, "replier": reply.handle,
               "paper_id": reply.paper_id, "paper_title": paper.title if paper else reply.paper_id,
               "comment_id": reply.id, "excerpt": excerpt(reply.body)}
    return [key] if queue_mail(store, settings, REPLY_KIND, recipient.email, key, payload) else []


def excerpt(body: str, limit: int = 300) -> str:
    """The first words of a comment's source for an email (plain text; the email escapes it)."""
    text = " ".join(body.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
