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


# -- a batch's structure rows: one statement per table, the rows SQLite writes one by one -----------

_STRUCTURE = {
    "entities": "SELECT id, name, label, aliases, titles FROM entities ORDER BY id",
    "entity_names": "SELECT key, entity_id FROM entity_names ORDER BY key, entity_id",
    "identity_keys": "SELECT key, identity_id FROM identity_keys ORDER BY key, identity_id",
    "identity_names": "SELECT identity_id, article_id, kind, key, text, published FROM identity_names ORDER BY rowid",
    "identity_links": "SELECT article_id, local_id, identity_id, reason FROM identity_links ORDER BY article_id, local_id",
    "role_mentions": 'SELECT article_id, start, "end", text, office, identity_id, reason, speaker, entity '
                     'FROM role_mentions ORDER BY article_id, start',
    "mentions": 'SELECT article_id, entity_id, label, text, start, "end", raw_start, raw_end FROM mentions '
                'ORDER BY article_id, start, entity_id',
    "article_entities": "SELECT entity_id, fts_key, article_id, label, mentions FROM article_entities "
                        "ORDER BY entity_id, fts_key",
    "quotes": 'SELECT article_id, speaker_entity, speaker, cue, content, content_key, kind, start, "end" FROM quotes '
              "ORDER BY id",
    "events": 'SELECT e.article_id, e.type, e.trigger, e.start, e."end", e.date, e.place, p.entity_id FROM events e '
              "LEFT JOIN event_participants p ON p.event_id = e.id ORDER BY e.id, p.entity_id",
    "dates": 'SELECT article_id, value, calendar, granularity, text, start, "end" FROM dates ORDER BY article_id, start',
}


def _span(text: str, word: str, **extra: Any) -> dict[str, Any]:
    start = text.index(word)
    return {"text": word, "start": start, "end": start + len(word), "raw_start": start, "raw_end": start + len(word),
            **extra}


def _structured(n: int, variant: int) -> Any:
    """An article with every kind of structure row; ``variant`` changes who is named and how, so
    later batches merge new forms and titles into the identities earlier ones stored."""
    from khabar.archive.models import ArticleLinks, NewArticle, RoleLink

    text = f"خبر {n}: سخنگوی دولت گفت مجید نوروزی و نوروزی در شیراز با بانک مرکزی دیدار کرد «قیمت‌ها پایین می‌آید» ۱۲ آبان"
    name = "مجید نوروزی" if variant % 2 else "نوروزی"
    doc: dict[str, Any] = {
        "raw_text": text, "text": text, "meta": {"published": f"2025-11-{1 + n % 28:02d}"},
        "entities": [
            {"id": "per:a", "name": name, "label": "PER", "aliases": ["نوروزی"] if variant % 2 else [],
             "titles": ["وزیر نیرو"] if variant % 3 == 0 else ["وزیر نیرو", "دکتر"]},
            {"id": "per:b", "name": "نوروزی", "label": "PER", "aliases": [], "titles": []},  # the same person again
            {"id": "loc:shiraz", "name": "شیراز", "label": "LOC", "aliases": [], "titles": []},
            {"id": "role:spokesman", "name": "سخنگوی دولت", "label": "PER", "aliases": [], "titles": []},
        ],
        "mentions": [_span(text, "مجید نوروزی", label="PER", entity="per:a"),
                     _span(text, "شیراز", label="LOC", entity="loc:shiraz"),
                     _span(text, "بانک مرکزی", label="ORG", entity="org:bank")],  # an entity the document does not list
        "quotes": [{"speaker": _span(text, "سخنگوی دولت", entity=None), "cue": _span(text, "گفت"),
                    "content": _span(text, "قیمت‌ها پایین می‌آید"), "kind": "direct"},
                   {"speaker": _span(text, "مجید نوروزی", entity=f"per:new{variant}"), "cue": None,
                    "content": _span(text, "خبر"), "kind": "indirect"}],
        "events": [{"type": "meeting", "trigger": _span(text, "دیدار"), "date": "2025-11-03", "place": "loc:shiraz",
                    "participants": ["per:a", "per:b", "per:a", "org:bank"]},  # two of them one identity, one twice
                   {"type": "meeting", "trigger": None, "date": None, "place": None, "participants": []}],
        "dates": [_span(text, "۱۲ آبان", value="2025-11-03", calendar="jalali", granularity="day")],
    }
    role = _span(text, "سخنگوی دولت")
    links = ArticleLinks(
        ids={"per:a": "per:نوروزی", "per:b": "per:نوروزی", "loc:shiraz": "loc:شیراز", "role:spokesman": ""},
        reasons={"per:a": "the same name", "role:spokesman": "a role no one in the archive holds"},
        new=[("per:نوروزی", name, "PER"), ("loc:شیراز", "شیراز", "LOC"), ("per:spokes", "علی بهادری", "PER")],
        names=[("per:نوروزی", "form", name, name), ("per:نوروزی", "title", "وزیر نیرو", "وزیر نیرو")],
        keys=[("n:نوروزی", "per:نوروزی"), ("s:نوروزی", "per:نوروزی"), ("n:نوروزی", "per:نوروزی"),
              ("n:شیراز", "loc:شیراز")],
        roles=[RoleLink(role["start"], role["end"], role["start"], role["end"], role["text"], "سخنگو:دولت",
                        "per:spokes" if variant else "", "the office's holder", speaker=True)],
        published=doc["meta"]["published"])
    return NewArticle(doc=doc, content_key=f"k{n}", url=f"https://x.ir/s{n}", title=f"خبر {n}",
                      published=doc["meta"]["published"], outlet="ایرنا" if n % 2 else "مهر", links=links)


def _plain(n: int) -> Any:
    """An article without any structure (every list empty, no links)."""
    from khabar.archive.models import NewArticle

    text = f"متن ساده {n}"
    doc = {"raw_text": text, "text": text, "entities": [], "mentions": [], "quotes": [], "events": [], "dates": []}
    return NewArticle(doc=doc, content_key=f"p{n}", url=f"https://x.ir/p{n}")


def _structure(read: Any) -> dict[str, list[tuple[Any, ...]]]:
    return {table: [tuple(r) for r in read(sql)] for table, sql in _STRUCTURE.items()}


@pytest.mark.parametrize("look_first", [True, False])
def test_postgres_batch_structure_rows_are_sqlites(pg_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                  look_first: bool) -> None:
    """PostgreSQL writes a batch's structure rows a table at a time (COPY, unnest): the same rows
    SQLite writes article by article — identities merged in order across the batch and with those
    stored before, repeated keys and participants once, roles kept to their article, an article
    with no structure at all, and nothing twice when a batch is written again. The articles are
    copied straight in when the look for stored ones finds them all; ``look_first=False`` finds none
    (as when another writer stores them in between), so the copy meets a stored one and the batch
    goes through the staging table: the same ids, the same rows."""
    import sqlite3

    import khabar.archive.storage.postgres as pg_storage

    if not look_first:
        monkeypatch.setattr(pg_storage, "_STORED", pg_storage._STORED + " LIMIT 0")
    batches = [[_structured(1, 0), _plain(2), _structured(3, 1)],
               [_plain(4)],                                                         # no structure rows at all
               [_structured(5, 2), _structured(6, 3), _structured(7, 4)],
               # reruns after new ones (PostgreSQL draws ids for the reruns too: last, they change none)
               [_structured(8, 5), _structured(1, 0), _plain(2), _structured(3, 1)]]
    stores = {"sqlite": open_storage(str(tmp_path / "a.db")), "postgres": open_storage(pg_url)}
    try:
        written = {name: [s.write(b) for b in batches] for name, s in stores.items()}
        staging = stores["postgres"].conn.execute(  # type: ignore[attr-defined]
            "SELECT to_regclass('pg_temp.khabar_staged')").fetchone()[0]
    finally:
        for s in stores.values():
            s.close()
    assert written["sqlite"] == written["postgres"]
    assert written["postgres"][3] == [8, None, None, None]  # stored before: skipped
    assert (staging is None) == look_first  # the staging table only where the copy met a stored article
    lite = sqlite3.connect(tmp_path / "a.db")
    with psycopg.connect(pg_url) as conn:
        pg = _structure(lambda sql: conn.execute(sql).fetchall())
    sq = _structure(lambda sql: lite.execute(sql).fetchall())
    lite.close()
    assert pg == sq
    # What the batches must have made of it (so the comparison is not of two empty archives).
    entities = {r[0]: r for r in pg["entities"]}
    assert entities["per:نوروزی"][1] == "نوروزی" and "مجید نوروزی" in entities["per:نوروزی"][3]
    assert '"دکتر"' in entities["per:نوروزی"][4]
    assert "role:spokesman@1" in entities and entities["role:spokesman@1"][2] == "ROLE"
    assert {"per:new0", "per:new2", "org:bank", "per:spokes"} <= set(entities)
    assert len(pg["identity_keys"]) == 3 and len(pg["quotes"]) == 12 and len(pg["dates"]) == 6
    assert [q[1] for q in pg["quotes"] if q[0] in (1, 3) and q[3]] == [None, "per:spokes"]  # a role's holder speaks
    assert sum(1 for r in pg["events"] if r[0] == 1) == 3  # per:نوروزی once, org:bank; the empty meeting


def _tsvector_one_by_one(title_key: str, body_key: str, cap: int) -> str:
    """The tsvector literal position by position (as first written), the reference."""
    from khabar.archive.storage.postgres.fts import _quote, fts_tokens

    positions: dict[str, list[str]] = {}
    pos = 0
    for tok in fts_tokens(title_key):
        pos = min(pos + 1, cap)
        positions.setdefault(tok, []).append(f"{pos}A")
    pos += 1
    for tok in fts_tokens(body_key):
        pos = min(pos + 1, cap)
        positions.setdefault(tok, []).append(str(pos))
    return " ".join(f"{_quote(lex)}:{','.join(p)}" for lex, p in sorted(positions.items()))


@pytest.mark.parametrize("cap", [1, 2, 3, 5, 8, 16383])
def test_postgres_tsvector_positions_up_to_the_last(cap: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Title words first (weight A), a gap, then the text's; past the last position all share it,
    however long the title or the text."""
    from khabar.archive.storage.postgres import fts

    monkeypatch.setattr(fts, "MAX_POSITION", cap)
    words = ["بازار", "سکه", "a", "۱۲", "o'neil", "بازار"]
    for nt in range(0, 9):
        for nb in range(0, 9):
            title = " ".join(words[i % len(words)] for i in range(nt))
            body = " ".join(words[(i * 5 + 1) % len(words)] for i in range(nb))
            assert fts.tsvector_literal(title, body) == _tsvector_one_by_one(title, body, cap), (nt, nb)


def test_postgres_deletes_as_sqlites_foreign_keys_do(pg_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Migration 0004 replaced the batch-written tables' foreign keys by triggers: deleting an article
    deletes its rows in every structure table, deleting an entity still named by a mention is refused
    and deleting one that is not takes its entity_names rows, as SQLite's foreign keys do."""
    import sqlite3

    batch = [_structured(1, 0), _plain(2), _structured(3, 1)]
    for address in (str(tmp_path / "a.db"), pg_url):
        s = open_storage(address)
        try:
            s.write(batch)
        finally:
            s.close()
    lite = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    lite.execute("PRAGMA foreign_keys = ON")
    unnamed = ("SELECT id FROM entities WHERE id NOT IN (SELECT entity_id FROM mentions WHERE entity_id IS NOT NULL) "
               "AND id NOT IN (SELECT entity_id FROM article_entities) AND id NOT IN "
               "(SELECT speaker_entity FROM quotes WHERE speaker_entity IS NOT NULL) "
               "AND id IN (SELECT entity_id FROM entity_names) ORDER BY id")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        named = conn.execute("SELECT MIN(entity_id) FROM mentions WHERE article_id = 3").fetchone()[0]
        free = conn.execute(unnamed).fetchone()[0]
        assert named and free and lite.execute(unnamed).fetchone()[0] == free
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("DELETE FROM entities WHERE id = %s", (named,))
        with pytest.raises(sqlite3.IntegrityError):
            lite.execute("DELETE FROM entities WHERE id = ?", (named,))
        before = _structure(lambda sql: conn.execute(sql).fetchall())
        for run in (lambda sql, p: conn.execute(sql.replace("?", "%s"), p), lite.execute):
            run("DELETE FROM articles WHERE id = ?", (1,))
            run("DELETE FROM entities WHERE id = ?", (free,))
        pg = _structure(lambda sql: conn.execute(sql).fetchall())
    sq = _structure(lambda sql: lite.execute(sql).fetchall())
    lite.close()
    assert pg == sq
    assert any(r[1] == free for r in before["entity_names"]) and not any(r[1] == free for r in pg["entity_names"])
    article = {"identity_names": 1, "article_entities": 2}  # the article id's column (else the first)
    for table, rows in before.items():  # article 1 had rows in each structure table, now gone; article 3's stay
        if table not in ("entities", "entity_names", "identity_keys"):
            i = article.get(table, 0)
            assert {r[i] for r in rows} >= {1, 3} and {r[i] for r in pg[table]} == {3}, table


def test_postgres_identity_delta_is_sqlites(pg_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """What a worker's resolver takes in of other writers' batches (identity_delta) is what SQLite
    gives for the same writes, though PostgreSQL counts in batch numbers (drawn under the identity
    lock, so in commit order) rather than article ids; a connection's own batches are left out (its
    resolver took them in as it linked them), and inside a snapshot no later batch is seen."""
    batches = [[_structured(1, 0), _plain(2), _structured(3, 1)], [_structured(5, 2), _plain(6), _structured(7, 3)],
               [_structured(8, 4)], [_structured(9, 5)]]
    got: dict[str, list[Any]] = {}
    for name, address in (("sqlite", str(tmp_path / "a.db")), ("postgres", pg_url)):
        with open_storage(address) as writer, open_storage(address) as reader:
            writer.write(batches[0])
            first = reader.identity_delta(None)
            assert first is not None and not (first.names or first.mentions or first.outlets or first.keys)
            writer.write(batches[1])
            second = reader.identity_delta(first.last)
            reader.write(batches[2])  # the reader's own batch
            own = reader.identity_delta(second.last)
            theirs = writer.identity_delta(second.last)
            with reader.snapshot():
                before = reader.identity_delta(own.last)
                writer.write(batches[3])
                during = reader.identity_delta(own.last)
            after = reader.identity_delta(own.last)
            assert second.last > first.last and own.last == theirs.last > second.last
            assert before == during and not during.names and after.last > own.last and after.names
            got[name] = [(d.names, d.mentions, d.outlets, d.keys) for d in (second, theirs, after)] + [own]
    assert got["postgres"][:3] == got["sqlite"][:3]
    names, mentions, outlets, keys = got["postgres"][0]
    assert {a for a, *_ in names} == {4, 6} and mentions and outlets and keys  # not an empty comparison
    assert {a for a, *_ in got["postgres"][1][0]} == {7}
    sqlite_own, pg_own = got["sqlite"][3], got["postgres"][3]
    assert {a for a, *_ in sqlite_own.names} == {7}  # SQLite's has the reader's own article (its resolver skips it)
    assert not (pg_own.names or pg_own.mentions or pg_own.outlets or pg_own.keys)


def test_postgres_migration_0005_numbers_batches_from_then_on(pg_url: str) -> None:
    """An archive as it was before migration 0005 (written, then the table and its record taken away)
    gains identity_batches when opened: its articles stay, a resolver starts from batch 0, and the
    batches written from then on are numbered and told."""
    with open_storage(pg_url) as old:
        old.write([_structured(1, 0), _plain(2)])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP TABLE identity_batches")
        conn.execute("DELETE FROM khabar_migrations WHERE name = '0005_identity_batches'")
    with open_storage(pg_url) as writer, open_storage(pg_url) as reader:
        assert writer.applied_migrations()[-1] == "0005_identity_batches"
        start = reader.identity_delta(None)
        assert start is not None and start.last == 0
        writer.write([_structured(3, 1)])
        delta = reader.identity_delta(start.last)
        assert delta is not None and delta.last == 1 and {a for a, *_ in delta.names} == {3}
        assert len(reader.articles()) == 3


@pytest.mark.parametrize("look_first", [True, False])
def test_postgres_batch_skips_what_came_earlier_in_it(pg_url: str, monkeypatch: pytest.MonkeyPatch,
                                                    look_first: bool) -> None:
    """An article whose content key, or URL alone, came earlier in its batch is skipped (the copy
    straight into articles leaves it out, found or not by the look for stored ones), as SQLite does."""
    import dataclasses

    import khabar.archive.storage.postgres as pg_storage

    if not look_first:
        monkeypatch.setattr(pg_storage, "_STORED", pg_storage._STORED + " LIMIT 0")
    batch = [_structured(1, 1), _structured(1, 1), _plain(2), dataclasses.replace(_plain(2), content_key="p2b"),
             dataclasses.replace(_plain(3), url=None), dataclasses.replace(_plain(4), url=None)]
    with open_storage(pg_url) as s:
        written = s.write(batch)
        assert written[1] is None and written[3] is None and None not in written[::2] and written[5] is not None
        assert sorted(a.id for a in s.articles()) == sorted(i for i in written if i is not None)
        assert s.write(batch) == [None] * len(batch)  # all stored now
