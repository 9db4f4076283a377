"""What the community and code hosts say about papers: upvotes, code repository, stars.

The website, the JSON API, the feeds and the Hugging Face–compatible API
all read these through ``paper_signals``: one bulk read of the store
(``Store.signals.signal_data``) for all the papers of a page.

- ``upvotes`` is the sum of the paper's Hugging Face upvotes (the most it
  had on any daily list) and the upvotes of this site's members; both are
  also given apart (``hf_upvotes``, ``community_upvotes``).
- ``github_repo`` is the paper's own repository among its code links,
  chosen by the rule trending uses (``paperwire.trending.activity.best_repo``:
  the most sources, then the most trusted, then the least shared), as
  ``https://github.com/Owner/Name``; ``github_stars`` its latest star count
  (None until GitHub was asked).
- ``comments`` counts the comments everyone can read on the paper's discussion
  (``community.discussions``): not held, hidden or deleted ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from paperwire.store import Store
from paperwire.trending.activity import best_repo


@dataclass(frozen=True, slots=True)
class PaperSignals:
    """Community and code signals of one paper."""

    hf_upvotes: int = 0
    community_upvotes: int = 0
    github_repo: str | None = None  # https://github.com/owner/name
    github_stars: int | None = None
    comments: int = 0

    @property
    def upvotes(self) -> int:
        """Hugging Face upvotes plus this site's upvotes."""
        return self.hf_upvotes + self.community_upvotes

    @property
    def has_code(self) -> bool:
        return self.github_repo is not None


NOTHING_KNOWN = PaperSignals()


def paper_signals(store: Store, paper_ids: Sequence[str]) -> dict[str, PaperSignals]:
    """Signals for each id (every id is in the result; papers nobody upvoted or linked get ``NOTHING_KNOWN``)."""
    if not paper_ids:
        return {}
    data = store.signals.signal_data(paper_ids)
    comments = store.discussions.comment_counts(paper_ids)
    out: dict[str, PaperSignals] = {}
    for pid in paper_ids:
        repo_key = best_repo(data.links.get(pid, []), data.repo_papers)
        repo = data.repos.get(repo_key) if repo_key else None
        name = repo.full_name if repo and repo.full_name else repo_key
        out[pid] = PaperSignals(
            hf_upvotes=data.hf_upvotes.get(pid, 0), community_upvotes=data.community.get(pid, 0),
            github_repo=f"https://github.com/{name}" if name else None,
            github_stars=repo.stars if repo else None, comments=comments.get(pid, 0))
    return out
