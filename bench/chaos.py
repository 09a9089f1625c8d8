"""Chaos figures of issue 16: `kill -9` of a worker and of the main process at random moments, N times
each; after each, the rerun must leave the archive an uninterrupted run leaves, and no run may hang.

    nice .venv/bin/python bench/chaos.py                 # 20 + 20 rounds on 400 synthetic articles
    nice .venv/bin/python bench/chaos.py --rounds 5 --n 200

Worker rounds: one `khabar ingest --jobs 2` run, 3 workers killed at random moments during it; the
run itself must finish (exit 0) — the pool replaces dead workers — and a rerun must add nothing.
Main rounds: the run's main process killed at a random moment (its workers must go with it), then
a rerun must finish the job. Each round compares the archive's content keys with the reference run
and checks integrity and the full-text index. Prints one line per round and a JSON summary.
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="khabar-chaos-"))
    src = tmp / "src"
    src.mkdir()
    for i in range(args.n):
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 80)))
        (src / f"{i:05d}.txt").write_text(f"خبر شماره {i}: {body} می کند.", encoding="utf-8")
    subprocess.run([EXE, "ingest", str(src), "--db", str(tmp / "ref.db"), "--jobs", "1"], check=True,
                   capture_output=True)
    reference = keys(tmp / "ref.db")
    summary: dict[str, dict[str, int]] = {}
    for kind in ("worker", "main"):
        ok = hangs = mismatches = kills = orphans = 0
        for r in range(args.rounds):
            db = tmp / f"{kind}{r}.db"
            cmd = [EXE, "ingest", str(src), "--db", str(db), "--jobs", "2"]
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
            started = time.monotonic()
            note = ""
            try:
                if kind == "worker":
                    done = 0
                    while proc.poll() is None and done < 3:
                        time.sleep(rng.uniform(0.3, 1.5))
                        found = workers(proc.pid)
                        if found:
                            with contextlib.suppress(ProcessLookupError):
                                os.kill(rng.choice(found), signal.SIGKILL)
                                done += 1
                    kills += done
                    _, err = proc.communicate(timeout=600)
                    if proc.returncode != 0:
                        note = f"run exit {proc.returncode}: {err.decode()[-200:]}"
                else:
                    time.sleep(rng.uniform(1.0, 4.0))
                    before = workers(proc.pid)
                    if proc.poll() is None:
                        proc.kill()  # the main process only
                        kills += 1
                    proc.wait(timeout=60)
                    deadline = time.monotonic() + 10
                    while any(alive(w) for w in before) and time.monotonic() < deadline:
                        time.sleep(0.1)
                    orphans += sum(alive(w) for w in before)
            except subprocess.TimeoutExpired:
                hangs += 1
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                note = "HUNG"
            rerun = subprocess.run(cmd, capture_output=True, timeout=600)
            same = rerun.returncode == 0 and keys(db) == reference
            mismatches += not same
            ok += same and not note
            print(f"{kind:6s} round {r + 1:2d}: {'ok' if same and not note else 'FAIL'} "
                  f"{time.monotonic() - started:5.1f}s {note}", flush=True)
        summary[kind] = {"rounds": args.rounds, "ok": ok, "hangs": hangs, "rerun_differs": mismatches,
                         "kills": kills, "orphaned_workers": orphans}
    print(json.dumps({"articles": args.n, **summary, "load": round(os.getloadavg()[0], 1)}))
    return 0 if all(s["ok"] == s["rounds"] for s in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
