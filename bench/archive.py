"""Archive figures: ingest throughput, search latency, bytes per article, peak memory.

Synthetic Persian news articles are generated here (outlets, people with titles, organizations,
places, Jalali and Gregorian dates, quotes, several topics) and scraped-looking noise is added
(ZWNJ dropped or spaced, Arabic ي/ك), so the pipeline has real work to do.

    nice .venv/bin/python bench/archive.py                                 # the three below with defaults
    nice .venv/bin/python bench/archive.py ingest --n 2000                 # full pipeline, all cores
    nice .venv/bin/python bench/archive.py ingest --n 10000 --restore-only # restoration + segmentation
    nice .venv/bin/python bench/archive.py search --n 100000               # latency at 100k articles
    nice .venv/bin/python bench/archive.py search --n 1000000 --million    # latency at 1M (long: builds ~1M rows)

``search`` writes synthetic analysed articles straight into storage (no pipeline), then times
:func:`khabar.archive.search.search` — full text plus one facet (person, place, outlet or a date range),
snippets included — for a few hundred queries, in the default order (newest) and by relevance.
Every command prints one JSON line of figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from khabar.ingest import RawArticle  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from noise import scrape_damage  # noqa: E402


def _w(words: str, sep: str | None = None) -> list[str]:
    return words.split(sep)


OUTLETS = [
    ("خبرگزاری جمهوری اسلامی", "ایرنا", "irna.ir"), ("خبرگزاری دانشجویان ایران", "ایسنا", "isna.ir"),
    ("خبرگزاری مهر", "مهر", "mehrnews.com"), ("خبرگزاری تسنیم", "تسنیم", "tasnimnews.com"),
    ("خبرگزاری فارس", "فارس", "farsnews.ir"), ("روزنامه همشهری", "همشهری", "hamshahrionline.ir"),
    ("خبرآنلاین", "خبرآنلاین", "khabaronline.ir"), ("دنیای اقتصاد", "دنیای اقتصاد", "donya-e-eqtesad.com"),
    ("خبرگزاری ایلنا", "ایلنا", "ilna.ir"), ("باشگاه خبرنگاران جوان", "باشگاه خبرنگاران", "yjc.ir"),
    ("روزنامه شرق", "شرق", "sharghdaily.com"), ("اعتمادآنلاین", "اعتماد", "etemadonline.com"),
]
FIRST = _w("علی محمد حسین رضا مهدی حسن مجید سعید احمد عباس مسعود جواد حمید مرتضی کاظم ناصر بهرام فرهاد "
         "مریم زهرا فاطمه سارا لیلا نرگس شیرین الهام فرزانه معصومه")
LAST = _w("رحیمی کریمی حسینی موسوی احمدی محمدی رضایی جعفری صادقی قاسمی نوری اکبری عباسی طاهری کاظمی "
        "مرادی سلیمانی یزدانی شریفی فراهانی بهرامی نجفی زمانی کرمانی تهرانی اصفهانی شیرازی")
TITLES = ["وزیر امور اقتصادی و دارایی", "وزیر امور خارجه", "رئیس بانک مرکزی", "سخنگوی دولت", "استاندار تهران",
          "رئیس اتاق بازرگانی", "نماینده مجلس", "رئیس سازمان برنامه و بودجه", "شهردار تهران", "سرمربی تیم ملی",
          "وزیر بهداشت", "رئیس سازمان محیط زیست", "معاون اول رئیس جمهور", "وزیر نیرو", "رئیس کل دادگستری"]
ORGS = ["بانک مرکزی", "وزارت امور خارجه", "مجلس شورای اسلامی", "سازمان برنامه و بودجه", "اتاق بازرگانی تهران",
        "شهرداری تهران", "سازمان هواشناسی", "جمعیت هلال احمر", "فدراسیون فوتبال", "وزارت بهداشت",
        "سازمان محیط زیست", "بورس تهران", "وزارت نیرو", "دانشگاه تهران", "سازمان ملل متحد", "اتحادیه اروپا"]
PLACES = ["تهران", "مشهد", "اصفهان", "شیراز", "تبریز", "کرمان", "اهواز", "رشت", "یزد", "قم", "مسکو", "پکن",
          "دوحه", "بغداد", "ژنو", "وین", "آنکارا", "کابل", "استانبول", "نیویورک", "دبی", "باکو", "ایروان"]
JALALI_MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]
WEEKDAYS = ["شنبه", "یکشنبه", "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه"]
TOPICS = {
    "economy": _w("تورم نقدینگی نرخ‌ارز بودجه مالیات صادرات واردات سرمایه‌گذاری یارانه بورس سکه دلار "
                "تولید اشتغال رکود قیمت‌ها بازار مسکن خودرو بانک‌ها سود"),
    "diplomacy": _w("مذاکرات توافق تحریم همکاری‌ها روابط دوجانبه سفیر نشست امنیت منطقه صلح "
                  "گفت‌وگو تفاهم‌نامه سفر هیئت بیانیه پیشنهاد"),
    "sport": _w("مسابقه لیگ دربی گل قهرمانی تیم‌ملی ورزشگاه هواداران داور پنالتی جام باشگاه "
              "تمرین بازیکن مربی"),
    "culture": _w("نمایشگاه کتاب ناشران جشنواره فیلم سینما تئاتر موسیقی هنرمندان موزه میراث "
                "فرهنگی کنسرت نویسنده"),
    "health": _w("بیمارستان واکسن بیماران درمان دارو پزشکان بیمه سلامت آنفلوآنزا پیشگیری "
               "پرستاران اورژانس"),
    "environment": _w("آلودگی هوا خشکسالی سد بارش جنگل زلزله سیل آب فرونشست ریزگرد دمای‌هوا "
                    "انرژی‌های‌تجدیدپذیر"),
}
VERBS = ["می‌شود", "می‌کند", "می‌یابد", "می‌رسد", "خواهد شد", "می‌دهد", "کرده‌اند", "شده است", "می‌گیرد"]
FILLER = _w("در همین حال|همچنین|بر اساس این گزارش|به گفته کارشناسان|در ماه‌های اخیر|طی روزهای گذشته|"
          "با توجه به شرایط فعلی|از سوی دیگر", "|")


def _person(rng: random.Random) -> tuple[str, str]:
    # A few people are in the news every day, most rarely: a third of mentions go to 30 people.
    i = rng.randrange(30) if rng.random() < 0.33 else rng.randrange(len(FIRST) * len(LAST))
    i = (i * 7919) % (len(FIRST) * len(LAST))
    return f"{FIRST[i % len(FIRST)]} {LAST[i // len(FIRST)]}", TITLES[i % len(TITLES)]


def _words(rng: random.Random, topic: str, n: int) -> str:
    vocab = TOPICS[topic]
    return " ".join(rng.choice(vocab).replace("‌", " ") if rng.random() < 0.1 else rng.choice(vocab)
                    for _ in range(n))


def _fa_digits(n: int | str) -> str:
    return str(n).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def article(rng: random.Random, i: int, *, noise: bool = True) -> tuple[RawArticle, list[tuple[str, str]]]:
    """One synthetic article, and the (name, label) entities written into it."""
    topic = rng.choice(list(TOPICS))
    outlet, _short, domain = rng.choice(OUTLETS)
    p1, t1 = _person(rng)
    p2, t2 = _person(rng)
    while p2 == p1:
        p2, t2 = _person(rng)
    place, place2 = rng.sample(PLACES, 2)
    org = rng.choice(ORGS)
    jy, jm, jd = rng.randint(1398, 1404), rng.randint(1, 12), rng.randint(1, 29)
    import jdatetime

    g = jdatetime.date(jy, jm, jd).togregorian()
    date_words = f"{_fa_digits(jd)} {JALALI_MONTHS[jm - 1]} {_fa_digits(jy)}"
    n = rng.randint(5, 11)
    sents = [
        f"به گزارش {outlet} از {place}، {t1} {p1} روز {rng.choice(WEEKDAYS)} {date_words} در نشستی با حضور "
        f"مسئولان {org} درباره {_words(rng, topic, 3)} گفت‌وگو کرد.",
        f"{p1} گفت: «{_words(rng, topic, rng.randint(6, 12))} {rng.choice(VERBS)}.»",
    ]
    for _ in range(n):
        kind = rng.random()
        if kind < 0.25:
            sents.append(f"{rng.choice(FILLER)} {t2} {p2} نیز در {place2} با اشاره به {_words(rng, topic, 4)} "
                         f"تاکید کرد که {_words(rng, topic, rng.randint(5, 9))} {rng.choice(VERBS)}.")
        elif kind < 0.4:
            sents.append(f"{rng.choice(FILLER)} {org} اعلام کرد {_words(rng, topic, 5)} تا پایان "
                         f"{JALALI_MONTHS[rng.randrange(12)]} ماه به {_fa_digits(rng.randint(2, 95))} درصد "
                         f"{rng.choice(VERBS)}.")
        elif kind < 0.5:
            sents.append(f"{p1} و {p2} در این دیدار درباره {_words(rng, topic, 4)} رایزنی کردند.")
        else:
            sents.append(f"{rng.choice(FILLER)} {_words(rng, topic, rng.randint(8, 16))} {rng.choice(VERBS)}.")
    text = " ".join(sents[:2]) + "\n" + " ".join(sents[2:])
    title = f"{t1}: {_words(rng, topic, 4)} {rng.choice(VERBS)}"
    if noise:
        text = scrape_damage(text, rng)
    raw = RawArticle(text=text, origin=f"synthetic#{i}", kind="jsonl", title=title,
                     url=f"https://www.{domain}/news/{i}", published=f"{g.isoformat()}T{rng.randint(6, 23):02d}:00:00",
                     author=None, outlet=outlet)
    ents = [(p1, "PER"), (p2, "PER"), (org, "ORG"), (place, "LOC"), (place2, "LOC")]
    return raw, ents


def articles(n: int, *, seed: int = 1404, noise: bool = True) -> Iterator[RawArticle]:
    rng = random.Random(seed)
    for i in range(n):
        yield article(rng, i, noise=noise)[0]


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _peak_mb() -> dict[str, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_main_mb": round(me, 1), "peak_rss_worker_mb": round(kids, 1)}


class _NoIdentities:
    """Ingest as before archive identities (``--identities without``): no features in the
    workers, no linking in the writer; each article's entities keep their own ids."""

    def __init__(self, storage: object) -> None:
        pass

    def link_article(self, article: object) -> None:
        return None

    def written(self) -> None:
        pass

    seen = None

    def catch_up(self, own: object = ()) -> None:
        pass

    def prefetch(self, articles: object) -> None:
        pass

    def revisit_roles(self, article_ids: object = None) -> int:
        return 0


def bench_ingest(n: int, *, restore_only: bool, jobs: int | None, db: str | None,
                 identities: bool = True, writer: str = "auto") -> dict[str, object]:
    from khabar.archive import runner, work
    from khabar.pipeline import default_pipeline

    default_pipeline()  # loaded once before the workers fork, as the CLI does
    # The features are computed in the batch work; the linking is done by whoever writes (the
    # workers, or the one writer in the runner).
    patched = [(runner, "IdentityResolver"), (work, "IdentityResolver"), (work, "features")]
    saved = [getattr(module, name) for module, name in patched]
    if not identities:  # the workers fork from here, so they see the patch too
        for module, name in patched:
            setattr(module, name, _NoIdentities if name == "IdentityResolver" else (lambda *a, **k: None))
    try:
        return _bench_ingest(n, restore_only=restore_only, jobs=jobs, db=db, identities=identities, writer=writer)
    finally:
        for (module, name), value in zip(patched, saved, strict=True):
            setattr(module, name, value)


def _bench_ingest(n: int, *, restore_only: bool, jobs: int | None, db: str | None,
                  identities: bool, writer: str) -> dict[str, object]:
    from khabar.archive.runner import default_jobs, ingest
    from khabar.archive.storage import open_storage

    items = list(articles(n))
    tmp = tempfile.TemporaryDirectory()
    path = db or str(Path(tmp.name) / "bench.db")
    store = open_storage(path)
    cpu0 = _cpu()
    t = time.perf_counter()
    summary = ingest([], store, restore_only=restore_only, jobs=jobs, articles=items, writer=writer)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - t
    cpu_main, cpu_workers = (b - a for a, b in zip(cpu0, _cpu(), strict=True))
    load = os.getloadavg()[0]
    store.checkpoint()  # type: ignore[attr-defined]
    size = store.file_bytes()  # type: ignore[attr-defined]
    stats = store.stats()
    store.close()
    return {"bench": "ingest", "mode": "restore-only" if restore_only else "full",
            "identities": identities and not restore_only, "articles": n,
            "jobs": jobs or default_jobs(), "writer": writer, "added": summary.added, "failed": summary.failed,
            "seconds": round(elapsed, 2), "articles_per_s": round(n / elapsed, 1),
            # CPU time does not depend on what else the machine runs: two free cores could do at
            # most 2 / (CPU seconds per article) articles per second.
            "cpu_ms_per_article_main": round(cpu_main / n * 1000, 3),
            "cpu_ms_per_article_workers": round(cpu_workers / n * 1000, 3),
            "articles_per_s_on_2_free_cores": round(2 / ((cpu_main + cpu_workers) / n), 1),
            "load_average_1min": round(load, 2),
            "db_bytes_per_article": round(size / max(1, summary.added)),
            "mean_chars_per_article": round(sum(len(a.text) for a in items) / n),
            "entities": stats["entities"], "mentions": stats["mentions"], **_peak_mb()}


def build_search_archive(path: str, n: int, *, seed: int = 7) -> float:
    """Write ``n`` synthetic analysed articles straight into storage (bulk SQL, the same rows
    ``Storage.add`` writes: articles, outlets, entities, mentions, facets, the text index); returns
    seconds taken. An archive that already has some articles is topped up."""
    from khabar import restore
    from khabar.archive.keys import search_key
    from khabar.archive.storage import open_storage
    from khabar.archive.storage.sqlite.fts import fts_key
    from khabar.codec import pack_doc
    from khabar.text.fold import fold

    store = open_storage(path)
    db = store.db  # type: ignore[attr-defined]
    have = int(db.execute("SELECT COALESCE(MAX(id), 0) FROM articles").fetchone()[0])
    rng = random.Random(seed + have)
    t = time.perf_counter()
    title_keys: dict[str, tuple[str | None, str]] = {}
    outlets: dict[str, int] = {}
    known: set[str] = {r[0] for r in db.execute("SELECT id FROM entities")}
    batch = 5000
    i = have
    now = "2026-01-01T00:00:00+00:00"
    while i < n:
        rows_a, rows_f, rows_m, rows_ae, rows_e, rows_en = [], [], [], [], [], []
        for _ in range(min(batch, n - i)):
            i += 1
            raw, ents = article(rng, i, noise=False)
            text = raw.text
            mentions, entities, seen = [], [], set()
            for name, label in ents:
                eid = f"{label.lower()}:{name.replace(' ', '_')}"
                pos = text.find(name)
                if pos >= 0:
                    mentions.append({"text": name, "start": pos, "end": pos + len(name), "raw_start": pos,
                                     "raw_end": pos + len(name), "label": label, "entity": eid})
                if eid not in seen:
                    seen.add(eid)
                    entities.append({"id": eid, "name": name, "label": label, "aliases": [], "titles": []})
                if eid not in known:
                    known.add(eid)
                    rows_e.append((eid, name, label))
                    rows_en.append((fold(name), eid))
            doc = {"raw_text": text, "text": text, "sentences": [], "tokens": [], "mentions": mentions,
                   "entities": entities, "quotes": [], "events": [], "dates": [], "source": None,
                   "warnings": [], "changes": [], "meta": {"published": raw.published, "url": raw.url}}
            # Titles are stored restored, as an ingest stores them, so the index's key is their fold
            # (a copy to another backend indexes the stored title again and must find the same words).
            got = title_keys.get(raw.title or "")
            if got is None:
                title = restore(raw.title) if raw.title else raw.title
                got = title_keys[raw.title or ""] = (title, search_key(raw.title or ""))
            title, tk = got
            outlet = raw.outlet or ""
            if outlet not in outlets:
                row = db.execute("SELECT id FROM outlets WHERE key = ?", (fold(outlet),)).fetchone()
                outlets[outlet] = row[0] if row else int(db.execute(
                    "INSERT INTO outlets (name, key) VALUES (?, ?)", (outlet, fold(outlet))).lastrowid or 0)
            key = fts_key(i, raw.published)
            rows_a.append((i, key, raw.url, f"synthetic-{seed}-{i}", title, raw.published, None, outlets[outlet],
                           raw.origin, "synthetic", text, text, pack_doc(doc), "full", 0, now))
            rows_f.append((key, tk, fold(text)))
            rows_m += [(i, m["entity"], m["label"], m["text"], m["start"], m["end"], m["start"], m["end"])
                       for m in mentions]
            rows_ae += [(e["id"], key, i, e["label"], 1) for e in entities]
        with store.transaction():
            db.executemany("INSERT INTO entities (id, name, label) VALUES (?, ?, ?)", rows_e)
            db.executemany("INSERT OR IGNORE INTO entity_names (key, entity_id) VALUES (?, ?)", rows_en)
            db.executemany("INSERT INTO articles (id, fts_key, url, content_key, title, published, author, outlet_id, "
                           "origin, kind, raw_text, text, doc, analysis, quotes, added) "
                           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows_a)
            db.executemany("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)", rows_f)
            db.executemany('INSERT INTO mentions (article_id, entity_id, label, text, start, "end", raw_start, raw_end) '
                           "VALUES (?,?,?,?,?,?,?,?)", rows_m)
            db.executemany("INSERT INTO article_entities (entity_id, fts_key, article_id, label, mentions) "
                           "VALUES (?,?,?,?,?)", rows_ae)
        if i % 50_000 < batch:
            print(f"  … {i:,} articles ({time.perf_counter() - t:.0f}s)", file=sys.stderr, flush=True)
    store.checkpoint()  # type: ignore[attr-defined]
    store.close()
    return time.perf_counter() - t


def bench_search(n: int, *, db: str | None, queries: int, seed: int = 99) -> dict[str, object]:
    from khabar.archive.search import search
    from khabar.archive.storage import open_storage

    tmp = tempfile.TemporaryDirectory()
    path = db or str(Path(tmp.name) / f"search-{n}.db")
    build_s = build_search_archive(path, n)
    store = open_storage(path)
    count = store.stats()["articles"]
    size = store.file_bytes()  # type: ignore[attr-defined]
    rng = random.Random(seed)
    vocab = [w for words in TOPICS.values() for w in words]
    cases = []
    for _ in range(queries):
        words = rng.choice([1, 1, 2])
        q = " ".join(rng.sample(vocab, words))
        facet = rng.choice(["person", "place", "source", "since"])
        if facet == "person":
            kw = {"person": _person(rng)[0]}
        elif facet == "place":
            kw = {"place": rng.choice(PLACES)}
        elif facet == "source":
            kw = {"source": rng.choice(OUTLETS)[0]}
        else:
            y = rng.randint(1398, 1404)
            kw = {"since": f"{y}-01-01", "until": f"{y}-03-31"}
        cases.append((q, kw))
    for q, kw in cases[:20]:  # warm the page cache
        search(store, q, limit=10, **kw)
    out: dict[str, object] = {"bench": "search", "articles": count, "queries": len(cases)}
    for order in ("newest", "relevance"):  # newest is the default order
        times, found = [], 0
        for q, kw in cases:
            t = time.perf_counter()
            res = search(store, q, limit=10, sort=order, **kw)
            times.append((time.perf_counter() - t) * 1000)
            found += bool(res.results)
        times.sort()
        out[order] = {"p50_ms": round(statistics.median(times), 2),
                      "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2), "max_ms": round(times[-1], 2),
                      "with_results": found}
    store.close()
    return {**out, "build_s": round(build_s, 1), "db_bytes_per_article": round(size / count),
            "load_average_1min": round(os.getloadavg()[0], 2), **_peak_mb()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd")
    a = sub.add_parser("ingest", help="ingest throughput")
    a.add_argument("--n", type=int, default=2000)
    a.add_argument("--restore-only", action="store_true")
    a.add_argument("--jobs", type=int, default=None)
    a.add_argument("--db", default=None, help="archive path (default: a temporary file)")
    a.add_argument("--identities", choices=["with", "without", "both"], default="with",
                   help="link archive identities (default), not, or both alternately in one run "
                        "(without, with, without, with: the ratio on one load)")
    a.add_argument("--writer", choices=["auto", "workers", "one"], default="auto",
                   help="who stores the batches: the workers (each its own connection) or one writer")
    s = sub.add_parser("search", help="search latency (full text + one facet)")
    s.add_argument("--n", type=int, default=100_000)
    s.add_argument("--queries", type=int, default=300)
    s.add_argument("--db", default=None, help="archive path, reused and topped up to --n (default: temporary)")
    s.add_argument("--million", action="store_true", help="allow --n above 200k (takes long)")
    g = sub.add_parser("sample", help="print synthetic articles as JSONL (for trying `khabar ingest`)")
    g.add_argument("--n", type=int, default=5)
    args = ap.parse_args()
    if args.cmd is None:  # the default figures: both ingest modes and search at 100k articles
        print(json.dumps(bench_ingest(2000, restore_only=False, jobs=None, db=None), ensure_ascii=False), flush=True)
        print(json.dumps(bench_ingest(10_000, restore_only=True, jobs=None, db=None), ensure_ascii=False), flush=True)
        print(json.dumps(bench_search(100_000, db=None, queries=300), ensure_ascii=False))
        return
    if args.cmd == "ingest" and args.identities == "both":
        for flag in (False, True, False, True):
            print(json.dumps(bench_ingest(args.n, restore_only=False, jobs=args.jobs, db=None, identities=flag),
                             ensure_ascii=False), flush=True)
        return
    if args.cmd == "ingest":
        out = bench_ingest(args.n, restore_only=args.restore_only, jobs=args.jobs, db=args.db,
                           identities=args.identities == "with", writer=args.writer)
    elif args.cmd == "search":
        if args.n > 200_000 and not args.million:
            ap.error("--n above 200k needs --million (it builds a large archive and takes long)")
        out = bench_search(args.n, db=args.db, queries=args.queries)
    else:
        for raw in articles(args.n):
            print(json.dumps({"text": raw.text, "title": raw.title, "url": raw.url, "published": raw.published,
                              "outlet": raw.outlet}, ensure_ascii=False))
        return
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
