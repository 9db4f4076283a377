"""The web service: ``create_app(settings, store)`` builds pages and JSON APIs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from paperwire import __version__
from paperwire.config import Settings
from paperwire.runtime import Runtime
from paperwire.store import Store

HERE = Path(__file__).parent


def create_app(settings: Settings, store: Store) -> FastAPI:
    """A FastAPI application serving ``store`` with ``settings``; nothing global."""
    from paperwire.web import accounts, api, community, errors, pages, subscriptions

    runtime = Runtime(settings, store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # catch up once before serving, then keep up in the background: requests never wait on indexing
        await run_in_threadpool(runtime.indexes.sync)
        runtime.indexes.background = True
        yield

    app = FastAPI(title=f"{settings.site_name} API", version=__version__, docs_url="/api/docs",
                  redoc_url=None, openapi_url="/api/openapi.json", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.settings = settings
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(site_name=settings.site_name, base_url=settings.public_url())
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    errors.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(accounts.router)
    app.include_router(accounts.api)
    app.include_router(community.router)
    app.include_router(community.api)
    app.include_router(subscriptions.router)
    return app
