"""The JSON API of a member's own signals, under /api/v1/me: the library (folders, notes, import,
export, own papers), thumbs, follows, mutes, upvotes, and everything at once (``/me/signals``).

Sessions (with the ``X-CSRF-Token`` header on writes) or API tokens (``Authorization: Bearer``; writes
need the ``write`` scope). Answers are never cached.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from paperwire.community import library, preferences
from paperwire.community import service as community
from paperwire.community.service import CommunityError
from paperwire.ingest.citations import FORMAT_NAMES, MEDIA_TYPES
from paperwire.models import Folder, Preference, UserSignals
from paperwire.models.library import Stance
from paperwire.web.api_models import PERSONAL_ERRORS, ErrorOut
from paperwire.web.auth import CheckedUserDep, SignedInDep, Visitor, runtime_of
from paperwire.web.deps import paper_json

ERRORS: dict[int | str, dict[str, object]] = {
    **PERSONAL_ERRORS, 413: {"model": ErrorOut, "description": "The file is over 1 MB"}}
api = APIRouter(prefix="/api/v1/me", tags=["your signals"], responses=ERRORS)
Slug = Annotated[str, Query(max_length=80)]
RAW_BODY = {"requestBody": {"required": True, "content": {
    "text/plain": {"schema": {"type": "string"}}, "application/x-bibtex": {"schema": {"type": "string"}}}}}


class SaveBody(BaseModel):
    """Where to save a paper and its note (both optional: without folders, the default folder)."""

    folders: list[str] | None = Field(None, max_length=50, description="Slugs of your folders to put it in.")
    note: str | None = Field(None, max_length=8000, description="Replaces the paper's note ('' clears it).")


class FolderBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    public: bool = False


class FolderChange(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    public: bool | None = None
    default: bool | None = Field(None, description="true makes it the folder 'Save' puts papers in.")


class ThumbBody(BaseModel):
    thumb: Literal["up", "down"] = Field(description="up: more like this; down: not interested.")


class PreferenceBody(BaseModel):
    kind: str = Field(min_length=1, max_length=20, description="author or category (follows); author or "
                                                               "keyword (mutes).")
    name: str = Field(min_length=1, max_length=300)


class ClaimBody(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=100, description="arXiv ids of papers you wrote.")


def _user(who: Visitor) -> Any:
    assert who.user is not None
    return who.user


def _fail(exc: CommunityError) -> HTTPException:
    return HTTPException(exc.status, str(exc))


def _folder_json(f: Folder) -> dict[str, Any]:
    return {"slug": f.slug, "name": f.name, "public": f.public, "default": f.is_default, "papers": f.papers,
            "created_at": f.created_at.isoformat()}


def _pref_json(p: Preference) -> dict[str, Any]:
    return {"kind": p.kind, "key": p.key, "name": p.label, "created_at": p.created_at.isoformat()}


def signals_json(signals: UserSignals) -> dict[str, Any]:
    """``UserSignals`` as the API shows it."""
    def events(items: Any) -> list[dict[str, Any]]:
        return [{"paper": s.paper_id, "kind": s.kind, "at": s.at.isoformat()} for s in items]

    return {"version": signals.version, "positives": events(signals.positives), "negatives": events(signals.negatives),
            "follows": {"authors": signals.followed_authors, "categories": signals.followed_categories},
            "mutes": {"authors": signals.muted_authors, "keywords": signals.muted_keywords},
            "folders": signals.folders}


@api.get("/signals", summary="Everything your recommendations learn from, in one answer")
def my_signals(request: Request, who: SignedInDep, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = "no-store"
    return signals_json(runtime_of(request).store.preferences.user_signals(_user(who).id))


# -- library -----------------------------------------------------------------------------------------
@api.get("/library/export", summary="Your library or one folder as BibTeX, RIS or CSL-JSON",
         responses={200: {"content": {t: {"schema": {"type": "array", "items": {"type": "object"}} if f == "csl-json"
                                          else {"type": "string"}} for f, t in MEDIA_TYPES.items()}}})
def export(request: Request, who: SignedInDep,
           format: Annotated[Literal["bibtex", "ris", "csl-json"], Query()] = "bibtex", folder: Slug = "") -> Response:
    try:
        text, filename = library.export_library(runtime_of(request).store, _user(who), format, folder or None)
    except CommunityError as exc:
        raise _fail(exc) from None
    return Response(text, media_type=f"{MEDIA_TYPES[format]}; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@api.post("/library/import", summary="Import a BibTeX, RIS, CSL-JSON or Zotero CSV file or a list of arXiv ids",
          openapi_extra=RAW_BODY)
async def import_file(request: Request, who: CheckedUserDep,
                      format: Annotated[str, Query(max_length=20, description="Detected when empty: "
                                                   + ", ".join(FORMAT_NAMES))] = "",
                      folder: Annotated[str, Query(max_length=200)] = "",
                      filename: Annotated[str, Query(max_length=200)] = "") -> dict[str, Any]:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # read at most the limit, whatever Content-Length says
        size += len(chunk)
        if size > library.MAX_IMPORT_BYTES:
            raise HTTPException(413, f"The file is over the limit of {library.MAX_IMPORT_BYTES:,} bytes (1 MB).")
        chunks.append(chunk)
    if format and format not in FORMAT_NAMES:
        raise HTTPException(422, f"Unknown format {format!r}; choose one of {', '.join(FORMAT_NAMES)}.")
    try:
        report = await run_in_threadpool(library.import_library, runtime_of(request), _user(who), b"".join(chunks),
                                         filename, format, folder)
    except CommunityError as exc:
        raise _fail(exc) from None
    pairs = ("found", "already", "queued", "missing")
    return {"format": report.format, **{k: [{"line": line, "paper": pid} for line, pid in getattr(report, k)]
                                        for k in pairs},
            "unrecognised": [{"line": line, "problem": why} for line, why in report.unrecognised],
            "folders": report.folders}


@api.get("/library/mine", summary="Stored papers with an author of this name (to pick your own)")
def mine(request: Request, who: SignedInDep, name: Annotated[str, Query(min_length=1, max_length=200)]
         ) -> dict[str, Any]:
    try:
        papers = library.papers_by_name(runtime_of(request), name)
    except CommunityError as exc:
        raise _fail(exc) from None
    return {"name": name, "papers": [paper_json(p) for p in papers]}


@api.post("/library/mine", summary="Add papers you wrote to your library (folder 'My papers')")
def claim(request: Request, who: CheckedUserDep, body: ClaimBody) -> dict[str, Any]:
    try:
        added = library.claim_papers(runtime_of(request).store, _user(who), body.ids)
    except CommunityError as exc:
        raise _fail(exc) from None
    return {"added": added}


@api.get("/library", summary="Your saved papers with notes and folders, newest first")
def saved(request: Request, who: SignedInDep, response: Response, folder: Slug = "",
          limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0
          ) -> dict[str, Any]:
    response.headers["Cache-Control"] = "no-store"
    store, user = runtime_of(request).store, _user(who)
    try:
        chosen = library.folder_of(store, user, folder) if folder else None
    except CommunityError as exc:
        raise _fail(exc) from None
    entries = store.library.entries(user.id, chosen.id if chosen else None, limit, offset)
    papers = store.papers.get_papers([e.paper_id for e in entries])
    return {"total": store.library.count(user.id, chosen.id if chosen else None), "offset": offset, "limit": limit,
            "papers": [{**paper_json(papers[e.paper_id]), "saved_at": e.saved_at.isoformat(), "note": e.note,
                        "folders": e.folders} for e in entries if e.paper_id in papers]}


@api.put("/library/{paper_id:path}", summary="Save a paper (into folders, with a note)")
def save(request: Request, who: CheckedUserDep, paper_id: str, body: SaveBody | None = None) -> dict[str, Any]:
    store, user = runtime_of(request).store, _user(who)
    try:
        if body and body.folders:
            for slug in body.folders:
                library.file_paper(store, user, paper_id, slug, True)
        else:
            community.save(store, user, paper_id, True)
        if body and body.note is not None:
            library.set_note(store, user, paper_id, body.note)
    except CommunityError as exc:
        raise _fail(exc) from None
    kept = store.library.saved(user.id, paper_id)
    assert kept is not None
    return {"paper": paper_id, "saved": True, "note": kept.note, "folders": kept.folders}


@api.delete("/library/{paper_id:path}", summary="Remove a paper from your library and every folder")
def unsave(request: Request, who: CheckedUserDep, paper_id: str) -> dict[str, Any]:
    try:
        community.save(runtime_of(request).store, _user(who), paper_id, False)
    except CommunityError as exc:
        raise _fail(exc) from None
    return {"paper": paper_id, "saved": False}


# -- folders -------------------------------------------------------------------------------------------------
@api.get("/folders", summary="Your folders")
def folders(request: Request, who: SignedInDep, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = "no-store"
    return {"folders": [_folder_json(f) for f in runtime_of(request).store.library.folders(_user(who).id)]}


@api.post("/folders", summary="Make a folder", status_code=201)
def create_folder(request: Request, who: CheckedUserDep, body: FolderBody) -> dict[str, Any]:
    try:
        return _folder_json(library.create_folder(runtime_of(request).store, _user(who), body.name, body.public))
    except CommunityError as exc:
        raise _fail(exc) from None


@api.patch("/folders/{slug}", summary="Rename a folder, make it public or private, or the default")
def change_folder(request: Request, who: CheckedUserDep, slug: str, body: FolderChange) -> dict[str, Any]:
    try:
        return _folder_json(library.update_folder(runtime_of(request).store, _user(who), slug, body.name,
                                                  body.public, body.default))
    except CommunityError as exc:
        raise _fail(exc) from None


@api.delete("/folders/{slug}", summary="Delete a folder (its papers in no other folder move to the default)")
def delete_folder(request: Request, who: CheckedUserDep, slug: str) -> dict[str, Any]:
    try:
        library.delete_folder(runtime_of(request).store, _user(who), slug)
    except CommunityError as exc:
        raise _fail(exc) from None
    return {"deleted": slug}


def _file(request: Request, who: Visitor, slug: str, paper_id: str, on: bool) -> dict[str, Any]:
    store, user = runtime_of(request).store, _user(who)
    try:
        library.file_paper(store, user, paper_id, slug, on)
    except CommunityError as exc:
        raise _fail(exc) from None
    kept = store.library.saved(user.id, paper_id)
    return {"paper": paper_id, "saved": kept is not None, "folders": kept.folders if kept else []}


@api.put("/folders/{slug}/papers/{paper_id:path}", summary="Put a paper in a folder (saving it)")
def file_paper(request: Request, who: CheckedUserDep, slug: str, paper_id: str) -> dict[str, Any]:
    return _file(request, who, slug, paper_id, True)


@api.delete("/folders/{slug}/papers/{paper_id:path}", summary="Take a paper out of a folder")
def unfile_paper(request: Request, who: CheckedUserDep, slug: str, paper_id: str) -> dict[str, Any]:
    return _file(request, who, slug, paper_id, False)


# -- thumbs and upvotes --------------------------------------------------------------------------------------
def _thumb(request: Request, who: Visitor, paper_id: str, value: str) -> dict[str, Any]:
    try:
        kept = preferences.thumb(runtime_of(request).store, _user(who), paper_id, value)
    except CommunityError as exc:
        raise _fail(exc) from None
    return {"paper": paper_id, "thumb": kept}


@api.put("/thumbs/{paper_id:path}", summary="More like this (up) or not interested (down)")
def thumb(request: Request, who: CheckedUserDep, paper_id: str, body: ThumbBody) -> dict[str, Any]:
    return _thumb(request, who, paper_id, body.thumb)


@api.delete("/thumbs/{paper_id:path}", summary="Take a thumb back")
def unthumb(request: Request, who: CheckedUserDep, paper_id: str) -> dict[str, Any]:
    return _thumb(request, who, paper_id, "none")


def _upvote(request: Request, who: Visitor, paper_id: str, on: bool) -> dict[str, Any]:
    try:
        count = community.upvote(runtime_of(request).store, _user(who), paper_id, on)
    except CommunityError as exc:
        raise _fail(exc) from None
    return {"paper": paper_id, "upvoted": on, "upvotes": count}


@api.put("/upvotes/{paper_id:path}", summary="Upvote a paper")
def upvote(request: Request, who: CheckedUserDep, paper_id: str) -> dict[str, Any]:
    return _upvote(request, who, paper_id, True)


@api.delete("/upvotes/{paper_id:path}", summary="Take an upvote back")
def unupvote(request: Request, who: CheckedUserDep, paper_id: str) -> dict[str, Any]:
    return _upvote(request, who, paper_id, False)


# -- follows and mutes ---------------------------------------------------------------------------------------
def _list(request: Request, who: Visitor, stance: Stance) -> dict[str, Any]:
    prefs = runtime_of(request).store.preferences.preferences(_user(who).id, stance)
    return {"follows" if stance == "follow" else "mutes": [_pref_json(p) for p in prefs]}


def _add(request: Request, who: Visitor, stance: Stance, body: PreferenceBody) -> dict[str, Any]:
    try:
        kept = preferences.set_preference(runtime_of(request).store, _user(who), stance, body.kind, body.name)
    except CommunityError as exc:
        raise _fail(exc) from None
    assert kept is not None
    return _pref_json(kept)


def _forget(request: Request, who: Visitor, stance: Stance, kind: str, key: str) -> dict[str, Any]:
    try:
        removed = preferences.forget_preference(runtime_of(request).store, _user(who), stance, kind, key)
    except CommunityError as exc:
        raise _fail(exc) from None
    return {"kind": kind, "key": key, "removed": removed}


@api.get("/follows", summary="Authors and categories you follow")
def follows(request: Request, who: SignedInDep) -> dict[str, Any]:
    return _list(request, who, "follow")


@api.post("/follows", summary="Follow an author or a category", status_code=201)
def follow(request: Request, who: CheckedUserDep, body: PreferenceBody) -> dict[str, Any]:
    return _add(request, who, "follow", body)


@api.delete("/follows/{kind}/{key:path}", summary="Stop following (by the key /me/follows lists)")
def unfollow(request: Request, who: CheckedUserDep, kind: str, key: str) -> dict[str, Any]:
    return _forget(request, who, "follow", kind, key)


@api.get("/mutes", summary="Authors and keywords you muted")
def mutes(request: Request, who: SignedInDep) -> dict[str, Any]:
    return _list(request, who, "mute")


@api.post("/mutes", summary="Mute an author or a keyword", status_code=201)
def mute(request: Request, who: CheckedUserDep, body: PreferenceBody) -> dict[str, Any]:
    return _add(request, who, "mute", body)


@api.delete("/mutes/{kind}/{key:path}", summary="Unmute (by the key /me/mutes lists)")
def unmute(request: Request, who: CheckedUserDep, kind: str, key: str) -> dict[str, Any]:
    return _forget(request, who, "mute", kind, key)
