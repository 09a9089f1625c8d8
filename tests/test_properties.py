"""Properties that must hold for any input (issue 16), checked by Hypothesis: 100 cases each in CI, and
25,000 each with ``--hypothesis-profile=deep`` (run by hand; see tests/conftest.py).

- ``restore``/``analyze`` raise nothing but ``InvalidInput`` (lone surrogates included), their spans
  point into the text and the raw text, and ``analyze`` restores as ``restore`` does;
- every span's raw text is its restored text before restoration: restored alone, the two fold to the
  same key (whitespace and format characters aside, which restoration may add or drop);
- restoring twice changes nothing;
- the JSONL, CSV, feed and HTML readers never lose a valid record beside a bad one.
"""

from __future__ import annotations

import json
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import khabar
from khabar.errors import InvalidInput
from khabar.ingest import Failure, FieldMap, RawArticle, read_sources
from khabar.ingest.clean import clean_text
from khabar.ingest.readers import read_bytes
from khabar.text.fold import fold

# Pieces of damaged Persian news, and what hostile input adds: controls, surrogates, joiners, markup.
PIECES = ["می", " ", "کند", "\u200c", "\u200d", "ي", "ك", "۱۲", "٤", ".", "،", "«", "»", ":", "\n", "گفت", "علی",
          "رئیس", "جمهور", "ـ", "\u064e", "به گزارش ایسنا،", "👨", "\ufeff", "\r", "(", ")", "۱۴۰۴/۰۵/۱۸", "امروز",
          "بیست‌وسوم", "http://a.ir/x", "\ud800", "\udfff", "\x00", "\x1b[2J", "\u202e", "هـا", "وزیر", "تهران", "«"]
TEXT = st.one_of(st.text(alphabet=st.characters(codec=None, categories=None), max_size=200),
                 st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
PERSIAN = st.lists(st.sampled_from([p for p in PIECES if p.isprintable() and "\ud800" not in p and "\udfff" not in p]
                                   + [" ", "\u200c", "ها", "ی", "ای"]), max_size=40).map("".join)


@given(TEXT)
def test_property_restore_and_analyze_raise_only_invalid_input(text: str) -> None:
    try:
        restored = khabar.restore(text)
    except InvalidInput:
        with pytest.raises(InvalidInput):
            khabar.analyze(text)
        return
    doc = khabar.analyze(text)
    assert doc.text == restored
    d = doc.to_dict()
    for key in ("sentences", "tokens", "mentions", "dates"):
        for span in d[key]:
            assert d["text"][span["start"]:span["end"]] == span["text"], (key, span)
            assert 0 <= span["raw_start"] <= span["raw_end"] <= len(d["raw_text"]), (key, span)
            raw = d["raw_text"][span["raw_start"]:span["raw_end"]]
            assert _key(raw) == _key(span["text"]), (key, span, raw)


def _key(text: str) -> str:
    """Letters as restoration and the search fold see them (letter variants the normalizer maps, such as
    ``ې``, included); whitespace and format characters aside."""
    return "".join(c for c in fold(khabar.restore(text)) if not c.isspace() and unicodedata.category(c) != "Cf")


@given(PERSIAN)
def test_property_restore_is_idempotent(text: str) -> None:
    once = khabar.restore(text)
    assert khabar.restore(once) == once


FIELD = st.one_of(st.text(max_size=20), st.sampled_from(["\udfff", "a\ud800b", "\x1b[31m", "\x00", "تیتر"]))
GOOD = st.fixed_dictionaries({"text": st.text(alphabet="خبرتهرانوزیر ", min_size=1, max_size=40)
                              .filter(lambda t: t.strip())},
                             optional={"title": FIELD, "url": FIELD.map(lambda v: "https://a.ir/" + v),
                                       "author": FIELD, "outlet": FIELD, "published": FIELD})
BAD_LINE = st.sampled_from(['{"text": ', "[1, 2]", '{"body": "x"}', '{"text": ""}', "not json", '{"text": 5e999}',
                            "[" * 5000, '{"text": "\\ud800"'])


@given(st.lists(st.one_of(GOOD.map(lambda r: ("good", json.dumps(r))), BAD_LINE.map(lambda b: ("bad", b))),
                min_size=1, max_size=12))
def test_property_jsonl_never_loses_a_valid_record(lines: list[tuple[str, str]]) -> None:
    data = "\n".join(line for _, line in lines).encode("utf-8", "surrogatepass")
    results = list(read_bytes(data, "d.jsonl", kind="jsonl", fields=FieldMap()))
    articles = {r.origin for r in results if isinstance(r, RawArticle)}
    for number, (kind, _) in enumerate(lines, 1):
        if kind == "good":
            assert f"d.jsonl#{number}" in articles, (number, results)
    for r in results:
        if isinstance(r, RawArticle):
            for value in (r.text, r.title, r.url, r.author, r.outlet, r.published):
                assert value is None or (clean_text(value) == value and value.encode("utf-8"))


ROW_TEXT = st.text(alphabet="خبرتهرانوزیر ", min_size=1, max_size=30).filter(lambda t: t.strip())
BAD_ROW = st.sampled_from(['x,"بدون پایان', 'x,"بسته"بعد', 'x,"a""b'])


@given(st.lists(st.one_of(ROW_TEXT.map(lambda t: ("good", "t," + t)), BAD_ROW.map(lambda b: ("bad", b))),
                min_size=1, max_size=12))
def test_property_csv_never_loses_a_valid_row(rows: list[tuple[str, str]]) -> None:
    data = ("title,text\n" + "\n".join(row for _, row in rows) + "\n").encode()
    results = list(read_bytes(data, "d.csv", kind="csv", fields=FieldMap()))
    articles = {r.origin: r for r in results if isinstance(r, RawArticle)}
    for number, (kind, row) in enumerate(rows, 2):
        if kind == "good":
            assert f"d.csv#{number}" in articles, (number, results)
            assert articles[f"d.csv#{number}"].text == row[2:].strip()
    # Nothing merged: no article holds two rows.
    assert all("\n" not in a.text for a in articles.values())


ITEM_TEXT = st.text(alphabet="خبرتهرانوزیر <>&;'\"", min_size=1, max_size=30).filter(lambda t: t.strip())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@given(st.lists(st.one_of(ITEM_TEXT.map(lambda t: ("good", f"<item><title>t</title><description>{_escape(t)} خبر"
                                                            "</description></item>")),
                          st.sampled_from(["<item><title>بی متن</title></item>",
                                           "<item><description>&#x1b;[2J</description></item>",
                                           "<item " + " ".join(f'a{i}="1"' for i in range(300))
                                           + "><description>خبر پرویژگی</description></item>"])
                          .map(lambda b: ("bad", b))), min_size=1, max_size=10))
def test_property_feed_never_loses_a_valid_item(items: list[tuple[str, str]]) -> None:
    feed = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>خبرگزاری</title>'
            + "".join(item for _, item in items) + "</channel></rss>")
    results = list(read_bytes(feed.encode(), "f.xml", kind="feed", fields=FieldMap()))
    articles = {r.origin for r in results if isinstance(r, RawArticle)}
    for number, (kind, _) in enumerate(items, 1):
        if kind == "good":
            assert f"f.xml#{number}" in articles, (number, results)
    assert all(isinstance(r, (RawArticle, Failure)) for r in results)


WORDS = ["تورم", "بازار", "دولت", "مجلس", "وزیر", "تهران", "بورس", "نفت", "گفت", "امروز"]
PAGE_TEXT = st.lists(st.lists(st.sampled_from(WORDS), min_size=8, max_size=30).map(" ".join), min_size=2, max_size=4)
BAD_PAGE = st.sampled_from([b"", b"\x00\x01\x02binary", b"\xff\xfe\x00\xd8", b"<html><body><p>" + b"\x81" * 50,
                            b"<html><body>" + b"<div a='1'>" * 5000, b"<p " + b" ".join(b"a%d='v'" % i for i in range(3000))
                            + b">x</p>", b"<html><head><title>\x1b[2J</title></head><body></body></html>",
                            b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a '&#38;#38;'>]><rss><channel>&a;</channel></rss>"])


def _page(paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}.</p>" for p in paragraphs)
    return (f"<html><head><meta charset='utf-8'><title>تیتر</title></head><body><article><h1>تیتر</h1>{body}"
            "</article></body></html>").encode()


@given(st.lists(st.one_of(PAGE_TEXT.map(lambda t: (t, _page(t))), BAD_PAGE.map(lambda b: ([], b))),
                min_size=1, max_size=8))
def test_property_html_folder_never_loses_a_valid_page(pages: list[tuple[list[str], bytes]]) -> None:
    # A folder of pages, some empty, binary, wrongly encoded, nested or attribute floods: every good one read.
    with tempfile.TemporaryDirectory() as tmp:
        for number, (_, data) in enumerate(pages):
            (Path(tmp) / f"{number:02d}.html").write_bytes(data)
        results = list(read_sources([tmp]))
        articles = {Path(r.origin).name: r for r in results if isinstance(r, RawArticle)}
        for number, (paragraphs, _) in enumerate(pages):
            if paragraphs:
                article = articles.get(f"{number:02d}.html")
                assert article is not None, (number, results)
                assert all(p in article.text for p in paragraphs), (paragraphs, article.text)
        assert len(results) == len(pages), results  # one result per page: nothing merged, nothing skipped
