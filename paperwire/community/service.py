"""The community: upvotes, personal libraries, submissions by arXiv id or URL, moderation.

Only verified accounts act (an upvote from an address nobody owns would be
free to fake). A submitted paper not yet in the store is fetched from the
arXiv query API; a paper submitted twice, in whatever spelling (``arXiv:``,
an ``/abs/`` or ``/pdf/`` URL, with a version), is one submission, credited
to its first submitter. Submitting a paper also upvotes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from paperwire.config import Settings
from paperwire.ingest.harvest import run_ids
from paperwire.ingest.report import HarvestReport
from paperwire.models import Paper, PaperCommunity, Submission, User, is_arxiv_id, split_version
from paperwire.store import Store

_ID = r"(\d{4}\.\d{4,5}|[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?"
_URL_RE = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?(?:arxiv\.org/(?:abs|pdf|html|format)/|huggingface\.co/papers/"
    r"|alphaxiv\.org/abs/)" + _ID + r"(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)
_BARE_RE = re.compile(r"^(?:arxiv:)?" + _ID + r"$", re.IGNORECASE)
_DOI_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/)?10\.48550/arxiv\." + _ID + r"$", re.IGNORECASE)

Fetch = Callable[[Sequence[str]], HarvestReport]


class CommunityError(ValueError):
    """A community action refused; the message is for the user, ``status`` the HTTP status that fits."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class SubmitOutcome:
    """A submission: the paper, its (possibly earlier) submission, and what happened."""

    paper: Paper
    submission: Submission
    created: bool
    fetched: bool


def parse_paper_ref(text: str) -> str:
    """The bare arXiv id in an id or URL (``2501.00001v2``, ``arXiv:…``, ``https://arxiv.org/pdf/…``)."""
    value = text.strip()
    for pattern in (_BARE_RE, _URL_RE, _DOI_RE):
        match = pattern.match(value)
        if match:
            raw = match.group(1)
            # old-style ids keep their archive's case (math.GT); new-style have none
            pid = raw if "/" in raw else raw.lower()
            bare, _ = split_version(pid)
            if is_arxiv_id(bare):
                return bare
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


def submit(store: Store, settings: Settings, user: User, text: str, fetch: Fetch | None = None) -> SubmitOutcome:
    """Submit a paper by arXiv id or URL, fetching it from arXiv if it is not stored yet."""
    _require_verified(user)
    paper_id = parse_paper_ref(text)
    paper = store.papers.get_paper(paper_id)
    fetched = False
    if paper is None:
        if fetch is None:

            def fetch(ids: Sequence[str]) -> HarvestReport:
                return run_ids(store, settings, ids)

        report = fetch([paper_id])
        paper = store.papers.get_paper(paper_id)
        if paper is None:
            missing = any("not found on arXiv" in e for e in report.errors)
            if missing or not report.errors:
                raise CommunityError(f"arXiv has no paper {paper_id}.", 404)
            raise CommunityError(f"Could not fetch {paper_id} from arXiv right now; try again later.", 502)
        fetched = True
    submission, created = store.community.add_submission(paper.id, user.id, text.strip())
    store.community.set_upvote(user.id, paper.id, True)
    return SubmitOutcome(paper, submission, created, fetched)


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
