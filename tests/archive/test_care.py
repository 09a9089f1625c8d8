"""Looking after the archive (issue 16): outputs never over the archive or an input and never half
written, reports of concurrent runs kept, damaged pages found (khabar check) and what is left
salvaged, consistent online backups, and one-line errors at the archive's edges."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from khabar.archive import Archive
from khabar.cli import main

EXE = str(Path(sys.executable).parent / "khabar")
TEXTS = [f"خبر شماره {i}: وزیر اقتصاد امروز در نشست خبری گفت تورم تا پایان سال {i} درصد کاهش می یابد."
         for i in range(40)]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    for i, text in enumerate(TEXTS):
        (folder / f"{i:03d}.txt").write_text(text, encoding="utf-8")
    db = tmp_path / "news.db"
    result = CliRunner().invoke(main, ["ingest", str(folder), "--db", str(db), "--jobs", "1", "--restore-only"])
    assert result.exit_code == 0, result.output
    return db


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_export_over_the_archive_is_refused_and_the_archive_kept(archive: Path, suffix: str) -> None:
    # Issue 16, item 1: `export --db a.db -o a.db` truncated the archive to 0 bytes.
    before = archive.stat().st_size
    code, out = _invoke("export", "--db", str(archive), "-o", f"{archive}{suffix}")
    assert code == 1 and "the archive's own file" in out
    assert archive.stat().st_size == before
    assert _invoke("search", "تورم", "--db", str(archive), "--json")[0] == 0


def test_export_through_a_symlink_to_the_archive_is_refused(archive: Path, tmp_path: Path) -> None:
    (tmp_path / "link.jsonl").symlink_to(archive)
    code, out = _invoke("export", "--db", str(archive), "-o", str(tmp_path / "link.jsonl"))
    assert code == 1 and "the archive's own file" in out


@pytest.mark.parametrize("target", ["archive", "input", "inside-input"])
def test_report_over_the_archive_or_an_input_is_refused(archive: Path, tmp_path: Path, target: str) -> None:
    src = tmp_path / "src"
    path = {"archive": archive, "input": src / "000.txt", "inside-input": src / "report.jsonl"}[target]
    kept = path.read_bytes() if path.exists() else None
    code, out = _invoke("ingest", str(src), "--db", str(archive), "--report", str(path), "--jobs", "1")
    assert code == 1 and ("own file" in out or "input" in out), out
    assert (path.read_bytes() if path.exists() else None) == kept


def test_export_to_a_missing_folder_is_one_line(archive: Path, tmp_path: Path) -> None:
    for fmt in ("jsonl", "parquet"):
        code, out = _invoke("export", "--format", fmt, "--db", str(archive), "-o", str(tmp_path / "no" / "x"))
        assert code == 1 and "does not exist" in out and len(out.strip().splitlines()) == 1


def test_a_failed_export_keeps_the_old_file(archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import khabar.archive.export as export

    out = tmp_path / "out.jsonl"
    out.write_text("the old export\n", encoding="utf-8")

    def broken(article: object) -> dict[str, object]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "flat_row", broken)
    code, text = _invoke("export", "--format", "csv", "--db", str(archive), "-o", str(out))
    assert code == 1 and "No space left on device" in text
    assert out.read_text(encoding="utf-8") == "the old export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []


def test_parquet_export_streams_to_a_pipe_in_row_groups(archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    import io

    import khabar.archive.export as export

    proc = subprocess.run([EXE, "export", "--format", "parquet", "--db", str(archive)], capture_output=True,
                          timeout=120, env={**os.environ, "KHABAR_DB": str(archive)})
    assert proc.returncode == 0, proc.stderr
    assert pq.read_table(io.BytesIO(proc.stdout)).num_rows == len(TEXTS)
    monkeypatch.setattr(export, "PARQUET_PART_ROWS", 1)
    monkeypatch.setattr(export, "PARQUET_BATCH_BYTES", 10_000)  # a few articles a row group
    out = io.BytesIO()
    with Archive.open(archive) as arch:
        assert export.export_parquet(arch.storage, out) == len(TEXTS)
    parquet = pq.ParquetFile(io.BytesIO(out.getvalue()))
    assert parquet.metadata.num_row_groups > 3 and parquet.metadata.num_rows == len(TEXTS)
    assert json.loads(parquet.read().column("document")[0].as_py())["raw_text"]


def test_concurrent_runs_keep_each_others_report(tmp_path: Path) -> None:
    # Issue 16: a run with no failures deleted another concurrent run's report.
    db = tmp_path / "a.db"
    report = tmp_path / "a.report.jsonl"
    bad = tmp_path / "bad.txt"
    bad.write_bytes(bytes(range(256)) * 4)
    good = tmp_path / "good.txt"
    good.write_text(TEXTS[0], encoding="utf-8")
    assert _invoke("ingest", str(bad), "--db", str(db), "--jobs", "1")[0] == 0
    assert report.exists() and "cannot decode" in report.read_text(encoding="utf-8")
    assert _invoke("ingest", str(good), "--db", str(db), "--jobs", "1")[0] == 0  # no failures
    assert report.exists() and "cannot decode" in report.read_text(encoding="utf-8")  # kept


def test_check_finds_nothing_wrong_in_a_whole_archive(archive: Path) -> None:
    code, out = _invoke("check", "--db", str(archive), "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["articles"] == report["indexed"] == report["readable"] == len(TEXTS)


def _damage(db: Path, *, where: str) -> None:
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    if where == "text":
        # The page holding one article's text: a bit flip inside a record passes the page checks.
        page = con.execute("SELECT pageno FROM dbstat WHERE name = 'articles' AND pagetype = 'leaf' "
                           "ORDER BY pageno LIMIT 1").fetchone()[0]
    else:
        page = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'articles_scan'").fetchone()[0]
    con.close()
    with db.open("r+b") as fh:
        if where == "text":
            fh.seek((page - 1) * page_size + page_size // 2)
            fh.write(b"\xff" * (page_size // 4))
        else:  # the whole page of an index
            fh.seek((page - 1) * page_size)
            fh.write(b"\xff" * page_size)


@pytest.mark.parametrize("where", ["text", "index"])
def test_check_reports_damaged_pages_and_what_can_be_salvaged(archive: Path, tmp_path: Path, where: str) -> None:
    try:
        sqlite3.connect(":memory:").execute("SELECT * FROM dbstat LIMIT 1")
    except sqlite3.Error:
        pytest.skip("this SQLite has no dbstat table")
    _damage(archive, where=where)
    code, out = _invoke("check", "--db", str(archive), "--json")
    report = json.loads(out)
    assert code == 1 and not report["ok"] and report["problems"], report
    assert report["salvage"]
    # Export no longer succeeds silently on part of the archive ...
    code, out = _invoke("export", "--db", str(archive), "-o", str(tmp_path / "all.jsonl"))
    if code == 0:
        assert len((tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()) == len(TEXTS)
    else:
        assert "damaged" in out and not (tmp_path / "all.jsonl").exists()
    # ... and what can be read is salvaged.
    code, out = _invoke("export", "--salvage", "--db", str(archive), "-o", str(tmp_path / "saved.jsonl"))
    assert code == 0, out
    saved = (tmp_path / "saved.jsonl").read_text(encoding="utf-8").splitlines()
    assert 0 < len(saved) <= len(TEXTS)
    assert report["readable"] == len(saved)


def _names_the_damage(out: str, archive: Path) -> bool:
    """One line that says the archive is damaged and what to do: check it, salvage what is left."""
    line = out.strip()
    return ("\n" not in line and "the archive is damaged" in line and f"khabar check --db {archive}" in line
            and "khabar export --salvage" in line and "not an SQLite database" not in line)


@pytest.mark.parametrize("where", ["text", "index"])
def test_search_show_and_export_on_a_damaged_archive_fail_in_one_line_or_give_everything(
        archive: Path, tmp_path: Path, where: str) -> None:
    # Issue 16: a damaged page let search and export succeed silently, then they called the archive
    # "not an SQLite database … move this file away".
    try:
        sqlite3.connect(":memory:").execute("SELECT * FROM dbstat LIMIT 1")
    except sqlite3.Error:
        pytest.skip("this SQLite has no dbstat table")
    _damage(archive, where=where)
    readable = json.loads(_invoke("check", "--db", str(archive), "--json")[1])["readable"]
    # Every article: shown whole, or refused in one line (as many as `khabar check` could not read).
    shown = 0
    for article_id in range(1, len(TEXTS) + 1):
        code, out = _invoke("show", str(article_id), "--db", str(archive))
        if code == 0:
            shown += 1
            assert f"شماره {article_id - 1}:" in out
        else:
            assert _names_the_damage(out, archive), out
    # A search that reads every match, oldest first.
    code, out = _invoke("search", "تورم", "--order", "oldest", "--json", "--db", str(archive))
    if code == 0:
        assert json.loads(out)["total"]["value"] == len(TEXTS)
    else:
        assert _names_the_damage(out, archive), out
    for fmt in ("jsonl", "csv", "parquet"):
        target = tmp_path / f"all.{fmt}"
        code, out = _invoke("export", "--format", fmt, "--db", str(archive), "-o", str(target))
        if code == 0:
            assert f"{len(TEXTS)} articles" in out
        else:
            assert _names_the_damage(out, archive) and not target.exists(), out
    if where == "text":
        assert shown == readable < len(TEXTS)  # the damage was met, and said so
    else:
        assert code == 1 or shown == len(TEXTS)


def test_check_of_a_file_that_is_not_an_archive(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + os.urandom(8000))
    code, out = _invoke("check", "--db", str(bad), "--json")
    assert code == 1 and json.loads(out)["ok"] is False


def test_check_finds_orphan_rows_and_a_stale_index(archive: Path) -> None:
    con = sqlite3.connect(archive)
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("INSERT INTO dates (article_id, value, calendar, granularity, text, start, \"end\") "
                "VALUES (9999, NULL, '', '', 'x', 0, 1)")
    key = con.execute("SELECT fts_key FROM articles WHERE id = 3").fetchone()[0]
    con.execute("UPDATE articles SET fts_key = ? WHERE id = 3", (key + 10**6,))
    con.commit()
    con.close()
    report = json.loads(_invoke("check", "--db", str(archive), "--json")[1])
    text = " ".join(report["problems"])
    assert report["orphans"] == {"dates": 1}
    assert "missing from the full-text index" in text and "belong to no article" in text


def test_backup_is_a_consistent_copy_while_an_ingest_writes(archive: Path, tmp_path: Path) -> None:
    more = tmp_path / "more"
    more.mkdir()
    for i in range(150):
        (more / f"{i:03d}.txt").write_text(f"گزارش تازه {i}: قیمت نفت و بنزین امروز {i} بار تغییر کرد.",
                                           encoding="utf-8")
    writer = subprocess.Popen([EXE, "ingest", str(more), "--db", str(archive), "--jobs", "1", "--restore-only"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    copies = []
    try:
        for n in range(3):
            target = tmp_path / f"copy{n}.db"
            code, out = _invoke("backup", "--db", str(archive), str(target))
            assert code == 0, out
            copies.append(target)
    finally:
        writer.wait(timeout=300)
    for target in copies:
        con = sqlite3.connect(target)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n = con.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        assert n == con.execute("SELECT COUNT(*) FROM articles_fts").fetchone()[0]
        con.close()
        assert json.loads(_invoke("check", "--db", str(target), "--json")[1])["ok"]
        assert not Path(str(target) + "-wal").exists() or Path(str(target) + "-wal").stat().st_size == 0


def test_backup_over_the_archive_is_refused(archive: Path) -> None:
    code, out = _invoke("backup", "--db", str(archive), str(archive))
    assert code == 1 and "own file" in out


@pytest.mark.parametrize(("args", "message"), [
    (["search", "تورم", "--until", "9999-12-31"], None),
    (["search", "(" * 330 + "تورم" + ")" * 330], "more than 32 deep"),
    (["search", "NOT " * 100 + "تورم"], "more than 32 deep"),
    (["show", "99999999999999999999"], "not an article id"),
    (["show", "0"], "no article"),
])
def test_archive_edges_give_one_line_errors(archive: Path, args: list[str], message: str | None) -> None:
    code, out = _invoke(*args, "--db", str(archive))
    if message is None:
        assert code == 0, out
    else:
        assert code == 1 and message in out and len(out.strip().splitlines()) == 1, out


@pytest.mark.parametrize("query", ["،،", "\u200c", "...", "«»", " \u200c ", "؟!"])
def test_a_query_without_words_returns_a_note_not_everything(archive: Path, query: str) -> None:
    code, out = _invoke("search", query, "--db", str(archive), "--json")
    page = json.loads(out)
    assert code == 0 and page["results"] == [] and any("no word to search for" in n for n in page["notes"])


def test_terminal_escapes_in_titles_are_shown_not_run(tmp_path: Path) -> None:
    dump = tmp_path / "d.jsonl"
    dump.write_text(json.dumps({"text": TEXTS[0], "title": "تیتر\x1b[2J\x1b]0;owned\x07", "outlet": "خبر\x9b31m"})
                    + "\n", encoding="utf-8")
    db = tmp_path / "e.db"
    assert _invoke("ingest", str(dump), "--db", str(db), "--jobs", "1")[0] == 0
    # The reader cleaned them; an archive written before that still holds them: put them back.
    con = sqlite3.connect(db)
    con.execute("UPDATE articles SET title = ?", ("تیتر\x1b[2J\x1b]0;owned\x07",))
    con.commit()
    con.close()
    for args in (["search", "تورم"], ["show", "1"]):
        code, out = _invoke(*args, "--db", str(db))
        assert code == 0 and "\x1b" not in out and "\x07" not in out and "\x9b" not in out, out


def test_the_archive_files_are_listed_for_sqlite_only(archive: Path) -> None:
    with Archive.open(archive) as arch:
        assert arch.storage.files() == [str(archive), f"{archive}-wal", f"{archive}-shm", f"{archive}-journal"]
    with Archive.open(":memory:") as arch:
        assert arch.storage.files() == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("args", [["export"], ["export", "--format", "parquet"], ["export", "--format", "csv"],
                                  ["search", "تورم"], ["show", "1"]])
def test_archive_output_to_a_full_device_is_one_line(archive: Path, args: list[str]) -> None:
    # Issue 16, item 8: any output to /dev/full (parquet export to a full disk included) was a traceback.
    with open("/dev/full", "wb") as full:
        run = subprocess.run([EXE, *args, "--db", str(archive)], stdout=full, stderr=subprocess.PIPE, timeout=120)
    err = run.stderr.decode().strip()
    assert run.returncode == 1 and "Traceback" not in err and len(err.splitlines()) == 1, err
    assert "No space left on device" in err
