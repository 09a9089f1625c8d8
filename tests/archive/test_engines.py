"""The Ray engine against the local one, on a real two-node Ray cluster: the same archive from the
same sources (ingest, reanalysis, Parquet shards then load), and the faults — an article that
raises, a worker killed mid-batch, the driver killed mid-run then run again."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from khabar.archive.runner import ingest, reanalyze
from khabar.archive.storage import iter_articles, open_storage
from khabar.ingest import RawArticle

faults = sys.modules["khabar_tests_faults"]
pytestmark = [pytest.mark.ray, pytest.mark.xdist_group("ray")]
REPO = Path(__file__).resolve().parents[2]


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("khabar_bench_archive", REPO / "bench" / "archive.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _corpus(folder: Path, n: int = 240) -> Path:
    """Synthetic damaged news (bench/archive.py): JSONL files with metadata, plain text files, a
    URL repeated in one file, a bad line, an undecodable file and a missing source."""
    folder.mkdir()
    items = list(_bench().articles(n))
    per = n // 6
    for f in range(4):
        with (folder / f"feed{f}.jsonl").open("w", encoding="utf-8") as out:
            for a in items[f * per:(f + 1) * per]:
                out.write(json.dumps({"text": a.text, "title": a.title, "url": a.url, "published": a.published,
                                      "outlet": a.outlet}, ensure_ascii=False) + "\n")
            if f == 0:
                out.write("{not json\n")
                a = items[0]
                out.write(json.dumps({"text": a.text + " نسخه دوم", "url": a.url}, ensure_ascii=False) + "\n")
    texts = folder / "texts"
    texts.mkdir()
    for i, a in enumerate(items[4 * per:]):
        (texts / f"{i:04d}.txt").write_text(a.text, encoding="utf-8")
    (texts / "bad.txt").write_bytes(b"\x81\x8d\x8f\x90\x9d" * 50 + b"\xff\xfe\x00")
    return folder


def _dump(path: Path) -> list[tuple[Any, ...]]:
    with open_storage(path) as store:
        return sorted((a.content_key, a.url, a.origin, a.title, a.published, a.author, a.outlet, a.kind, a.analysis,
                       json.dumps(a.doc, ensure_ascii=False, sort_keys=True)) for a in iter_articles(store))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[Any, ...]], Any]:
    """The corpus, and the archive and summary the local engine makes of it (2 workers)."""
    root = tmp_path_factory.mktemp("corpus")
    folder = _corpus(root / "src")
    with open_storage(root / "local.db") as store:
        summary = ingest([str(folder), str(root / "missing.txt")], store, jobs=2, chunk=32)
    return folder, _dump(root / "local.db"), summary


def _failures(summary: Any) -> list[tuple[str, str]]:
    return sorted((f.origin, f.reason) for f in summary.failures)


def test_engines_ray_ingest_gives_the_local_engines_archive(ray_cluster: Any, corpus: Any, tmp_path: Path) -> None:
    folder, expected, local = corpus
    db = tmp_path / "ray.db"
    with open_storage(db) as store:
        summary = ingest([str(folder), str(folder.parent / "missing.txt")], store, engine="ray", chunk=32)
    assert len(expected) >= 230 and local.failed >= 3
    assert _dump(db) == expected
    assert (summary.added, summary.duplicates, summary.failed) == (local.added, local.duplicates, local.failed)
    assert _failures(summary) == _failures(local)


def test_engines_ray_shards_then_load_give_the_same_archive(ray_cluster: Any, corpus: Any, tmp_path: Path) -> None:
    from khabar.archive import Archive, write_shards

    folder, expected, _ = corpus
    shards = tmp_path / "shards"
    summary = write_shards([str(folder)], shards, chunk=32)
    months = {p.name for p in shards.iterdir() if p.is_dir()}
    assert (shards / "_SUCCESS").exists() and len(months) > 10 and all(m.startswith("month=") for m in months)
    assert summary.failed >= 2
    with Archive.open(tmp_path / "loaded.db") as archive:
        added, already = archive.load(shards)
        assert archive.load(shards) == (0, added + already)  # a second load adds nothing
    assert added == len(expected)
    assert _dump(tmp_path / "loaded.db") == [(*row[:2], row[2], *row[3:]) for row in expected]


def test_engines_ray_reanalyze_gives_the_local_engines_archive(ray_cluster: Any, tmp_path: Path) -> None:
    items = list(_bench().articles(60))
    dumps = []
    for engine in ("local", "ray"):
        db = tmp_path / f"{engine}.db"
        with open_storage(db) as store:
            ingest([], store, jobs=1, restore_only=True, articles=items)
            done, failures = reanalyze(store, engine=engine, jobs=2, chunk=16, **({"unit": 16} if engine == "ray" else {}))
            assert (done, failures) == (60, [])
            assert {a.analysis for a in iter_articles(store)} == {"full"}
        dumps.append(_dump(db))
    assert dumps[0] == dumps[1]


TEXTS = [
    "وزیر اقتصاد امروز در نشست خبری گفت تورم تا پایان سال کاهش می یابد",
    "علی رحیمی رئیس اتاق بازرگانی تهران با سفیر چین درباره صادرات گفت و گو کرد",
    "زلزله ای به بزرگی ۵ ریشتر شهر زرند در استان کرمان را لرزاند",
    "نمایشگاه بین المللی کتاب تهران فردا آغاز به کار میکند",
]


def _records(n: int) -> list[RawArticle]:
    return [RawArticle(f"{TEXTS[i % len(TEXTS)]} (خبر {i}).", f"t#{i}", "text") for i in range(n)]


@pytest.fixture
def by_value() -> Any:
    # Ray workers cannot import the faulty stages' module by name: they travel by value.
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(faults)
    yield
    cloudpickle.unregister_pickle_by_value(faults)


def test_engines_ray_article_that_raises_is_reported_and_its_batch_stored(ray_cluster: Any, by_value: Any,
                                                                          tmp_path: Path) -> None:
    with open_storage(tmp_path / "a.db") as store:
        summary = ingest([], store, engine="ray", chunk=8, articles=_records(24), pipeline=partial(faults.with_stage, faults.Poison("زلزله")))
        assert (summary.added, summary.failed) == (18, 6)
        assert all("RuntimeError: boom" in f.reason for f in summary.failures)
        assert store.stats()["articles"] == 18


def test_engines_ray_worker_killed_mid_batch_is_retried_nothing_lost_or_doubled(ray_cluster: Any, by_value: Any,
                                                                                tmp_path: Path) -> None:
    marker = tmp_path / "killed"
    with open_storage(tmp_path / "a.db") as store:
        summary = ingest([], store, engine="ray", chunk=8, articles=_records(40),
                         pipeline=partial(faults.with_stage, faults.Killer("زلزله", str(marker))))
        assert marker.exists()  # an actor did die
        keys = [a.content_key for a in iter_articles(store)]
        assert len(keys) == len(set(keys)) == 40
        assert summary.failed == 0 and summary.added + summary.already == 40


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(db, timeout=30)
    try:
        return int(con.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def test_engines_ray_driver_killed_then_rerun_completes_the_job(ray_cluster: Any, corpus: Any, tmp_path: Path) -> None:
    folder, expected, _ = corpus
    db = tmp_path / "killed.db"
    cmd = [sys.executable, "-m", "khabar.cli", "ingest", str(folder), "--db", str(db), "--engine", "ray",
           "--address", ray_cluster.address]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline and _count(db) < 40:
        time.sleep(0.1)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial_count = _count(db)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert 0 < partial_count < len(expected)  # the kill landed mid-run
    # Every article once. (Not every Document as in one run: the rerun's entities stage knows the
    # names the archive learned from the first run's articles, as any later ingest does.)
    assert [row[:3] for row in _dump(db)] == [row[:3] for row in expected]
