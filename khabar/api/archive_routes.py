"""The archive's endpoints under ``/api/v1``: search, articles, entities, stories, sources, counts,
export, and adding articles.

Each answer is a result model's ``to_dict()`` from :class:`khabar.archive.Archive` — the JSON
``khabar … --json`` prints. Parameters that cannot be read answer 422 naming the parameter;
unknown ids 404; an archive that cannot be read now 503.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from khabar import InvalidInput
from khabar.api.access import ArchiveAccess
from khabar.api.auth import require_write_token
from khabar.api.problems import Problem, field_error
from khabar.api.streaming import stream_writer

__all__ = ["Filters", "router", "search_filters"]

router = APIRouter(tags=["archive"])

FACETS = ("person", "org", "place", "source")
MAX_LIMIT = 100
Text = Annotated[str, Query(max_length=1000)]
Names = Annotated[list[str], Query(max_length=20)]
Day = Annotated[str | None, Query(max_length=40, description="A day, month or year, Jalali or Gregorian: "
                                                           "1403-07-24, ۲۴ مهر ۱۴۰۳, 2024-10-15, 1403-07, 1403")]


def archive_of(request: Request) -> ArchiveAccess:
    access: ArchiveAccess | None = request.app.state.archive
    if access is None:
        raise Problem(503, "this server was started without an archive (khabar serve --db PATH)")
    return access


def check_date(name: str, value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    from khabar.archive import date_range

    try:
        date_range(value)
    except (InvalidInput, ValueError) as err:
        raise field_error(name, str(err)) from None
    return value.strip()


@dataclass(frozen=True, slots=True)
class Filters:
    """The words and facets shared by search, counts and export."""

    q: str
    person: list[str]
    org: list[str]
    place: list[str]
    source: list[str]
    since: str | None
    until: str | None
    has_quotes: bool
    story: int | None

    def options(self) -> dict[str, Any]:
        return {"person": self.person or None, "org": self.org or None, "place": self.place or None,
                "source": self.source or None, "since": self.since, "until": self.until,
                "has_quotes": self.has_quotes, "story": self.story}


def search_filters(
    q: Annotated[str, Query(max_length=1000, description='Words, "phrases", prefix*, AND / OR / NOT, '
                                                         "(parentheses); spelling variants meet")] = "",
    person: Annotated[list[str], Query(max_length=20, description="Mentions this person (repeat: all of them)")] = [],  # noqa: B006
    org: Annotated[list[str], Query(max_length=20, description="Mentions this organization")] = [],  # noqa: B006
    place: Annotated[list[str], Query(max_length=20, description="Mentions this place")] = [],  # noqa: B006
    source: Annotated[list[str], Query(max_length=20, description="From this outlet (repeat: any of them)")] = [],  # noqa: B006
    since: Day = None,
    until: Day = None,
    has_quotes: Annotated[bool, Query(description="Only articles with statements")] = False,
    story: Annotated[int | None, Query(ge=1, lt=2**63, description="Only articles of this story")] = None,
) -> Filters:
    for name, values in (("person", person), ("org", org), ("place", place), ("source", source)):
        for v in values:
            if len(v) > 200:
                raise field_error(name, "at most 200 characters")
    return Filters(q, [v for v in person if v.strip()], [v for v in org if v.strip()],
                   [v for v in place if v.strip()], [v for v in source if v.strip()],
                   check_date("since", since), check_date("until", until), has_quotes, story)


def _query_error(err: InvalidInput, cursor: str | None) -> Problem:
    text = str(err)
    name = "cursor" if cursor and "cursor" in text.lower() else "q"
    return field_error(name, text)


def next_link(request: Request, cursor: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"] + [("cursor", cursor)]
    return f"{request.url.path}?{urlencode(params)}"


def _links(**links: tuple[str, str, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI links from a response to the operations its ids lead to (for clients and for the fuzzer)."""
    return {200: {"links": {name: {"operationId": op, "parameters": {param: expr}}
                            for name, (op, param, expr) in links.items()}}}


@router.get("/search", summary="Search the archive: words, facets, dates; keyset pages", operation_id="search",
            response_description="`{query, total: {value, relation}, results, facets, next_cursor, notes}`",
            responses=_links(article=("article", "article_id", "$response.body#/results/0/id")))
async def search(
    request: Request,
    filters: Annotated[Filters, Depends(search_filters)],
    sort: Literal["newest", "oldest", "relevance"] = "newest",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    cursor: Annotated[str | None, Query(max_length=512, description="A page's next_cursor: the page after it")] = None,
    count_cap: Annotated[int, Query(ge=1, le=100_000, description="Count matches up to this many; beyond it "
                                                                  "total.relation is gte")] = 1000,
    facets: Annotated[str, Query(max_length=100, pattern=r"^(none|all|[a-z,]*)$",
                                 description="Facets to count among the matches: comma-separated person, org, "
                                             "place, source; all; or none (the default: counting costs time)")]
    = "none",
) -> JSONResponse:
    wanted = FACETS if facets == "all" else () if facets in ("none", "") else tuple(facets.split(","))
    unknown = [f for f in wanted if f not in FACETS]
    if unknown:
        raise field_error("facets", f"unknown facet {unknown[0]!r} (person, org, place, source, all or none)")

    def run(archive: Any) -> Any:
        try:
            return archive.search(filters.q, **filters.options(), sort=sort, limit=limit, cursor=cursor or None,
                                  count=True, count_cap=count_cap, facets=bool(wanted))
        except InvalidInput as err:
            raise _query_error(err, cursor) from None

    page = await archive_of(request).call(run)
    body = page.to_dict()
    body["facets"] = {k: v for k, v in body.get("facets", {}).items() if k in wanted}
    headers = {}
    if page.next_cursor:
        headers["link"] = f'<{next_link(request, page.next_cursor)}>; rel="next"'
    return JSONResponse(body, headers=headers)


@router.get("/counts", operation_id="counts", summary="Matching articles over time: [{date, count, total, ratio}]")
async def counts(request: Request, filters: Annotated[Filters, Depends(search_filters)],
                 interval: Literal["day", "week", "month", "year"] = "day") -> JSONResponse:
    def run(archive: Any) -> Any:
        try:
            return archive.counts(filters.q, interval=interval, **filters.options())
        except InvalidInput as err:
            raise _query_error(err, None) from None

    found = await archive_of(request).call(run)
    return JSONResponse([c.to_dict() for c in found])


@router.get("/articles/{article_id}", summary="One article: metadata (`article`) and the whole Document",
            operation_id="article",
            responses=_links(entity=("entity", "entity_id", "$response.body#/entities/0/id"),
                             story=("story", "story_id", "$response.body#/article/story")))
async def article(request: Request, article_id: int) -> JSONResponse:
    found = await archive_of(request).call(lambda a: a.article(article_id))
    return JSONResponse(found.to_dict())


@router.get("/entities", summary="Entities whose name or another name starts with q (autocompletion)",
            operation_id="entities",
            responses=_links(entity=("entity", "entity_id", "$response.body#/0/id"),
                             timeline=("timeline", "entity_id", "$response.body#/0/id")))
async def entities(request: Request, q: Annotated[str, Query(min_length=1, max_length=100)],
                   label: Literal["person", "org", "place", "any"] = "any",
                   limit: Annotated[int, Query(ge=1, le=50)] = 10) -> JSONResponse:
    labels = None if label == "any" else label
    found = await archive_of(request).call(lambda a: a.entities(q, labels=labels, limit=limit))
    return JSONResponse([e.to_dict() for e in found])


EntityId = Annotated[str, Query(min_length=1, max_length=300)]


@router.get("/entities/{entity_id}", operation_id="entity", summary="What the archive knows about one entity: titles, other names, "
                                             "articles, statements, meetings, who appears with it")
async def entity(request: Request, entity_id: str,
                 limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20) -> JSONResponse:
    if len(entity_id) > 300:
        raise field_error("entity_id", "at most 300 characters", where="path")
    found = await archive_of(request).call(lambda a: a.entity(entity_id, limit=limit))
    return JSONResponse(found.to_dict())


@router.get("/entities/{entity_id}/timeline", operation_id="timeline", summary="Articles mentioning the entity per interval")
async def timeline(request: Request, entity_id: str,
                   interval: Literal["day", "week", "month", "year"] = "month",
                   totals: Annotated[bool, Query(description="Also every article of each interval (total, ratio)")]
                   = False) -> JSONResponse:
    if len(entity_id) > 300:
        raise field_error("entity_id", "at most 300 characters", where="path")
    found = await archive_of(request).call(lambda a: a.timeline(entity_id, interval=interval, totals=totals))
    return JSONResponse([c.to_dict() for c in found])


@router.get("/stories", summary="Stories: the same event from several outlets, most outlets first",
            operation_id="stories", responses=_links(story=("story", "story_id", "$response.body#/0/id")))
async def stories(request: Request, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
                  min_size: Annotated[int, Query(ge=1, le=1000)] = 2) -> JSONResponse:
    found = await archive_of(request).call(lambda a: a.stories(limit=limit, min_size=min_size, cluster=False))
    return JSONResponse([s.to_dict() for s in found])


@router.get("/stories/{story_id}", operation_id="story", summary="One story and its articles")
async def story(request: Request, story_id: int) -> JSONResponse:
    found = await archive_of(request).call(lambda a: a.story(story_id))
    return JSONResponse(found.to_dict())


@router.get("/sources", operation_id="sources", summary="Outlets: articles, first and last publication dates")
async def sources(request: Request) -> JSONResponse:
    found = await archive_of(request).call(lambda a: a.sources())
    return JSONResponse([s.to_dict() for s in found])


_MEDIA = {"jsonl": "application/x-ndjson; charset=utf-8", "csv": "text/csv; charset=utf-8",
          "parquet": "application/vnd.apache.parquet"}


@router.get("/export", operation_id="export", summary="Every matching article, streamed: JSONL (Document + metadata), CSV or Parquet",
            responses={200: {"content": {m.split(";")[0]: {} for m in _MEDIA.values()}}})
async def export(request: Request, filters: Annotated[Filters, Depends(search_filters)],
                 format: Literal["jsonl", "csv", "parquet"] = "jsonl") -> StreamingResponse:
    access = archive_of(request)
    # Fail now, with a status, on what can be checked before the first byte: the archive and the query.
    def check(archive: Any) -> None:
        try:
            archive.search(filters.q, **filters.options(), limit=1)
        except InvalidInput as err:
            raise _query_error(err, None) from None

    await access.call(check)

    def write(out: Any) -> None:
        archive = access.opener(access.url)  # an archive of its own for the whole stream
        try:
            archive.export(out, format=format, query=filters.q, batch=256, **filters.options())
        finally:
            archive.close()

    name = f"khabar-export.{format}"
    return StreamingResponse(stream_writer(write, text=format != "parquet"), media_type=_MEDIA[format],
                             headers={"content-disposition": f'attachment; filename="{name}"'})


_ARTICLE_SCHEMA = {
    "type": "object", "required": ["text"], "additionalProperties": False,
    "properties": {"text": {"type": "string", "minLength": 1}, "title": {"type": ["string", "null"]},
                   "url": {"type": ["string", "null"]}, "published": {"type": ["string", "null"]},
                   "source": {"type": ["string", "null"]}, "author": {"type": ["string", "null"]}},
}
_INGEST_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "oneOf": [_ARTICLE_SCHEMA, {"type": "array", "items": _ARTICLE_SCHEMA, "minItems": 1, "maxItems": 1000}]}}}}}
_FIELDS = {"text", "title", "url", "published", "source", "author"}


def _records(data: Any) -> list[dict[str, Any]]:
    items = data if isinstance(data, list) else [data]
    if not items or len(items) > 1000:
        raise field_error("body", "send one article or a list of 1 to 1,000", where="body")
    out = []
    for i, item in enumerate(items):
        where = f"[{i}]" if isinstance(data, list) else ""
        if not isinstance(item, dict):
            raise field_error(f"{where or 'body'}", f"an article is an object with 'text', not {type(item).__name__}",
                              where="body")
        unknown = sorted(set(item) - _FIELDS)
        if unknown:
            raise field_error(f"{where}.{unknown[0]}".lstrip("."), "unknown field (text, title, url, published, "
                                                                   "source, author)", where="body")
        for name in _FIELDS:
            value = item.get(name)
            if value is not None and not isinstance(value, str):
                raise field_error(f"{where}.{name}".lstrip("."), f"must be a string, not {type(value).__name__}",
                                  where="body")
        if not (item.get("text") or "").strip():
            raise field_error(f"{where}.text".lstrip("."), "missing or empty", where="body")
        out.append(item)
    return out


@router.post("/articles", operation_id="add_articles", summary="Add one article or a batch (needs the write token)", openapi_extra=_INGEST_BODY,
             status_code=201, dependencies=[Depends(require_write_token)],
             responses={201: {"description": "`{added, duplicates, failed, ids, failures}`"}, 401: {}, 403: {}})
async def add_articles(request: Request) -> JSONResponse:
    import json

    body = await request.body()
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise Problem(422, f"the body is not valid JSON ({err})",
                      errors=[{"field": "body", "in": "body", "message": "not valid JSON"}]) from None
    records = [{("outlet" if k == "source" else k): v for k, v in r.items()} for r in _records(data)]
    access = archive_of(request)
    summary = await access.call(lambda a: a.add(records, origin="api"),
                                timeout=request.app.state.settings.analyze_timeout)
    return JSONResponse(summary.to_dict(), status_code=201)
