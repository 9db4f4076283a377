"""Security headers on every response (CSP, nosniff, frame and referrer policies, HSTS on an HTTPS
site), and the caching of static files: a module of its own because both the middleware stack and the
error handlers use it."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # KaTeX positions glyphs with style attributes; styles cannot run code, scripts stay strict.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("x-frame-options", "DENY"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ("cross-origin-opener-policy", "same-origin"),
)
# A year, the usual value (and what browsers' preload lists ask for); no includeSubDomains: other
# sites under the same domain are not ours to commit to HTTPS.
HSTS = "max-age=31536000"
REVALIDATE = "public, no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"


def add_security_headers(headers: MutableHeaders, hsts: bool = False) -> None:
    """Set the security headers (leaving any a route chose itself); ``hsts`` on an HTTPS site."""
    for name, value in SECURITY_HEADERS:
        if name not in headers:
            headers[name] = value
    if hsts and "strict-transport-security" not in headers:
        headers["strict-transport-security"] = HSTS


class SecurityHeaders:
    """Security headers on every response, long-lived caching for versioned static files.

    ``hsts``: the public URL is HTTPS, so browsers are told to use nothing else (a visitor's first
    plain-HTTP request, or one an attacker on the network downgrades, no longer carries the session)."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        versioned = path.startswith("/static/") and b"v=" in scope.get("query_string", b"")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                add_security_headers(headers, self.hsts)
                if path.startswith("/static/") and message["status"] in (200, 304):
                    headers["cache-control"] = IMMUTABLE if versioned else REVALIDATE
            await send(message)

        await self.app(scope, receive, send_with_headers)
