"""A member's private signals: thumbs up or down ("more like this" / "not interested"), followed
authors and categories, muted authors and keywords. All reversible, none shown to anyone else, so
unlike upvotes and saves (which count for trending) they need a signed-in account but no verified
address.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from paperwire.community.service import CommunityError
from paperwire.models import FOLLOW_KINDS, MUTE_KINDS, Paper, Preference, User, UserSignals, author_key, keyword_key
from paperwire.models.library import Stance, Thumb, clean_label
from paperwire.store import Store
from paperwire.taxonomy import category

MAX_PREFERENCES = 500
LABEL_MAX = 120
_PLURALS = {"author": "authors", "category": "categories", "keyword": "keywords"}
P = TypeVar("P", bound=Paper)
_CATEGORY_RE = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z\-]+)?$", re.IGNORECASE)


def _require_active(user: User) -> None:
    if user.disabled:
        raise CommunityError("This account is disabled.", 403)


def thumb(store: Store, user: User, paper_id: str, value: str) -> Thumb | None:
    """Thumb a paper ``up`` or ``down`` (replacing the other), or take it back (``none``)."""
    _require_active(user)
    if value not in ("up", "down", "none"):
        raise CommunityError("A thumb is up, down or none.")
    paper = store.papers.get_paper(paper_id)
    if paper is None:
        raise CommunityError(f"There is no paper {paper_id!r} here.", 404)
    chosen: Thumb | None = None if value == "none" else value  # type: ignore[assignment]
    store.preferences.set_thumb(user.id, paper.id, chosen)
    return chosen


def preference_key(kind: str, name: str) -> tuple[str, str]:
    """``(key, label)`` of an author (``author_key``), category (its arXiv code) or keyword."""
    label = clean_label(name, LABEL_MAX)
    if kind == "author":
        key = author_key(label)
    elif kind == "category":
        code = label.strip()
        info = category(code)
        if not _CATEGORY_RE.match(code):
            raise CommunityError(f"{code!r} is not an arXiv category code such as cs.CL.")
        key, label = (info.code, info.code) if info.known else (code, code)
    elif kind == "keyword":
        key = keyword_key(label)
    else:
        raise CommunityError(f"There is nothing of kind {kind!r} to follow or mute.")
    if not key:
        raise CommunityError(f"Give a {kind} with at least one letter or digit.")
    return key, label


def set_preference(store: Store, user: User, stance: Stance, kind: str, name: str,
                   on: bool = True) -> Preference | None:
    """Follow (authors, categories) or mute (authors, keywords) something, or stop (``on=False``).
    Returns what is kept, or None when it was removed."""
    _require_active(user)
    allowed = FOLLOW_KINDS if stance == "follow" else MUTE_KINDS
    if kind not in allowed:
        raise CommunityError(f"You can {stance} {' or '.join(_PLURALS[k] for k in allowed)}, "
                             f"not {_PLURALS.get(kind, kind)}.")
    key, label = preference_key(kind, name)
    if not on:
        current = [p for p in store.preferences.preferences(user.id, stance) if p.kind == kind and p.key == key]
        if current:
            store.preferences.set_preference(user.id, kind, key, label, None)
        return None
    if len(store.preferences.preferences(user.id)) >= MAX_PREFERENCES:
        raise CommunityError(f"You follow and mute {MAX_PREFERENCES} things, the most there can be: remove some "
                             "first.", 409)
    store.preferences.set_preference(user.id, kind, key, label, stance)
    return next(p for p in store.preferences.preferences(user.id, stance) if p.kind == kind and p.key == key)


def forget_preference(store: Store, user: User, stance: Stance, kind: str, key: str) -> bool:
    """Remove a follow or mute by its stored key (as the API and the signals page list it)."""
    _require_active(user)
    current = [p for p in store.preferences.preferences(user.id, stance) if p.kind == kind and p.key == key]
    return bool(current) and store.preferences.set_preference(user.id, kind, key, current[0].label, None)


def filter_muted(papers: Sequence[P], signals: UserSignals) -> tuple[list[P], list[tuple[P, str]]]:
    """Split papers into those the member's mutes let through, in order, and those they hide with why
    (``'author: Ada Lovelace'``, ``'keyword: video'``): a muted author is any author whose normal form is
    muted; a muted keyword is a whole word or phrase of the title or abstract, accents and case folded.
    Pure: the listings of a signed-in member call it with their ``user_signals``."""
    if not signals.muted_authors and not signals.muted_keywords:
        return list(papers), []
    kept: list[P] = []
    hidden: list[tuple[P, str]] = []
    for paper in papers:
        reason = signals.muted_reason(paper.authors, paper.title, paper.abstract)
        if reason is None:
            kept.append(paper)
        else:
            hidden.append((paper, reason))
    return kept, hidden
