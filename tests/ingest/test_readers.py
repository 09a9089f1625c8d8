"""read_sources: dispatch by kind, directories, stdin, size limits, encodings and bad input."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from khabar.ingest import ARTICLE_FIELDS, Failure, FieldMap, RawArticle, read_sources

TEXT = "به گزارش ایسنا، وزیر آموزش و پرورش امروز از استخدام ۲۰ هزار معلم جدید خبر داد."


def _one(path: Path, **kw: object) -> RawArticle | Failure:
    results = list(read_sources([str(path)], **kw))  # type: ignore[arg-type]
    assert len(results) == 1, results
    return results[0]


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("utf-16-le", b"\xff\xfe"),
     ("utf-16-be", b"\xfe\xff"), ("cp1256", b"")],
)
def test_read_text_file_in_each_encoding(tmp_path: Path, encoding: str, prefix: str) -> None:
    # Windows-1256 has only the Arabic yeh and no Persian digits.
    text = TEXT.replace("ی", "ي").replace("۲۰", "20") if encoding == "cp1256" else TEXT
    path = tmp_path / "a.txt"
    path.write_bytes(prefix + text.encode(encoding))
    result = _one(path)
    assert isinstance(result, RawArticle)
    assert (result.text, result.kind, result.origin) == (text, "text", str(path))


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b" \n\t \r\n", "empty"),
        ("empty.html", b"", "empty"),
        ("empty.xml", b"", "empty"),
        ("empty.jsonl", b"\n\n", "empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00" + bytes(range(256)), "binary"),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00" + bytes(range(256)), "binary"),
        ("archive.html", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4, "binary"),
        ("noise.dat", bytes(range(256)) * 64, "cannot decode"),
        ("nul.txt", "خبر".encode() + b"\x00\x00\x01\x02" + "ادامه".encode(), "binary"),
        ("latin.txt", "Grüße aus Köln, ça va?".encode("latin-1"), "cannot decode"),
    ],
)
def test_bad_file_is_a_failure_with_reason(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    result = _one(path)
    assert isinstance(result, Failure)
    assert reason in result.reason
    assert "\n" not in result.reason
    assert result.origin == str(path)


def test_file_over_max_bytes_is_refused_without_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:  # sparse: 100 MB + 1 byte of size, no disk used
        handle.truncate(100 * 2**20 + 1)

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_reading)
    result = _one(path)
    assert isinstance(result, Failure)
    assert "104,857,601 bytes is over the 104,857,600-byte limit" in result.reason


def test_max_bytes_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(TEXT, encoding="utf-8")
    assert isinstance(_one(path, max_bytes=10), Failure)
    assert isinstance(_one(path, max_bytes=10_000), RawArticle)


def test_missing_path_is_a_failure(tmp_path: Path) -> None:
    result = _one(tmp_path / "nope.txt")
    assert result == Failure(str(tmp_path / "nope.txt"), "no such file or directory")


def test_non_string_source_is_a_failure() -> None:
    results = list(read_sources([b"a.txt"]))  # type: ignore[list-item]
    assert isinstance(results[0], Failure) and "not bytes" in results[0].reason


def test_directory_is_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    for rel in ("b/2.txt", "a.txt", "b/1.txt", "c/d/e.txt", ".git/HEAD", "b/.DS_Store"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"خبر {rel}", encoding="utf-8")
    origins = [r.origin for r in read_sources([str(tmp_path)])]
    assert origins == [str(tmp_path / r) for r in ("a.txt", "b/1.txt", "b/2.txt", "c/d/e.txt")]


def test_directory_symlink_loop_does_not_hang(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("خبر", encoding="utf-8")
    os.symlink(tmp_path, tmp_path / "loop")
    assert [r.origin for r in read_sources([str(tmp_path)])] == [str(tmp_path / "a.txt")]


def test_read_twice_gives_the_same_sequence(samples: Path) -> None:
    assert list(read_sources([str(samples)])) == list(read_sources([str(samples)]))


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ("وزیر امور خارجه امروز به مسکو رفت.".encode(), "text"),
        ("<!DOCTYPE html><html><body><article><p>" + TEXT * 3 + "</p></article></body></html>", "html"),
        ('{"text": "خبر اول"}\n{"text": "خبر دوم"}\n', "jsonl"),
        ("title,text\nالف,خبر اول\nب,خبر دوم\n", "csv"),
        ("عنوان,متن\nخبر اول, و دوم\n", "text"),  # no text column named: plain text
    ],
)
def test_stdin_kind_is_sniffed(data: bytes | str, kind: str) -> None:
    raw = data.encode() if isinstance(data, str) else data
    results = list(read_sources(["-"], stdin=io.BytesIO(raw)))
    assert results and all(isinstance(r, RawArticle) and r.kind == kind for r in results)
    assert results[0].origin.startswith("<stdin>")


def test_stdin_over_max_bytes_is_refused() -> None:
    results = list(read_sources(["-"], stdin=io.BytesIO(b"x" * 101), max_bytes=100))
    assert isinstance(results[0], Failure) and "over the 100-byte limit" in results[0].reason


def test_unknown_extension_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "page.dat"
    path.write_text("<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><item>"
                    "<title>خبر</title><description>متن خبر</description></item></channel></rss>", encoding="utf-8")
    assert _one(path).kind == "feed"  # type: ignore[union-attr]


def test_samples_read_without_failures(samples: Path) -> None:
    results = list(read_sources([str(samples)]))
    assert [r for r in results if isinstance(r, Failure)] == []
    kinds = {r.kind for r in results}  # type: ignore[union-attr]
    assert kinds == {"text", "html", "feed", "jsonl"}
    assert 15 <= len(results) <= 25


def test_field_map_rejects_unknown_fields() -> None:
    with pytest.raises(ValueError, match="unknown article field"):
        FieldMap.parse("body=text")
    with pytest.raises(ValueError, match="FIELD=COLUMN"):
        FieldMap.parse("text")
    assert set(ARTICLE_FIELDS) == {"text", "title", "url", "published", "author", "outlet"}


def test_utf8_file_with_a_corrupt_byte_is_not_read_as_mojibake(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    data = TEXT.encode()
    path.write_bytes(data[:40] + b"\xff" + data[40:])
    result = _one(path)
    assert isinstance(result, Failure)
    assert result.reason.startswith("invalid UTF-8 at byte offset 40 in a file that is otherwise UTF-8")


def test_saved_page_assets_are_skipped_and_counted(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        "<html><body><article><p>" + TEXT * 3 + "</p></article></body></html>", encoding="utf-8")
    assets = tmp_path / "page_files"
    assets.mkdir()
    for name in ("style.css", "app.js", "logo.png", "font.woff2", "b.css"):
        (assets / name).write_bytes(b"body{}")
    results = list(read_sources([str(tmp_path)]))
    assert [type(r).__name__ for r in results] == ["RawArticle", "Failure"]
    assert results[1] == Failure(str(tmp_path), "skipped 5 files that are page assets, not articles "
                                                "(2 .css, 1 .js, 1 .png, 1 .woff2)")


def test_text_without_persian_is_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Meeting notes: nothing here is Persian.", encoding="utf-8")
    result = _one(path)
    assert isinstance(result, Failure) and "no Persian" in result.reason
