"""Coverage-guided fuzzing of the HTML, feed and tabular readers with atheris (issue 16). Run by hand:

    .venv/bin/pip install atheris          # or: pip install --group fuzz
    mkdir -p /tmp/fuzz-work    # libFuzzer adds what it finds to the first folder: keep the seeds clean
    .venv/bin/python fuzz/fuzz_readers.py /tmp/fuzz-work fuzz/corpus/html fuzz/corpus/feed fuzz/corpus/tabular \\
        -atheris_runs=200000 -max_len=65536 -rss_limit_mb=2048 -timeout=20

The first byte of an input picks the reader (html, feed, jsonl, csv, or sniffed), the rest is the
source's bytes. A crash is any exception out of ``read_bytes`` (it must never raise: ``read_sources``
would turn it into a failure, and the page or dump would be lost), a result that is neither an article
nor a failure, or, once through the last check every result of ``read_sources`` passes
(``khabar.ingest._checked``: fields cleaned, size limit), a field holding what storage or a terminal
cannot take or a reason on several lines; or a read slower than ``-timeout``. libFuzzer writes a crashing input to ``crash-*``:
add it to the corpus and make it a regression test in tests/ingest/test_hostile.py.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from khabar.ingest import MAX_ARTICLE_CHARS, Failure, FieldMap, RawArticle, _checked
    from khabar.ingest.clean import clean_text
    from khabar.ingest.readers import read_bytes

KINDS = ("html", "feed", "jsonl", "csv", None)
FIELDS = FieldMap()


def test_one_input(data: bytes) -> None:
    if not data:
        return
    kind = KINDS[data[0] % len(KINDS)]
    results = list(read_bytes(data[1:], "fuzz", kind=kind, fields=FIELDS))
    for found in results:
        assert isinstance(found, (RawArticle, Failure)), found
        r = _checked(found, MAX_ARTICLE_CHARS)
        if isinstance(r, Failure):
            assert "\n" not in r.reason, r
            continue
        for value in (r.text, r.title, r.url, r.author, r.outlet, r.published):
            if value is not None:
                value.encode("utf-8")  # no lone surrogate
                assert clean_text(value) == value, (value,)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
