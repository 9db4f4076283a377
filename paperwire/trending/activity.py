"""From what the store holds to each paper's signals for one window: pure functions.

Stars gained come from the star snapshots (exact counts at instants) and,
before a repository's first snapshot, from its backfilled history (new
stars per day). Hugging Face upvotes gained come from the upvote snapshots
taken on every fetch. Community upvotes come from ``Store.community.community_activity``
(``community_signals``). A paper's stars are those of its best-linked
repository only — not a sum over forks, mirrors or the libraries it
mentions — and a repository linked to several papers counts for each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

from paperwire.models import CommunityActivity, HFActivity, RepoStars, TrendingInputs
from paperwire.trending.formula import Signals

# HF's githubRepo is the authors' own submission; PwC's links were curated; a URL in the abstract
# is usually the paper's code, one in the comments field less often.
SOURCE_PRIORITY: Mapping[str, int] = {"hf": 0, "pwc": 1, "abstract": 2, "comment": 3}


def _split(points: Sequence[tuple[datetime, int]], start: datetime, end: datetime,
           ) -> tuple[tuple[datetime, int] | None, list[tuple[datetime, int]]]:
    """The last point at or before ``start``, and the points in ``(start, end]``."""
    ordered = sorted(p for p in points if p[0] <= end)
    before = [p for p in ordered if p[0] <= start]
    return (before[-1] if before else None), [p for p in ordered if p[0] > start]


def stars_gained(repo: RepoStars, start: datetime, end: datetime) -> int:
    """Stars a repository gained in ``(start, end]``, never negative.

    With a snapshot at or before ``start``: the last count in the window minus
    that one. When the series begins inside the window: the growth after the
    first snapshot, plus the backfilled new stars of the window's days up to
    that snapshot's day, or — without a backfill — every star if GitHub says
    the repository was created inside the window (else only the observed
    growth). History is counted at day granularity.
    """
    base, inside = _split(repo.snapshots, start, end)
    if base is not None:
        return max(0, (inside[-1][1] if inside else base[1]) - base[1])
    if not inside:  # no count yet inside the window: only the backfill can tell
        return max(0, sum(n for d, n in repo.history if start.date() <= d <= end.date()))
    first_at, first = inside[0]
    last = inside[-1][1]
    if repo.history:
        early = sum(n for d, n in repo.history if start.date() <= d <= first_at.date())
        return max(0, early + last - first)
    if repo.created_at is not None and repo.created_at >= start:
        return max(0, last)
    return max(0, last - first)


def upvotes_gained(activity: HFActivity, start: datetime, end: datetime) -> int:
    """Hugging Face upvotes gained in ``(start, end]``, never negative.

    From the snapshots as for stars; a paper that entered a daily list inside
    the window gained all of its upvotes in it.
    """
    base, inside = _split(activity.snapshots, start, end)
    new_in_window = activity.featured is not None and start <= activity.featured <= end
    if base is not None:
        return max(0, (inside[-1][1] if inside else base[1]) - base[1])
    if inside:
        return max(0, inside[-1][1] if new_in_window else inside[-1][1] - inside[0][1])
    return activity.upvotes if new_in_window else 0


def best_repo(links: Sequence[tuple[str, str]], repo_papers: Mapping[str, int]) -> str | None:
    """A paper's own repository among its ``(repo, source)`` links.

    The one named by the most sources; then by the most trusted source (HF,
    Papers with Code, abstract, comment); then the one linked by the fewest
    papers (a library every paper mentions is nobody's own code); then by name.
    """
    sources: dict[str, set[str]] = defaultdict(set)
    for repo, source in links:
        sources[repo].add(source)
    if not sources:
        return None
    return min(sources, key=lambda r: (-len(sources[r]), min(SOURCE_PRIORITY.get(s, 9) for s in sources[r]),
                                       repo_papers.get(r, 1), r))


def midnight(day: date) -> datetime:
    """00:00 UTC of ``day`` (arXiv announces at 20:00 US Eastern, around midnight UTC)."""
    return datetime.combine(day, time(), tzinfo=UTC)


def debut(announced: date | None, submitted: datetime | None, featured: datetime | None,
          ) -> tuple[datetime | None, str]:
    """A paper's most recent debut and what it was: the later of its arXiv announcement and its first
    Hugging Face daily list (an old paper featured today is news today); else its submission."""
    known = [(when, what) for when, what in ((midnight(announced) if announced else None, "arxiv"),
                                             (featured, "hf")) if when is not None]
    if known:
        return max(known, key=lambda k: k[0])
    return submitted, "submitted"


def community_signals(activity: Mapping[str, CommunityActivity]) -> tuple[dict[str, int], set[str]]:
    """What trending takes from the community's activity in a window (``Store.community.community_activity``, which
    already leaves out disabled accounts and hidden submissions): the upvotes per paper, and the
    candidates it adds — every paper upvoted or submitted in the window, however old.

    Saves do not count: a library is a private reading list, often of papers not read yet, and an
    account that upvotes and saves a paper would count twice. A submission counts through the
    upvote its submitter gives it on submitting (``community.service.submit``), not on its own.
    """
    upvotes = {pid: a.upvotes for pid, a in activity.items() if a.upvotes > 0}
    return upvotes, {pid for pid, a in activity.items() if a.upvotes > 0 or a.submitted}


def gather(inputs: TrendingInputs, community: Mapping[str, int] | None = None) -> list[Signals]:
    """Each candidate paper's signals for the window of ``inputs``.

    ``community`` maps paper ids to upvotes gained on Paperwire in the window.
    It adds no candidates here: ``inputs`` must already hold them (``compute``
    asks ``Store.trending.trending_inputs`` for the community's papers too).
    """
    links: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for pid, linked, source in inputs.links:
        links[pid].append((linked, source))
    out: list[Signals] = []
    for pid in sorted(inputs.papers):
        announced, submitted = inputs.papers[pid]
        repo_key = best_repo(links.get(pid, []), inputs.repo_papers)
        repo = inputs.repos.get(repo_key) if repo_key else None
        hf = inputs.hf.get(pid)
        published, by = debut(announced, submitted, hf.featured if hf else None)
        out.append(Signals(
            paper_id=pid,
            stars_gained=stars_gained(repo, inputs.start, inputs.end) if repo else 0,
            hf_gained=upvotes_gained(hf, inputs.start, inputs.end) if hf else 0,
            community=(community or {}).get(pid, 0),
            published=published, published_by=by,
            repo=repo.full_name if repo else repo_key, repo_stars=repo.stars if repo else None,
            hf_upvotes=hf.upvotes if hf else 0,
        ))
    return out


def cumulative_stars(repo: RepoStars) -> list[tuple[datetime, int]]:
    """The repository's star count over time, for a sparkline: its snapshots, preceded by the backfilled
    days before the first snapshot, counted back from it (end of each day)."""
    snapshots = sorted(repo.snapshots)
    if not snapshots:
        total, points = 0, []
        for day, n in sorted(repo.history):
            total += n
            points.append((midnight(day) + timedelta(days=1), total))
        return points
    first_at, first = snapshots[0]
    earlier = sorted((d, n) for d, n in repo.history if d < first_at.date())
    same_day = sum(n for d, n in repo.history if d == first_at.date())
    running, back = first - same_day, []
    for day, n in reversed(earlier):
        back.append((midnight(day) + timedelta(days=1), max(running, 0)))
        running -= n
    return list(reversed(back)) + snapshots
