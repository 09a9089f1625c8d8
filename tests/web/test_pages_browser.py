"""The archive's pages in the real browser: search → facet → article → entity → story, with and
without JavaScript; every page right to left, in Vazirmatn, with no serious accessibility violation;
hostile articles and queries inert."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

pytestmark = pytest.mark.browser

QUERY = "زلزله"  # the samples tell one earthquake from two outlets (a story)


def check_page(page: Any, axe: Any) -> None:
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "fa"
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px Vazirmatn', 'خبر')")
    assert page.evaluate("getComputedStyle(document.body).fontFamily").lstrip('"').startswith("Vazirmatn")
    violations = axe(page)
    assert violations == [], violations


def marks_equal_raw_spans(page: Any, raw: str) -> int:
    marks = page.eval_on_selector_all(
        "#raw-text [data-start]", "els => els.map(e => [e.textContent, +e.dataset.start, +e.dataset.end])")
    for text, start, end in marks:
        assert text == raw[start:end], (text, start, end)
    return len(marks)


def test_walk_search_facet_article_entity_story(page: Any, base_url: str, axe: Any, screenshots: Path) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base_url}/?q={quote(QUERY)}")
    check_page(page, axe)
    results = page.locator(".result")
    before = results.count()
    assert before >= 2
    page.screenshot(path=str(screenshots / "search.png"), full_page=True)
    assert page.locator("mark.hit").count() >= 1

    # A facet: ticking a source narrows the results in place (htmx) and puts it in the address.
    facet = page.locator("fieldset.facet input[name=source]").first
    value = facet.get_attribute("value")
    with page.expect_response(lambda r: "source=" in r.url):
        facet.check()
    page.wait_for_function("document.querySelectorAll('.result').length > 0")
    assert "source=" in page.url
    assert page.locator("fieldset.facet input[name=source]:checked").count() == 1
    assert 1 <= page.locator(".result").count() <= before
    sources = page.locator(".result .meta bdi").all_inner_texts()
    assert value in sources

    # The article: every mark holds exactly its raw span; entities link to their pages.
    page.locator(".result h3 a").first.click()
    page.wait_for_selector("#raw-text")
    check_page(page, axe)
    article_id = page.url.rstrip("/").rsplit("/", 1)[1]
    data = httpx.get(f"{base_url}/api/v1/articles/{article_id}").json()
    assert marks_equal_raw_spans(page, data["raw_text"]) >= 3
    page.screenshot(path=str(screenshots / "article.png"), full_page=True)
    page.click("label[for=view-restored]")
    assert page.is_visible("#restored-text")
    page.click("label[for=view-raw]")

    # The story link goes to the story with this article in it.
    story = page.locator("a[href^='/stories/']")
    assert story.count() == 1
    story_url = story.get_attribute("href")

    # An entity page: name, the chart, links back to articles.
    page.locator("#raw-text a.ent").first.click()
    page.wait_for_selector("h1")
    assert "/entities/" in page.url
    check_page(page, axe)
    assert page.locator("svg.chart rect.bar").count() >= 1
    assert page.locator("a[href^='/articles/']").count() >= 1
    page.screenshot(path=str(screenshots / "entity.png"), full_page=True)

    page.goto(base_url + story_url)
    check_page(page, axe)
    assert page.locator(f"a[href='/articles/{article_id}']").count() == 1
    assert page.locator("table.data tbody tr").count() >= 2
    page.screenshot(path=str(screenshots / "story.png"), full_page=True)
    # axe-core sets inline styles while it checks colour contrast, which the page's CSP rightly blocks;
    # anything else (a script refused, a resource missing, a script error) is the page's fault.
    assert [e for e in errors if not e.startswith("Applying inline style violates")] == []


@pytest.mark.parametrize("path", ["/", "/stories", "/sources", "/analyze", "/?q=%D8%AA%D9%87%D8%B1%D8%A7%D9%86&sort=oldest"])
def test_every_page_is_rtl_vazirmatn_and_accessible(page: Any, base_url: str, axe: Any, path: str) -> None:
    page.goto(base_url + path)
    check_page(page, axe)


def test_search_next_page_follows_the_cursor(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/?q=&sort=newest")
    first = page.locator(".result h3 a").all_inner_texts()
    nxt = page.locator("a[rel=next]")
    if nxt.count() == 0:
        pytest.fail("the test archive should have more than one page of articles")
    nxt.click()
    page.wait_for_url("**cursor=**")
    second = page.locator(".result h3 a").all_inner_texts()
    assert second and not set(second) & set(first)


def test_pages_work_without_javascript(browser: Any, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{base_url}/?q={quote(QUERY)}")
        before = page.locator(".result").count()
        page.locator("fieldset.facet input[name=source]").first.check()
        page.locator("noscript button, #search button[type=submit]").first.click()
        page.wait_for_load_state()
        assert "source=" in page.url
        assert 1 <= page.locator(".result").count() <= before
        page.locator(".result h3 a").first.click()
        page.wait_for_selector("#raw-text")
        page.click("label[for=view-restored]")  # the CSS-only toggle
        assert page.is_visible("#restored-text")
    finally:
        context.close()


def test_hostile_articles_and_queries_are_inert(page: Any, base_url: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    hostile = httpx.get(f"{base_url}/api/v1/search", params={"q": "خطرناک"}).json()["results"]
    assert hostile, "the hostile article is in the test archive"
    pages = [f"/?q={quote('<script>alert(1)</script> خطرناک')}", f"/articles/{hostile[0]['id']}",
             f"/?q={quote(chr(0x202e) + 'خبر دوم')}", "/sources", "/stories"]
    data = httpx.get(f"{base_url}/api/v1/articles/{hostile[0]['id']}").json()
    pages += [f"/entities/{quote(e['id'], safe='')}" for e in data["entities"]]
    for path in pages:
        page.goto(base_url + path)
        page.wait_for_timeout(100)
        assert page.evaluate("window.__pwned") is None, path
        assert page.locator("main script, main img, main iframe, main svg:not(.chart)").count() == 0, path
        assert page.locator("a[href^='javascript:']").count() == 0, path
    assert dialogs == []
    # The title shows as text, and its bidi override stays inside its own isolate.
    page.goto(f"{base_url}/articles/{hostile[0]['id']}")
    assert "<script>" in page.inner_text("h1")
    assert page.eval_on_selector("h1 bdi", "e => getComputedStyle(e).unicodeBidi") == "isolate"


def test_page_weight_is_under_150_kb_and_cached_after_the_first_page(browser: Any, base_url: str) -> None:
    """Bytes on the wire, not time: font, CSS and htmx included on the first page, from cache after."""
    context = browser.new_context()
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        sizes: dict[str, int] = {}
        urls: dict[str, str] = {}
        cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
        page.goto(f"{base_url}/?q={quote(QUERY)}", wait_until="networkidle")
        first = sum(sizes.values())
        fetched = sorted(urls[k].split("?")[0] for k in sizes)
        assert len(fetched) == len(set(fetched)), fetched  # nothing fetched twice
        assert first < 150 * 1024, (first, fetched)
        sizes.clear()
        page.goto(f"{base_url}/articles/1", wait_until="networkidle")
        assert sum(sizes.values()) < first / 4  # the font, CSS and htmx come from the cache
    finally:
        context.close()


def test_api_docs_render_from_vendored_files_under_the_csp(page: Any, base_url: str) -> None:
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{base_url}/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() >= 15
    assert errors == []
    assert all(u.startswith(base_url) for u in requests)  # nothing from another origin
