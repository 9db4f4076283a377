"""What the community and code hosts say about papers: upvotes, code repository, stars.

The website, the JSON API and the Hugging Face–compatible API all read these
through ``paper_signals``, so wiring the real data in is one change here.
The store has no such data yet (the Hugging Face and GitHub ingest is being
built); until it has, every paper gets the truthful "nothing known": 0
upvotes, no repository, no stars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from paperwire.store import Store


@dataclass(frozen=True, slots=True)
class PaperSignals:
    """Community and code signals of one paper."""

    upvotes: int = 0
    github_repo: str | None = None  # https://github.com/owner/name
    github_stars: int | None = None

    @property
    def has_code(self) -> bool:
        return self.github_repo is not None


NOTHING_KNOWN = PaperSignals()


def paper_signals(store: Store, paper_ids: Sequence[str]) -> dict[str, PaperSignals]:
    """Signals for each id (every id is in the result).

    Integration point: once the store keeps Hugging Face upvotes and GitHub
    links and stars, read them here in one query for all ids.
    """
    return dict.fromkeys(paper_ids, NOTHING_KNOWN)
