"""One error shape for the whole API: RFC 9457 problem details (``application/problem+json``).

Every error the API answers — an unknown id, a malformed parameter, an oversized body, a missing
token, an archive that is gone — is one object::

    {"type": "about:blank", "title": "Not Found", "status": 404,
     "detail": "no article with id 99", "instance": "/api/v1/articles/99"}

A parameter that cannot be read adds ``errors``: ``[{"field": "since", "in": "query", "message": …}]``,
and ``detail`` names the field. ``detail`` is written for the person reading it, in English, whatever
the language of the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse

__all__ = ["PROBLEM_JSON", "Problem", "field_error", "problem_response"]

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """An error answered as problem+json; raise it anywhere in a request."""

    def __init__(self, status: int, detail: str, *, title: str | None = None,
                 errors: Sequence[dict[str, Any]] = (), headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.errors = list(errors)
        self.headers = headers or {}


def field_error(name: str, message: str, *, where: str = "query", status: int = 422) -> Problem:
    """A 422 naming the parameter that could not be read."""
    return Problem(status, f"{where} parameter {name!r}: {message}",
                   errors=[{"field": name, "in": where, "message": message}])


def problem_body(status: int, detail: str, *, title: str | None = None, instance: str | None = None,
                 errors: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "about:blank", "title": title or HTTPStatus(status).phrase,
                            "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = list(errors)
    return body


def problem_response(status: int, detail: str, *, title: str | None = None, instance: str | None = None,
                     errors: Sequence[dict[str, Any]] = (), headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem_body(status, detail, title=title, instance=instance, errors=errors),
                        status_code=status, media_type=PROBLEM_JSON, headers=headers)
