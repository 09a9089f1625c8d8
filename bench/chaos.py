"""Chaos figures of issue 16: `kill -9` of a worker and of the main process at random moments, N times
each; after each, the rerun must leave the archive an uninterrupted run leaves, and no run may hang.

    nice .venv/bin/python bench/chaos.py                 # 20 + 20 rounds on 1,500 synthetic articles
    nice .venv/bin/python bench/chaos.py --rounds 5 --n 600 --restore-only

The kill moments are drawn inside the run whatever the machine's speed or load: each kill waits for
the run's workers, then for the archive to hold a random number of articles (0 to all but the last
chunk), then up to 0.2 s more. A kill counts as *landed* only when the run was still going and its
archive still incomplete at that moment; the summary gives the kills made and the kills landed, and a
round whose kills all came after the work was done fails (it would say nothing). (Kills timed by the
clock, even by an uninterrupted run timed first, missed the run when the machine's load dropped.)

Worker rounds: one `khabar ingest --jobs 2` run, 3 workers killed during it; the run itself must
finish (exit 0) — the pool replaces dead workers and does their work again — and a rerun must add
only the articles the run reported failed because their worker was killed twice (an article retried
alone may be hit again: the rule that keeps an article which kills every worker from stopping the
run). Main rounds: the run's main process killed at a random moment (its workers must go with it),
then a rerun must add exactly what was missing. Each round compares the archive's content keys with
the uninterrupted run's and checks integrity and the full-text index. Prints one line per round and
a JSON summary.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXE = str(Path(sys.executable).parent / "khabar")
WORDS = ["تورم", "بازار", "دولت", "مجلس", "وزیر", "سفیر", "تهران", "مشهد", "بورس", "سکه", "کتاب", "زلزله", "هوا",
         "مدرسه", "دانشگاه", "صادرات", "قیمت", "نفت", "گاز", "برق"]


def keys(db: Path) -> list[str]:
    con = sqlite3.connect(db, timeout=30)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        found = sorted(r[0] for r in con.execute("SELECT content_key FROM articles"))
        assert con.execute("SELECT COUNT(*) FROM articles_fts").fetchone()[0] == len(found)
        return found
    finally:
        con.close()


def stored(db: Path) -> int:
    """Articles stored now (0 before the archive exists); read while the run writes."""
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(con.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0  # the schema is not there yet


def workers(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            children = [int(x) for x in fh.read().split()]
    except OSError:
        return []
    out = []
    for child in children:
        with contextlib.suppress(OSError), open(f"/proc/{child}/cmdline", "rb") as fh:
            if b"resource_tracker" not in fh.read():
                out.append(child)
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for_workers(proc: subprocess.Popen[bytes], limit: float) -> bool:
    """Wait until ``proc`` has worker processes (True) or ends or ``limit`` seconds pass (False)."""
    deadline = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < deadline:
        if workers(proc.pid):
            return True
        time.sleep(0.005)
    return False


# Articles stored in one transaction: a kill drawn at a count this close to the end could come after it.
CHUNK = 128


def wait_for_stored(proc: subprocess.Popen[bytes], db: Path, count: int, limit: float) -> None:
    """Wait until ``proc`` has stored at least ``count`` articles (or ends, or ``limit`` seconds pass)."""
    deadline = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < deadline and stored(db) < count:
        time.sleep(0.01)


def timed_run(cmd: list[str], db: Path, n: int, timeout: float) -> tuple[float, float, dict[str, object]]:
    """An uninterrupted run: (seconds to its workers, seconds from them to its last article stored, its JSON
    summary)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    wait_for_workers(proc, timeout)
    up = last = time.monotonic()
    while proc.poll() is None and stored(db) < n:
        time.sleep(0.02)
        last = time.monotonic()
    out, err = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit(f"the uninterrupted run failed: {err.decode()[-300:]}")
    return up - started, last - up, json.loads(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--n", type=int, default=1500, help="articles per run")
    ap.add_argument("--kills", type=int, default=3, help="worker kills per worker round")
    ap.add_argument("--restore-only", action="store_true", help="ingest with --restore-only (a shorter run)")
    ap.add_argument("--only", choices=["worker", "main"], help="run one kind of round")
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="khabar-chaos-"))
    src = tmp / "src"
    src.mkdir()
    for i in range(args.n):
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 80)))
        (src / f"{i:05d}.txt").write_text(f"خبر شماره {i}: {body} می کند.", encoding="utf-8")
    extra = ["--restore-only"] if args.restore_only else []

    def command(db: Path) -> list[str]:
        return [EXE, "ingest", str(src), "--db", str(db), "--jobs", "2", "--json", *extra]

    startup, window, ref_summary = timed_run(command(tmp / "ref.db"), tmp / "ref.db", args.n, timeout=1800)
    reference = keys(tmp / "ref.db")
    assert ref_summary["added"] == args.n == len(reference), ref_summary
    limit = max(120.0, 10 * (startup + window))  # a run past this is a hang
    print(f"uninterrupted run: workers after {startup:.1f} s, then {window:.1f} s to its last article stored "
          f"(load {os.getloadavg()[0]:.1f}); a run is hung after {limit:.0f} s", flush=True)
    summary: dict[str, dict[str, object]] = {}
    for kind in ("worker", "main"):
        if args.only and kind != args.only:
            continue
        ok = hangs = mismatches = made = landed = orphans = failed_alone = 0
        at_kill: list[int] = []
        for r in range(args.rounds):
            db = tmp / f"{kind}{r}.db"
            cmd = command(db)
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
            started = time.monotonic()
            notes: list[str] = []
            round_landed = died = 0
            round_at: list[int] = []
            try:
                if kind == "worker":
                    done = 0
                    targets = sorted(rng.randrange(args.n - CHUNK) for _ in range(args.kills))
                    while proc.poll() is None and done < args.kills:
                        if not wait_for_workers(proc, limit):  # (re)starting the pool, or ended
                            continue
                        wait_for_stored(proc, db, targets[done], limit)
                        time.sleep(rng.uniform(0.0, 0.2))
                        found = workers(proc.pid)
                        if not found or proc.poll() is not None:
                            continue
                        have = stored(db)
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(rng.choice(found), signal.SIGKILL)
                            done += 1
                            round_at.append(have)
                            if proc.poll() is None and have < args.n:
                                round_landed += 1
                    made += done
                    out, err = proc.communicate(timeout=limit)
                    if proc.returncode != 0:
                        notes.append(f"run exit {proc.returncode}: {err.decode()[-200:]}")
                    else:
                        run = json.loads(out)
                        died = sum("died" in f["reason"] or "killed" in f["reason"] for f in run["failures"])
                        failed_alone += died
                else:
                    wait_for_workers(proc, limit)
                    wait_for_stored(proc, db, rng.randrange(args.n - CHUNK), limit)
                    time.sleep(rng.uniform(0.0, 0.2))
                    before = workers(proc.pid)
                    if proc.poll() is None:
                        proc.kill()  # the main process only
                        made += 1
                    proc.wait(timeout=60)
                    deadline = time.monotonic() + 10
                    while any(alive(w) for w in before) and time.monotonic() < deadline:
                        time.sleep(0.1)
                    orphans += sum(alive(w) for w in before)
                    have = stored(db)
                    round_at.append(have)
                    if proc.returncode == -signal.SIGKILL and have < args.n:
                        round_landed += 1
            except subprocess.TimeoutExpired:
                hangs += 1
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                notes.append("HUNG")
            landed += round_landed
            at_kill.extend(round_at)
            if round_landed == 0:
                notes.append("no kill landed during the run")
            missing = args.n - stored(db)
            rerun = subprocess.run(cmd, capture_output=True, timeout=limit)
            added = json.loads(rerun.stdout)["added"] if rerun.returncode == 0 else None
            same = rerun.returncode == 0 and keys(db) == reference
            if kind == "main" and added != missing:
                notes.append(f"the rerun added {added}, {missing} were missing")
            if kind == "worker" and added != died:
                notes.append(f"the rerun added {added}; the run had stored all but {died} (their worker killed twice)")
            mismatches += not same
            ok += same and not notes
            print(f"{kind:6s} round {r + 1:2d}: {'ok' if same and not notes else 'FAIL'} {time.monotonic() - started:5.1f}s"
                  f" kills landed {round_landed}, stored at each kill {round_at} of {args.n}, "
                  f"rerun added {added} {'; '.join(notes)}", flush=True)
        summary[kind] = {"rounds": args.rounds, "ok": ok, "hangs": hangs, "rerun_differs": mismatches,
                         "kills_made": made, "kills_landed": landed,
                         "articles_failed_alone": failed_alone, "orphaned_workers": orphans,
                         "stored_at_kill_min_median_max": [min(at_kill, default=0),
                                                           sorted(at_kill)[len(at_kill) // 2] if at_kill else 0,
                                                           max(at_kill, default=0)]}
    print(json.dumps({"articles": args.n, "restore_only": args.restore_only, "window_s": round(window, 1), **summary,
                      "load": round(os.getloadavg()[0], 1)}))
    return 0 if all(s["ok"] == s["rounds"] for s in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
