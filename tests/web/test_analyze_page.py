"""The analyze page in the real browser: paste text, see it restored and structured, nothing stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser

TEXT = ("به گزارش ایسنا، محمدجواد ظریف وزیر امور خارجه روز دوشنبه ۲۴ مهر ۱۴۰۳ گفت: «ما به مذاکره ادامه میدهیم.» "
        "او با سرگئی لاوروف در مسکو دیدار کرد.")


def marks_match_raw(page: Any, raw: str) -> int:
    """Every element marked from offsets holds exactly raw_text[data-start:data-end]; returns how many."""
    marks = page.eval_on_selector_all(
        "#raw-text [data-start]", "els => els.map(e => [e.textContent, +e.dataset.start, +e.dataset.end])")
    for text, start, end in marks:
        assert text == raw[start:end], (text, start, end)
    return len(marks)


def test_analyze_page_marks_every_span_on_the_raw_text(page: Any, base_url: str, screenshots: Path) -> None:
    page.goto(f"{base_url}/analyze")
    page.fill("#text", TEXT)
    page.fill("#published", "2024-10-15")
    page.click("button[type=submit]")
    page.wait_for_selector("#raw-text")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "fa"
    doc = httpx.post(f"{base_url}/api/v1/analyze", json={"text": TEXT, "published": "2024-10-15"}).json()
    n = marks_match_raw(page, doc["raw_text"])
    kinds = set(page.eval_on_selector_all("#raw-text [data-start]", "els => els.map(e => e.className)"))
    assert n >= len(doc["mentions"]) + len(doc["quotes"]) and n >= 5
    assert {"quote", "cue", "credit", "date"} <= {k.split()[0] for k in kinds}
    # The restored view shows the ZWNJ the analysis put back (میدهیم → می‌دهیم).
    page.click("label[for=view-restored]")
    assert page.is_visible("#restored-text") and not page.is_visible("#raw-text")
    assert page.locator("#restored-text ins.zwnj").count() >= 1
    page.click("label[for=view-raw]")
    page.screenshot(path=str(screenshots / "analyze.png"), full_page=True)


def test_analyze_page_uses_vazirmatn(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/analyze")
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px Vazirmatn', 'سلام')")
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert family.startswith('"Vazirmatn"') or family.startswith("Vazirmatn")
    loaded = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    assert any("Vazirmatn" in f for f in loaded)


def test_analyze_page_has_no_serious_accessibility_violations(page: Any, base_url: str, axe: Any) -> None:
    page.goto(f"{base_url}/analyze")
    assert axe(page) == []
    page.fill("#text", TEXT)
    page.click("button[type=submit]")
    page.wait_for_selector("#raw-text")
    assert axe(page) == []


def test_analyze_page_works_without_javascript(browser: Any, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{base_url}/analyze")
        page.fill("#text", TEXT)
        page.click("button[type=submit]")
        page.wait_for_selector("#raw-text")
        assert page.url.endswith("/analyze")
        assert page.locator("#raw-text a.ent").count() == 0  # pasted text is not in the archive: no entity links
        assert page.locator("#raw-text mark.ent").count() >= 3
        # The CSS-only toggle works without script.
        page.click("label[for=view-restored]")
        assert page.is_visible("#restored-text")
    finally:
        context.close()


def test_analyze_page_renders_hostile_text_inert(page: Any, base_url: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    hostile = ("<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> وزیر گفت: "
               "«<svg onload=alert(1)>» \u202eتهران\u202c javascript:alert(2)")
    page.goto(f"{base_url}/analyze")
    page.fill("#text", hostile)
    page.click("button[type=submit]")
    page.wait_for_selector("#raw-text")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    assert page.locator("#raw-text script, #raw-text img, #raw-text svg").count() == 0
    assert "<script>" in page.inner_text("#raw-text")
