"""Writes need a token: ``KHABAR_TOKEN`` on the server, ``Authorization: Bearer <token>`` on the request.

Without a configured token the server is read-only and every write answers 403 (no credential
would help). With one, a request without credentials answers 401 with ``WWW-Authenticate: Bearer``,
and a wrong token 403. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from khabar.api.problems import Problem

__all__ = ["require_write_token"]


def require_write_token(request: Request) -> None:
    token: str | None = request.app.state.settings.token
    if not token:
        raise Problem(403, "this server is read-only: start it with KHABAR_TOKEN set to allow writes")
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Problem(401, "writes need 'Authorization: Bearer <token>' (the server's KHABAR_TOKEN)",
                      headers={"www-authenticate": 'Bearer realm="khabar"'})
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Problem(403, "the bearer token is not this server's write token",
                      headers={"www-authenticate": 'Bearer realm="khabar", error="invalid_token"'})
