"""Scaling figures for the engines: strong and weak scaling, Ray's overhead, and memory on Ray.

Synthetic damaged news from bench/archive.py, full pipeline, into an SQLite archive file (the
workers write their own batches). Every command prints JSON lines of figures with the machine's
load (``os.getloadavg``) before and after; run them with ``nice`` and when ``uptime`` is low.

    nice .venv/bin/python bench/scale.py scaling                 # strong + weak, 1 and 2 workers, both engines
    nice .venv/bin/python bench/scale.py scaling --workers 1 2 4 8 16   # on a bigger machine
    nice .venv/bin/python bench/scale.py overhead --n 1000       # khabar ingest CLI, local vs Ray, start-up included
    nice .venv/bin/python bench/scale.py memory --n 100000       # Ray: peak RSS per actor, object store, spilling

``scaling`` first times the pipeline on one worker (``--calibrate`` articles), then sizes every run
so that each worker gets at least ``--seconds`` (default 20) of work: strong scaling keeps the
corpus of the largest worker count fixed; weak scaling gives each worker that many articles.
Speedup is articles/s over the 1-worker articles/s of the same engine; efficiency is speedup /
workers. For Ray, one local cluster (``ray.init(num_cpus=max workers)``) is started before the runs
and its start-up is not counted (``overhead`` counts it); actors (and their model loading) are.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive import articles  # noqa: E402


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def breakdown(timings: dict[str, float], articles: int, seconds: float, workers: int) -> dict[str, Any]:
    """Where a run's time went, from the summary's timings (khabar/archive/work.py): CPU ms per
    article of each phase in the workers (analyse: the pipeline; link: archive identities; write:
    the transaction), the wall ms per article spent waiting for the write lock, the workers' CPU
    and the main process's, and the wall seconds of start, steps after the batches, and stop.
    ``busy``: the workers' batch wall time over workers × run time (1.0: never waiting for work);
    ``cpu_ms_per_article``: every process's CPU (workers and main) per article, which a loaded
    machine changes little: its ratio between 1 and N workers bounds the efficiency on free cores."""
    t = timings
    per = 1000 / max(1, articles)
    procs = {k: v for k, v in t.items() if k.startswith("cpu@")}
    workers_cpu = sum(procs.values()) if procs else t.get("task_cpu", 0.0)
    if workers == 1 and "task_s" not in t:  # the local engine's one worker is the main process
        main_cpu, workers_cpu = 0.0, t.get("main_cpu", 0.0)
    else:
        main_cpu = t.get("main_cpu", 0.0)
    run = t.get("run_s", seconds)
    out = {
        "cpu_ms_per_article": round((workers_cpu + main_cpu) * per, 3),
        "analyse_cpu_ms": round(t.get("analyse_cpu", 0.0) * per, 3),
        "link_cpu_ms": round(t.get("link_cpu", 0.0) * per, 3),
        "write_cpu_ms": round(t.get("write_cpu", 0.0) * per, 3),
        "write_wall_ms": round(t.get("write_s", 0.0) * per, 3),
        "lock_wait_ms": round(t.get("lock_wait_s", 0.0) * per, 3),
        "workers_cpu_s": round(workers_cpu, 2), "main_cpu_s": round(main_cpu, 2),
        "busy": round(t["task_s"] / (workers * run), 3) if "task_s" in t and run > 0 else None,
        "idle_s": round(t.get("idle_s", 0.0), 2),
        "worker_start_s": round(t.get("worker_start_s", 0.0), 2),
    }
    for key in ("import_s", "ray_init_s", "plan_s", "start_s", "first_result_s", "run_s", "post_s", "stop_s",
                "ray_shutdown_s"):
        if key in t:
            out[key] = round(t[key], 2)
    return out


def _run(engine: str, workers: int, items: list[Any], chunk: int = 64) -> dict[str, Any]:
    from khabar.archive.runner import ingest
    from khabar.archive.storage import open_storage

    with tempfile.TemporaryDirectory() as tmp:
        store = open_storage(str(Path(tmp) / "scale.db"))
        load0 = _load()
        t = time.perf_counter()
        summary = ingest([], store, jobs=workers, engine=engine, articles=items, chunk=chunk)
        seconds = time.perf_counter() - t
        stored = store.stats()["articles"]
        store.close()
    assert summary.failed == 0 and stored == len(items), (summary.failed, stored, len(items))
    return {"engine": engine, "workers": workers, "articles": len(items), "seconds": round(seconds, 2),
            "articles_per_s": round(len(items) / seconds, 1), "load_before": load0, "load_after": _load(),
            "breakdown": breakdown(summary.timings, len(items), seconds, workers)}


def scaling(args: argparse.Namespace) -> None:
    from khabar.pipeline import default_pipeline

    default_pipeline()
    calib = list(articles(args.calibrate, seed=3))
    t = time.perf_counter()
    pipe = default_pipeline()
    for a in calib:
        pipe.analyze(a.text, published=a.published, url=a.url, source=a.outlet)
    per_article = (time.perf_counter() - t) / len(calib)
    per_worker = math.ceil(args.seconds / per_article)
    top = max(args.workers)
    print(json.dumps({"bench": "calibration", "ms_per_article_1_worker": round(per_article * 1000, 2),
                      "articles_per_worker": per_worker, "load": _load()}), flush=True)
    for engine in args.engines:
        if engine == "ray":
            from khabar.archive.engines.ray import connect

            connect(None, cpus=top)
        base: dict[str, float] = {}
        for kind in ("strong", "weak"):
            for workers in sorted(args.workers):
                n = per_worker * top if kind == "strong" else per_worker * workers
                items = list(articles(n, seed=11))
                row = _run(engine, workers, items)
                # Speedup over the fewest workers' throughput (with 1 worker: over one worker).
                one = base.setdefault(kind, row["articles_per_s"] / min(args.workers))
                speedup = row["articles_per_s"] / one
                # CPU per article survives a loaded machine: 1 worker's over N workers' is what the
                # efficiency would be on free cores with no waiting.
                cpu = row["breakdown"]["cpu_ms_per_article"]
                cpu_one = base.setdefault(kind + " cpu", cpu)
                print(json.dumps({"bench": f"{kind} scaling", **row, "speedup": round(speedup, 3),
                                  "efficiency": round(speedup / workers, 3),
                                  "cpu_efficiency": round(cpu_one / cpu, 3) if cpu else None}), flush=True)
        if engine == "ray":
            import ray

            ray.shutdown()


def overhead(args: argparse.Namespace) -> None:
    """``khabar ingest FOLDER`` through the CLI (a fresh process: imports, models, Ray start-up)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "src"
        folder.mkdir()
        for i, a in enumerate(articles(args.n, seed=5)):
            (folder / f"{i:05d}.txt").write_text(a.text, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(REPO), "RAY_USAGE_STATS_ENABLED": "0"}
        times: dict[str, list[float]] = {"local": [], "ray": []}
        for rep in range(args.repeat):
            for engine in ("local", "ray"):
                db = Path(tmp) / f"{engine}{rep}.db"
                cmd = [sys.executable, "-m", "khabar.cli", "ingest", str(folder), "--db", str(db), "--jobs",
                       str(args.workers), "--json"] + (["--engine", "ray"] if engine == "ray" else [])
                load0 = _load()
                kids = resource.getrusage(resource.RUSAGE_CHILDREN)
                t = time.perf_counter()
                done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
                seconds = time.perf_counter() - t
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                # CPU of the command and of the processes it waited for (Ray's daemons are; its
                # workers, children of the raylet, may not be): what a loaded machine changes little.
                cpu = after.ru_utime + after.ru_stime - kids.ru_utime - kids.ru_stime
                if done.returncode != 0:
                    raise SystemExit(f"{engine}: {done.stderr[-2000:]}")
                result = json.loads(done.stdout.strip().splitlines()[-1])
                times[engine].append(seconds)
                # The process's own seconds (summary) against the wall here: the rest is Python's
                # start and khabar's imports (pipeline models in the workers or the main process).
                print(json.dumps({"bench": "overhead run", "engine": engine, "articles": args.n,
                                  "added": result["added"], "workers": args.workers, "seconds": round(seconds, 2),
                                  "cpu_s": round(cpu, 2),
                                  "ingest_seconds": result["seconds"], "load_before": load0, "load_after": _load(),
                                  "breakdown": breakdown(result.get("timings", {}), args.n, result["seconds"],
                                                         args.workers)}), flush=True)
        local, ray_ = min(times["local"]), min(times["ray"])
        print(json.dumps({"bench": "ray overhead", "articles": args.n, "workers": args.workers,
                          "local_seconds_best": round(local, 2), "ray_seconds_best": round(ray_, 2),
                          "ratio": round(ray_ / local, 2), "load": _load()}), flush=True)


def memory(args: argparse.Namespace) -> None:
    """A large ingest on Ray from JSONL files: peak RSS of each actor, object store use, spilling."""
    import ray

    from khabar.archive.engines.ray import connect
    from khabar.archive.runner import ingest
    from khabar.archive.storage import open_storage

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "src"
        folder.mkdir()
        per_file = 250
        out = None
        for i, a in enumerate(articles(args.n, seed=21)):
            if i % per_file == 0:
                if out:
                    out.close()
                out = (folder / f"part{i // per_file:05d}.jsonl").open("w", encoding="utf-8")
            out.write(json.dumps({"text": a.text, "title": a.title, "url": a.url, "published": a.published,
                                  "outlet": a.outlet}, ensure_ascii=False) + "\n")
        if out:
            out.close()
        connect(None, cpus=args.workers, object_store_mb=args.object_store_mb)
        total = ray.cluster_resources().get("object_store_memory", 0)
        peak = {"used": 0.0}
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                free = ray.available_resources().get("object_store_memory", total)
                peak["used"] = max(peak["used"], total - free)
                stop.wait(0.5)

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        store = open_storage(str(Path(tmp) / "mem.db"))
        load0 = _load()
        t = time.perf_counter()
        summary = ingest([str(folder)], store, jobs=args.workers, engine="ray", restore_only=args.restore_only)
        seconds = time.perf_counter() - t
        stop.set()
        thread.join()
        # Objects spilled by this run's cluster land in its session folder (ray_spilled_objects*).
        session = Path(ray._private.worker._global_node.get_session_dir_path())
        spilled = sum(f.stat().st_size for d in session.glob("ray_spilled_objects*") for f in d.rglob("*") if f.is_file())
        print(json.dumps({"bench": "ray memory", "articles": args.n, "added": summary.added,
                          "mode": "restore-only" if args.restore_only else "full", "workers": args.workers,
                          "seconds": round(seconds, 1), "articles_per_s": round(args.n / seconds, 1),
                          "peak_rss_per_actor_mb": summary.worker_rss_mb,
                          "object_store_mb": round(total / 2**20), "object_store_peak_used_mb": round(peak["used"] / 2**20, 1),
                          "spilled_bytes": spilled, "load_before": load0, "load_after": _load()}, ensure_ascii=False),
              flush=True)
        store.close()
        ray.shutdown()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("scaling")
    s.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    s.add_argument("--engines", nargs="+", choices=["local", "ray"], default=["local", "ray"])
    s.add_argument("--seconds", type=float, default=20.0, help="work per worker, in seconds of one worker")
    s.add_argument("--calibrate", type=int, default=150)
    o = sub.add_parser("overhead")
    o.add_argument("--n", type=int, default=1000)
    o.add_argument("--workers", type=int, default=2)
    o.add_argument("--repeat", type=int, default=2)
    m = sub.add_parser("memory")
    m.add_argument("--n", type=int, default=100_000)
    m.add_argument("--workers", type=int, default=2)
    m.add_argument("--object-store-mb", type=int, default=256)
    m.add_argument("--restore-only", action="store_true")
    args = p.parse_args()
    {"scaling": scaling, "overhead": overhead, "memory": memory}[args.cmd](args)


if __name__ == "__main__":
    main()
