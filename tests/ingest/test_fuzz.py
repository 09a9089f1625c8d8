"""Whatever the bytes, reading yields results and never raises."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khabar.ingest import Failure, FieldMap, RawArticle, read_sources
from khabar.ingest.readers import read_bytes

MARKUP = st.sampled_from(["<p>", "</p>", "<html>", "<?xml version='1.0'?>", "<rss>", "<item>", "<description>",
                          "&amp;", "&zwnj;", "<!DOCTYPE x [<!ENTITY a 'b'>]>", "{", "}", '"text":', ",", "\n",
                          "خبر", "می‌کند", "ي", "\x00", "\ufeff", "<meta charset='windows-1256'>", "\u200c"])
DOCS = st.one_of(st.binary(max_size=2000),
                 st.lists(MARKUP, max_size=60).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass")))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=DOCS, kind=st.sampled_from([None, "text", "html", "feed", "jsonl", "csv"]))
def test_read_bytes_never_raises(data: bytes, kind: str | None) -> None:
    results = list(read_bytes(data, "x", kind=kind, fields=FieldMap()))
    assert results
    assert all(isinstance(r, (RawArticle, Failure)) for r in results)
    assert all("\n" not in r.reason for r in results if isinstance(r, Failure))


def test_a_reader_bug_is_a_failure_and_the_run_goes_on(monkeypatch: object) -> None:
    import khabar.ingest.text as text_module

    def broken(text: str, origin: str) -> object:
        raise RuntimeError("bug")

    monkeypatch.setattr(text_module, "read_text", broken)  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "a.txt").write_text("خبر", encoding="utf-8")
        (Path(tmp) / "b.jsonl").write_text('{"text": "خبر دوم"}', encoding="utf-8")
        results = list(read_sources([str(Path(tmp) / "a.txt"), str(Path(tmp) / "b.jsonl")]))
    assert isinstance(results[0], Failure) and "internal error" in results[0].reason
    assert isinstance(results[1], RawArticle)


CORPUS = sorted(p for p in (Path(__file__).parents[2] / "fuzz" / "corpus").rglob("*") if p.is_file())


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_fuzz_corpus_replays_clean(path: Path) -> None:
    # The checks of fuzz/fuzz_readers.py, on its seeds and the inputs it stopped at (issue 16): whatever reader
    # the first byte picks, reading never raises, reasons are one line, fields are clean.
    from khabar.ingest import MAX_ARTICLE_CHARS, _checked
    from khabar.ingest.clean import clean_text

    data = path.read_bytes()
    for kind in ("html", "feed", "jsonl", "csv", None):
        for found in read_bytes(data[1:], "fuzz", kind=kind, fields=FieldMap()):
            assert isinstance(found, (RawArticle, Failure)), found
            r = _checked(found, MAX_ARTICLE_CHARS)
            if isinstance(r, Failure):
                assert "\n" not in r.reason, r
                continue
            for value in (r.text, r.title, r.url, r.author, r.outlet, r.published):
                if value is not None:
                    value.encode("utf-8")
                    assert clean_text(value) == value, (value,)
