"""Running the web app under uvicorn, one or several processes, with secrets kept out of the access log."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
from typing import Any
from urllib.parse import unquote_plus

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from paperwire.config import Settings, settings_environment
from paperwire.lifeline import follow_parent, parent_env
from paperwire.security.keys import stored_secret_warning
from paperwire.store import Store, open_store

log = logging.getLogger(__name__)


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
ACCESS_LOGGER = "uvicorn.access"
SECRET_PARAMETERS = frozenset({"password", "secret", "api_key", "apikey", "signature"})
REDACTED = "[redacted]"


def is_secret_parameter(name: str) -> bool:
    """Whether a query parameter carries a secret: ``token`` (the emailed links: verify, reset, confirm,
    manage, unsubscribe), any ``…token``, and a few names scripts use for keys and passwords."""
    name = name.strip().lower()
    return name.endswith("token") or name in SECRET_PARAMETERS


def redact_target(target: str) -> str:
    """A request target (path and query) with the values of secret parameters replaced by ``[redacted]``.

    Names are compared decoded, as the app reads them (``to%6Ben`` is ``token`` to Starlette)."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    parts = []
    for part in query.split("&"):
        name, eq, _ = part.partition("=")
        parts.append(f"{name}={REDACTED}" if eq and is_secret_parameter(unquote_plus(name)) else part)
    return f"{path}?{'&'.join(parts)}"


class RedactSecrets(logging.Filter):
    """Redacts secret query parameters in access-log lines.

    uvicorn logs each request as ``'%s - "%s %s HTTP/%s" %d'`` with the path and query string as an
    argument; emailed links carry their token in the query (a mail client opens a URL, it cannot
    post), so without this every reset, confirm and unsubscribe token lands in the log, readable by
    whoever reads the logs or the log shipper.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(a, str) and "?" in a for a in args):
            record.args = tuple(redact_target(a) if isinstance(a, str) and "?" in a else a for a in args)
        return True


def redact_access_log() -> None:
    """Install ``RedactSecrets`` on uvicorn's access logger (once). A logger's filters survive uvicorn's
    ``dictConfig`` of its logging, so this may run before or after it."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())


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


def open_web_store(settings: Settings) -> Store:
    """The store a web process serves from, migrated; its requests wait ``web_busy_timeout_ms`` for another
    writer's lock (then 503), not the 30 s a command waits."""
    url = settings.resolved_database_url()
    migrating = open_store(url, pool_max=1)  # migrations wait as long as a command would: another may be running
    try:
        migrating.migrate()
    finally:
        migrating.close()
    return open_store(url, pool_max=settings.pg_pool_max, busy_timeout_ms=settings.web_busy_timeout_ms)


def app_from_environment() -> FastAPI:
    """Factory for uvicorn's worker processes: settings come from PAPERWIRE_* variables."""
    from paperwire.web import create_app

    redact_access_log()  # in each worker process: the parent's filter does not cross the process boundary
    follow_parent()  # stop with the 'serve' process that started this one, even if it is killed
    settings = Settings()
    store = open_web_store(settings)
    app = create_app(settings, store)
    tune_gc()
    return app


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for the client address: X-Forwarded-For is believed from the proxies of
    ``forwarded_allow_ips`` only, so behind a proxy elsewhere each visitor is throttled on their own."""
    return {"proxy_headers": True, "forwarded_allow_ips": settings.forwarded_allow_ips}


def serve(settings: Settings) -> None:
    """Serve until interrupted. Several workers re-create the app from the environment.

    uvicorn runs on uvloop with httptools' parser (both pinned in requirements.txt): on one worker,
    1.8x the cached-page requests per second and 1.25x the search requests of asyncio with the
    pure-Python h11 (docs/benchmarks.md, "Web"). Tokens in query strings never reach the access log
    (``RedactSecrets``).
    """
    warning = stored_secret_warning(settings)
    if warning:
        log.warning(warning)
    redact_access_log()
    if settings.web_processes > 1:
        for key, value in {**settings_environment(settings), **parent_env()}.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        uvicorn.run("paperwire.web.server:app_from_environment", factory=True, host=settings.host,
                    port=settings.port, workers=settings.web_processes, log_level=settings.log_level.lower(),
                    http=HTTP_PROTOCOL, loop="uvloop", **proxy_options(settings))
        return
    from paperwire.web import create_app

    store = open_web_store(settings)
    app = create_app(settings, store)
    tune_gc()
    uvicorn.run(app, host=settings.host, port=settings.port,
                log_level=settings.log_level.lower(), http=HTTP_PROTOCOL, loop="uvloop", **proxy_options(settings))
