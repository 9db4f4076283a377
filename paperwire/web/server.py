"""Running the web app under uvicorn, one or several processes."""

from __future__ import annotations

import asyncio
import gc
import os
import socket

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from paperwire.config import Settings, settings_environment
from paperwire.lifeline import follow_parent, parent_env
from paperwire.store import open_store


class _NoDelay:
    """TCP_NODELAY on every connection.

    With several workers uvicorn binds the socket itself with protocol number 0, and asyncio
    only sets TCP_NODELAY on sockets that say IPPROTO_TCP; without it, Nagle's algorithm holds
    the body behind the headers until the client's delayed ACK: 40 ms added to every response.
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)  # type: ignore[misc]


class NoDelayH11Protocol(_NoDelay, H11Protocol):
    """uvicorn's pure-Python HTTP/1.1 protocol, with TCP_NODELAY."""


class NoDelayHttpToolsProtocol(_NoDelay, HttpToolsProtocol):
    """uvicorn's httptools (C parser) protocol, with TCP_NODELAY: the one Paperwire uses."""


HTTP_PROTOCOL = "paperwire.web.server:NoDelayHttpToolsProtocol"


def tune_gc() -> None:
    """Garbage-collect for a server: freeze what startup made, collect the young less often.

    Every request allocates thousands of short-lived objects; with the default thresholds the
    collector runs every few requests and, now and then, walks the whole heap (modules, the
    app, the index handles), which shows up as the slowest responses. Frozen objects are never
    walked again. Measured with benchmarks/web.py: more requests per second and shorter tails.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def app_from_environment() -> FastAPI:
    """Factory for uvicorn's worker processes: settings come from PAPERWIRE_* variables."""
    from paperwire.web import create_app

    follow_parent()  # stop with the 'serve' process that started this one, even if it is killed
    settings = Settings()
    store = open_store(settings.resolved_database_url(), pool_max=settings.pg_pool_max)
    store.migrate()
    app = create_app(settings, store)
    tune_gc()
    return app


def serve(settings: Settings) -> None:
    """Serve until interrupted. Several workers re-create the app from the environment.

    uvicorn runs on uvloop with httptools' parser (both pinned in requirements.txt): on one worker,
    1.8x the cached-page requests per second and 1.25x the search requests of asyncio with the
    pure-Python h11 (docs/benchmarks.md, "Web").
    """
    if settings.web_processes > 1:
        for key, value in {**settings_environment(settings), **parent_env()}.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        uvicorn.run("paperwire.web.server:app_from_environment", factory=True, host=settings.host,
                    port=settings.port, workers=settings.web_processes, log_level=settings.log_level.lower(),
                    http=HTTP_PROTOCOL, loop="uvloop")
        return
    from paperwire.web import create_app

    store = open_store(settings.resolved_database_url(), pool_max=settings.pg_pool_max)
    store.migrate()
    app = create_app(settings, store)
    tune_gc()
    uvicorn.run(app, host=settings.host, port=settings.port,
                log_level=settings.log_level.lower(), http=HTTP_PROTOCOL, loop="uvloop")
