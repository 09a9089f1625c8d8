"""PostgreSQL's own bad input: unreachable servers, wrong passwords, other programs' databases, users
who may only read, non-UTF-8 databases, connections dropped mid-ingest — each one line, nothing lost.

(Everything a backend must do is tests/archive/storage/test_contract.py, run on PostgreSQL too.)
"""

from __future__ import annotations

import os
import threading
import time

import pytest

from khabar.archive import Archive
from khabar.archive.storage import open_storage
from khabar.errors import StorageError
from khabar.ingest import RawArticle

if os.environ.get("CI") == "true":  # in CI a missing driver fails the run (tests/conftest.py: the server)
    import psycopg
else:
    psycopg = pytest.importorskip("psycopg", reason="PostgreSQL tests skipped: pip install 'khabar[postgres]'")


def _one_line(err: pytest.ExceptionInfo[StorageError]) -> str:
    text = str(err.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def _records(n: int, tag: str = "") -> list[RawArticle]:
    return [RawArticle(f"گزارش {tag}{i}: بازار و تورم و سکه امروز {i} می کند.", f"r#{i}", "jsonl",
                       url=f"https://x.ir/{tag}{i}") for i in range(n)]


def _admin(pg_cluster) -> str:  # type: ignore[no-untyped-def]
    return pg_cluster.url() if hasattr(pg_cluster, "url") else pg_cluster.admin


def test_postgres_unreachable_server(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StorageError) as err:
        open_storage(f"postgresql://nobody@/news?host={tmp_path}", timeout=2)
    assert "cannot reach the PostgreSQL server" in _one_line(err)


def test_postgres_unknown_host() -> None:
    with pytest.raises(StorageError) as err:
        open_storage("postgresql://u:secret@no-such-host.invalid:5432/news", timeout=2)
    text = _one_line(err)
    assert "cannot reach" in text and "secret" not in text


def test_postgres_wrong_password(pg_cluster) -> None:  # type: ignore[no-untyped-def]
    admin = _admin(pg_cluster)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE ROLE khabar_pw LOGIN PASSWORD 'right'")
    if not hasattr(pg_cluster, "require_password"):
        pytest.skip("needs the test cluster (password authentication is set up on it)")
    pg_cluster.require_password("khabar_pw")
    url = pg_cluster.url("postgres", user="khabar_pw").replace("khabar_pw@", "khabar_pw:wrong@")
    with pytest.raises(StorageError) as err:
        open_storage(url)
    text = _one_line(err)
    assert "wrong user or password" in text and ":wrong@" not in text


def test_postgres_missing_database_is_created_utf8(pg_cluster) -> None:  # type: ignore[no-untyped-def]
    url = pg_cluster.create_database()
    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    pg_cluster.drop_database(url)
    with open_storage(url) as store:
        assert store.stats()["articles"] == 0
        encoding, ctype = store._pg(  # type: ignore[attr-defined]
            "SELECT pg_encoding_to_char(encoding), datctype FROM pg_database WHERE datname = %s", [name])[0]
        assert (encoding, ctype) == ("UTF8", "C.UTF-8")
    pg_cluster.drop_database(url)


def test_postgres_refuses_another_programs_database(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE people (name TEXT)")
    with pytest.raises(StorageError) as err:
        open_storage(pg_url)
    assert "not a khabar archive" in _one_line(err)


def test_postgres_refuses_a_database_without_a_utf8_locale(pg_cluster) -> None:  # type: ignore[no-untyped-def]
    admin = _admin(pg_cluster)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE k_ascii TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'")
    url = admin.replace("/postgres?", "/k_ascii?")
    try:
        with pytest.raises(StorageError) as err:
            open_storage(url)
        assert "khabar needs UTF8" in _one_line(err)
    finally:
        pg_cluster.drop_database("k_ascii")


def test_postgres_read_only_user_can_read_but_not_write(pg_url: str) -> None:
    with Archive.open(pg_url) as a:
        a.ingest(records=_records(3), jobs=1, restore_only=True)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE khabar_reader LOGIN")
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO khabar_reader")
    reader = pg_url.replace("postgres@", "khabar_reader@")
    with Archive.open(reader) as a:
        assert a.search("بازار", count=True).total.value == 3  # type: ignore[union-attr]
        with pytest.raises(StorageError) as err:
            a.ingest(records=_records(2, "new"), jobs=1, restore_only=True)
        assert "may not write" in _one_line(err)
    with Archive.open(pg_url) as a:
        assert a.stats()["articles"] == 3  # nothing lost, nothing half-written


def test_postgres_connection_dropped_mid_ingest(pg_url: str) -> None:
    with Archive.open(pg_url) as a:
        a.ingest(records=_records(20, "a"), jobs=1, restore_only=True)
    killed = threading.Event()

    def kill_writer() -> None:
        deadline = time.monotonic() + 30
        with psycopg.connect(pg_url, autocommit=True) as conn:
            while time.monotonic() < deadline:
                n = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
                if n > 25:
                    conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE application_name = 'khabar' AND pid <> pg_backend_pid()")
                    killed.set()
                    return
                time.sleep(0.01)

    watcher = threading.Thread(target=kill_writer)
    watcher.start()
    with Archive.open(pg_url) as a, pytest.raises(StorageError) as err:
        a.ingest(records=_records(400, "b"), jobs=1, restore_only=True, chunk=5)
    watcher.join()
    assert killed.is_set()
    assert "lost the connection" in _one_line(err) or "cannot reach" in str(err.value)
    with Archive.open(pg_url) as a:
        stored = a.stats()["articles"]
        assert 25 < stored < 420 and stored % 5 == 0  # whole batches only
        assert a.search("گزارش", count=True, count_cap=1000).total.value == stored  # type: ignore[union-attr]
        again = a.ingest(records=_records(20, "a") + _records(400, "b"), jobs=1, restore_only=True)
        assert again.added == 420 - stored and a.stats()["articles"] == 420
