"""A limit on request bodies, as plain ASGI middleware: 413 before a large body is read.

Nothing Paperwire accepts is large (a form, a submission's arXiv id, a token name: a few hundred
bytes), and nothing uploads files, so one small limit serves every route. Without it a client could
send a body of any size and have it read whole into memory (60 MB raised a process's memory by 135 MB).

- A declared ``Content-Length`` over the limit is answered 413 at once: no route runs, nothing reads
  the body (a client sending ``Expect: 100-continue`` never sends it at all).
- A body without a length (``Transfer-Encoding: chunked``) is counted as it streams in; the chunk
  that crosses the limit stops the reading with ``BodyTooLarge``, an HTTP 413 that the app's error
  handlers turn into the route's error shape, as this middleware does itself when it answers.

Starlette's own ``max_body_size`` acts only once a route reads its body and answers in plain text;
this answers before any route runs, in the route's error shape (JSON under /api, a page elsewhere).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperwire.web.errors import respond


class BodyTooLarge(HTTPException):
    """A request body over the limit (HTTP 413), raised while the body streams in."""

    def __init__(self, limit: int, message: str | None = None) -> None:
        super().__init__(413, message or too_large_message(limit), headers={"Connection": "close"})


def too_large_message(limit: int) -> str:
    """What the client is told."""
    return f"The request body is too large: at most {limit:,} bytes are accepted."


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length, or None when it has none or it is not a number (the server refuses those)."""
    value = Headers(scope=scope).get("content-length")
    return int(value) if value is not None and value.strip().isdigit() else None


class BodyLimit:
    """Answer 413 to a request whose body is over ``max_bytes``, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: Mapping[str, tuple[int, str]] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # routes that take files (library import): path -> (their limit, what the client is told)
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.larger:
            limit, message = self.larger[scope["path"]]
            await BodyLimit(self.app, limit)._limited(scope, receive, send, message)
            return
        await self._limited(scope, receive, send, too_large_message(self.max_bytes))

    async def _limited(self, scope: Scope, receive: Receive, send: Send, refusal: str) -> None:
        length = declared_length(scope)
        if length is not None and length > self.max_bytes:
            await self._refuse(scope, receive, send, refusal)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes, refusal)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            # the app's handlers answer an HTTPException raised inside a route; this one escaped them
            if started:
                raise
            await self._refuse(scope, receive, send, refusal)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, refusal: str) -> None:
        response = respond(Request(scope), 413, refusal)
        # the rest of the body is never read: close the connection rather than read it to reuse it
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
