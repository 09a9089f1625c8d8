"""Following outlets under ``/api/v1``: saved searches (alerts) with their matches, as JSON and as an
Atom feed a feed reader can subscribe to, and the followed feeds with their health.

Saved searches are added with ``khabar alert add`` and fed by ``khabar watch``; the server only reads
them. Unknown names answer 404 naming the saved searches there are.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from khabar import InvalidInput
from khabar.api.archive_routes import archive_of
from khabar.api.problems import field_error

__all__ = ["router"]

router = APIRouter(tags=["following"])

AlertName = Annotated[str, Query(min_length=1, max_length=100)]
Since = Annotated[str | None, Query(max_length=40, description="Only matches from this day (Jalali or Gregorian: "
                                                               "1404-05-18, ۱۸ مرداد ۱۴۰۴, 2025-08-09) or ISO time on")]
Limit = Annotated[int, Query(ge=1, le=500)]


def _check(name: str) -> str:
    if len(name) > 100:
        raise field_error("name", "at most 100 characters", where="path")
    return name


def _matches(archive: Any, name: str, since: str | None, limit: int) -> Any:
    try:
        return archive.alert_matches(name, since=since, limit=limit)
    except InvalidInput as err:
        raise field_error("since", str(err)) from None


@router.get("/alerts", operation_id="alerts", summary="Saved searches: name, query, facets, when saved")
async def alerts(request: Request) -> JSONResponse:
    found = await archive_of(request).call(lambda a: a.alerts())
    return JSONResponse([a.to_dict() for a in found])


# Registered before /alerts/{name}: a name may not hold "/", so NAME.atom is never a name's matches.
@router.get("/alerts/{name}.atom", operation_id="alert_atom",
            summary="A saved search's matches as an Atom feed (subscribe in a feed reader)",
            responses={200: {"content": {"application/atom+xml": {}}}})
async def alert_atom(request: Request, name: str, since: Since = None, limit: Limit = 50) -> Response:
    _check(name)
    base = str(request.base_url).rstrip("/")
    self_url = base + quote(request.url.path, safe="/")

    def run(archive: Any) -> bytes:
        _matches(archive, name, since, 1)  # a bad `since` is a 422 before anything is rendered
        return bytes(archive.alert_atom(name, since=since, limit=limit, self_url=self_url,
                                        article_url=f"{base}/articles/{{id}}"))

    body = await archive_of(request).call(run)
    return Response(body, media_type="application/atom+xml; charset=utf-8",
                    headers={"content-disposition": f"inline; filename*=UTF-8''{quote(name, safe='')}.atom"})


@router.get("/alerts/{name}", operation_id="alert",
            summary="A saved search and the articles it matched, newest first")
async def alert(request: Request, name: str, since: Since = None, limit: Limit = 50) -> JSONResponse:
    _check(name)

    def run(archive: Any) -> dict[str, Any]:
        saved = archive.alert(name)
        return {**saved.to_dict(), "matches": [m.to_dict() for m in _matches(archive, name, since, limit)]}

    return JSONResponse(await archive_of(request).call(run))


@router.get("/feeds", operation_id="feeds", summary="The feeds khabar watch follows, with their health")
async def feeds(request: Request) -> JSONResponse:
    def run(archive: Any) -> list[dict[str, Any]]:
        counts = archive.feed_items()
        return [{**f.to_dict(), "items": counts.get(f.url, {})} for f in archive.feeds()]

    return JSONResponse(await archive_of(request).call(run))
