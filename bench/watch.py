"""khabar watch against simulated outlets: correctness figures from the servers' own logs, and memory.

Default run (the issue's figures): 30 outlets, each its own host (127.0.0.2 … 127.0.0.31) with one
RSS feed of 20 items and a page per item, ETag/Last-Modified honoured as real servers do. The real
``khabar watch`` runs as a subprocess (``--json``), with saved searches added first. After the first
poll of every feed, new items appear at random moments during each of 5 more polling cycles. Then:

- every item stored exactly once (the archive against the items published);
- refetches of unchanged feeds: 200 answers that carried the same ETag as the feed's previous 200
  (a client honouring 304 gets none), and article pages fetched more than once;
- per-host spacing: the smallest gap between two requests arriving at one host, from the servers'
  logs, against ``--spacing``;
- alerts: the articles each saved search matched (in the archive) against the items written to
  match it, and the time from an item appearing in its feed to its alert on the watcher's stdout.

``--memory``: the watcher polls the 30 feeds ``--cycles`` times (1,000 by default) back to back, with
a new item every 50 cycles; its peak RSS (VmHWM) and RSS are read from /proc at cycles 10, 100, 500
and the last.

    .venv/bin/python bench/watch.py                 # the correctness figures (about 3 minutes)
    .venv/bin/python bench/watch.py --memory        # memory over 1,000 cycles
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("khabar_tests_outlets", REPO / "tests" / "outlets.py")
assert _spec and _spec.loader
outlets: Any = importlib.util.module_from_spec(_spec)
sys.modules["khabar_tests_outlets"] = outlets
_spec.loader.exec_module(outlets)

_VOCABULARY = ("بازار بورس سکه طلا دلار مدرسه دانشگاه بیمارستان جاده فرودگاه بندر کشتی قطار باران برف سیل آتش "
              "کشاورزی گندم پسته زعفران خرما صادرات واردات مالیات یارانه مجلس دولت شهرداری استاندار فرماندار "
              "دادگاه پلیس ورزش فوتبال والیبال کتاب سینما تئاتر موسیقی نمایشگاه جشنواره اتوبوس مترو پارک کارخانه "
              "معدن مس فولاد پتروشیمی کالا گمرک مسافر هواپیما تونل سد برق گاز آب نان گوشت برنج روغن شکر")
VOCABULARY = _VOCABULARY.split()
_PLACES = "تهران مشهد اصفهان شیراز تبریز اهواز کرمان رشت یزد قم ارومیه زاهدان همدان ساری بوشهر سنندج"
PLACES = _PLACES.split()
# The saved searches, and how an item is written to match each (by construction, so the expected set is known).
ALERTS = [
    ("زلزله", ["زلزله"], lambda n, text: f"{text} زلزله ای به بزرگی {4 + n % 3} ریشتر منطقه را لرزاند."),
    ("بانک-مرکزی", ['"بانک مرکزی"'], lambda n, text: f"{text} بانک مرکزی نرخ تازه ارز را اعلام کرد."),
    ("تحریم-خبرگزاری-۳", ["تحریم*", "--source", "خبرگزاری ۳"], lambda n, text: f"{text} تحریم‌های تازه بر صادرات اثر گذاشت."),
]


def item_text(rng: random.Random, n: int) -> str:
    words = rng.sample(VOCABULARY, 12)
    place = PLACES[n % len(PLACES)]
    return (f"به گزارش خبرنگار ما در {place}، {' '.join(words[:6])} در گزارش شماره {n} بررسی شد. "
            f"مسئولان {' '.join(words[6:])} را از هفته آینده پیگیری می‌کنند و نتیجه تا پایان ماه روشن می‌شود.")


class Bench:
    def __init__(self, count: int, items: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.count = count
        self.items = items
        self.serial = 0
        self.published: dict[str, dict[str, Any]] = {}   # url → {title, outlet, added, alerts}
        self.outlets: list[Any] = []

    def start(self) -> None:
        for n in range(self.count):
            o = outlets.Outlet(f"127.0.0.{2 + n}")
            o.feed("/rss", f"خبرگزاری {n + 1}")
            self.outlets.append(o)
        for o in self.outlets:
            for _ in range(self.items):
                self.publish(o, quiet=True)

    def publish(self, o: Any, *, quiet: bool = False) -> str:
        """A new item on outlet ``o``: its page, then the item in the feed (its ``added`` time: when it appeared)."""
        self.serial += 1
        n = self.serial
        outlet_name = f"خبرگزاری {self.outlets.index(o) + 1}"
        text = item_text(self.rng, n)
        matches = []
        for name, _query, write in ALERTS:
            if self.rng.random() < 0.08:
                text = write(n, text)
                if name.startswith("تحریم") and self.outlets.index(o) != 2:
                    continue  # the words, from another outlet than the alert's: it must not fire
                matches.append(name)
        title = f"{' '.join(self.rng.sample(VOCABULARY, 3))} ({n})"
        url = o.page(f"/news/{n}", outlets.article_page(title, text, outlet=outlet_name))
        o.add_item("/rss", outlets.Item(f"item-{n}", title, url, title, outlets.rfc822()))
        self.published[url] = {"title": title, "outlet": outlet_name, "added": time.monotonic(), "alerts": matches,
                               "initial": quiet}
        return url

    def polls(self) -> int:
        """Completed polling cycles: the fewest feed requests any outlet has answered."""
        return min(len(o.requests("/rss")) for o in self.outlets)

    def close(self) -> None:
        for o in self.outlets:
            o.close()


def start_watcher(db: Path, urls: list[str], *, every: str, spacing: str, restore_only: bool,
                  events: list[tuple[float, dict[str, Any]]]) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "khabar.cli", "watch", *urls, "--db", str(db), "--every", every, "--spacing", spacing,
           "--json", "--max-items", "100"]
    if restore_only:
        cmd.append("--restore-only")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip():
                events.append((time.monotonic(), json.loads(line)))

    threading.Thread(target=read, daemon=True).start()
    return proc


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_for(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def correctness(args: argparse.Namespace) -> None:
    bench = Bench(args.feeds, args.items, args.seed)
    bench.start()
    tmp = Path(tempfile.mkdtemp(prefix="khabar-watch-bench-"))
    db = tmp / "watch.db"
    for name, query, _ in ALERTS:
        subprocess.run([sys.executable, "-m", "khabar.cli", "alert", "add", name, *query, "--db", str(db)], check=True,
                       capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    events: list[tuple[float, dict[str, Any]]] = []
    urls = [o.base + "/rss" for o in bench.outlets]
    started = time.monotonic()
    proc = start_watcher(db, urls, every=f"{args.every}s", spacing=f"{args.spacing}s", restore_only=args.restore_only,
                         events=events)
    try:
        assert wait_for(lambda: bench.polls() >= 1, 600), "the first poll never reached every feed"
        first_cycle = time.monotonic() - started
        for cycle in range(2, args.cycles + 2):
            # New items appear at random moments while the watcher waits for its next poll.
            # A third of the outlets publish, at moments spread over one polling interval.
            chosen = bench.rng.sample(bench.outlets, k=max(1, len(bench.outlets) // 3))
            moments = sorted(bench.rng.uniform(0, args.every) for _ in chosen)
            begun = time.monotonic()
            for o, at in zip(chosen, moments, strict=True):
                time.sleep(max(0.0, begun + at - time.monotonic()))
                for _ in range(bench.rng.randint(1, 3)):
                    bench.publish(o)
            assert wait_for(lambda c=cycle: bench.polls() >= c, 600), f"cycle {cycle} never completed"
        # the last items' pages and alerts: wait until every item is stored
        wait_for(lambda: stored_count(db) >= len(bench.published), 300)
        time.sleep(1.0)
    finally:
        stop(proc)
        elapsed = time.monotonic() - started
        bench.close()
    report(bench, db, events, args, elapsed, first_cycle)


def stored_count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=10) as con:
            return int(con.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


def report(bench: Bench, db: Path, events: list[tuple[float, dict[str, Any]]], args: argparse.Namespace,
           elapsed: float, first_cycle: float) -> None:
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT url, id FROM articles").fetchall()
        matched = con.execute("SELECT al.name, a.url FROM alert_matches m JOIN alerts al ON al.id = m.alert_id "
                              "JOIN articles a ON a.id = m.article_id").fetchall()
    urls = [u for u, _ in rows]
    published = set(bench.published)
    once = len(urls) == len(set(urls)) and set(urls) == published
    refetches = pages_twice = 0
    min_gap = float("inf")
    for o in bench.outlets:
        log = o.requests()
        last_etag = None
        for r in log:
            if r.path == "/rss" and r.status == 200:
                refetches += r.etag == last_etag
                last_etag = r.etag
        pages = [r.path for r in log if r.path.startswith("/news/")]
        pages_twice += len(pages) - len(set(pages))
        times = sorted(r.at for r in log)
        min_gap = min([min_gap, *(b - a for a, b in itertools.pairwise(times))])
    expected = {(name, url) for url, info in bench.published.items() for name in info["alerts"]}
    got = set(matched)
    printed = {(e["alert"]["alert"], e["alert"]["url"]): t for t, e in events if e.get("kind") == "alert"}
    latency = sorted(t - bench.published[url]["added"] for (name, url), t in printed.items()
                     if url in bench.published and not bench.published[url]["initial"] and (name, url) in expected)
    requests = sum(len(o.requests()) for o in bench.outlets)
    not_modified = sum(1 for o in bench.outlets for r in o.requests("/rss") if r.status == 304)
    load = os.getloadavg()
    print(f"khabar watch: {args.feeds} feeds × {args.items} items, {args.cycles} polling cycles with new items "
          f"(--every {args.every}s --spacing {args.spacing}s{' --restore-only' if args.restore_only else ''}); "
          f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {elapsed:.0f} s in all, first cycle {first_cycle:.0f} s")
    print(f"  items published: {len(published)}; stored: {len(urls)} ({len(set(urls))} distinct) → "
          f"{'every item exactly once' if once else 'MISMATCH'}")
    print(f"  requests: {requests}; feed answers 304: {not_modified}; refetches of unchanged feeds (200 with the "
          f"previous ETag): {refetches}; article pages fetched twice: {pages_twice}")
    print(f"  smallest gap between two requests to one host: {min_gap:.3f} s (configured {args.spacing} s) → "
          f"{'never below' if min_gap >= args.spacing else 'BELOW'}")
    print(f"  alerts: expected {len(expected)}, stored {len(got)}, missing {len(expected - got)}, "
          f"wrong {len(got - expected)}; printed {len(printed)}")
    if latency:
        q = statistics.quantiles(latency, n=20, method="inclusive") if len(latency) > 1 else latency * 19
        print(f"  time from an item appearing to its alert: median {statistics.median(latency):.1f} s, "
              f"p95 {q[18]:.1f} s, max {latency[-1]:.1f} s (polls every {args.every} s)")


def memory(args: argparse.Namespace) -> None:
    bench = Bench(args.feeds, 5, args.seed)
    bench.start()
    db = Path(tempfile.mkdtemp(prefix="khabar-watch-memory-")) / "watch.db"
    events: list[tuple[float, dict[str, Any]]] = []
    proc = start_watcher(db, [o.base + "/rss" for o in bench.outlets], every="0.05s", spacing="0s",
                         restore_only=args.restore_only, events=events)
    marks = sorted({10, 100, args.cycles // 2, args.cycles})
    readings: list[tuple[int, int, int, float]] = []
    started = time.monotonic()
    try:
        done = 1
        for cycle in range(1, args.cycles + 1):
            if not wait_for(lambda c=cycle: bench.polls() >= c, 120):
                raise SystemExit(f"cycle {cycle} never completed")
            if cycle % 50 == 0:
                bench.publish(bench.rng.choice(bench.outlets))
            if cycle in marks:
                status = Path(f"/proc/{proc.pid}/status").read_text()
                fields = {k: v.split()[0] for k, _, v in (line.partition(":") for line in status.splitlines())
                          if v.strip()}
                readings.append((cycle, int(fields["VmHWM"]), int(fields["VmRSS"]), time.monotonic() - started))
            done = cycle
    finally:
        stop(proc)
        bench.close()
    load = os.getloadavg()
    print(f"khabar watch memory: {args.feeds} feeds polled back to back (--every 0.05s), a new item every 50 cycles "
          f"({stored_count(db)} articles stored){' --restore-only' if args.restore_only else ''}; "
          f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for cycle, hwm, rss, at in readings:
        print(f"  cycle {cycle:>5}: peak RSS {hwm / 1024:.1f} MB, RSS {rss / 1024:.1f} MB ({at:.0f} s)")
    if len(readings) >= 2:
        print(f"  peak RSS at cycle {readings[-1][0]} / at cycle {readings[0][0]}: "
              f"{readings[-1][1] / readings[0][1]:.3f} over {done} cycles")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=30)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--cycles", type=int, default=None, help="5 with new items (default); 1,000 with --memory")
    parser.add_argument("--every", type=float, default=20.0, help="seconds between polls of a feed")
    parser.add_argument("--spacing", type=float, default=2.0, help="seconds between requests to one host (the "
                                                                     "watcher's default)")
    parser.add_argument("--restore-only", action="store_true", help="restore only (no entities): faster")
    parser.add_argument("--memory", action="store_true", help="memory over many cycles instead")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.feeds > 250:
        parser.error("at most 250 feeds (one loopback address each)")
    if args.memory:
        args.cycles = args.cycles or 1000
        memory(args)
    else:
        args.cycles = args.cycles or 5
        correctness(args)


if __name__ == "__main__":
    main()
