"""Running the web app under uvicorn, one or several processes."""

from __future__ import annotations

import os

import uvicorn
from fastapi import FastAPI

from paperwire.config import Settings
from paperwire.store import open_store


def app_from_environment() -> FastAPI:
    """Factory for uvicorn's worker processes: settings come from PAPERWIRE_* variables."""
    from paperwire.web import create_app

    settings = Settings()
    store = open_store(settings.resolved_database_url(), pool_max=settings.pg_pool_max)
    store.migrate()
    return create_app(settings, store)


def serve(settings: Settings) -> None:
    """Serve until interrupted. Several workers re-create the app from the environment."""
    if settings.web_workers > 1:
        for name, value in settings.model_dump().items():
            os.environ[f"PAPERWIRE_{name.upper()}"] = str(value)
        uvicorn.run("paperwire.web.server:app_from_environment", factory=True, host=settings.host,
                    port=settings.port, workers=settings.web_workers, log_level=settings.log_level.lower())
        return
    from paperwire.web import create_app

    store = open_store(settings.resolved_database_url(), pool_max=settings.pg_pool_max)
    store.migrate()
    uvicorn.run(create_app(settings, store), host=settings.host, port=settings.port,
                log_level=settings.log_level.lower())
