"""The ingest run: dedup, failures and their report, restore-only + reanalyze, and surviving kill -9."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest

from khabar.archive.runner import ingest, reanalyze, restore_pipeline
from khabar.archive.storage import iter_articles, open_storage
from khabar.ingest import RawArticle

REPO = Path(__file__).resolve().parents[2]
faults = sys.modules["khabar_tests_faults"]

TEXTS = [
    "به گزارش ایسنا، وزیر اقتصاد امروز در نشست خبری گفت تورم تا پایان سال کاهش می یابد.",
    "علی رحیمی رئیس اتاق بازرگانی تهران در دیدار با سفیر چین درباره صادرات گفت و گو کرد.",
    "شاخص کل بورس تهران در معاملات روز یکشنبه با افزایش ۱۲ هزار واحدی روبرو شد.",
    "نمایشگاه بین المللی کتاب تهران فردا در مصلای امام خمینی آغاز به کار میکند.",
    "زلزله ای به بزرگی ۵ ریشتر شهر زرند در استان کرمان را لرزاند و خسارتی گزارش نشد.",
]


def _folder(tmp_path: Path, texts: list[str], extra: dict[str, bytes] | None = None) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    for i, text in enumerate(texts):
        (folder / f"{i:04d}.txt").write_text(text, encoding="utf-8")
    for name, data in (extra or {}).items():
        (folder / name).write_bytes(data)
    return folder


def test_archive_ingest_adds_every_article(tmp_path: Path) -> None:
    store = open_storage(":memory:")
    summary = ingest([str(_folder(tmp_path, TEXTS))], store, jobs=1)
    assert (summary.added, summary.duplicates, summary.failed) == (len(TEXTS), 0, 0)
    assert store.stats()["articles"] == len(TEXTS)
    assert all(a.analysis == "full" for a in iter_articles(store))


def test_archive_ingest_stores_spelling_variants_once(tmp_path: Path) -> None:
    variants = [TEXTS[0], TEXTS[0].replace("ی", "ي").replace("ک", "ك"), TEXTS[0].replace("می یابد", "می‌یابد")]
    store = open_storage(":memory:")
    summary = ingest([str(_folder(tmp_path, variants))], store, jobs=1)
    assert (summary.added, summary.duplicates) == (1, 2)


def test_archive_ingest_stores_a_url_once() -> None:
    store = open_storage(":memory:")
    items = [RawArticle(TEXTS[0], "a#1", "jsonl", url="https://x.ir/1"),
             RawArticle(TEXTS[1], "a#2", "jsonl", url="https://x.ir/1")]
    summary = ingest([], store, jobs=1, articles=items)
    assert (summary.added, summary.duplicates) == (1, 1)


def test_archive_ingest_rerun_adds_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "a.db")
    folder = str(_folder(tmp_path, TEXTS))
    with open_storage(path) as store:
        ingest([folder], store, jobs=1)
    with open_storage(path) as store:
        again = ingest([folder], store, jobs=1)
        assert (again.added, again.duplicates, again.already) == (0, len(TEXTS), len(TEXTS))
        assert store.stats()["articles"] == len(TEXTS)


BAD_FILES = {
    "empty.txt": b"",
    "blank.txt": b"   \n\n  ",
    "binary.bin": bytes(range(256)) * 40,
    "garbage.txt": b"\x81\x8d\x8f\x90\x9d" * 50 + b"\xff\xfe\x00",
}


def test_archive_ingest_reports_each_failure_with_its_reason(tmp_path: Path) -> None:
    store = open_storage(":memory:")
    report = tmp_path / "report.jsonl"
    summary = ingest([str(_folder(tmp_path, TEXTS[:2], BAD_FILES)), str(tmp_path / "missing.txt")], store, jobs=1,
                     report=report)
    assert summary.added == 2
    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == summary.failed == len(summary.failures) >= 4
    assert all(line["reason"] and line["origin"] for line in lines)
    assert any("missing.txt" in line["origin"] for line in lines)


def test_archive_ingest_refuses_a_file_over_the_size_limit(tmp_path: Path) -> None:
    store = open_storage(":memory:")
    folder = _folder(tmp_path, ["خبر کوتاه.", "خبر " * 5000])
    summary = ingest([str(folder)], store, jobs=1, max_bytes=2000)
    assert (summary.added, summary.failed) == (1, 1)
    assert summary.failures[0].origin.endswith("0001.txt")


@pytest.mark.parametrize("encoding", ["cp1256", "utf-16", "utf-8-sig"])
def test_archive_ingest_reads_other_encodings_and_finds_them(tmp_path: Path, encoding: str) -> None:
    from khabar.archive.search import search

    (tmp_path / "a.txt").write_bytes("وزير اقتصاد گفت تورم كاهش مي يابد.".encode(encoding))
    store = open_storage(":memory:")
    assert ingest([str(tmp_path / "a.txt")], store, jobs=1).added == 1
    assert [r.id for r in search(store, "می‌یابد")] == [1]


@pytest.mark.parametrize("jobs", [1, 2])
def test_archive_ingest_failure_in_the_pipeline_is_reported_not_raised(tmp_path: Path, jobs: int) -> None:
    store = open_storage(tmp_path / "a.db")
    summary = ingest([], store, jobs=jobs, chunk=2, pipeline=partial(faults.with_stage, faults.Poison("بورس")),
                     articles=[RawArticle(t, f"t#{i}", "text") for i, t in enumerate(TEXTS)])
    assert (summary.added, summary.failed) == (len(TEXTS) - 1, 1)
    assert summary.failures[0].origin == "t#2" and "RuntimeError: boom" in summary.failures[0].reason


def test_archive_restore_only_then_reanalyze(tmp_path: Path) -> None:
    store = open_storage(":memory:")
    summary = ingest([str(_folder(tmp_path, TEXTS))], store, jobs=1, restore_only=True)
    assert summary.added == len(TEXTS)
    assert {a.analysis for a in iter_articles(store)} == {"restore"}
    quick = store.articles([1])[0].doc
    assert quick["sentences"] and quick["tokens"]
    done, failures = reanalyze(store, jobs=1)
    assert (done, failures) == (len(TEXTS), [])
    full = store.articles([1])[0]
    assert full.analysis == "full" and full.doc["text"] == quick["text"]
    assert reanalyze(store, jobs=1)[0] == 0  # nothing left to do


def test_archive_restore_pipeline_fills_only_text_and_segments() -> None:
    assigned = {a for stage in restore_pipeline().stages for a in stage.assigns}
    assert assigned <= {"text", "sentences", "tokens"}


@pytest.mark.parametrize("writer", ["workers", "one"])
def test_archive_workers_give_the_same_archive_as_one_process(tmp_path: Path, writer: str) -> None:
    # Workers that write their own batches commit in the order they finish, so ids may differ:
    # the same archive is the same articles, each with the same Document and metadata.
    folder = str(_folder(tmp_path, TEXTS * 1 + [t + " خبر تکمیلی." for t in TEXTS]))
    dumps = []
    for jobs in (1, 2):
        with open_storage(tmp_path / f"j{jobs}.db") as store:
            ingest([folder], store, jobs=jobs, chunk=3, writer=writer)  # type: ignore[arg-type]
            dumps.append(sorted((a.content_key, a.origin, a.title, a.analysis, a.doc) for a in iter_articles(store)))
    assert len(dumps[0]) == len(TEXTS) * 2
    assert dumps[0] == dumps[1]


def test_archive_ctrl_c_stops_cleanly_and_rerun_finishes(tmp_path: Path) -> None:
    folder = _synthetic_folder(tmp_path, 400)
    db = tmp_path / "int.db"
    cmd = [sys.executable, "-m", "khabar.cli", "ingest", str(folder), "--db", str(db), "--jobs", "2"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline and not (db.exists() and _keys(db)):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the run finished before Ctrl-C reached it")
    assert proc.returncode == 130 and "run the same command again" in err and "Traceback" not in err
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and len(_keys(db)) == 400


def _synthetic_folder(tmp_path: Path, n: int) -> Path:
    rng = random.Random(5)
    words = ["تورم", "بازار", "دولت", "مجلس", "وزیر", "سفیر", "تهران", "مشهد", "بورس", "سکه", "کتاب", "نمایشگاه", "زلزله", "هوا", "آلودگی", "مدرسه", "دانشگاه", "بیمارستان", "صادرات", "واردات", "قیمت", "نفت", "گاز", "برق", "آب"]
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(n):
        body = " ".join(rng.choice(words) for _ in range(rng.randint(30, 80)))
        (folder / f"{i:05d}.txt").write_text(f"خبر شماره {i}: {body} می کند.", encoding="utf-8")
    return folder


def _keys(db: Path) -> list[str]:
    con = sqlite3.connect(db, timeout=30)  # a busy machine may hold the writer's lock a while
    if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles'").fetchone():
        con.close()
        return []  # the run is still creating the archive
    con.execute("BEGIN")  # one snapshot for every count below, even while a run is writing
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    keys = sorted(r[0] for r in con.execute("SELECT content_key FROM articles"))
    fts = con.execute("SELECT COUNT(*) FROM articles_fts").fetchone()[0]
    orphans = con.execute("SELECT COUNT(*) FROM mentions WHERE article_id NOT IN (SELECT id FROM articles)").fetchone()
    con.execute("COMMIT")
    con.close()
    assert fts == len(keys) and orphans[0] == 0
    return keys


def _stored(db: Path) -> int:
    """How many articles the archive holds now: a cheap look for polling a run (0 while it is being
    created, or while a reader cannot get in), where :func:`_keys` checks the whole file."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(con.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_archive_survives_kill_9_and_rerun_finishes_the_job(tmp_path: Path) -> None:
    folder = _synthetic_folder(tmp_path, 700)
    reference = tmp_path / "reference.db"
    with open_storage(reference) as store:
        ingest([str(folder)], store, jobs=1)
    expected = _keys(reference)
    assert len(expected) == 700

    db = tmp_path / "killed.db"
    cmd = [sys.executable, "-m", "khabar.cli", "ingest", str(folder), "--db", str(db), "--jobs", "2"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rng = random.Random(9)
    # Each run is killed at a random moment once it has stored a batch. A run that ends before its
    # kill arrives (a loaded machine, a short job) interrupted nothing: it is not counted, and once
    # the job is done the archive is started over, so that three kills land mid-run.
    mid_run: list[int] = []   # articles stored after each kill that interrupted the job
    for _ in range(12):
        if len(mid_run) == 3:
            break
        if _stored(db) == len(expected):
            for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
                path.unlink(missing_ok=True)
        before = _stored(db)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        # Kill at a random moment once this run is storing articles (not while Python starts).
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and _stored(db) == before:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its workers, as kill -9 on the run would
        proc.wait()
        stored = len(_keys(db))  # consistent after every kill, whenever it landed
        if proc.returncode == -signal.SIGKILL and stored < len(expected):
            mid_run.append(stored)
    assert len(mid_run) == 3, mid_run
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _keys(db) == expected


@pytest.mark.parametrize("writer", ["workers", "one"])
def test_archive_worker_killed_mid_batch_is_retried_and_nothing_is_lost_or_doubled(tmp_path: Path,
                                                                                  writer: str) -> None:
    texts = [f"{t} خبر {i}." for i in range(6) for t in TEXTS]
    with open_storage(tmp_path / "a.db") as store:
        summary = ingest([], store, jobs=2, chunk=4, writer=writer,  # type: ignore[arg-type]
                         pipeline=partial(faults.with_stage, faults.Killer("زلزله", str(tmp_path / "killed"))),
                         articles=[RawArticle(t, f"t#{i}", "text") for i, t in enumerate(texts)])
        assert (tmp_path / "killed").exists()  # a worker did die
        assert (summary.added + summary.already, summary.failed) == (len(texts), 0)
        keys = [a.content_key for a in iter_articles(store)]
        assert len(keys) == len(set(keys)) == len(texts)


def test_archive_article_that_always_kills_its_worker_is_reported_and_the_rest_stored(tmp_path: Path) -> None:
    texts = [f"{t} خبر {i}." for i in range(2) for t in TEXTS]
    with open_storage(tmp_path / "a.db") as store:
        summary = ingest([], store, jobs=2, chunk=4, pipeline=partial(faults.with_stage, faults.Killer("زلزله", None)),
                         articles=[RawArticle(t, f"t#{i}", "text") for i, t in enumerate(texts)])
        lost = sorted(f.origin for f in summary.failures)
        assert lost == ["t#4", "t#9"] and all("died" in f.reason for f in summary.failures)
        # (A batch stored just before another worker died may be run again: then its articles count
        # as already stored, so the archive is what is checked.)
        assert summary.added + summary.already == store.stats()["articles"] == len(texts) - 2


def test_archive_worker_state_is_per_thread(tmp_path: Path) -> None:
    # Two runs in one process (a server's threads) must not share a worker's connection: the first
    # to finish closed the one the other still read (a segfault in CI).
    import threading

    from khabar.archive.engines import local
    from khabar.archive.work import Setup

    with open_storage(tmp_path / "a.db"):
        pass
    setup = Setup(str(tmp_path / "a.db"), restore_only=True, write=False)
    local.start_worker(setup)
    mine = local._local.worker
    seen: list[object] = []

    def other() -> None:
        seen.append(local._local.worker)
        local.start_worker(setup)
        seen.append(local._local.worker)
        local.stop_worker()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    try:
        assert seen[0] is None and seen[1] is not None and seen[1] is not mine
        assert local._local.worker is mine and mine is not None and mine.storage is not None
        assert mine.ingest([RawArticle("وزیر امروز به تهران رفت.", "a", "text")]).prepared is not None
    finally:
        local.stop_worker()
