"""The server: the REST API under ``/api/v1`` and the web pages, in one FastAPI application.

``create_app(Settings(db=URL))`` builds it; ``khabar serve`` runs it on uvicorn. The archive is
opened lazily, per worker thread (see :mod:`khabar.api.access`); without a ``db`` only the parts
that need no archive answer (restore, analyze, health, version), the rest say 503.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles

from khabar import InvalidInput, KhabarError, NotFoundError, StorageError, __version__
from khabar.api.access import ArchiveAccess
from khabar.api.middleware import LimitsMiddleware, SecurityHeadersMiddleware
from khabar.api.problems import Problem, problem_response

__all__ = ["Settings", "create_app"]

log = logging.getLogger("khabar.serve")

WEB = Path(__file__).resolve().parents[1] / "web"
STATIC = WEB / "static"
API_PREFIX = "/api/v1"

DESCRIPTION = """\
Persian news, restored, structured and searchable: the archive's search with facets and keyset
pagination, articles with everything the pipeline found, entities, stories, counts over time,
streamed exports, and restoration/analysis of posted text.

Errors are RFC 9457 problem details (`application/problem+json`). Writes (`POST /api/v1/articles`)
need `Authorization: Bearer <token>`, where the server was started with `KHABAR_TOKEN`; without
one it is read-only.
"""


@dataclass(frozen=True, slots=True)
class Settings:
    """What ``khabar serve`` is started with."""

    db: str | None = None                  # the archive URL (``sqlite:///path``, a path, ``postgresql://…``)
    token: str | None = None               # bearer token for writes; None: read-only
    max_body: int = 1_000_000              # restore / analyze bodies (413 above)
    max_ingest_body: int = 16_000_000      # POST /api/v1/articles (a batch)
    max_query: int = 8192                  # bytes of query string (414 above)
    timeout: float = 10.0                  # seconds for one archive call (503 past it)
    threads: int = 2                       # archive calls at once per process (each thread has its own connection)
    analyze_timeout: float = 60.0          # seconds for analyzing one posted text
    opener: Callable[[str], Any] | None = None  # opens an archive from ``db``; default Archive.open


def _default_opener(url: str) -> Any:
    from khabar.archive import Archive

    return Archive.open(url, must_exist=True)


class CachedStatic(StaticFiles):
    """Static files with a year's cache: their URLs carry a digest of the content (``?v=…``)."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["cache-control"] = "public, max-age=31536000, immutable"
        return response


def _static_digests() -> dict[str, str]:
    return {str(p.relative_to(STATIC)): hashlib.sha256(p.read_bytes()).hexdigest()[:10]
            for p in STATIC.rglob("*") if p.is_file()}


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/") or request.url.path in ("/healthz", "/openapi.json"):
        return False
    return "text/html" in request.headers.get("accept", "")


def _field(loc: tuple[Any, ...] | list[Any]) -> tuple[str, str]:
    where = str(loc[0]) if loc else "request"
    rest = [str(x) for x in loc[1:]]
    return where, ".".join(rest) if rest else where


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    access = (ArchiveAccess(settings.db, opener=settings.opener or _default_opener, timeout=settings.timeout)
              if settings.db else None)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if access is not None:
            # Few threads: the archive releases the GIL inside queries, so two keep a core busy (one in a
            # query while the other renders); more only share the core, so every request in flight takes
            # longer. Requests beyond these wait their turn, first come first served, within the deadline:
            # at 1M articles and 150 requests/s, p95 55 ms with 2 threads a process, 168 ms with 8, at the
            # same CPU per request.
            access.limiter = anyio.CapacityLimiter(settings.threads)
        yield
        if access is not None:
            access.close()

    app = FastAPI(title="khabar", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.archive = access
    app.state.static_digests = _static_digests()

    from khabar.web.pages import render_error

    def error(request: Request, status: int, detail: str, *, title: str | None = None,
              errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> Response:
        if _wants_html(request):
            return render_error(request, status, detail, headers=headers)
        return problem_response(status, detail, title=title, instance=request.url.path, errors=errors or (),
                                headers=headers)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return error(request, exc.status, exc.detail, title=exc.title, errors=exc.errors, headers=exc.headers)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such page or endpoint: {request.url.path}"
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        return error(request, exc.status_code, detail, headers=dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = []
        for e in exc.errors():
            where, name = _field(e.get("loc", ()))
            errors.append({"field": name, "in": where, "message": str(e.get("msg", "invalid"))})
        first = errors[0] if errors else {"field": "request", "in": "request", "message": "invalid"}
        detail = f"{first['in']} parameter {first['field']!r}: {first['message']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
        return error(request, 422, detail, errors=errors)

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> Response:
        return error(request, 404, str(exc))

    @app.exception_handler(InvalidInput)
    async def _invalid_input(request: Request, exc: InvalidInput) -> Response:
        return error(request, 422, str(exc))

    @app.exception_handler(StorageError)
    async def _storage(request: Request, exc: StorageError) -> Response:
        return error(request, 503, f"the archive cannot be read now: {exc}", headers={"retry-after": "5"})

    @app.exception_handler(KhabarError)
    async def _khabar(request: Request, exc: KhabarError) -> Response:
        return error(request, 400, str(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error(request, 500, "an unexpected error occurred on the server; it has been logged")

    from khabar.api.archive_routes import router as archive_router
    from khabar.api.following_routes import router as following_router
    from khabar.api.routes import router as api_router
    from khabar.web.pages import router as web_router

    app.include_router(api_router, prefix=API_PREFIX)
    app.include_router(archive_router, prefix=API_PREFIX)
    app.include_router(following_router, prefix=API_PREFIX)
    app.include_router(web_router)
    app.mount("/static", CachedStatic(directory=STATIC), name="static")

    @app.get("/healthz", tags=["service"], summary="Is the server up, and can it read its archive?")
    async def healthz() -> JSONResponse:
        if access is None:
            return JSONResponse({"status": "ok", "archive": None})
        await access.call(lambda archive: archive.search("", limit=1))
        return JSONResponse({"status": "ok", "archive": "ok"})

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        from khabar.web.pages import templates

        return templates.TemplateResponse(request, "docs.html", {"openapi_url": app.openapi_url})

    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(LimitsMiddleware, max_body=settings.max_body, max_query=settings.max_query,
                       body_limits={f"{API_PREFIX}/articles": settings.max_ingest_body})
    app.add_middleware(SecurityHeadersMiddleware)
    return app

