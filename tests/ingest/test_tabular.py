"""JSONL and CSV dumps: field maps, bad lines and rows, missing columns, encodings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from khabar.ingest import Failure, FieldMap, RawArticle, read_sources

ROW = {"text": "به گزارش ایلنا، کارگران پتروشیمی امروز در اعتراض به تاخیر در پرداخت حقوق تجمع کردند.",
       "title": "تجمع کارگران پتروشیمی", "url": "https://www.ilna.ir/news/9?utm_campaign=x",
       "published": "۱۴۰۳/۰۷/۲۴", "author": "سرویس کارگری", "outlet": "ایلنا"}


def write(tmp_path: Path, name: str, content: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return path


def read(path: Path, fields: str | None = None) -> list[RawArticle | Failure]:
    return list(read_sources([str(path)], fields=FieldMap.parse(fields) if fields else None))


def test_jsonl_line_becomes_an_article(tmp_path: Path) -> None:
    path = write(tmp_path, "d.jsonl", json.dumps(ROW, ensure_ascii=False) + "\n")
    [article] = read(path)
    assert article == RawArticle(text=ROW["text"], origin=f"{path}#1", kind="jsonl", title=ROW["title"],
                                 url="https://www.ilna.ir/news/9", published="2024-10-15", author="سرویس کارگری",
                                 outlet="ایلنا")


def test_garbage_jsonl_lines_fail_alone(tmp_path: Path) -> None:
    good = json.dumps(ROW, ensure_ascii=False)
    lines = [good, "{not json", "", "[1, 2]", '"رشته"', '{"title": "بدون متن"}', '{"text": "   "}', good, "\x00\x01"]
    path = write(tmp_path, "d.jsonl", "\n".join(lines))
    results = read(path)
    kinds = [(type(r).__name__, r.origin.rsplit("#", 1)[1]) for r in results]
    assert kinds == [("RawArticle", "1"), ("Failure", "2"), ("Failure", "4"), ("Failure", "5"), ("Failure", "6"),
                     ("Failure", "7"), ("RawArticle", "8"), ("Failure", "9")]
    reasons = [r.reason for r in results if isinstance(r, Failure)]
    assert all(reason and "\n" not in reason for reason in reasons)
    assert "no 'text' field" in reasons[3] and "title" in reasons[3]


def test_jsonl_field_map_and_nested_keys(tmp_path: Path) -> None:
    line = {"body": "متن خبر درباره بارش باران", "meta": {"headline": "باران", "date": "2024-10-15T10:00:00+03:30"},
            "source": "مهر"}
    path = write(tmp_path, "d.jsonl", json.dumps(line, ensure_ascii=False))
    [article] = read(path, "text=body,title=meta.headline,published=meta.date,outlet=source")
    assert (article.text, article.title, article.published, article.outlet) == (  # type: ignore[union-attr]
        "متن خبر درباره بارش باران", "باران", "2024-10-15T10:00:00+03:30", "مهر")


def test_json_array_file(tmp_path: Path) -> None:
    path = write(tmp_path, "d.json", json.dumps([ROW, {"x": 1}], ensure_ascii=False))
    results = read(path)
    assert [type(r).__name__ for r in results] == ["RawArticle", "Failure"]
    assert results[1].origin == f"{path}#2"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_jsonl_in_other_encodings(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, "d.jsonl", json.dumps(ROW, ensure_ascii=False), encoding)
    [article] = read(path)
    assert isinstance(article, RawArticle) and article.text == ROW["text"]


def test_csv_rows_become_articles(tmp_path: Path) -> None:
    content = ('id,headline,body,date\n1,تجمع کارگران,"متن اول، با ویرگول\nو خط دوم",2024-10-15\n'
               "2,خبر دوم,متن دوم,۱۴۰۳/۰۷/۲۴\n")
    path = write(tmp_path, "d.csv", content)
    results = read(path, "text=body,title=headline,published=date")
    assert [r.origin for r in results] == [f"{path}#2", f"{path}#4"]  # the line each row starts on
    assert results[0].text == "متن اول، با ویرگول\nو خط دوم"  # type: ignore[union-attr]
    assert [r.published for r in results] == ["2024-10-15", "2024-10-15"]  # type: ignore[union-attr]
    assert all(r.kind == "csv" for r in results)  # type: ignore[union-attr]


@pytest.mark.parametrize(("name", "sep"), [("d.tsv", "\t"), ("d.csv", ";")])
def test_csv_delimiter_is_detected(tmp_path: Path, name: str, sep: str) -> None:
    path = write(tmp_path, name, f"title{sep}text\nعنوان{sep}متن خبر\n")
    [article] = read(path)
    assert (article.title, article.text) == ("عنوان", "متن خبر")  # type: ignore[union-attr]


def test_csv_without_the_mapped_column_fails_once(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "id,headline,body\n1,الف,ب\n2,ج,د\n")
    [failure] = read(path)
    assert isinstance(failure, Failure)
    assert failure.reason.startswith("no 'text' column (columns: id, headline, body)")
    [failure] = read(path, "text=content")
    assert "no 'content' column" in failure.reason  # type: ignore[union-attr]


def test_csv_row_with_empty_text_fails_alone(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,text\nالف,\nب,متن\nج\n")
    results = read(path)
    assert [type(r).__name__ for r in results] == ["Failure", "RawArticle", "Failure"]


def test_csv_header_only_is_a_failure(tmp_path: Path) -> None:
    [failure] = read(write(tmp_path, "d.csv", "title,text\n"))
    assert isinstance(failure, Failure) and "no rows" in failure.reason


def test_csv_in_windows_1256(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "title,text\nخبر,متن خبر از همشهري\n", "cp1256")
    [article] = read(path)
    assert isinstance(article, RawArticle) and article.text == "متن خبر از همشهري"


def test_large_csv_cell(tmp_path: Path) -> None:
    body = "خبر " * 100_000  # 400 KB in one cell, over csv's default field limit
    [article] = read(write(tmp_path, "d.csv", f'title,text\nالف,"{body}"\n'))
    assert isinstance(article, RawArticle) and len(article.text) > 300_000


def test_sample_jsonl(samples: Path) -> None:
    results = list(read_sources([str(samples / "07-news-dump.jsonl")]))
    assert len(results) == 6 and all(isinstance(r, RawArticle) and r.outlet and r.published for r in results)


def test_jsonl_with_undecodable_and_deep_lines(tmp_path: Path) -> None:
    good = json.dumps(ROW, ensure_ascii=False).encode()
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\n".join([good, b'{"text": "\xff\xfe\xfa broken"}', b"[" * 100_000, good]))
    results = read(path)
    assert [type(r).__name__ for r in results] == ["RawArticle", "Failure", "Failure", "RawArticle"]
    assert "cannot decode" in results[1].reason and "nested" in results[2].reason  # type: ignore[union-attr]


def test_binary_file_named_jsonl_is_one_failure(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(bytes(range(256)) * 100)
    [failure] = read(path)
    assert isinstance(failure, Failure) and failure.origin == str(path)


def test_pretty_printed_json_object_is_one_article(tmp_path: Path) -> None:
    path = write(tmp_path, "a.json", json.dumps(ROW, ensure_ascii=False, indent=2))
    [article] = read(path)
    assert isinstance(article, RawArticle) and article.text == ROW["text"] and article.origin == f"{path}#1"


def test_json_object_holding_a_list_of_articles(tmp_path: Path) -> None:
    dump = {"source": "ایلنا", "items": [ROW, {"text": "خبر دوم"}, {"title": "بی متن"}]}
    path = write(tmp_path, "a.json", json.dumps(dump, ensure_ascii=False, indent=1))
    results = read(path)
    assert [type(r).__name__ for r in results] == ["RawArticle", "RawArticle", "Failure"]
    assert results[2].origin == f"{path}#3"
