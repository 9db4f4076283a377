"""Library pages: the library by folder with notes, folder management, import with its report,
export, "these are my papers", and public folders (a page and an Atom feed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from paperwire.community import library
from paperwire.community.service import CommunityError, paper_community, save
from paperwire.ingest.citations import FORMAT_NAMES, MEDIA_TYPES, WRITERS
from paperwire.models import Folder, Paper, User
from paperwire.web import feeds
from paperwire.web.auth import CheckedUserDep, SignedInDep, Visitor, VisitorDep, page, runtime_of, safe_next
from paperwire.web.deps import public_url, render

router = APIRouter(include_in_schema=False)
PAGE = 25
Next = Annotated[str, Form(max_length=2000)]
Slug = Annotated[str, Query(max_length=80)]
FEED_ITEMS = 50


def _fail(exc: CommunityError) -> HTTPException:
    return HTTPException(exc.status, str(exc))


def _back(next: str, default: str = "/library") -> Response:
    return RedirectResponse(safe_next(next, default), status_code=303)


async def upload_limit(request: Request) -> None:
    """Refuse an upload over the limit before anything reads it (the CSRF check parses the form)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > library.MAX_IMPORT_BYTES + 64_000:
        raise HTTPException(413, f"The file is over the limit of {library.MAX_IMPORT_BYTES:,} bytes (1 MB). "
                                 "Export one folder at a time.")


# -- the library -----------------------------------------------------------------------------------------
def _library_page(request: Request, who: Visitor, folder_slug: str = "", page_number: int = 1,
                  status_code: int = 200, **context: Any) -> Response:
    assert who.user is not None
    store = runtime_of(request).store
    folders = store.library.folders(who.user.id)
    current = next((f for f in folders if f.slug == folder_slug), None) if folder_slug else None
    if folder_slug and current is None:
        raise HTTPException(404, f"You have no folder {folder_slug!r}.")
    entries = store.library.entries(who.user.id, current.id if current else None, limit=PAGE + 1,
                                    offset=(page_number - 1) * PAGE)
    found = store.papers.get_papers([e.paper_id for e in entries[:PAGE]])
    rows = [(found[e.paper_id], e) for e in entries[:PAGE] if e.paper_id in found]
    query = f"folder={current.slug}&" if current else ""
    here = f"/library?{query}page={page_number}" if page_number > 1 or current else "/library"
    return page(request, who, "library/library.html", status_code=status_code, title="Your library",
                folders=folders, current=current, rows=rows, total=store.library.count(who.user.id),
                community=paper_community(store, [p.id for p, _ in rows], who.user), names={f.slug: f.name
                                                                                           for f in folders},
                more=f"/library?{query}page={page_number + 1}" if len(entries) > PAGE else None,
                formats=[(k, FORMAT_NAMES[k]) for k in WRITERS], next=here,
                pending=store.library.pending(who.user.id) if page_number == 1 else [], **context)


@router.get("/library")
def library_page(request: Request, who: SignedInDep, folder: Slug = "",
                 page_number: Annotated[int, Query(alias="page", ge=1, le=400)] = 1) -> Response:
    return _library_page(request, who, folder, page_number)


@router.post("/library/folders")
def create_folder(request: Request, who: CheckedUserDep, name: Annotated[str, Form(max_length=200)],
                  public: Annotated[str, Form()] = "0") -> Response:
    assert who.user is not None
    try:
        folder = library.create_folder(runtime_of(request).store, who.user, name, public == "1")
    except CommunityError as exc:
        return _library_page(request, who, status_code=exc.status, error=str(exc))
    return _back(f"/library?folder={folder.slug}")


@router.post("/library/folders/{slug}")
def change_folder(request: Request, who: CheckedUserDep, slug: str, action: Annotated[str, Form(max_length=20)],
                  name: Annotated[str, Form(max_length=200)] = "") -> Response:
    assert who.user is not None
    store = runtime_of(request).store
    try:
        if action == "delete":
            library.delete_folder(store, who.user, slug)
            return _back("/library")
        actions: dict[str, dict[str, Any]] = {"rename": {"name": name}, "public": {"public": True},
                                              "private": {"public": False}, "default": {"default": True}}
        changes = actions.get(action, {})
        if not changes:
            raise CommunityError(f"Unknown action {action!r}.")
        folder = library.update_folder(store, who.user, slug, **changes)
    except CommunityError as exc:
        return _library_page(request, who, slug if store.library.folder(who.user.id, slug) else "",
                             status_code=exc.status, error=str(exc))
    return _back(f"/library?folder={folder.slug}")


@router.post("/library/file/{paper_id:path}")
def file_paper(request: Request, who: CheckedUserDep, paper_id: str, folder: Annotated[str, Form(max_length=80)] = "",
               on: Annotated[str, Form()] = "1", next: Next = "") -> Response:
    assert who.user is not None
    store = runtime_of(request).store
    try:
        if folder:
            library.file_paper(store, who.user, paper_id, folder, on != "0")
        else:  # no folder chosen (a member without folders yet): the default one
            save(store, who.user, paper_id, on != "0")
    except CommunityError as exc:
        raise _fail(exc) from None
    return _back(next, f"/paper/{paper_id}")


@router.post("/library/note/{paper_id:path}")
def note(request: Request, who: CheckedUserDep, paper_id: str, note: Annotated[str, Form(max_length=8000)] = "",
         next: Next = "") -> Response:
    assert who.user is not None
    try:
        library.set_note(runtime_of(request).store, who.user, paper_id, note)
    except CommunityError as exc:
        raise _fail(exc) from None
    return _back(next, f"/paper/{paper_id}")


@router.post("/library/pending/{paper_id:path}")
def dismiss_pending(request: Request, who: CheckedUserDep, paper_id: str) -> Response:
    assert who.user is not None
    try:
        library.dismiss_pending(runtime_of(request).store, who.user, paper_id)
    except CommunityError as exc:
        raise _fail(exc) from None
    return _back("/library#pending-h")


# -- import and export -------------------------------------------------------------------------------------
def _import_page(request: Request, who: Visitor, status_code: int = 200, **context: Any) -> Response:
    assert who.user is not None
    folders = runtime_of(request).store.library.folders(who.user.id)
    return page(request, who, "library/import.html", status_code=status_code, title="Import a library",
                folders=folders, formats=FORMAT_NAMES, max_bytes=library.MAX_IMPORT_BYTES, **context)


@router.get("/library/import")
def import_form(request: Request, who: SignedInDep) -> Response:
    return _import_page(request, who)


# No File() or Form() parameters: FastAPI would read the whole body before any dependency runs; this
# way the size check comes first, then the CSRF check (which parses the form), then this.
@router.post("/library/import")
async def import_upload(request: Request, _: Annotated[None, Depends(upload_limit)], who: CheckedUserDep) -> Response:
    assert who.user is not None
    form = await request.form()
    file, format, folder = form.get("file"), form.get("format") or "", form.get("folder") or ""
    if not isinstance(file, UploadFile) or not isinstance(format, str) or not isinstance(folder, str):
        return await run_in_threadpool(_import_page, request, who, 422, error="Choose a file to import.")
    data = await file.read(library.MAX_IMPORT_BYTES + 1)
    if format and format not in FORMAT_NAMES:
        return await run_in_threadpool(_import_page, request, who, 422, error=f"Unknown format {format!r}.")
    try:
        report = await run_in_threadpool(library.import_library, runtime_of(request), who.user, data,
                                         file.filename or "", format, folder)
    except CommunityError as exc:
        return await run_in_threadpool(_import_page, request, who, exc.status, error=str(exc))
    return await run_in_threadpool(_import_page, request, who, 200, report=report, filename=file.filename,
                                   format_name=FORMAT_NAMES.get(report.format, report.format))


@router.get("/library/export")
def export(request: Request, who: SignedInDep, format: Annotated[str, Query(max_length=20)] = "bibtex",
           folder: Slug = "") -> Response:
    assert who.user is not None
    try:
        text, filename = library.export_library(runtime_of(request).store, who.user, format, folder or None)
    except CommunityError as exc:
        raise _fail(exc) from None
    return Response(text, media_type=f"{MEDIA_TYPES[format]}; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"})


# -- these are my papers -----------------------------------------------------------------------------------
@router.get("/library/mine")
def mine_form(request: Request, who: SignedInDep, name: Annotated[str, Query(max_length=200)] = "") -> Response:
    assert who.user is not None
    context: dict[str, Any] = {"name": name}
    if name.strip():
        rt = runtime_of(request)
        try:
            papers = library.papers_by_name(rt, name)
        except CommunityError as exc:
            return page(request, who, "library/mine.html", status_code=exc.status, title="Your own papers",
                        error=str(exc), **context)
        context.update(papers=papers, community=paper_community(rt.store, [p.id for p in papers], who.user))
    return page(request, who, "library/mine.html", title="Your own papers", **context)


@router.post("/library/mine")
def mine(request: Request, who: CheckedUserDep, ids: Annotated[list[str] | None, Form(max_length=40)] = None,
         name: Annotated[str, Form(max_length=200)] = "") -> Response:
    assert who.user is not None
    try:
        added = library.claim_papers(runtime_of(request).store, who.user, ids or [])
    except CommunityError as exc:
        raise _fail(exc) from None
    notice = f"Added {len(added)} paper{'' if len(added) == 1 else 's'} to your folder “My papers”." if ids else \
        "Tick the papers that are yours first."
    return page(request, who, "library/mine.html", title="Your own papers", notice=notice, name=name)


# -- public folders ----------------------------------------------------------------------------------------
def _public_folder(request: Request, handle: str, slug: str) -> tuple[User, Folder, list[Paper]]:
    store = runtime_of(request).store
    owner = store.accounts.get_user_by_handle(handle)
    folder = store.library.folder(owner.id, slug) if owner and not owner.disabled else None
    if owner is None or folder is None or not folder.public:
        raise HTTPException(404, f"There is no public folder {slug!r} of {handle!r} here.")
    entries = store.library.entries(owner.id, folder.id, limit=FEED_ITEMS * 4)
    found = store.papers.get_papers([e.paper_id for e in entries])
    return owner, folder, [found[e.paper_id] for e in entries if e.paper_id in found]


@router.get("/u/{handle}/{slug}")
def public_folder(request: Request, who: VisitorDep, handle: str, slug: str) -> Response:
    owner, folder, papers = _public_folder(request, handle, slug)
    feed = f"/feeds/u/{owner.handle}/{folder.slug}.atom"
    context: dict[str, Any] = dict(title=f"{folder.name} · {owner.handle}", owner=owner, folder=folder, papers=papers,
                                   feed=feed, feeds=(feed, feed))
    if who.user is not None:
        return page(request, who, "library/folder.html", noindex=False,
                    community=paper_community(runtime_of(request).store, [p.id for p in papers], who.user),
                    next=f"/u/{owner.handle}/{folder.slug}", **context)
    return render(request, "library/folder.html", user=None, csrf_token="", community={}, **context)


@router.get("/feeds/u/{handle}/{slug}.atom")
def public_folder_feed(request: Request, handle: str, slug: str) -> Response:
    owner, folder, papers = _public_folder(request, handle, slug)
    settings = runtime_of(request).settings
    page_path = f"/u/{owner.handle}/{folder.slug}"
    info = feeds.FeedInfo(title=f"{folder.name} · {owner.handle} · {settings.site_name}",
                          description=f"Papers {owner.handle} keeps in their folder “{folder.name}”, newest first.",
                          page_url=public_url(request, page_path), feed_url=public_url(request, request.url.path),
                          site_name=settings.site_name, site_url=settings.public_url() + "/",
                          updated=folder.created_at)
    body = feeds.atom(papers[:FEED_ITEMS], info, settings.public_url() + "/paper/")
    return Response(body, media_type=feeds.FORMATS["atom"])
