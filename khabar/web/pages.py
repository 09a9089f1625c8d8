"""The web pages: server-rendered Persian, right to left, usable without JavaScript.

Jinja2 renders every page with autoescaping on; htmx (vendored, no CDN) swaps in the part of a
page that changed when JavaScript runs, and every form and link also works as a plain request.
The pages read the archive through the same :class:`~khabar.archive.Archive` calls and result
models as the API, so a page shows exactly what ``/api/v1`` serves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlparse

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from khabar import InvalidInput, __version__, analyze
from khabar.web.format import (
    LABELS,
    article_marks,
    fa_digits,
    fa_number,
    jalali,
    mark_spans,
    marked_restored,
    snippet_markup,
    timeline_svg,
)

__all__ = ["render_error", "router", "templates"]

WEB = Path(__file__).resolve().parent
STATIC = WEB / "static"
MAX_ANALYZE_CHARS = 200_000
PAGE_SIZE = 10
COUNT_CAP = 1000     # "more than 1,000 articles" beyond it: counting every match of a broad word costs
FACET_SAMPLE = 1000  # facet counts among the newest 1,000 matches
FACETS = ("person", "org", "place", "source")
LABEL_NAMES = {**LABELS, "PERSON": "شخص", "ORGANIZATION": "سازمان", "GPE": "مکان", "LOCATION": "مکان"}

router = APIRouter(include_in_schema=False)


def _digests() -> dict[str, str]:
    return {p.relative_to(STATIC).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()[:10]
            for p in STATIC.rglob("*") if p.is_file()}


_DIGESTS = _digests()


def static(path: str) -> str:
    """The URL of a static file, with a digest of its content so browsers may cache it for a year."""
    return f"/static/{path}?v={_DIGESTS.get(path, __version__)}"


def entity_url(entity_id: str) -> str:
    return "/entities/" + quote(entity_id, safe="")


def entity_of(doc: Mapping[str, Any], entity_id: str | None) -> Mapping[str, Any] | None:
    if not entity_id:
        return None
    return next((e for e in doc.get("entities") or [] if e["id"] == entity_id), None)


def marked_raw(doc: Mapping[str, Any], link: bool = True) -> Markup:
    urls = {e["id"]: entity_url(e["id"]) for e in doc.get("entities") or []} if link else {}
    return mark_spans(doc["raw_text"], article_marks(doc, urls))


_env = jinja2.Environment(loader=jinja2.FileSystemLoader(WEB / "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True, undefined=jinja2.ChainableUndefined)
_env.globals.update(static=static, version=__version__, entity_url=entity_url, entity_of=entity_of,
                    marked_raw=marked_raw, marked_restored=marked_restored, snippet=snippet_markup)
def host(url: str) -> str:
    return urlparse(url).hostname or url[:60]


_env.filters.update(fa=fa_number, fad=fa_digits, jalali=jalali, host=host)
templates = Jinja2Templates(env=_env)


def page(request: Request, name: str, context: dict[str, Any], *, status: int = 200,
         headers: dict[str, str] | None = None) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status, headers=headers)
    response.headers["vary"] = "HX-Request"
    return response


_TITLES = {400: "درخواست نادرست", 401: "نیاز به شناسایی", 403: "دسترسی ممنوع", 404: "پیدا نشد",
           405: "روش نادرست", 413: "متن بیش از اندازه بزرگ است", 414: "نشانی بیش از اندازه بلند است",
           415: "نوع محتوا پذیرفته نیست", 422: "ورودی نادرست", 500: "خطای سرور",
           503: "بایگانی اکنون در دسترس نیست"}


def render_error(request: Request, status: int, detail: str, *, headers: dict[str, str] | None = None) -> Response:
    return page(request, "error.html", {"status": status, "title": _TITLES.get(status, "خطا"), "detail": detail},
                status=status, headers=headers)


# -- the archive's pages ------------------------------------------------------------------------------

def _access(request: Request) -> Any:
    from khabar.api.archive_routes import archive_of

    return archive_of(request)


def _form(request: Request) -> dict[str, Any]:
    params = request.query_params
    lists = {name: [v.strip() for v in params.getlist(name) if v.strip()][:20] for name in FACETS}
    sort = params.get("sort", "newest")
    return {"q": params.get("q", "")[:1000], **lists, "since": params.get("since", "")[:40].strip(),
            "until": params.get("until", "")[:40].strip(), "has_quotes": params.get("has_quotes") in ("true", "on", "1"),
            "sort": sort if sort in ("newest", "oldest", "relevance") else "newest",
            "cursor": params.get("cursor", "")[:512] or None}


@router.get("/", response_class=HTMLResponse)
async def search_page(request: Request) -> Response:
    """The search page: the box, facets with counts, a date range, sort, results, next page."""
    from khabar.api.archive_routes import check_date
    from khabar.api.problems import Problem

    form = _form(request)
    found, problem = None, None
    try:
        since, until = check_date("since", form["since"]), check_date("until", form["until"])
        options = {name: form[name] or None for name in FACETS}

        def run(archive: Any) -> Any:
            return archive.search(form["q"], **options, since=since, until=until, has_quotes=form["has_quotes"],
                                  sort=form["sort"], limit=PAGE_SIZE, cursor=form["cursor"], count=True,
                                  count_cap=COUNT_CAP, facets=True, facet_sample=FACET_SAMPLE)

        page_ = await _access(request).call(run)
        found = page_.to_dict()
    except InvalidInput as err:
        problem = str(err)
    except Problem as err:
        if err.status != 422:
            raise
        problem = err.detail
    next_url = None
    if found and found.get("next_cursor"):
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        next_url = "/?" + urlencode([*params, ("cursor", found["next_cursor"])])
    return page(request, "search.html", {"nav": "/", "form": form, "found": found, "problem": problem,
                                         "next_url": next_url, "facet_sample": FACET_SAMPLE},
                status=422 if problem else 200)


@router.get("/articles/{article_id}", response_class=HTMLResponse)
async def article_page(request: Request, article_id: int) -> Response:
    found = await _access(request).call(lambda a: a.article(article_id))
    data = found.to_dict()
    meta = data.pop("article")
    return page(request, "article.html", {"meta": meta, "doc": data})


@router.get("/entities/{entity_id}", response_class=HTMLResponse)
async def entity_page(request: Request, entity_id: str) -> Response:
    if len(entity_id) > 300:
        raise InvalidInput("an entity id is at most 300 characters")

    def run(archive: Any) -> tuple[Any, Any]:
        return archive.entity(entity_id), archive.timeline(entity_id, interval="month", totals=False)

    profile, timeline = await _access(request).call(run)
    entity = profile.to_dict()
    label = entity.get("label") or ""
    facet = "person" if label.startswith("PER") else "org" if label.startswith("ORG") else "place"
    chart = timeline_svg([c.to_dict() for c in timeline], interval="month", label="خبرها در هر ماه")
    return page(request, "entity.html", {"entity": entity, "entity_id": entity_id, "chart": chart,
                                         "facet_param": facet, "labels": LABEL_NAMES})


@router.get("/stories", response_class=HTMLResponse)
async def stories_page(request: Request) -> Response:
    found = await _access(request).call(lambda a: a.stories(limit=50, cluster=False))
    stories = [_story(s.to_dict()) for s in found]
    return page(request, "stories.html", {"nav": "/stories", "stories": stories, "story": None})


@router.get("/stories/{story_id}", response_class=HTMLResponse)
async def story_page(request: Request, story_id: int) -> Response:
    found = await _access(request).call(lambda a: a.story(story_id))
    return page(request, "stories.html", {"nav": "/stories", "stories": [], "story": _story(found.to_dict())})


def _story(story: dict[str, Any]) -> dict[str, Any]:
    """A story's articles in time order (undated last), then by outlet."""
    story["articles"] = sorted(story.get("articles") or [],
                               key=lambda a: (a.get("published") is None, a.get("published") or "", a.get("source") or ""))
    return story


@router.get("/sources", response_class=HTMLResponse)
async def sources_page(request: Request) -> Response:
    found = await _access(request).call(lambda a: a.sources())
    return page(request, "sources.html", {"nav": "/sources", "sources": [s.to_dict() for s in found]})


# -- analyze: needs no archive ---------------------------------------------------------------------

@router.get("/analyze", response_class=HTMLResponse)
async def analyze_form(request: Request) -> Response:
    return page(request, "analyze.html", {"nav": "/analyze", "doc": None, "text": "", "published": "",
                                          "max_chars": MAX_ANALYZE_CHARS, "notes": []})


@router.post("/analyze", response_class=HTMLResponse)
async def analyze_page(request: Request) -> Response:
    from khabar.api.access import run_blocking

    form = await request.form()
    text = str(form.get("text") or "")
    published = str(form.get("published") or "").strip()
    notes: list[str] = []
    doc = None
    if len(text) > MAX_ANALYZE_CHARS:
        notes.append(f"متن {fa_number(len(text))} نویسه است؛ بیشینه {fa_number(MAX_ANALYZE_CHARS)} نویسه است "
                     "(برای متن‌های بلندتر از API استفاده کنید).")
    elif text.strip():
        iso = _published(published, notes)
        result = await run_blocking(analyze, text, published=iso, timeout=request.app.state.settings.analyze_timeout)
        doc = result.to_dict()
    else:
        notes.append("متنی برای تحلیل نیامده است.")
    return page(request, "analyze.html", {"nav": "/analyze", "doc": doc, "text": text, "published": published,
                                          "max_chars": MAX_ANALYZE_CHARS, "notes": notes},
                status=200 if doc is not None or not notes else 422)


def _published(value: str, notes: list[str]) -> str | None:
    import datetime as dt

    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))).isoformat()
    except ValueError:
        notes.append(f"تاریخ انتشار «{value}» خوانده نشد (مانند 2025-08-09)؛ تاریخ‌های نسبی بی‌تاریخ ماندند.")
        return None
