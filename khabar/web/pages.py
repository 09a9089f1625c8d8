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
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from khabar import __version__, analyze
from khabar.web.format import article_marks, fa_digits, fa_number, jalali, mark_spans, marked_restored, snippet_markup

__all__ = ["render_error", "router", "templates"]

WEB = Path(__file__).resolve().parent
STATIC = WEB / "static"
MAX_ANALYZE_CHARS = 200_000

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
_env.filters.update(fa=fa_number, fad=fa_digits, jalali=jalali)
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
