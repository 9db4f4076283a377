"""GitHub repository links: found in abstracts and comments, or given by HF and Papers with Code.

Pure functions. A repository is ``owner/name``; the key is lower case
(GitHub names are case-insensitive) and the URL keeps the source's spelling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from paperwire.models import CodeLink, Paper

# owner: letters, digits, single hyphens, ≤ 39; name: letters, digits, . _ -, ≤ 100
# The scheme is not matched (it adds nothing and slows the scan); the look-behind keeps out
# gist.github.com and look-alike hosts.
_URL_RE = re.compile(
    r"(?<![\w.-])(?:www\.)?github\.com/([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})/([A-Za-z0-9._-]{1,100})",
    re.IGNORECASE,
)
# First path segments that are GitHub's own pages, not users or organisations.
_NOT_OWNERS = frozenset({
    "about", "apps", "blog", "collections", "contact", "customer-stories", "enterprise", "events", "explore",
    "features", "issues", "join", "login", "marketplace", "new", "notifications", "orgs", "organizations",
    "pricing", "pulls", "search", "security", "settings", "site", "sponsors", "topics", "trending", "users",
})


def parse_repo(url: str) -> tuple[str, str] | None:
    """``(key, spelling)`` of the repository a GitHub URL points into, e.g. ``("a/b", "A/b")``; None otherwise."""
    match = _URL_RE.search(url.strip())
    return _repo_of(match) if match else None


def _repo_of(match: re.Match[str]) -> tuple[str, str] | None:
    owner, name = match.group(1), match.group(2)
    if owner.lower() in _NOT_OWNERS:
        return None
    name = name.rstrip(".")  # a sentence's full stop
    if name.lower().endswith(".git"):
        name = name[:-4]
    if not name or name in (".", ".."):
        return None
    spelled = f"{owner}/{name}"
    return spelled.lower(), spelled


def find_repos(text: str | None) -> list[tuple[str, str]]:
    """Every GitHub repository mentioned in free text, in order of first mention."""
    if not text or "github.com" not in text.lower():  # the common case, 10x faster than the regex
        return []
    found: dict[str, str] = {}
    for match in _URL_RE.finditer(text):
        repo = _repo_of(match)
        if repo and repo[0] not in found:
            found[repo[0]] = repo[1]
    return list(found.items())


def github_url(spelled: str) -> str:
    """The canonical web address of ``owner/name``."""
    return f"https://github.com/{spelled}"


def links_in_paper(paper: Paper, seen: datetime | None = None) -> list[CodeLink]:
    """Code links found in a paper's abstract and comment."""
    return [
        CodeLink(paper.id, key, github_url(spelled), source, seen)
        for source, text in (("abstract", paper.abstract), ("comment", paper.comment))
        for key, spelled in find_repos(text)
    ]


def links_in_papers(papers: Iterable[Paper], seen: datetime | None = None) -> list[CodeLink]:
    """Code links found in many papers."""
    return [link for paper in papers for link in links_in_paper(paper, seen)]
