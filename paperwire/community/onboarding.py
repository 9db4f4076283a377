"""Cold start in one minute: what the first-run page (``/for-you/start``) does for a new member.

Step 1 asks for a few papers they like: a keyword search (``find_papers``) whose results each have an
"I like this" button (``like``: a 👍, which the recommender learns from like a save), and a counter of the
papers chosen so far (``progress``: every saved, upvoted or liked paper counts, so an imported library
counts too). "These are my papers" finds the member's author name (``author_choices``: every spelling of
names that match theirs, ``name_matches``, with paper counts) and, once they pick one, puts that author's
papers in a "My papers" folder and follows the author (``claim_author``). Step 2, once ``GOAL`` papers
are chosen, is the recommender's (``recommend.service``): the page glues the two.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from paperwire.community import preferences
from paperwire.community.library import claim_papers, papers_by_name
from paperwire.community.service import CommunityError
from paperwire.models import Paper, User, author_key
from paperwire.runtime import Runtime
from paperwire.search.engine import SearchError, SearchRequest, search
from paperwire.store import Store

GOAL = 5
"""Papers to choose before the page shows candidates to rate."""
ENOUGH = 10
"""Past this many the page says step 1 is done."""
RESULTS = 10
"""Search results step 1 shows."""
AUTHOR_SCAN = 300
"""Papers of a family name read to find the spellings of a member's name (newest first)."""
AUTHOR_CHOICES = 12


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a member is: the papers they chose (newest first) and whether step 2 is open."""

    chosen: list[str]
    liked: int
    """Papers with a 👍 (step 1's "I like this" and step 2's ratings)."""
    disliked: int

    @property
    def count(self) -> int:
        """How many papers they chose."""
        return len(self.chosen)

    @property
    def ready(self) -> bool:
        """Enough papers chosen to rank candidates."""
        return self.count >= GOAL


@dataclass(frozen=True, slots=True)
class AuthorChoice:
    """One author name that matches what a member typed: the spelling most papers use, its normal form,
    and how many of the papers read have it."""

    name: str
    key: str
    papers: int


def progress(store: Store, user: User) -> Progress:
    """The papers the member chose (saved, upvoted or liked) and how many they rated 👍 and 👎."""
    signals = store.preferences.user_signals(user.id)
    liked = sum(1 for s in signals.positives if s.kind == "thumbs_up")
    return Progress(signals.positive_ids(), liked, len(signals.negatives))


def find_papers(rt: Runtime, query: str, limit: int = RESULTS) -> list[Paper]:
    """Papers for step 1's search box (keyword search, the site's syntax)."""
    if not query.strip():
        return []
    try:
        results = search(rt.store, rt.indexes, SearchRequest(query, limit=min(limit, rt.search_policy.max_limit),
                                                             mode="keyword"), rt.search_policy)
    except SearchError as exc:
        raise CommunityError(str(exc), 422) from None
    return [h.paper for h in results.hits if h.paper is not None]


def like(store: Store, user: User, paper_id: str, on: bool = True) -> None:
    """"I like this": a 👍 on the paper (or take it back)."""
    preferences.thumb(store, user, paper_id, "up" if on else "none")


# -- "these are my papers" ---------------------------------------------------------------------------------
def _compatible(a: str, b: str) -> bool:
    """Two given names agree: the same, or one is the other's initial."""
    return a == b or (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b))


def name_matches(query: str, name: str) -> bool:
    """Whether an author ``name`` may be the person a member typed as ``query``: case, accents, punctuation
    and ``Family, Given`` order do not matter (``author_key``); the family names (the last words) are equal;
    the first given names agree or one is the other's initial; further given names the member typed appear
    in order among the name's (so "J. Smith" and "John A. Smith" match "John Smith", "Jane Smith" does not).
    A query of a family name alone matches every name with it."""
    wanted, found = author_key(query).split(), author_key(name).split()
    if not wanted or not found or wanted[-1] != found[-1]:
        return False
    given, theirs = wanted[:-1], found[:-1]
    if not given:
        return True
    if not theirs or not _compatible(given[0], theirs[0]):
        return False
    rest = iter(theirs[1:])
    return all(any(_compatible(t, u) for u in rest) for t in given[1:])


def author_choices(rt: Runtime, query: str, scan: int = AUTHOR_SCAN, limit: int = AUTHOR_CHOICES
                   ) -> list[AuthorChoice]:
    """The author names on stored papers that match ``query`` (``name_matches``), most papers first, each
    with its paper count among the ``scan`` newest papers of that family name. One keyword search on the
    family name (the index, not a scan of the papers table), paged."""
    key = author_key(query)
    if len(key) < 3:
        raise CommunityError("Type your name as it appears on your papers (at least 3 letters).")
    family = key.split()[-1]
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    step = rt.search_policy.max_limit
    for offset in range(0, scan, step):
        request = SearchRequest(f'author:"{family}"', limit=min(step, scan - offset), offset=offset,
                                mode="keyword", sort="newest")
        try:
            results = search(rt.store, rt.indexes, request, rt.search_policy)
        except SearchError as exc:
            raise CommunityError(str(exc)) from None
        for hit in results.hits:
            if hit.paper is None:
                continue
            for name in dict.fromkeys(a for a in hit.paper.authors if name_matches(query, a)):
                counts[author_key(name)] += 1
                spellings.setdefault(author_key(name), Counter())[name] += 1
        if offset + step >= results.total:
            break
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [AuthorChoice(_spelling(spellings[k]), k, n) for k, n in ranked]


def _spelling(names: Counter[str]) -> str:
    """The spelling to show of one normal form: the most used; on a tie the one with accents ("Zoë" over
    "Zoe": a plain spelling is usually a stripped one), then the longer, then alphabetical."""
    return min(names, key=lambda n: (-names[n], -sum(not ch.isascii() for ch in n), -len(n), n))


def claim_author(rt: Runtime, user: User, name: str) -> tuple[list[str], bool]:
    """"These are my papers": the papers with an author named ``name`` (its normal form) go into the
    member's "My papers" folder, and the member follows that author. Returns the ids newly added and
    whether the follow is new."""
    papers = papers_by_name(rt, name)
    if not papers:
        raise CommunityError(f"No paper here has an author named {name!r}.", 404)
    added = claim_papers(rt.store, user, [p.id for p in papers])
    key = author_key(name)
    followed = any(p.kind == "author" and p.key == key for p in rt.store.preferences.preferences(user.id, "follow"))
    preferences.set_preference(rt.store, user, "follow", "author", name)
    return added, not followed
