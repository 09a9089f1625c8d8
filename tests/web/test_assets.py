"""The page's own files: logical CSS only, no inline script or style, vendored files with their licences."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "khabar" / "web"
STATIC = WEB / "static"
TEMPLATES = sorted((WEB / "templates").glob("*.html"))

# A physical direction in a declaration: margin-left, padding-right, border-left-…, left:, text-align: right, float: left…
_PHYSICAL = re.compile(
    r"(?:margin|padding|border|inset)-(?:left|right)|(?<![\w-])(?:left|right)\s*:|"
    r"(?:text-align|float|clear)\s*:\s*(?:left|right)|(?<![\w-])(?:width|height|min-width|max-width|"
    r"min-height|max-height)\s*:")


def _declarations(css: str) -> str:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return re.sub(r"@media[^{]*", "@media", css)  # a media query's width is the viewport's, not a direction


def test_css_uses_logical_properties_only() -> None:
    css = _declarations((STATIC / "khabar.css").read_text(encoding="utf-8"))
    assert _PHYSICAL.findall(css) == []


def test_css_check_catches_physical_properties() -> None:
    assert _PHYSICAL.findall(_declarations(".a { margin-left: 1px; text-align: right; width: 3px }")) == [
        "margin-left", "text-align: right", "width:"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_inline_script_or_style(template: Path) -> None:
    html = template.read_text(encoding="utf-8")
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"<style\b", html) == []
    assert re.findall(r"\sstyle\s*=", html) == []
    assert re.findall(r"\son[a-z]+\s*=", html) == []
    assert "|safe" not in html and "autoescape false" not in html


def test_pages_are_rtl_persian() -> None:
    base = (WEB / "templates" / "base.html").read_text(encoding="utf-8")
    assert '<html lang="fa" dir="rtl">' in base


@pytest.mark.parametrize(("path", "licence"), [
    ("fonts/Vazirmatn-Regular.woff2", "fonts/OFL.txt"),
    ("fonts/Vazirmatn-Bold.woff2", "fonts/OFL.txt"),
    ("htmx/htmx.min.js", "htmx/LICENSE"),
    ("swagger/swagger-ui-bundle.js", "swagger/LICENSE"),
])
def test_vendored_files_ship_with_their_licence(path: str, licence: str) -> None:
    assert (STATIC / path).stat().st_size > 1000
    assert (STATIC / licence).stat().st_size > 100
    assert path.split("/")[-1] in (STATIC / "VENDORED.md").read_text(encoding="utf-8")


def test_nothing_is_loaded_from_another_origin() -> None:
    for template in TEMPLATES:
        html = template.read_text(encoding="utf-8")
        assert re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", html) == [], template.name
    css = (STATIC / "khabar.css").read_text(encoding="utf-8")
    assert "//" not in re.sub(r"/\*.*?\*/", "", css, flags=re.S)
