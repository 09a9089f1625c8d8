"""What every response carries and what every request may send: security headers, the server's
time (``Server-Timing``), body and query-string limits.

Plain ASGI middleware (no buffering of bodies), so a limit is enforced while the body streams in:
a ``Content-Length`` over the limit is answered 413 before a byte is read, and a chunked body is
cut off at the limit.
"""

from __future__ import annotations

import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from khabar.api.problems import problem_response

__all__ = ["CSP", "DOCS_CSP", "LimitsMiddleware", "SecurityHeadersMiddleware"]


# No inline script anywhere, no inline style, nothing from another origin.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# Swagger UI sets style attributes on its elements; its scripts are still our own files only.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


class SecurityHeadersMiddleware:
    """The security headers on every response, and ``Server-Timing: app;dur=MS`` (time to the headers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = (DOCS_CSP if scope["path"] == "/docs" else CSP).encode()
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-security-policy"]
                took = f"app;dur={(time.perf_counter() - started) * 1000:.1f}".encode()
                headers += [(b"content-security-policy", csp), (b"server-timing", took), *_HEADERS]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    """Raised while reading a body past its limit; an HTTPException so that the framework's body
    parsing (which turns other errors into 400) passes it on to the problem handler as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the {limit:,}-byte limit of this endpoint",
                         headers={"connection": "close"})


class LimitsMiddleware:
    """413 for a body over its route's limit, 414 for a query string over ``max_query`` bytes."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_query: int,
                 body_limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_body = max_body
        self.max_query = max_query
        self.body_limits = body_limits or {}

    def limit_for(self, path: str) -> int:
        return self.body_limits.get(path.rstrip("/"), self.max_body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > self.max_query:
            await problem_response(414, f"the query string is over {self.max_query:,} bytes",
                                   instance=scope["path"])(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        too_large = problem_response(413, f"the request body is over the {limit:,}-byte limit of this endpoint",
                                     instance=scope["path"], headers={"connection": "close"})
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await problem_response(400, "Content-Length is not a number")(scope, receive, send)
                    return
                if declared > limit:
                    await too_large(scope, receive, send)
                    return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message: Message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await too_large(scope, receive, send)
