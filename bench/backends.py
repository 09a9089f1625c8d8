"""SQLite and PostgreSQL side by side: the same answers, search latency, ingest throughput.

Each command starts a throwaway PostgreSQL cluster (khabar/archive/storage/postgres/cluster.py) or
uses ``--pg URL``, and prints one JSON line of figures.

    nice .venv/bin/python bench/backends.py same                    # ≥200 queries, demo + 10k synthetic
    nice .venv/bin/python bench/backends.py search --n 1000000      # p95 at 1M on both (bulk-built)
    nice .venv/bin/python bench/backends.py ingest --n 1000 [--restore-only] [--jobs 2] [--repeat 5]
    nice .venv/bin/python bench/backends.py serve                   # a cluster to reuse: prints its URL

``serve`` starts the bench's throwaway cluster and keeps it until interrupted (Ctrl-C, or kill), so
``search --pg URL`` can reuse a database between runs: a database that already holds the SQLite
archive's articles is not copied again (only migrated), which at 1M saves the long copy.

``same``: the sample articles (full pipeline) and a 10k-article synthetic archive are built on
SQLite and copied to PostgreSQL (``khabar copy``: every Document exact), then a fixed set of queries
(words, phrases, prefixes, boolean, each facet, both calendars; newest, oldest and relevance, with
counts and facets) is run on both: the pages must be equal (ids in order, totals, facets).

``search``: the SQLite archive of ``bench/archive.py search`` (built there with direct bulk SQL,
not the pipeline), written to PostgreSQL with direct ``COPY`` (the same rows and index keys), then
the same text + one facet queries timed on both, warm, newest first and by relevance.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import archive as synth  # noqa: E402  (bench/archive.py)

from khabar.archive import Archive  # noqa: E402

BENCH_SETTINGS = {"shared_buffers": "1GB", "work_mem": "32MB"}


def _cluster(url: str | None) -> tuple[Any, str]:
    if url:
        return None, url
    from khabar.archive.storage.postgres.cluster import TemporaryCluster

    cluster = TemporaryCluster(settings=BENCH_SETTINGS).start()
    return cluster, cluster.create_database()


def serve() -> None:
    """Start the bench's cluster, print a database's URL, and keep it until interrupted."""
    import signal

    from khabar.archive.storage.postgres.cluster import TemporaryCluster

    cluster = TemporaryCluster(settings=BENCH_SETTINGS).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        print(cluster.create_database("bench"), flush=True)
        print(f"(pid {os.getpid()}; stop with Ctrl-C or kill {os.getpid()})", file=sys.stderr, flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


def _load() -> float:
    return round(os.getloadavg()[0], 2)


# -- the same answers -------------------------------------------------------------------------------

def query_set(rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    words = [w for ws in synth.TOPICS.values() for w in ws]
    people = sorted({synth._person(rng)[0] for _ in range(40)})
    texts: list[str] = []
    texts += rng.sample(words, 30)                                                     # words
    texts += [f'"{a} {b}"' for a, b in zip(rng.sample(words, 8), rng.sample(words, 8), strict=True)]
    texts += ['"بانک مرکزی"', '"وزیر امور خارجه"', '"سازمان ملل متحد"', '"مجلس شورای اسلامی"']  # phrases
    texts += [w[:3] + "*" for w in rng.sample(words, 10)] + ["تورم*", "بازار*"]         # prefixes
    texts += [f"{a} OR {b}" for a, b in zip(rng.sample(words, 6), rng.sample(words, 6), strict=True)]
    texts += [f"{a} NOT {b}" for a, b in zip(rng.sample(words, 6), rng.sample(words, 6), strict=True)]
    texts += [f"({a} OR {b}) {c}" for a, b, c in zip(rng.sample(words, 4), rng.sample(words, 4),
                                                     rng.sample(words, 4), strict=True)]
    texts += ["می کند", "ميكند", "می‌شود", "۱۴۰۲", "1402", ""]                        # spelling variants, empty
    texts += ["رئیس جمهور", "رييس‌جمهور", "٢٣", "23"]
    texts += [f'"{p}"' for p in people[:8]]                                           # names as phrases
    texts += rng.sample(words, 12)                                                     # more words
    texts += [f"{a} AND {b}" for a, b in zip(rng.sample(words, 6), rng.sample(words, 6), strict=True)]
    texts += [w[:4] + "*" for w in rng.sample(words, 6)]                              # more prefixes
    facets: list[dict[str, Any]] = [{}, {"person": people[0]}, {"person": people[5]}, {"place": "تهران"},
                                    {"place": "مسکو"}, {"org": "بانک مرکزی"}, {"source": "ایسنا"},
                                    {"since": "1401-01-01", "until": "1401-12-29"},     # Jalali
                                    {"since": "2023-03-21", "until": "2024-03-19"},     # Gregorian
                                    {"since": "مهر ۱۴۰۰"}, {"until": "2020-12-31"}, {"has_quotes": True}]
    out = []
    for i, text in enumerate(texts):
        out.append((text, facets[i % len(facets)]))
        out.append((text, {}))
    return out


def _page(a: Archive, q: str, f: dict[str, Any], sort: str) -> dict[str, Any]:
    try:
        return a.search(q, sort=sort, limit=20, count=True, facets=True, **f).to_dict()
    except Exception as err:  # a query refused: both must refuse it alike
        return {"error": str(err).split(": ", 1)[-1]}


def bench_same(pg: str | None, n: int) -> dict[str, Any]:
    cluster, url = _cluster(pg)
    tmp = tempfile.TemporaryDirectory()
    out: dict[str, Any] = {"bench": "same_answers", "load_average_1min": _load()}
    try:
        rng = random.Random(1404)
        queries = query_set(rng)
        for name, build in (("demo", "samples"), ("synthetic", n)):
            sq = str(Path(tmp.name) / f"{name}.db")
            if build == "samples":
                with Archive.open(sq) as a:
                    a.ingest([str(REPO / "samples")], jobs=2)
            else:
                synth.build_search_archive(sq, int(build))
            target = url if name == "demo" else (cluster.create_database() if cluster else url)
            with Archive.open(sq) as a, Archive.open(target) as b:
                a.cluster()
                t = time.perf_counter()
                copied = a.copy_to(b)
                copy_s = time.perf_counter() - t
                same = different = 0
                diffs = []
                for q, f in queries:
                    for sort in ("newest", "oldest", "relevance"):
                        pa, pb = _page(a, q, f, sort), _page(b, q, f, sort)
                        if pa == pb:
                            same += 1
                        else:
                            different += 1
                            diffs.append((q, f, sort))
                out[name] = {"articles": copied, "copy_s": round(copy_s, 1), "queries": len(queries),
                             "pages_compared": same + different, "same": same, "different": different,
                             "first_differences": diffs[:5],
                             "with_results": sum(1 for q, f in queries if a.search(q, limit=1, **f).results)}
    finally:
        if cluster:
            cluster.stop()
    return out


# -- latency at scale -------------------------------------------------------------------------------

def bulk_copy_to_postgres(sqlite_path: str, url: str, *, batch: int = 20_000) -> float:
    """The bench archive's rows written to PostgreSQL with COPY (articles, outlets, entities, names,
    mentions, facets, the text index with the title keys bench/archive.py indexed)."""
    import sqlite3

    import psycopg

    from khabar.archive.keys import search_key
    from khabar.archive.storage import open_storage
    from khabar.archive.storage.postgres.fts import tsvector_literal
    from khabar.text.fold import fold

    open_storage(url).close()  # the schema
    src = sqlite3.connect(sqlite_path)
    t = time.perf_counter()
    with psycopg.connect(url) as conn:
        for table, cols in (("outlets", "id, name, key"), ("entities", "id, name, label, aliases, titles"),
                            ("entity_names", "key, entity_id")):
            with conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                for row in src.execute(f"SELECT {cols} FROM {table}"):
                    cp.write_row(row)
        title_keys: dict[str, str] = {}
        cols = ("id, fts_key, url, content_key, title, published, author, outlet_id, origin, kind, raw_text, text, "
                "doc, analysis, quotes, added")
        last = 0
        while True:
            rows = src.execute(f"SELECT {cols} FROM articles WHERE id > ? ORDER BY id LIMIT ?", (last, batch)).fetchall()
            if not rows:
                break
            with conn.cursor() as cur:
                with cur.copy(f"COPY articles ({cols}) FROM STDIN") as cp:
                    for r in rows:
                        cp.write_row(r)
                with cur.copy("COPY articles_fts (rowid, tsv) FROM STDIN") as cp:
                    for r in rows:
                        title = r[4] or ""
                        tk = title_keys.get(title)
                        if tk is None:
                            tk = title_keys[title] = search_key(title) if title else ""
                        cp.write_row((r[1], tsvector_literal(tk, fold(r[11]))))
                ids = (rows[0][0], rows[-1][0])
                with cur.copy("COPY mentions (article_id, entity_id, label, text, start, \"end\", raw_start, raw_end) "
                              "FROM STDIN") as cp:
                    for m in src.execute('SELECT article_id, entity_id, label, text, start, "end", raw_start, raw_end '
                                         "FROM mentions WHERE article_id BETWEEN ? AND ?", ids):
                        cp.write_row(m)
                with cur.copy("COPY article_entities (entity_id, fts_key, article_id, label, mentions) FROM STDIN") as cp:
                    for m in src.execute("SELECT entity_id, fts_key, article_id, label, mentions FROM article_entities "
                                         "WHERE article_id BETWEEN ? AND ?", ids):
                        cp.write_row(m)
            conn.commit()
            last = rows[-1][0]
            if last % 100_000 < batch:
                print(f"  … {last:,} articles in PostgreSQL ({time.perf_counter() - t:.0f}s)", file=sys.stderr, flush=True)
        conn.execute("SELECT setval('articles_id_seq', (SELECT MAX(id) FROM articles))")
        conn.execute("SELECT setval('outlets_id_seq', (SELECT MAX(id) FROM outlets))")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        # A VACUUM running beside an autovacuum's ANALYZE (started by the copy) may leave recent pages
        # not all-visible: index-only scans of a facet then read the heap (at 100k, 4,119 of 20,712
        # article pages were marked; source-facet searches took 37 ms instead of 8). Vacuum again until marked.
        for _ in range(5):
            left = conn.execute("SELECT COUNT(*) FROM pg_class WHERE relname IN ('articles', 'articles_fts', "
                                "'article_entities') AND relallvisible < relpages").fetchone()
            if not left or not left[0]:
                break
            time.sleep(2)
            conn.execute("VACUUM")
    src.close()
    return time.perf_counter() - t


def search_cases(queries: int) -> list[tuple[str, dict[str, Any]]]:
    """The timed searches: one or two topic words and one facet (person, place, outlet or a season)."""
    rng = random.Random(99)
    vocab = [w for words in synth.TOPICS.values() for w in words]
    cases = []
    for _ in range(queries):
        q = " ".join(rng.sample(vocab, rng.choice([1, 1, 2])))
        facet = rng.choice(["person", "place", "source", "since"])
        if facet == "person":
            kw: dict[str, Any] = {"person": synth._person(rng)[0]}
        elif facet == "place":
            kw = {"place": rng.choice(synth.PLACES)}
        elif facet == "source":
            kw = {"source": rng.choice(synth.OUTLETS)[0]}
        else:
            y = rng.randint(1398, 1404)
            kw = {"since": f"{y}-01-01", "until": f"{y}-03-31"}
        cases.append((q, kw))
    return cases


def bench_search_both(n: int, *, db: str | None, pg: str | None, queries: int) -> dict[str, Any]:
    from khabar.archive.search import search
    from khabar.archive.storage import open_storage

    tmp = tempfile.TemporaryDirectory()
    path = db or str(Path(tmp.name) / f"search-{n}.db")
    # An archive that already holds n articles is only read (the 1M archive may be shared).
    build_s = synth.build_search_archive(path, n) if _sqlite_articles(path) < n else 0.0
    articles = _sqlite_articles(path)
    cluster, url = _cluster(pg)
    out: dict[str, Any] = {"bench": "search_backends", "articles": articles, "queries": queries,
                           "sqlite_build_s": round(build_s, 1)}
    try:
        if _postgres_articles(url) == articles:
            out["postgres_build_s"] = "reused"
            open_storage(url).close()  # migrations only
        else:
            out["postgres_build_s"] = round(bulk_copy_to_postgres(path, url), 1)
        cases = search_cases(queries)
        answers: dict[str, dict[str, list[list[int]]]] = {}
        for name, address in (("sqlite", path), ("postgres", url)):
            store = open_storage(address, readonly=True)
            for q, kw in cases[:30]:  # warm the caches
                search(store, q, limit=10, **kw)
            res: dict[str, Any] = {}
            answers[name] = {}
            for order in ("newest", "relevance"):
                times, ids = [], []
                for q, kw in cases:
                    t = time.perf_counter()
                    page = search(store, q, limit=10, sort=order, **kw)
                    times.append((time.perf_counter() - t) * 1000)
                    ids.append([r.id for r in page])
                times.sort()
                answers[name][order] = ids
                res[order] = {"p50_ms": round(statistics.median(times), 2),
                              "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2), "max_ms": round(times[-1], 2)}
            res["load_average_1min"] = _load()
            out[name] = res
            store.close()
        out["same_ids_in_order"] = {o: sum(a == b for a, b in zip(answers["sqlite"][o], answers["postgres"][o],
                                                                   strict=True)) for o in ("newest", "relevance")}
    finally:
        if cluster:
            cluster.stop()
    return out


def _sqlite_articles(path: str) -> int:
    import sqlite3

    if not Path(path).exists():
        return 0
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(con.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:  # not an archive yet
        return 0
    finally:
        con.close()


def _postgres_articles(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        try:
            return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])  # type: ignore[index]
        except psycopg.errors.UndefinedTable:
            return 0


# -- ingest ---------------------------------------------------------------------------------------

def _server_cpu(cluster: Any) -> float | None:
    """CPU seconds the throwaway cluster's server has spent: the postmaster, its finished backends
    (its children's time) and its live processes (None with --pg: another machine's server)."""
    if cluster is None:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    try:
        master = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None

    def stat(pid: int) -> list[str] | None:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None

    own = stat(master)
    if own is None:
        return None
    total = sum(int(own[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != master:
            st = stat(int(entry))
            if st is not None and int(st[1]) == master:  # ppid
                total += int(st[11]) + int(st[12])
    return total / tick


def _ingest_once(name: str, address: str, items: list[Any], cluster: Any, *, restore_only: bool,
                 jobs: int | None) -> dict[str, Any]:
    """One ingest of ``items`` into the empty archive at ``address``: throughput, CPU and phases."""
    from khabar.archive.runner import ingest
    from khabar.archive.storage import open_storage

    n = len(items)
    store = open_storage(address)
    try:
        cpu0 = synth._cpu()
        server0 = _server_cpu(cluster) if name == "postgres" else None
        t = time.perf_counter()
        summary = ingest([], store, restore_only=restore_only, jobs=jobs, articles=items)
        elapsed = time.perf_counter() - t
        main_cpu, workers_cpu = (b - a for a, b in zip(cpu0, synth._cpu(), strict=True))
        if name == "postgres":
            time.sleep(0.5)  # the workers' server processes end (and are counted) as they disconnect
        server1 = _server_cpu(cluster) if name == "postgres" else None
    finally:
        store.close()
    timings = {k: round(v, 2) for k, v in sorted(summary.timings.items()) if not k.startswith("cpu@")}
    server_ms = (server1 - server0) / n * 1000 if server0 is not None and server1 is not None else None
    # What differs between the backends: linking identities and writing (the workers' CPU in those
    # phases), plus PostgreSQL's server; the analysis before them is the same code on both.
    storage_ms = (timings.get("link_cpu", 0.0) + timings.get("write_cpu", 0.0)) / n * 1000 + (server_ms or 0.0)
    return {"added": summary.added, "seconds": round(elapsed, 2), "articles_per_s": round(n / elapsed, 1),
            "cpu_ms_per_article_main": round(main_cpu / n * 1000, 3),
            "cpu_ms_per_article_workers": round(workers_cpu / n * 1000, 3),
            "load_average_1min": _load(),
            # the database server's own CPU (PostgreSQL; SQLite's runs in the workers)
            **({"cpu_ms_per_article_server": round(server_ms, 3)} if server_ms is not None else {}),
            "cpu_ms_per_article_storage": round(storage_ms, 3),
            # the engine's phases (analyse, link, write, lock wait …), summed over workers
            "timings": timings}


def bench_ingest_both(n: int, *, restore_only: bool, jobs: int | None, pg: str | None,
                      repeat: int = 1) -> dict[str, Any]:
    """Ingest the same ``n`` articles into a new SQLite file and a new PostgreSQL database.

    ``repeat`` > 1 runs that many pairs back to back, SQLite first in one pair and PostgreSQL first in
    the next, and adds the medians: on a shared machine whose speed drifts between runs, one pair's
    ratio says little (0.79–1.14 over eight pairs of the same code at 6,000 articles)."""
    from khabar.pipeline import default_pipeline

    if repeat > 1 and pg:
        raise SystemExit("--repeat needs the bench's own cluster (each PostgreSQL run writes a new database)")
    default_pipeline()
    items = list(synth.articles(n))
    cluster, url = _cluster(pg)
    tmp = tempfile.TemporaryDirectory()
    out: dict[str, Any] = {"bench": "ingest_backends", "mode": "restore-only" if restore_only else "full",
                           "articles": n, "jobs": jobs}
    runs: list[dict[str, Any]] = []
    try:
        for i in range(repeat):
            pair: dict[str, Any] = {}
            order = ("sqlite", "postgres") if i % 2 == 0 else ("postgres", "sqlite")
            for name in order:
                if name == "sqlite":
                    address = str(Path(tmp.name) / f"i{i}.db")
                else:
                    address = url if i == 0 else cluster.create_database()
                pair[name] = _ingest_once(name, address, items, cluster, restore_only=restore_only, jobs=jobs)
            runs.append(pair)
    finally:
        if cluster:
            cluster.stop()
        tmp.cleanup()
    if repeat == 1:
        out.update(runs[0])
        return out
    out["runs"] = runs
    out["median"] = {
        "sqlite_articles_per_s": statistics.median(r["sqlite"]["articles_per_s"] for r in runs),
        "postgres_articles_per_s": statistics.median(r["postgres"]["articles_per_s"] for r in runs),
        "postgres_over_sqlite": round(statistics.median(
            r["postgres"]["articles_per_s"] / r["sqlite"]["articles_per_s"] for r in runs), 3),
        "sqlite_storage_cpu_ms": round(statistics.median(r["sqlite"]["cpu_ms_per_article_storage"] for r in runs), 3),
        "postgres_storage_cpu_ms": round(statistics.median(r["postgres"]["cpu_ms_per_article_storage"] for r in runs),
                                         3),
    }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", default=None, help="a PostgreSQL server to use (default: a throwaway cluster)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("same")
    s.add_argument("--n", type=int, default=10_000)
    t = sub.add_parser("search")
    t.add_argument("--n", type=int, default=100_000)
    t.add_argument("--queries", type=int, default=300)
    t.add_argument("--db", default=None, help="the SQLite bench archive (reused, topped up to --n)")
    i = sub.add_parser("ingest")
    i.add_argument("--n", type=int, default=1000)
    i.add_argument("--restore-only", action="store_true")
    i.add_argument("--jobs", type=int, default=None)
    i.add_argument("--repeat", type=int, default=1, help="pairs of runs, alternating which backend goes first; "
                                                          "prints each and the medians")
    sub.add_parser("serve")
    args = ap.parse_args()
    if args.cmd == "serve":
        serve()
        return
    if args.cmd == "same":
        out = bench_same(args.pg, args.n)
    elif args.cmd == "search":
        out = bench_search_both(args.n, db=args.db, pg=args.pg, queries=args.queries)
    else:
        out = bench_ingest_both(args.n, restore_only=args.restore_only, jobs=args.jobs, pg=args.pg,
                                repeat=args.repeat)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
