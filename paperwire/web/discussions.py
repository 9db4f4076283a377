"""What pages and the API show of a paper's discussion (``community.discussions``): the thread as one
viewer may read it, each comment's rendered HTML, and what the viewer may do with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup

from paperwire.community import discussions
from paperwire.community.markup import render_comment
from paperwire.config import Settings
from paperwire.models import Comment, User
from paperwire.store import Store


@dataclass
class Discussion:
    """A paper's thread for one viewer, with the viewer's permissions."""

    paper_id: str
    comments: list[Comment]
    count: int
    """Comments everyone can read (the count listings show)."""
    editable: set[int] = field(default_factory=set)
    moderator: bool = False
    reply_emails: bool = False


def comment_html(comment: Comment) -> Markup:
    """The comment's Markdown as safe HTML (empty for a tombstone)."""
    return Markup(render_comment(comment.body)) if not (comment.deleted or comment.redacted) else Markup("")


def discussion(store: Store, settings: Settings, paper_id: str, viewer: User | None) -> Discussion:
    """The discussion of ``paper_id`` as ``viewer`` sees it."""
    comments = discussions.thread(store, paper_id, viewer)
    now = store.clock()
    editable = {c.id for top in comments for c in (top, *top.replies)
                if discussions.may_edit(c, viewer, settings, now)}
    count = store.discussions.comment_counts([paper_id]).get(paper_id, 0)
    return Discussion(paper_id, comments, count, editable, discussions.is_moderator(viewer),
                      store.discussions.reply_emails(viewer.id) if viewer else False)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def comment_json(comment: Comment, viewer: User | None, replies: bool = True) -> dict[str, Any]:
    """A comment as the JSON API shows it: its source and its rendered HTML (empty when deleted)."""
    body: dict[str, Any] = {
        "id": comment.id, "paper_id": comment.paper_id, "parent_id": comment.parent_id,
        "author": None if comment.deleted or comment.redacted else comment.handle,
        "body": "" if comment.deleted or comment.redacted else comment.body, "html": str(comment_html(comment)),
        "status": comment.status, "deleted": comment.deleted, "redacted": comment.redacted,
        "created_at": comment.created_at.isoformat(), "edited_at": _time(comment.edited_at),
        "upvotes": comment.upvotes, "url": f"/paper/{comment.paper_id}#comment-{comment.id}",
    }
    if viewer is not None:
        body["upvoted"] = comment.upvoted
    if replies and comment.parent_id is None:
        body["replies"] = [comment_json(r, viewer, False) for r in comment.replies]
    return body
