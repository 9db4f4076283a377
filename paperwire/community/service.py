"""The community: upvotes, personal libraries, submissions by arXiv id or URL, moderation.

Only verified accounts act (an upvote from an address nobody owns would be
free to fake). A paper submitted twice, in whatever spelling (``arXiv:``, an
``/abs/`` or ``/pdf/`` URL, with a version), is one submission, credited to its
first submitter. Submitting a paper also upvotes it.

A submitted paper not yet in the store is never fetched while the member
waits: it goes to the fetch queue (``ingest.fetch_queue``) and the worker's
``fetch-requested`` job fetches it, then ``complete_submissions`` records the
submission and the upvote (the first to ask is the submitter). Each account
may submit ``submissions_per_hour`` papers an hour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from paperwire.config import Settings
from paperwire.ingest.fetch_queue import request_fetch
from paperwire.models import (
    FetchRequest,
    Paper,
    PaperCommunity,
    Submission,
    User,
    arxiv_id_in,
)
from paperwire.security.throttle import Throttle
from paperwire.store import Store

SUBMIT = "submission"
"""The fetch queue's reason, and the throttle's kind, of submissions."""


class CommunityError(ValueError):
    """A community action refused; the message is for the user, ``status`` the HTTP status that fits."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


class HourlyLimited(CommunityError):
    """An account's hourly limit is reached; ``retry_after`` seconds until one more fits (a 429)."""

    def __init__(self, done: str, retry_after: float) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(f"You have {done} in the last hour, the most one account may. "
                         f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.", 429)
        self.retry_after = max(1, math.ceil(retry_after))


class SubmitLimited(HourlyLimited):
    """Too many submissions this hour."""

    def __init__(self, limit: int, retry_after: float) -> None:
        super().__init__(f"submitted {limit} papers", retry_after)


@dataclass
class SubmitOutcome:
    """A submission: the paper and its (possibly earlier) submission, or, for a paper not stored yet,
    its request in the fetch queue (the submission is recorded once the worker has fetched it)."""

    paper_id: str
    paper: Paper | None
    submission: Submission | None
    created: bool
    fetch: FetchRequest | None = None


@dataclass
class CompletedSubmissions:
    """What ``complete_submissions`` did with the outcomes of queued submissions."""

    recorded: int = 0
    not_found: int = 0
    failed: int = 0


def parse_paper_ref(text: str) -> str:
    """The bare arXiv id in an id or URL (``2501.00001v2``, ``arXiv:…``, ``https://arxiv.org/pdf/…``)."""
    found = arxiv_id_in(text)
    if found is not None:
        return found
    raise CommunityError("Give an arXiv id (2501.00001) or an arXiv link (https://arxiv.org/abs/2501.00001).")


def _require_verified(user: User) -> None:
    if user.disabled:
        raise CommunityError("This account is disabled.", 403)
    if not user.verified:
        raise CommunityError("Verify your email address first: follow the link we sent you.", 403)


def _require_paper(store: Store, paper_id: str) -> Paper:
    paper = store.papers.get_paper(paper_id)
    if paper is None:
        raise CommunityError(f"There is no paper {paper_id!r} here.", 404)
    return paper


def upvote(store: Store, user: User, paper_id: str, on: bool = True) -> int:
    """Upvote a paper (or take the upvote back); returns its upvote count."""
    _require_verified(user)
    paper = _require_paper(store, paper_id)
    store.community.set_upvote(user.id, paper.id, on)
    return store.community.upvote_counts([paper.id]).get(paper.id, 0)


def save(store: Store, user: User, paper_id: str, on: bool = True) -> bool:
    """Save a paper to the user's library (or remove it); True when something changed."""
    _require_verified(user)
    paper = _require_paper(store, paper_id)
    return store.library.set_saved(user.id, paper.id, on)


def submit(store: Store, settings: Settings, user: User, text: str,
           throttle: Throttle | None = None) -> SubmitOutcome:
    """Submit a paper by arXiv id or URL. A stored paper is submitted (and upvoted) now; any other is
    queued for the worker to fetch (``outcome.fetch``). Never waits on arXiv. ``SubmitLimited`` past
    ``submissions_per_hour``."""
    _require_verified(user)
    paper_id = parse_paper_ref(text)
    throttle = throttle or Throttle(store, settings, store.clock)
    if not throttle.allow(SUBMIT, str(user.id), settings.submissions_per_hour):
        raise SubmitLimited(settings.submissions_per_hour, throttle.retry_after(SUBMIT, str(user.id)))
    paper = store.papers.get_paper(paper_id)
    if paper is None:
        fetch = request_fetch(store, [paper_id], SUBMIT, user.id, text.strip())[paper_id]
        return SubmitOutcome(paper_id, None, None, False, fetch)
    submission, created = store.community.add_submission(paper.id, user.id, text.strip())
    store.community.set_upvote(user.id, paper.id, True)
    return SubmitOutcome(paper.id, paper, submission, created)


def complete_submissions(store: Store, limit: int = 500) -> CompletedSubmissions:
    """Record the submissions whose papers the fetch queue has stored since (and their upvotes), first
    asked first, so the first to ask is the submitter; note the others' outcomes. Safe to run again."""
    report = CompletedSubmissions()
    for waiter in store.fetches.open_waiters(SUBMIT, limit):
        if waiter.state == "done":
            paper = store.papers.get_paper(waiter.paper_id)
            user = store.accounts.get_user(waiter.user_id)
            if paper is not None and user is not None and not user.disabled:
                earlier = store.community.submissions_for([paper.id], include_hidden=True).get(paper.id)
                if earlier is None or earlier.user_id != user.id:  # not recorded by a run that died after it
                    store.community.add_submission(paper.id, user.id, waiter.detail)
                store.community.set_upvote(user.id, paper.id, True)
                report.recorded += 1
        elif waiter.state == "not-found":
            report.not_found += 1
        else:
            report.failed += 1
        store.fetches.mark_handled(waiter.paper_id, waiter.user_id, waiter.reason)
    return report


def paper_community(store: Store, paper_ids: Sequence[str], viewer: User | None = None) -> dict[str, PaperCommunity]:
    """Upvotes, submitter and (for a signed-in viewer) their own marks (upvoted, saved, thumb, folders),
    for each id."""
    counts = store.community.upvote_counts(paper_ids)
    submissions = store.community.submissions_for(paper_ids)
    marks = store.community.viewer_marks(viewer.id, paper_ids) if viewer else {}
    thumbs = store.preferences.thumbs(viewer.id, paper_ids) if viewer else {}
    folders = store.library.folder_marks(viewer.id, paper_ids) if viewer else {}
    result = {}
    for pid in paper_ids:
        upvoted, saved = marks.get(pid, (False, False))
        sub = submissions.get(pid)
        result[pid] = PaperCommunity(counts.get(pid, 0), sub.handle if sub else None, upvoted, saved,
                                     thumbs.get(pid), folders.get(pid, []))
    return result
