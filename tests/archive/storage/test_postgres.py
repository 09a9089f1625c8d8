"""PostgreSQL's own bad input: unreachable servers, wrong passwords, other programs' databases, users
who may only read, non-UTF-8 databases, connections dropped mid-ingest — each one line, nothing lost.

(Everything a backend must do is tests/archive/storage/test_contract.py, run on PostgreSQL too.)
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from typing import Any

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


# -- search plans (khabar/archive/storage/postgres/search.py) -----------------------------------------

def _plan_archive(url: str) -> Any:
    """600 articles: «تورم» in most, «سکه» and «بورس» never together, a person in few and one in most."""
    import random

    from khabar.archive.models import NewArticle
    from khabar.archive.runner import restore_pipeline
    from khabar.document import Entity, Mention

    rng = random.Random(11)
    docs = []
    for i in range(600):
        words = ["تورم"] if rng.random() < 0.7 else []
        words.append("سکه" if i % 2 else "بورس")
        people = [p for p, share in (("کریمی", 0.03), ("رحیمی", 0.8)) if rng.random() < share]
        doc = restore_pipeline().analyze(" ".join([*words, "گزارش", *people]) + ".")
        doc.entities = [Entity(f"per:{p}", p, "PER") for p in people]
        doc.mentions = [doc.span(doc.text.index(p), doc.text.index(p) + len(p), Mention, label="PER",
                                 entity=f"per:{p}") for p in people]
        published = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if rng.random() < 0.95 else None
        docs.append(NewArticle.from_document(doc, content_key=str(i), outlet=rng.choice(["ایرنا", "ایسنا", "مهر"]),
                                             published=published))
    store = open_storage(url)
    store.write(docs)
    return store


PLAN_QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("تورم", {"person": "کریمی"}),
    ("سکه", {"person": "رحیمی"}),
    ("سکه بورس", {"source": "مهر"}),
    ("تورم", {"source": ["مهر", "ایسنا"], "person": "رحیمی"}),
    ("تورم OR بورس", {"since": "2025-03-01", "until": "2025-05-31"}),
    ("بو*", {}),
    ("", {"person": "رحیمی", "since": "2025-06-01"}),
]


def test_postgres_every_plan_gives_the_same_answers(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever plan the estimates choose, forcing any other one gives the same pages, counts,
    facets and histograms (so a wrong estimate costs time, never answers)."""
    from khabar.archive.search import build_filter, search
    from khabar.archive.storage.postgres.search import PgSearch, Plan

    store = _plan_archive(pg_url)
    try:
        for query, kwargs in PLAN_QUERIES:
            filt = build_filter(store, **kwargs).filters
            assert filt is not None
            drivers = [("keys", 0), *(("entity", i) for i in range(len(filt.entity_groups)))]
            drivers += [("outlet", 0)] if filt.outlet_ids is not None else []
            drivers += [("text", 0)] if query else []

            def pages(query: str = query, kwargs: dict[str, Any] = kwargs) -> list[Any]:
                return [search(store, query, limit=limit, sort=sort, count=True, facets=True, **kwargs).to_dict()
                        for sort in ("newest", "oldest", "relevance") for limit in (3, 400)]

            chosen = pages()
            assert any(p["results"] for p in chosen) or query == "سکه بورس"
            for driver, index in drivers:
                monkeypatch.setattr(store, "_choose_plan", lambda q, sizes, rows, total, d=driver, i=index:
                                    Plan(d, i, rows, 0.0))
                assert pages() == chosen, (query, kwargs, driver)
                monkeypatch.setattr(store, "_choose_plan", PgSearch._choose_plan.__get__(store))
    finally:
        store.close()


def _bulk_archive(url: str, n: int = 40_000) -> Any:
    """``n`` articles written with plain SQL (a pipeline would take minutes): «تورم» in every other one,
    «سکه» and «بورس» in alternate thirds and never together, one person in 1 of 200, three outlets."""
    open_storage(url).close()  # the schema
    with psycopg.connect(url, autocommit=True) as conn:
        _bulk_rows(conn, n)
    return open_storage(url)


def _bulk_rows(conn: Any, n: int) -> None:
    conn.execute(
        "INSERT INTO outlets (id, name, key) VALUES (1, 'ایرنا', 'ایرنا'), (2, 'ایسنا', 'ایسنا'), (3, 'مهر', 'مهر')")
    conn.execute("INSERT INTO entities (id, name, label) VALUES ('per:کریمی', 'کریمی', 'PER')")
    conn.execute("INSERT INTO entity_names (key, entity_id) VALUES ('کریمی', 'per:کریمی')")
    day0 = 739_000  # an ordinal day in 2024
    conn.execute(
        "INSERT INTO articles (id, fts_key, content_key, published, outlet_id, raw_text, text, doc, added) "
        f"SELECT i, ((({day0} + i % 365)::bigint) << 32) | i, i::text, NULL, 1 + i % 3, 'x', 'x', '\\x00', 'now' "
        f"FROM generate_series(1, {int(n)}) i")
    conn.execute(
        "INSERT INTO articles_fts (rowid, tsv) SELECT fts_key, array_to_tsvector(ARRAY['گزارش'] "
        "|| CASE WHEN id % 2 = 0 THEN ARRAY['تورم'] ELSE ARRAY[]::text[] END "
        "|| CASE id % 3 WHEN 0 THEN ARRAY['سکه'] WHEN 1 THEN ARRAY['بورس'] ELSE ARRAY[]::text[] END) FROM articles")
    conn.execute("INSERT INTO article_entities (entity_id, article_id, fts_key, label, mentions) "
                 "SELECT 'per:کریمی', id, fts_key, 'PER', 1 FROM articles WHERE id % 200 = 7")
    conn.execute("ANALYZE")


def test_postgres_plans_follow_the_estimates_and_read_indexes_in_order(pg_url: str) -> None:
    """A common word with a rare person walks the person's articles newest first and stops (no sort
    of all matches); with a big outlet it walks the outlet's; words that never meet are read from
    the text index (walking the outlet for them would read all of it, as PostgreSQL's own plan did:
    it took them for independent words)."""
    from khabar.archive.parser import parse_query
    from khabar.archive.query import Filters, SearchQuery

    store = _bulk_archive(pg_url)
    try:
        def plan(query: str, filt: Filters) -> tuple[str, str]:
            sql, params, chosen = store._search_plan(  # type: ignore[attr-defined]
                SearchQuery(parse_query(query).root, filt, "newest", 11), 11, order="DESC")
            steps = "\n".join(r[0] for r in store._planned(f"EXPLAIN {sql}", params, chosen))  # type: ignore[attr-defined]
            return chosen.driver, steps

        driver, steps = plan("تورم", Filters(entity_groups=(("per:کریمی",),)))
        assert driver == "entity" and "Backward using article_entities_pkey" in steps and "Sort" not in steps, steps
        driver, steps = plan("تورم", Filters(outlet_ids=(3,)))
        assert driver == "outlet" and "Backward using articles_outlet" in steps and "Sort" not in steps, steps
        driver, steps = plan("تورم", Filters())
        assert driver == "keys" and "Backward using articles_fts_pkey" in steps and "Sort" not in steps, steps
        driver, steps = plan("سکه بورس", Filters(outlet_ids=(3,)))
        # (the text index, or on a table this small a scan: PostgreSQL's choice, as long as it reads the
        # matches first instead of walking an index in order for matches that never come)
        assert driver == "text" and steps.index("CTE matches") < steps.index("CTE Scan on matches"), steps
        assert "Hash" not in steps and "Merge" not in steps, steps  # each match's outlet checked by a probe
        assert store.search(SearchQuery(parse_query("سکه بورس").root, Filters(outlet_ids=(3,)))) == []  # type: ignore[attr-defined]
        newest = store.search(SearchQuery(parse_query("تورم").root, Filters(outlet_ids=(3,)), limit=3))  # type: ignore[attr-defined]
        truth = sorted((i for i in range(1, 40_001) if i % 2 == 0 and 1 + i % 3 == 3), key=lambda i: (i % 365, i))
        assert [m.id for m in newest] == truth[::-1][:3]
        # A date range's share of the archive is counted, not read off the days alone: one stray article
        # dated 1900 makes the archive span 125 years, yet a month of 2024 holds 1/12 of it.
        stray = (dt.date(1900, 1, 1).toordinal() << 32) | 50_000
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("INSERT INTO articles (id, fts_key, content_key, outlet_id, raw_text, text, doc, added) "
                         "VALUES (50000, %s, 'stray', 1, 'x', 'x', '\\x00', 'now')", [stray])
            conn.execute("INSERT INTO articles_fts (rowid, tsv) VALUES (%s, 'x')", [stray])
        month = ((739_000 + 100) << 32, (739_000 + 130) << 32)
        assert 0.07 < store._range_share(*month, 40_001) < 0.1  # type: ignore[attr-defined]
    finally:
        store.close()
