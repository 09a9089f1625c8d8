"""The archive commands: ingest, search, show, person, export, stories, reanalyze."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from khabar.cli import main
from khabar.document import Document

ARTICLES = {
    "a.txt": "به گزارش ایسنا، وزیر اقتصاد امروز در نشست خبری گفت تورم تا پایان سال کاهش می یابد.",
    "b.txt": "علی رحیمی رئیس اتاق بازرگانی تهران در دیدار با سفیر چین درباره صادرات گفت و گو کرد.",
    "c.txt": "نمایشگاه بین المللی کتاب تهران فردا در مصلای امام خمینی آغاز به کار میکند.",
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def archive(tmp_path: Path, runner: CliRunner) -> str:
    folder = tmp_path / "src"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    db = str(tmp_path / "news.db")
    result = runner.invoke(main, ["ingest", str(folder), "--db", db, "--jobs", "1"])
    assert result.exit_code == 0, result.output
    return db


def test_cli_ingest_prints_a_summary(tmp_path: Path, runner: CliRunner, archive: str) -> None:
    result = runner.invoke(main, ["ingest", str(tmp_path / "src"), "--db", archive, "--jobs", "1", "--json"])
    summary = json.loads(result.output)
    assert (summary["added"], summary["duplicates"], summary["failed"]) == (0, 3, 0)


def test_cli_ingest_writes_a_report_of_failures(tmp_path: Path, runner: CliRunner) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 10)
    report = tmp_path / "failures.jsonl"
    result = runner.invoke(main, ["ingest", str(tmp_path / "empty.txt"), str(tmp_path / "binary.txt"),
                                  "--db", str(tmp_path / "x.db"), "--report", str(report), "--jobs", "1"])
    assert result.exit_code == 0
    assert "0 added" in result.output and "2 failed" in result.output
    assert len(report.read_text(encoding="utf-8").splitlines()) == 2


def test_cli_ingest_reads_stdin(tmp_path: Path, runner: CliRunner) -> None:
    db = str(tmp_path / "s.db")
    result = runner.invoke(main, ["ingest", "-", "--db", db, "--jobs", "1"], input=ARTICLES["a.txt"].encode())
    assert "1 added" in result.output


def test_cli_ingest_uses_khabar_db_from_the_environment(tmp_path: Path, runner: CliRunner) -> None:
    db = tmp_path / "env.db"
    runner.invoke(main, ["ingest", "-", "--jobs", "1"], input=ARTICLES["b.txt"].encode(), env={"KHABAR_DB": str(db)})
    assert db.exists()


def test_cli_search_json_has_the_documented_keys(runner: CliRunner, archive: str) -> None:
    result = runner.invoke(main, ["search", "می کند", "--db", archive, "--json"])
    assert result.exit_code == 0, result.output
    page = json.loads(result.output)
    assert set(page) == {"query", "total", "results", "facets", "next_cursor", "notes"}
    assert page["total"] == {"value": 1, "relation": "eq"} and page["next_cursor"] is None
    [hit] = page["results"]
    assert set(hit) == {"id", "title", "source", "published", "url", "snippet"}
    text, [(s, e)] = hit["snippet"]["text"], hit["snippet"]["highlights"]
    assert text[s:e] == "میکند"
    assert set(page["facets"]) == {"person", "org", "place", "source"}


@pytest.mark.parametrize("query", ['"', ")", "NEAR(", "*", "تورم OR", "title:تورم"])
def test_cli_search_hostile_query_gives_a_message_not_a_traceback(runner: CliRunner, archive: str,
                                                                   query: str) -> None:
    result = runner.invoke(main, ["search", query, "--db", archive])
    assert result.exit_code in (0, 1)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def test_cli_search_reads_a_place_facet_and_jalali_dates(runner: CliRunner, archive: str) -> None:
    result = runner.invoke(main, ["search", "", "--place", "تهران", "--since", "۱ فروردین ۱۳۰۰", "--db", archive,
                                  "--json"])
    assert result.exit_code == 0, result.output
    assert isinstance(json.loads(result.output)["results"], list)


def test_cli_search_bad_date_is_a_clear_error(runner: CliRunner, archive: str) -> None:
    result = runner.invoke(main, ["search", "تورم", "--since", "دیروز", "--db", archive])
    assert result.exit_code == 1 and "is not a date" in result.output


def test_cli_search_without_an_archive(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["search", "تورم", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no archive here" in result.output


def test_cli_search_on_a_file_that_is_not_an_archive(tmp_path: Path, runner: CliRunner) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"\x89PNG\r\n" + bytes(2000))
    result = runner.invoke(main, ["search", "تورم", "--db", str(bad)])
    assert result.exit_code == 1 and "not an SQLite database" in result.output


def test_cli_show_prints_an_article(runner: CliRunner, archive: str) -> None:
    result = runner.invoke(main, ["show", "1", "--db", archive])
    assert result.exit_code == 0 and "وزیر اقتصاد" in result.output


def test_cli_show_json_round_trips(runner: CliRunner, archive: str) -> None:
    data = json.loads(runner.invoke(main, ["show", "2", "--db", archive, "--json"]).output)
    assert data["article"]["id"] == 2
    assert Document.from_dict(data).to_dict() == {k: v for k, v in data.items() if k != "article"}


def test_cli_show_unknown_id(runner: CliRunner, archive: str) -> None:
    result = runner.invoke(main, ["show", "99", "--db", archive])
    assert result.exit_code == 1 and "no article 99" in result.output


def test_cli_person_unknown_name(runner: CliRunner, archive: str) -> None:
    result = runner.invoke(main, ["person", "ناشناس", "--db", archive])
    assert result.exit_code == 1 and "no person named" in result.output


def test_cli_person_json(runner: CliRunner, archive: str) -> None:
    from khabar.archive.storage import open_storage

    with open_storage(archive) as store:
        people = store.entities(key="رحیمی", labels=("PER",))
    if not people:
        pytest.skip("the entities stage did not find علی رحیمی")
    profile = json.loads(runner.invoke(main, ["person", "رحیمی", "--db", archive, "--json"]).output)
    assert profile["article_count"] == 1 and profile["articles"][0]["id"] == 2


def test_cli_export_jsonl_to_stdout_round_trips(runner: CliRunner, archive: str) -> None:
    result = runner.invoke(main, ["export", "--db", archive])
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == 3
    for line in lines:
        assert Document.from_dict(line).to_dict() == {k: v for k, v in line.items() if k != "article"}
        assert line["article"]["id"] >= 1


def test_cli_export_csv_file(tmp_path: Path, runner: CliRunner, archive: str) -> None:
    out = tmp_path / "out.csv"
    result = runner.invoke(main, ["export", "--format", "csv", "--output", str(out), "--db", archive])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == ["1", "2", "3"] and "تورم" in rows[0]["text"]


def test_cli_export_parquet(tmp_path: Path, runner: CliRunner, archive: str) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "out.parquet"
    result = runner.invoke(main, ["export", "--format", "parquet", "-o", str(out), "--db", archive])
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.num_rows == 3
    assert json.loads(table.column("document")[0].as_py())["raw_text"] == ARTICLES["a.txt"]


def test_cli_export_to_an_unwritable_path(tmp_path: Path, runner: CliRunner, archive: str) -> None:
    result = runner.invoke(main, ["export", "-o", str(tmp_path / "no" / "dir" / "x.jsonl"), "--db", archive])
    assert result.exit_code == 1 and "cannot write" in result.output


def test_cli_stories_lists_clusters(runner: CliRunner, archive: str) -> None:
    result = runner.invoke(main, ["stories", "--db", archive, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []  # three unrelated articles: no story has two


def test_cli_restore_only_then_reanalyze(tmp_path: Path, runner: CliRunner) -> None:
    db = str(tmp_path / "r.db")
    runner.invoke(main, ["ingest", "-", "--db", db, "--restore-only", "--jobs", "1"], input=ARTICLES["b.txt"].encode())
    result = runner.invoke(main, ["reanalyze", "--db", db, "--jobs", "1"])
    assert result.exit_code == 0 and "1 articles reanalyzed" in result.output
    show = json.loads(runner.invoke(main, ["show", "1", "--db", db, "--json"]).output)
    assert show["article"]["analysis"] == "full"


@pytest.mark.parametrize("spec", ["text", "colour=body", "=body"])
def test_cli_ingest_refuses_a_bad_field_map(tmp_path: Path, runner: CliRunner, spec: str) -> None:
    result = runner.invoke(main, ["ingest", "-", "--field", spec, "--db", str(tmp_path / "f.db")], input=b"x")
    assert result.exit_code == 2 and "field" in result.output


def test_cli_ingest_into_a_missing_folder(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["ingest", "-", "--db", str(tmp_path / "no" / "x.db")], input="خبر".encode())
    assert result.exit_code == 1 and "does not exist" in result.output


def test_cli_export_an_empty_archive(tmp_path: Path, runner: CliRunner) -> None:
    from khabar.archive.storage import open_storage

    open_storage(tmp_path / "e.db").close()
    result = runner.invoke(main, ["export", "--db", str(tmp_path / "e.db")])
    assert result.exit_code == 0 and result.output == ""


def test_cli_ingest_waits_for_another_writer_past_five_seconds(tmp_path: Path, runner: CliRunner, archive: str) -> None:
    # Another ingest writing the same SQLite archive holds its write lock batch after batch; an
    # ingest that gave up after SQLite's default five seconds failed as "locked" (two ingests of
    # 3,000 articles each at once). It waits as long as its workers do.
    import sqlite3
    import threading
    import time

    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "d.txt").write_text("بانک مرکزی امروز نرخ تازه ارز را اعلام کرد و بازار آرام ماند.", encoding="utf-8")
    holder = sqlite3.connect(archive, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(6.0, lambda: holder.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    try:
        result = runner.invoke(main, ["ingest", str(folder), "--db", archive, "--jobs", "1"])
    finally:
        release.join()
        holder.close()
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started > 5.5
    assert "1 added" in result.output
