"""Search without a backend in the way: the query language's errors, dates in both calendars, result
shapes, limits. (What every backend must find is tests/archive/storage/test_contract.py.)"""

from __future__ import annotations

import pytest

from khabar import analyze
from khabar.archive.models import NewArticle
from khabar.archive.parser import parse_query
from khabar.archive.search import date_range, highlight_spans, parse_date, search
from khabar.archive.storage import open_storage
from khabar.errors import InvalidInput


@pytest.mark.parametrize(("query", "message"), [
    (")", "unbalanced parenthesis"), ("( تورم", "never closed"), ("تورم OR", "ends with OR"),
    ("AND تورم", "needs a word on each side"), ("NOT بازار", "needs words to exclude from"),
    ("تورم OR NOT بازار", "OR NOT"), ("x" * 2000, "limit is"),
])
def test_search_refuses_unreadable_queries_with_the_reason(query: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_query(query)


@pytest.mark.parametrize(("text", "expected"), [
    ("1404-05-18", ("2025-08-09", "2025-08-10")),
    ("۱۴۰۴/۰۵/۱۸", ("2025-08-09", "2025-08-10")),
    ("۱۸ مرداد ۱۴۰۴", ("2025-08-09", "2025-08-10")),
    ("18 مرداد 1404", ("2025-08-09", "2025-08-10")),
    ("مرداد ۱۴۰۴", ("2025-07-23", "2025-08-23")),
    ("اسفند 1403", ("2025-02-19", "2025-03-21")),
    ("1404", ("2025-03-21", "2026-03-21")),
    ("2025-08-09", ("2025-08-09", "2025-08-10")),
    ("2024-02", ("2024-02-01", "2024-03-01")),
    ("2025-08-09T10:30:00+03:30", ("2025-08-09", "2025-08-10")),
])
def test_search_date_range_reads_jalali_and_gregorian(text: str, expected: tuple[str, str]) -> None:
    assert date_range(text) == expected


@pytest.mark.parametrize("text", ["", "دیروز", "1404-13-01", "1404-12-31", "32 مرداد 1404", "مرداد 2025", "abc"])
def test_search_date_refuses_what_is_not_a_date(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_date(text)


def test_search_json_shape() -> None:
    store = open_storage(":memory:")
    store.write([NewArticle.from_document(analyze("تورم کاهش یافت."), content_key="k")])
    hit = search(store, "تورم").results[0].to_dict()
    assert set(hit) == {"id", "title", "source", "published", "url", "snippet"}
    assert set(hit["snippet"]) == {"text", "highlights"}


@pytest.mark.parametrize("limit", [0, -1, 10_001, True, 1.5])
def test_search_refuses_a_bad_limit(limit: object) -> None:
    with pytest.raises(InvalidInput, match="limit"):
        search(open_storage(":memory:"), "تورم", limit=limit)  # type: ignore[arg-type]


def test_search_refuses_an_unknown_order() -> None:
    with pytest.raises(InvalidInput, match="sort"):
        search(open_storage(":memory:"), "تورم", sort="random")


def test_search_highlights_a_long_article_with_many_matches_quickly() -> None:
    import time

    text = "خبر فوری؛ " * 200_000
    t = time.perf_counter()
    spans = highlight_spans(text, parse_query("فوری").terms)
    assert len(spans) == 200_000 and time.perf_counter() - t < 10
