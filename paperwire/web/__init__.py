"""The web service: ``create_app(settings, store)`` builds pages, JSON APIs and feeds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response

from paperwire import __version__
from paperwire.config import Settings
from paperwire.runtime import Runtime
from paperwire.store import Store
from paperwire.web.templating import make_templates

HERE = Path(__file__).parent
DESCRIPTION = """\
Research papers from this Paperwire instance: papers, search (with the query syntax), daily, weekly
and monthly listings, trending, similar papers and categories under `/api/v1`; and a Hugging
Face–compatible papers API under `/api` that `huggingface_hub.HfApi(endpoint=…)` reads unchanged.

Pagination: `limit` and `offset`; listings give `next` and `prev` URLs. Errors under `/api/v1` are
`{"error": {"status", "code", "message", "details"}}`. Responses carry ETags; send `If-None-Match`
to get a `304` when nothing changed.
"""


def create_app(settings: Settings, store: Store) -> FastAPI:
    """A FastAPI application serving ``store`` with ``settings``; nothing global."""
    from paperwire.community import library as library_service
    from paperwire.web import assets, errors
    from paperwire.web.body_limit import BodyLimit
    from paperwire.web.errors import RejectNul
    from paperwire.web.http import ConditionalGet, HeadAsGet, ResponseCache
    from paperwire.web.limits import anonymous_buckets
    from paperwire.web.mailer import Mailer
    from paperwire.web.nav import nav_context
    from paperwire.web.routes import (
        accounts,
        api,
        authors,
        community,
        discussions,
        feeds,
        foryou,
        hf,
        library,
        me,
        onboarding,
        pages,
        preferences,
        search,
        subscriptions,
    )
    from paperwire.web.security_headers import SecurityHeaders

    runtime = Runtime(settings, store)
    mailer = Mailer(runtime)  # account and subscription emails leave from its thread, never a request's

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # sync handlers run in anyio's thread pool (40 threads by default); a few threads serve
        # CPU-bound handlers faster and with far shorter tails than many fighting for the GIL
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.web_threads
        # catch up once before serving, then keep up in the background: requests never wait on indexing
        await run_in_threadpool(runtime.indexes.sync)
        runtime.indexes.background = True
        yield
        await run_in_threadpool(mailer.close)

    app = FastAPI(title=f"{settings.site_name} API", version=__version__, description=DESCRIPTION,
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.anonymous_buckets = anonymous_buckets(settings)  # this process's own (docs/web.md, "Limits")
    app.state.mailer = mailer
    vendor = assets.check_vendor()
    app.state.templates = make_templates(HERE / "templates", settings, katex=vendor["katex"],
                                         context_processors=[nav_context])
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    errors.install(app)
    app.include_router(discussions.api)  # before api.router: /api/v1/papers/{id:path} would take …/comments
    app.include_router(api.router)
    app.include_router(hf.router)
    app.include_router(feeds.router)
    app.include_router(search.router)
    app.include_router(pages.router)
    app.include_router(accounts.router)
    app.include_router(accounts.api)
    app.include_router(community.router)
    app.include_router(community.api)
    app.include_router(discussions.router)
    app.include_router(subscriptions.router)
    app.include_router(library.router)
    app.include_router(preferences.router)
    app.include_router(onboarding.router)
    app.include_router(me.api)
    app.include_router(foryou.router)
    app.include_router(foryou.api)
    app.include_router(authors.router)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """Swagger UI, served from our own static files (the CSP allows no CDN)."""
        from paperwire.web.deps import render

        return render(request, "api_docs.html", title="API documentation", swagger=vendor["swagger-ui"],
                      nav="api")

    # Outermost last: security headers on everything; conditional GETs and the response cache
    # outside gzip, so cached bodies are stored compressed. Level 1: a 40 kB search answer
    # (compressed to 15.6 kB) in 0.4 ms instead of 1.4 ms at level 6 (13.4 kB): uncached API
    # answers are compressed on every request, and CPU is what a small server runs out of.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=1)
    cache = ResponseCache(settings.web_cache_mb * 1_000_000) if settings.web_cache_mb else None
    app.add_middleware(ConditionalGet, runtime=runtime, version=__version__, cache=cache)
    app.add_middleware(HeadAsGet)
    app.add_middleware(RejectNul)
    # before anything reads a body; the library import takes files up to 1 MB (plus the form around it)
    upload = (library_service.MAX_IMPORT_BYTES + 64 * 1024,
              f"The file is over the limit of {library_service.MAX_IMPORT_BYTES:,} bytes (1 MB).")
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       larger={"/library/import": upload, "/api/v1/me/library/import": upload})
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies())
    app.state.response_cache = cache
    return app
