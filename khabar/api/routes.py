"""The ``/api/v1`` endpoints.

Every JSON body here is a result model's ``to_dict()`` (the same JSON ``--json`` prints) or a
``Document.to_dict()``; every error is problem+json (:mod:`khabar.api.problems`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from khabar import __version__, analyze, decode, restore
from khabar.api.access import run_blocking
from khabar.api.problems import Problem, field_error

__all__ = ["router"]

router = APIRouter()

_TEXT_BODY = {
    "requestBody": {
        "required": True,
        "description": "The text, as `text/plain` (UTF-8, UTF-16 or Windows-1256), or JSON "
                       "`{text, published?, url?, source?}`. At most 1 MB (413 above).",
        "content": {
            "application/json": {"schema": {
                "type": "object", "required": ["text"], "additionalProperties": False,
                "properties": {"text": {"type": "string"},
                               "published": {"type": ["string", "null"], "description": "ISO date, for relative dates"},
                               "url": {"type": ["string", "null"]},
                               "source": {"type": ["string", "null"]}}}},
            "text/plain": {"schema": {"type": "string"}},
        },
    },
}
_TEXT_FIELDS = ("text", "published", "url", "source")


async def read_text_body(request: Request) -> dict[str, Any]:
    """``{text, published, url, source}`` from a text/plain or JSON body; 415/422 for anything else."""
    ctype = request.headers.get("content-type", "text/plain").split(";")[0].strip().lower()
    body = await request.body()
    if ctype == "application/json":
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as err:
            raise Problem(422, f"the body is not valid JSON ({err})",
                          errors=[{"field": "body", "in": "body", "message": "not valid JSON"}]) from None
        if not isinstance(data, dict):
            raise field_error("body", f"expected a JSON object with 'text', not {type(data).__name__}", where="body")
        unknown = sorted(set(data) - set(_TEXT_FIELDS))
        if unknown:
            raise field_error(unknown[0], "unknown field (expected text, published, url, source)", where="body")
        if not isinstance(data.get("text"), str):
            what = "missing" if "text" not in data else f"must be a string, not {type(data['text']).__name__}"
            raise field_error("text", what, where="body")
        for name in ("published", "url", "source"):
            if data.get(name) is not None and not isinstance(data[name], str):
                raise field_error(name, f"must be a string or null, not {type(data[name]).__name__}", where="body")
        return {name: data.get(name) for name in _TEXT_FIELDS}
    if ctype in ("text/plain", ""):
        try:
            text = decode(body, "the request body")
        except ValueError as err:
            raise field_error("body", str(err), where="body") from None
        return {"text": text, "published": None, "url": None, "source": None}
    raise Problem(415, f"send the text as text/plain or application/json, not {ctype}")


@router.post("/restore", tags=["text"], openapi_extra=_TEXT_BODY,
             summary="Restore Persian text: letters, digits, spacing and ZWNJs",
             responses={200: {"description": "`{text}`: the restored text"}})
async def restore_text(request: Request) -> JSONResponse:
    body = await read_text_body(request)
    settings = request.app.state.settings
    restored = await run_blocking(restore, body["text"], timeout=settings.analyze_timeout)
    return JSONResponse({"text": restored})


@router.post("/analyze", tags=["text"], openapi_extra=_TEXT_BODY,
             summary="Analyze a text without storing it: the whole Document",
             responses={200: {"description": "`Document.to_dict()`: raw_text, text, sentences, tokens, mentions, "
                                             "entities, quotes, events, dates, source, warnings, changes"}})
async def analyze_text(request: Request) -> JSONResponse:
    body = await read_text_body(request)
    settings = request.app.state.settings
    published = body["published"]
    if published:
        try:
            dt.datetime.fromisoformat(published.strip())
        except ValueError:
            raise field_error("published", f"{published[:40]!r} is not an ISO date (2025-08-09 or "
                                           "2025-08-09T10:00:00+03:30)", where="body") from None
    doc = await run_blocking(analyze, body["text"], published=published or None, url=body["url"],
                             source=body["source"], timeout=settings.analyze_timeout)
    return JSONResponse(doc.to_dict())


@router.get("/version", tags=["service"], summary="khabar's version and the API's")
async def version() -> dict[str, Any]:
    return {"version": __version__, "api": "v1"}
