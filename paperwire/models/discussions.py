"""Plain data of discussions: comments on papers, their votes and reports. No I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

CommentStatus = Literal["visible", "held", "hidden"]
COMMENT_STATUSES: tuple[CommentStatus, ...] = ("visible", "held", "hidden")
"""``visible`` to everyone; ``held`` (a new account's first comment) until a moderator lets it through;
``hidden`` by a moderator. The author sees their own comment in every status."""
COMMENT_MAX = 10_000
"""The most characters a comment's Markdown source may have."""
REPORT_REASON_MAX = 500
# control characters (tabs and newlines kept) and lone surrogates: no text of ours needs them, and
# PostgreSQL refuses NUL in text
_UNWANTED_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def clean_comment(text: str) -> str:
    """A comment's source as kept: newlines as ``\\n``, control characters dropped, no space around it.
    Length is checked by the caller (a long comment is refused, never cut)."""
    return _UNWANTED_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def clean_reason(text: str) -> str:
    """A report's reason as kept: one line, spaces folded."""
    return " ".join(_UNWANTED_RE.sub(" ", text).split())


@dataclass(slots=True)
class Comment:
    """One comment on a paper as stored: its Markdown source, never rendered HTML. ``parent_id`` is the
    top-level comment a reply belongs to (one level of threading)."""

    id: int
    paper_id: str
    user_id: int
    handle: str
    body: str
    created_at: datetime
    parent_id: int | None = None
    status: CommentStatus = "visible"
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    moderated_at: datetime | None = None
    moderation_reason: str | None = None
    author_disabled: bool = False
    reply_to_user: int | None = None
    """Whom a reply answers (the author of the comment its Reply button was under): told by email if they
    asked for it."""
    upvotes: int = 0
    upvoted: bool = False
    """Whether the viewer the comments were read for upvoted it."""
    replies: list[Comment] = field(default_factory=list)
    redacted: bool = False
    """Shown only as a placeholder: hidden from this viewer but kept in place for its replies (the body is
    left out)."""

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(slots=True)
class CommentReport:
    """A member's report of a comment, open until a moderator hides the comment or dismisses it."""

    id: int
    comment_id: int
    user_id: int
    handle: str
    reason: str
    created_at: datetime
    resolved_at: datetime | None = None
    resolution: str | None = None
