"""The web service: ``create_app(settings, store)`` builds pages and JSON APIs."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from paperwire import __version__
from paperwire.config import Settings
from paperwire.runtime import Runtime
from paperwire.store import Store

HERE = Path(__file__).parent


def create_app(settings: Settings, store: Store) -> FastAPI:
    """A FastAPI application serving ``store`` with ``settings``; nothing global."""
    from paperwire.web import api, errors, pages

    app = FastAPI(title=f"{settings.site_name} API", version=__version__, docs_url="/api/docs",
                  redoc_url=None, openapi_url="/api/openapi.json")
    app.state.runtime = Runtime(settings, store)
    app.state.settings = settings
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(site_name=settings.site_name, base_url=settings.public_url())
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    errors.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    return app
