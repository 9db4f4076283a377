"""A member's library: folders, notes, import from citation files, export, and "these are my papers".

What a person does, checked here (pages and the API call these and show ``CommunityError`` messages):

- save a paper into a folder, note it, move it between folders, make a folder public;
- import a BibTeX, RIS, CSL-JSON or Zotero CSV file, or a list of arXiv ids or links: each entry is
  matched to a stored paper by arXiv id (from ``eprint``, ``arxiv``, a URL or arXiv's DOI), else by
  DOI, else by its exact title (case, accents and punctuation folded); arXiv papers not stored here
  go to the fetch queue (``request_fetch``) and wait, with their note and folders, until the worker
  has fetched them (``complete_library_imports`` files them); the report lists what was found, what
  is to be fetched and each entry it could not match, with its line;
- export a folder or the whole library as BibTeX, RIS or CSL-JSON, which import reads back the same;
- find their own papers by their name and add them as positives (a "My papers" folder).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from paperwire.community.service import CommunityError
from paperwire.ingest import citations, fetch_queue
from paperwire.ingest.citations import CitationError
from paperwire.models import Citation, Folder, ImportReport, Paper, SavedPaper, User, author_key
from paperwire.models.library import MY_PAPERS_FOLDER, clean_folder_name, clean_note, fold, folder_slug
from paperwire.runtime import Runtime
from paperwire.search.engine import SearchError, SearchRequest, search
from paperwire.store import AlreadyExists, ImportItem, Store

MAX_IMPORT_BYTES = 1_000_000
MAX_IMPORT_ENTRIES = 5_000
MAX_FOLDERS = 200
MY_PAPERS_LIMIT = 100
MAX_FETCH_PER_IMPORT = 500
MAX_PENDING = 2000
LIBRARY = "library"
"""The fetch queue's reason for imported papers."""


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


def folder_of(store: Store, user: User, slug: str) -> Folder:
    """One of the member's folders, or a 404 ``CommunityError``."""
    # no slug has control characters (and PostgreSQL refuses NUL in text): such a one is not there
    found = store.library.folder(user.id, slug) if slug.isprintable() else None
    if found is None:
        raise CommunityError(f"You have no folder {slug!r}.", 404)
    return found


def _folder_name(name: str) -> str:
    cleaned = clean_folder_name(name)
    if not any(ch.isalnum() for ch in cleaned):
        raise CommunityError("Give the folder a name with at least one letter or digit.")
    return cleaned


def create_folder(store: Store, user: User, name: str, public: bool = False) -> Folder:
    """A new folder; its name is cleaned (spaces folded, no commas or semicolons, 60 characters)."""
    _require_verified(user)
    cleaned = _folder_name(name)
    if len(store.library.folders(user.id)) >= MAX_FOLDERS:
        raise CommunityError(f"You have {MAX_FOLDERS} folders, the most there can be: delete one first.", 409)
    try:
        return store.library.create_folder(user.id, cleaned, public)
    except AlreadyExists:
        raise CommunityError(f"You already have a folder called {cleaned!r}.", 409) from None


def update_folder(store: Store, user: User, slug: str, name: str | None = None, public: bool | None = None,
                  default: bool | None = None) -> Folder:
    """Rename a folder, make it public or private, or make it the default one."""
    _require_verified(user)
    folder = folder_of(store, user, slug)
    try:
        updated = store.library.update_folder(user.id, folder.id, _folder_name(name) if name is not None else None,
                                              public, default)
    except AlreadyExists:
        raise CommunityError(f"You already have a folder called {name!r}.", 409) from None
    assert updated is not None
    return updated


def delete_folder(store: Store, user: User, slug: str) -> None:
    """Delete a folder (not the default one); papers only it held move to the default folder."""
    _require_verified(user)
    folder = folder_of(store, user, slug)
    if folder.is_default:
        raise CommunityError("This is your default folder: make another one the default first.", 409)
    store.library.delete_folder(user.id, folder.id)


def file_paper(store: Store, user: User, paper_id: str, slug: str, on: bool = True) -> bool:
    """Put a paper in a folder (saving it) or take it out (out of its last folder it is unsaved)."""
    _require_verified(user)
    paper = _require_paper(store, paper_id)
    return store.library.set_in_folder(user.id, paper.id, folder_of(store, user, slug).id, on)


def set_note(store: Store, user: User, paper_id: str, note: str) -> str:
    """Write the note of a saved paper (saving it first if need be); returns the note as kept."""
    _require_verified(user)
    paper = _require_paper(store, paper_id)
    kept = clean_note(note)
    if not store.library.set_note(user.id, paper.id, kept):
        store.library.set_saved(user.id, paper.id, True)
        store.library.set_note(user.id, paper.id, kept)
    return kept


# -- import ------------------------------------------------------------------------------------------------
def request_fetch(store: Store, items: Sequence[ImportItem], user_id: int) -> list[str]:
    """Queue imported papers the store does not hold for the worker to fetch from arXiv (never waits on it),
    and keep each with its note and folders until it arrives (``complete_library_imports``). At most
    ``MAX_FETCH_PER_IMPORT`` per import and ``MAX_PENDING`` waiting per member (arXiv answers a batch every
    few seconds, and the queue serves every member's submissions too); returns the ids queued."""
    waiting = {p.paper_id for p in store.library.pending(user_id, limit=MAX_PENDING)}
    room = MAX_PENDING - len(waiting)
    wanted: list[ImportItem] = []
    for item in {item.paper_id: item for item in items}.values():
        if len(wanted) == MAX_FETCH_PER_IMPORT:
            break
        if item.paper_id in waiting or room > 0:  # one already waiting takes no new place
            room -= item.paper_id not in waiting
            wanted.append(item)
    if not wanted:
        return []
    try:
        queued = fetch_queue.request_fetch(store, [item.paper_id for item in wanted], LIBRARY, user_id)
    except ValueError:  # not an arXiv id after all: listed as not here, never queued
        return []
    kept = [item for item in wanted if item.paper_id in queued]
    store.library.add_pending(user_id, kept)
    return [item.paper_id for item in kept]


@dataclass(slots=True)
class CompletedImports:
    """What ``complete_library_imports`` did: papers put in libraries, and those arXiv did not give."""

    saved: int = 0
    not_found: int = 0
    failed: int = 0


def complete_library_imports(store: Store, limit: int = 500) -> CompletedImports:
    """Put the papers the fetch queue has stored since into the libraries (and folders) of the members who
    imported them; those arXiv has not, or that failed for good, stay listed as pending with their state
    until the member dismisses them. Safe to run again (the worker runs it after each drain)."""
    report = CompletedImports()
    for waiter in store.fetches.open_waiters(LIBRARY, limit):
        user = store.accounts.get_user(waiter.user_id)
        if waiter.state == "done" and user is not None and not user.disabled:
            report.saved += store.library.settle_pending(user.id, waiter.paper_id)
        elif waiter.state == "not-found":
            report.not_found += 1
        elif waiter.state == "failed":
            report.failed += 1
        store.fetches.mark_handled(waiter.paper_id, waiter.user_id, waiter.reason)
    return report


def dismiss_pending(store: Store, user: User, paper_id: str) -> bool:
    """Forget an imported paper that is still to come or will not come; True when there was one."""
    _require_verified(user)
    return store.library.drop_pending(user.id, paper_id)


def decode_upload(data: bytes) -> str:
    """The text of an uploaded file: UTF-8 (with or without a byte-order mark), else Windows-1252 (what
    older reference managers write); ``CommunityError`` for binary files or ones over 1 MB."""
    if len(data) > MAX_IMPORT_BYTES:
        raise CommunityError(f"The file is {len(data):,} bytes; the limit is {MAX_IMPORT_BYTES:,} (1 MB). "
                             "Export one folder at a time.", 413)
    if b"\x00" in data:
        raise CommunityError("This is not a text file: upload a .bib, .ris, .json, .csv or .txt file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise CommunityError("The file is neither UTF-8 nor Windows-1252 text.") from None


def _by_title(rt: Runtime, entry: Citation) -> str | None:
    """A stored paper whose title is the entry's, folded (case, accents, punctuation, TeX markup)."""
    wanted = fold(entry.title)
    if len(wanted) < 8:  # "Introduction" is not a paper's identity
        return None
    try:
        results = search(rt.store, rt.indexes, SearchRequest(f'"{wanted}"', limit=10, mode="keyword"),
                         rt.search_policy)
    except SearchError:
        return None
    return next((h.paper_id for h in results.hits if h.paper is not None and fold(h.paper.title) == wanted), None)


def match_entries(rt: Runtime, entries: Sequence[Citation]) -> list[tuple[Citation, str | None, str]]:
    """Each entry with the stored paper it is (or None) and how it was matched: ``arxiv`` (the id is
    stored), ``arxiv-missing`` (an arXiv id not stored here), ``doi``, ``title`` or ``none``."""
    store = rt.store
    ids = [e.arxiv_id for e in entries if e.arxiv_id]
    stored = store.papers.get_papers(list(dict.fromkeys(ids))) if ids else {}
    by_doi = store.library.papers_by_doi([e.doi for e in entries if e.doi and not e.arxiv_id])
    matched: list[tuple[Citation, str | None, str]] = []
    for entry in entries:
        if entry.arxiv_id:
            found = entry.arxiv_id in stored
            matched.append((entry, entry.arxiv_id if found else None, "arxiv" if found else "arxiv-missing"))
        elif entry.doi and entry.doi.lower() in by_doi:
            matched.append((entry, by_doi[entry.doi.lower()], "doi"))
        elif entry.title and (pid := _by_title(rt, entry)):
            matched.append((entry, pid, "title"))
        else:
            matched.append((entry, None, "none"))
    return matched


def _why_unmatched(entry: Citation) -> str:
    label = f"{entry.title[:80]!r}" if entry.title else "an entry without a title"
    if entry.doi:
        return f"{label}: no paper here has the DOI {entry.doi} or this title"
    if entry.title:
        return f"{label}: no arXiv id, and no paper here has this title"
    return f"{label}: no arXiv id, DOI or title to match"


def import_library(rt: Runtime, user: User, data: bytes, filename: str = "", fmt: str = "",
                   folder: str = "") -> ImportReport:
    """Import a citation file into the member's library (into ``folder`` when given, else into the
    folders the file names, else the default folder). ``fmt`` may be empty: it is then detected."""
    _require_verified(user)
    text = decode_upload(data)
    if not text.strip():
        raise CommunityError("The file is empty.")
    fmt = fmt or citations.detect_format(text, filename)
    try:
        parsed = citations.parse(text, fmt)
    except CitationError as exc:
        raise CommunityError(f"Could not read this {citations.FORMAT_NAMES.get(fmt, fmt)} file: {exc}") from None
    if len(parsed.entries) > MAX_IMPORT_ENTRIES:
        raise CommunityError(f"The file has {len(parsed.entries):,} entries; import at most "
                             f"{MAX_IMPORT_ENTRIES:,} at a time.", 413)
    if not parsed.entries and parsed.problems:
        line, why = parsed.problems[0]
        raise CommunityError(f"Could not read this as {citations.FORMAT_NAMES[fmt]}: line {line}: {why}")
    target = [_folder_name(folder)] if folder else None
    report = ImportReport(fmt, unrecognised=list(parsed.problems))
    items: list[ImportItem] = []
    missing: list[tuple[int, str, str, list[str]]] = []
    for entry, paper_id, how in match_entries(rt, parsed.entries):
        if paper_id is not None:
            items.append(ImportItem(paper_id, entry.note, target or entry.folders))
            report.found.append((entry.line, paper_id))
        elif how == "arxiv-missing" and entry.arxiv_id:
            missing.append((entry.line, entry.arxiv_id, entry.note, entry.folders))
        else:
            report.unrecognised.append((entry.line, _why_unmatched(entry)))
    have = {f.slug for f in rt.store.library.folders(user.id)}
    new_folders = {folder_slug(name) for item in items for name in item.folders} - have
    if len(have) + len(new_folders) > MAX_FOLDERS:
        raise CommunityError(f"The file names {len(new_folders)} folders you do not have; you can have at most "
                             f"{MAX_FOLDERS}. Import it into one folder instead.", 409)
    _, already = rt.store.library.import_items(user.id, items)
    already_set = set(already)
    report.already = [(line, pid) for line, pid in report.found if pid in already_set]
    report.found = [(line, pid) for line, pid in report.found if pid not in already_set]
    queued = set(request_fetch(rt.store, [ImportItem(pid, note, target or folders) for _, pid, note, folders
                                          in missing], user.id))
    report.queued = [(line, pid) for line, pid, _, _ in missing if pid in queued]
    report.missing = [(line, pid) for line, pid, _, _ in missing if pid not in queued]
    report.folders = sorted({name for item in items for name in item.folders}, key=str.lower)
    report.unrecognised.sort()
    return report


# -- export ------------------------------------------------------------------------------------------------
def export_library(store: Store, user: User, fmt: str, slug: str | None = None) -> tuple[str, str]:
    """The member's library (or one folder) as ``fmt``: ``(file text, file name)``."""
    if fmt not in citations.WRITERS:
        raise CommunityError(f"Export as one of {', '.join(citations.WRITERS)}, not {fmt!r}.", 422)
    folder = folder_of(store, user, slug) if slug else None
    entries = store.library.entries(user.id, folder.id if folder else None)
    names = {f.slug: f.name for f in store.library.folders(user.id)}
    # a header carries the file name: ASCII only (a slug may be in any script)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", f"{user.handle}-{folder.slug if folder else 'library'}").strip("_")
    return citations.write(citations_for(store, entries, names), fmt), \
        f"{stem or 'library'}.{citations.EXTENSIONS[fmt]}"


def citations_for(store: Store, entries: Sequence[SavedPaper], folder_names: dict[str, str]) -> list[Citation]:
    """The citation entries of saved papers (those still stored), with notes and folder names."""
    papers = store.papers.get_papers([e.paper_id for e in entries])
    return [citations.citation_of(papers[e.paper_id], e.note, [folder_names.get(s, s) for s in e.folders])
            for e in entries if e.paper_id in papers]


# -- "these are my papers" -------------------------------------------------------------------------------
def papers_by_name(rt: Runtime, name: str, limit: int = MY_PAPERS_LIMIT) -> list[Paper]:
    """Stored papers with an author whose normal form is ``name``'s (``author_key``), newest first."""
    key = author_key(name)
    if len(key) < 3:
        raise CommunityError("Type your name as it appears on your papers (at least 3 letters).")
    request = SearchRequest(f'author:"{key}"', limit=min(limit, rt.search_policy.max_limit), mode="keyword",
                            sort="newest")
    try:
        results = search(rt.store, rt.indexes, request, rt.search_policy)
    except SearchError as exc:
        raise CommunityError(str(exc)) from None
    return [h.paper for h in results.hits if h.paper is not None
            and any(author_key(a) == key for a in h.paper.authors)]


def claim_papers(store: Store, user: User, paper_ids: Sequence[str]) -> list[str]:
    """Add the member's own papers to their library, in a "My papers" folder; returns the ids added."""
    _require_verified(user)
    wanted = [pid for pid in dict.fromkeys(paper_ids) if pid.isprintable()][:MY_PAPERS_LIMIT]
    stored = store.papers.get_papers(wanted)
    new, _ = store.library.import_items(user.id, [ImportItem(pid, "", [MY_PAPERS_FOLDER]) for pid in stored])
    return new

