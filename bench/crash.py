"""Crash safety and concurrent ingests on both backends (issue 10's figures).

    nice .venv/bin/python bench/crash.py [--kills 10] [--n 400] [--window 8] [--pg URL]

For SQLite and for PostgreSQL (a throwaway cluster unless ``--pg``): ``khabar ingest --jobs 2`` of a
folder of synthetic articles is killed with ``kill -9`` (the whole process group) at ``--kills``
random moments (1 to ``--window`` seconds after its start; a run that finished before its moment is
not counted as killed: ``killed_while_running``), each time run again; then a final run finishes. The archive must then hold exactly
the articles of an uninterrupted run (content keys compared), and the full-text index must agree
with the articles: every article is found by a word written only in it, and by nothing else.
Then two ingests of different folders into one new archive run at the same time: both must finish
and the archive hold both folders. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from khabar.archive import Archive  # noqa: E402

EXE = str(Path(sys.executable).parent / "khabar")
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
WORDS = ["تورم", "بازار", "دولت", "مجلس", "وزیر", "سفیر", "تهران", "مشهد", "بورس", "سکه", "کتاب", "زلزله", "هوا"]
LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"


def unique_word(i: int) -> str:
    """A word no other article has: the article's number written in letters."""
    out = ""
    i += 1000
    while i:
        out = LETTERS[i % len(LETTERS)] + out
        i //= len(LETTERS)
    return "نشان" + out


def folder(path: Path, numbers: range) -> Path:
    rng = random.Random(numbers.start + 5)
    path.mkdir(parents=True)
    for i in numbers:
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 80)))
        (path / f"{i:05d}.txt").write_text(f"خبر {unique_word(i)}: {body} می کند.", encoding="utf-8")
    return path


def check(address: str, numbers: list[int]) -> dict[str, Any]:
    with Archive.open(address) as a:
        keys = sorted(x.stored.content_key for x in a.articles())
        wrong = sum(1 for i in numbers if len(a.search(unique_word(i), limit=5)) != 1)
        total = a.search("خبر", count=True, count_cap=10**7).total
    return {"articles": len(keys), "keys": keys, "index_disagrees": wrong, "indexed": total.value if total else 0}


def crash_rounds(address: str, src: Path, numbers: list[int], reference: list[str], kills: int,
                 rng: random.Random, window: float = 8.0) -> dict[str, Any]:
    cmd = [EXE, "ingest", str(src), "--db", address, "--jobs", "2"]
    partial = []
    interrupted = 0
    for _ in range(kills):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                env=ENV)
        time.sleep(rng.uniform(1.0, window))  # start-up included: some kills land before any write
        if proc.poll() is None:  # a kill counts only where the ingest was still running
            os.killpg(proc.pid, signal.SIGKILL)
            interrupted += 1
        proc.wait()
        with Archive.open(address) as a:
            partial.append(a.stats()["articles"])
    final = subprocess.run(cmd, capture_output=True, timeout=3600, env=ENV)
    got = check(address, numbers)
    return {"kills": kills, "killed_while_running": interrupted, "stored_after_each_kill": partial, "final_exit": final.returncode,
            "same_articles_as_uninterrupted": got["keys"] == reference, "articles": got["articles"],
            "index_disagrees": got["index_disagrees"], "index_total_matches": got["indexed"]}


def concurrent(address: str, folders: list[Path], numbers: list[int]) -> dict[str, Any]:
    t = time.perf_counter()
    procs = [subprocess.Popen([EXE, "ingest", str(f), "--db", address, "--jobs", "1"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=ENV) for f in folders]
    outs = [p.communicate(timeout=3600)[1].decode(errors="replace") for p in procs]
    got = check(address, numbers)
    return {"exits": [p.returncode for p in procs], "seconds": round(time.perf_counter() - t, 1),
            "articles": got["articles"], "expected": len(numbers), "index_disagrees": got["index_disagrees"],
            "messages": [o.strip().splitlines()[-1][:160] if o.strip() else "" for o in outs]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--pg", default=None)
    ap.add_argument("--window", type=float, default=8.0, help="each kill lands 1 to WINDOW seconds after the start")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="khabar-crash-"))
    numbers = list(range(args.n))
    src = folder(tmp / "src", range(args.n))
    half = args.n // 2
    both = [folder(tmp / "a", range(10_000, 10_000 + half)), folder(tmp / "b", range(20_000, 20_000 + half))]
    both_numbers = [*range(10_000, 10_000 + half), *range(20_000, 20_000 + half)]
    cluster = None
    if args.pg is None:
        from khabar.archive.storage.postgres.cluster import TemporaryCluster

        cluster = TemporaryCluster().start()
    out: dict[str, Any] = {"bench": "crash", "n": args.n, "load_average_1min": round(os.getloadavg()[0], 2)}
    try:
        subprocess.run([EXE, "ingest", str(src), "--db", str(tmp / "ref.db"), "--jobs", "1"], check=True,
                       capture_output=True, env=ENV)
        reference = check(str(tmp / "ref.db"), numbers)["keys"]
        rng = random.Random(10)
        for name in ("sqlite", "postgres"):
            def new(tag: str, name: str = name) -> str:
                if name == "sqlite":
                    return str(tmp / f"{tag}.db")
                return cluster.create_database() if cluster else str(args.pg)
            out[name] = {"kill_9": crash_rounds(new("killed"), src, numbers, reference, args.kills, rng,
                                                 args.window),
                         "two_ingests_at_once": concurrent(new("both"), both, both_numbers)}
            print(json.dumps({name: out[name]}, ensure_ascii=False), file=sys.stderr, flush=True)
    finally:
        if cluster:
            cluster.stop()
    out["load_average_1min_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
