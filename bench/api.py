"""The REST API under load, and the web pages' weight: `khabar serve` as a user runs it, on loopback.

Builds (or reuses) a synthetic archive of ``--n`` articles with bench/archive.py's builder, starts
``khabar serve`` on 127.0.0.1 (a free port), then runs ``--clients`` concurrent clients (aiohttp, or
``--client httpx``, in this process) for ``--seconds``, each sending a mix of searches (words, sometimes a facet, a
date range or the next page), article requests and entity requests. Prints one JSON line:
requests/s, latency percentiles overall and per kind as the clients saw them, the server's own
time per request (its ``Server-Timing`` header), errors, and the machine's load.

``--export`` streams the whole archive out in each format and watches the server's memory.
``--weight`` also loads the search page and an article page in Debian's Chromium and sums the bytes
transferred: the first page with an empty cache (font, CSS and htmx included), the second with the
cache the first one filled.

    nice .venv/bin/python bench/api.py --n 100000                    # 50 clients, 60 s, at 100k articles
    nice .venv/bin/python bench/api.py --n 1000000 --db /tmp/1m.db   # at 1M (the build takes a while)
    nice .venv/bin/python bench/api.py --n 100000 --rate 150             # latency at 150 requests/s offered
    nice .venv/bin/python bench/api.py --n 100000 --weight --seconds 0   # page weight only

Loopback only; every loop is bounded by ``--seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive import OUTLETS, PLACES, TOPICS, _person, build_search_archive  # noqa: E402


def start_server(db: str, threads: int = 2, workers: int = 1) -> tuple[subprocess.Popen[str], str]:
    khabar = Path(sys.executable).with_name("khabar")
    proc = subprocess.Popen([str(khabar), "serve", "--db", db, "--host", "127.0.0.1", "--port", "0", "--no-stories",
                             "--threads", str(threads), "--workers", str(workers)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if select.select([proc.stdout], [], [], 0.5)[0]:
            line = proc.stdout.readline()
            if "http://" in line:
                return proc, line.split(" at ", 1)[1].split()[0].rstrip("/")
        if proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit(f"khabar serve did not start: {proc.stderr.read() if proc.stderr else ''}")


def stop_server(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return round(values[min(len(values) - 1, int(p * (len(values) - 1) + 0.5))], 1)


def _server_ms(headers: Any) -> float | None:
    timing = headers.get("server-timing", "")
    for part in timing.split(","):
        if "dur=" in part:
            try:
                return float(part.split("dur=")[1].split(";")[0])
            except ValueError:
                return None
    return None


class _Answer:
    """What a client needs of a response, from either client library."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


@contextlib.asynccontextmanager
async def _client(base: str, clients: int, kind: str) -> AsyncIterator[tuple[Callable[..., Awaitable[_Answer]], type[BaseException]]]:
    """``(get, error)``: ``await get(path, params)`` over ``clients`` keep-alive connections, and the
    exception a failed request raises.

    ``aiohttp`` (the default) spends about 0.2 ms of CPU per request here; ``httpx`` (its async client
    with 50 connections) about 4 ms, which on two cores is CPU the server does not get, so the figure
    was the client's as much as the server's. Both send the same requests and accept gzip."""
    if kind == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
            async def get_httpx(path: str, params: dict[str, Any] | None = None) -> _Answer:
                r = await http.get(path, params=params)
                return _Answer(r.status_code, r.headers, r.content)

            yield get_httpx, httpx.HTTPError
        return
    import aiohttp

    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as session:
        async def get_aiohttp(path: str, params: dict[str, Any] | None = None) -> _Answer:
            async with session.get(path, params=params) as r:
                return _Answer(r.status, r.headers, await r.read())

        yield get_aiohttp, (aiohttp.ClientError, asyncio.TimeoutError)  # type: ignore[misc]


async def load(base: str, *, clients: int, seconds: float, n: int, seed: int,
               rate: float | None = None, client: str = "aiohttp") -> dict[str, Any]:
    """``clients`` concurrent clients for ``seconds``. Without ``rate`` each sends its next request as
    soon as the last one is answered (closed loop: the figure is the server's capacity). With ``rate``
    the requests arrive on a fixed schedule, ``rate`` per second, taken by whichever client is free;
    a request's latency counts from its scheduled time, so waiting for a free client is included
    (open loop: the figure is the latency users see at that load). ``client``: ``aiohttp`` or ``httpx``."""
    rng = random.Random(seed)
    vocab = [w for words in TOPICS.values() for w in words]
    async with _client(base, clients, client) as (get, failed):
        # Entity ids to ask for: from the articles the first searches find.
        entity_ids: list[str] = []
        for word in rng.sample(vocab, 10):
            r = await get("/api/v1/search", {"q": word, "limit": 5})
            for hit in r.json().get("results", [])[:2]:
                doc = (await get(f"/api/v1/articles/{hit['id']}")).json()
                entity_ids += [e["id"] for e in (doc.get("document") or doc).get("entities", [])]
        entity_ids = sorted(set(entity_ids)) or ["per:none"]
        cursors: list[dict[str, Any]] = []  # a search's parameters with the next_cursor it gave
        stats: dict[str, list[float]] = {"search": [], "article": [], "entity": []}
        server: dict[str, list[float]] = {"search": [], "article": [], "entity": []}
        errors: dict[str, int] = {}
        deadline = time.monotonic() + seconds

        def search_params() -> dict[str, Any]:
            params: dict[str, Any] = {"q": " ".join(rng.sample(vocab, rng.choice([1, 1, 2]))), "limit": 10}
            facet = rng.random()
            if facet < 0.15:
                params["person"] = _person(rng)[0]
            elif facet < 0.3:
                params["place"] = rng.choice(PLACES)
            elif facet < 0.4:
                params["source"] = rng.choice(OUTLETS)[1]
            elif facet < 0.5:
                y = rng.randint(1398, 1404)
                params.update(since=f"{y}-01-01", until=f"{y}-03-31")
            if rng.random() < 0.2:
                params["sort"] = "relevance"
            if cursors and rng.random() < 0.1:
                return dict(rng.choice(cursors))  # the next page of an earlier search
            return params

        schedule = {"next": 0}

        async def one_client() -> None:
            while time.monotonic() < deadline:
                if rate:
                    due = start + schedule["next"] / rate
                    schedule["next"] += 1
                    if due >= deadline:
                        return
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                roll = rng.random()
                if roll < 0.5:
                    kind, url, params = "search", "/api/v1/search", search_params()
                elif roll < 0.8:
                    kind, url, params = "article", f"/api/v1/articles/{rng.randint(1, n)}", None
                else:
                    kind, url, params = "entity", f"/api/v1/entities/{rng.choice(entity_ids)}", None
                t = due if rate else time.monotonic()
                try:
                    r = await get(url, params)
                    ms = (time.monotonic() - t) * 1000
                    if r.status != 200:
                        errors[f"{kind} {r.status}"] = errors.get(f"{kind} {r.status}", 0) + 1
                        continue
                    if kind == "search" and params is not None:
                        nxt = r.json().get("next_cursor")
                        if nxt and len(cursors) < 500:
                            cursors.append({**params, "cursor": nxt})
                except failed as err:
                    errors[f"{kind} {type(err).__name__}"] = errors.get(f"{kind} {type(err).__name__}", 0) + 1
                    continue
                stats[kind].append(ms)
                sms = _server_ms(r.headers)
                if sms is not None:
                    server[kind].append(sms)

        start = time.monotonic()
        deadline = start + seconds
        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.monotonic() - start
    every = [x for v in stats.values() for x in v]
    every_server = [x for v in server.values() for x in v]
    return {
        "clients": clients, "client": client, "offered_rate": rate, "seconds": round(elapsed, 1), "requests": len(every),
        "requests_per_s": round(len(every) / elapsed, 1) if elapsed else 0,
        "errors": sum(errors.values()), "error_kinds": errors,
        "client_ms": {"p50": _pct(every, .5), "p95": _pct(every, .95), "p99": _pct(every, .99)},
        "server_ms": {"p50": _pct(every_server, .5), "p95": _pct(every_server, .95), "p99": _pct(every_server, .99)},
        "by_kind": {k: {"requests": len(v), "client_p50": _pct(v, .5), "client_p95": _pct(v, .95),
                        "server_p95": _pct(server[k], .95)} for k, v in stats.items()},
    }


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process and its children (``--workers``) have used."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def export_figures(base: str, pid: int) -> dict[str, Any]:
    """The whole archive through GET /api/v1/export in each format: MB/s and the server's memory."""
    import httpx

    out: dict[str, Any] = {}
    for fmt in ("jsonl", "csv", "parquet"):
        before = _rss_kb(pid)
        peak = before
        size = 0
        t = time.perf_counter()
        with httpx.stream("GET", f"{base}/api/v1/export", params={"format": fmt}, timeout=600) as r:
            r.raise_for_status()
            for chunk in r.iter_bytes(1 << 20):
                size += len(chunk)
                peak = max(peak, _rss_kb(pid))
        took = time.perf_counter() - t
        out[fmt] = {"mb": round(size / 1e6, 1), "seconds": round(took, 1), "mb_per_s": round(size / 1e6 / took, 1),
                    "server_rss_mb_before": round(before / 1024), "server_rss_mb_peak": round(peak / 1024)}
    return out


def page_weight(base: str) -> dict[str, Any]:
    """Bytes transferred for the search page (cold cache) and then an article page (warm cache)."""
    import httpx
    from playwright.sync_api import sync_playwright

    hit = httpx.get(f"{base}/api/v1/search", params={"q": "تورم", "limit": 1}).json()["results"]
    article_id = hit[0]["id"] if hit else 1
    out: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--disable-component-update", "--disable-sync"])
        page = browser.new_page()
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        received: dict[str, int] = {}
        cached: list[str] = []
        cdp.on("Network.loadingFinished", lambda e: received.__setitem__(e["requestId"], int(e["encodedDataLength"])))
        cdp.on("Network.requestServedFromCache", lambda e: cached.append(e["requestId"]))
        for name, url in (("search_page_cold", f"{base}/?q=تورم"), ("article_page_warm", f"{base}/articles/{article_id}"),
                          ("search_page_warm", f"{base}/?q=بودجه")):
            received.clear()
            cached.clear()
            t = time.perf_counter()
            page.goto(url, wait_until="networkidle")
            page.evaluate("document.fonts.ready")
            out[name] = {"kb": round(sum(received.values()) / 1024, 1), "requests": len(received),
                         "from_cache": len(cached), "load_ms": round((time.perf_counter() - t) * 1000)}
        out["font_in_use"] = page.evaluate("document.fonts.check('16px Vazirmatn', 'سلام')")
        browser.close()
    return out


def page_times(base: str, *, n: int, count: int = 100, seed: int = 13) -> dict[str, Any]:
    """The server's time (``Server-Timing``) for the web pages, one request at a time: search pages
    (a word or two, sometimes a facet or a date range, as in :func:`load`) and article pages."""
    import httpx

    rng = random.Random(seed)
    vocab = [w for words in TOPICS.values() for w in words]
    out: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=60) as http:
        for kind in ("search_page", "article_page"):
            times: list[float] = []
            for _ in range(count):
                if kind == "search_page":
                    params: dict[str, Any] = {"q": " ".join(rng.sample(vocab, rng.choice([1, 1, 2])))}
                    if rng.random() < 0.3:
                        params["person"] = _person(rng)[0]
                    elif rng.random() < 0.2:
                        params["source"] = rng.choice(OUTLETS)[1]
                    r = http.get("/", params=params)
                else:
                    r = http.get(f"/articles/{rng.randint(1, n)}")
                ms = _server_ms(r.headers)
                if r.status_code == 200 and ms is not None:
                    times.append(ms)
            out[kind] = {"requests": len(times), "server_p50": _pct(times, .5), "server_p95": _pct(times, .95)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="articles in the archive")
    ap.add_argument("--db", default=None, help="archive path, reused and topped up to --n (default: temporary)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--weight", action="store_true", help="also measure page weight in Chromium")
    ap.add_argument("--export", action="store_true", help="also stream the whole archive out in each format")
    ap.add_argument("--rate", type=float, default=None,
                    help="requests/s on a fixed schedule (open loop; latency from the scheduled time); "
                         "default: each client sends again as soon as it is answered (the server's capacity)")
    ap.add_argument("--client", choices=("aiohttp", "httpx"), default="aiohttp",
                    help="the load's HTTP client (httpx: about 4 ms of CPU per request on these cores, aiohttp 0.2)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2, help="khabar serve --threads")
    ap.add_argument("--workers", type=int, default=2, help="khabar serve --workers (processes; one per core)")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    db = args.db or str(Path(tmp.name) / f"api-{args.n}.db")
    build_s = build_search_archive(db, args.n)
    proc, base = start_server(db, args.threads, args.workers)
    try:
        out: dict[str, Any] = {"bench": "api", "articles": args.n, "build_s": round(build_s, 1),
                               "server_threads": args.threads, "server_workers": args.workers}
        if args.seconds > 0:
            import resource

            server_cpu, client_cpu = _cpu_s(proc.pid), resource.getrusage(resource.RUSAGE_SELF)
            figures = asyncio.run(load(base, clients=args.clients, seconds=args.seconds, n=args.n, seed=args.seed,
                                       rate=args.rate, client=args.client))
            used = resource.getrusage(resource.RUSAGE_SELF)
            n = max(1, figures["requests"])
            # CPU per request does not depend on what else the machine runs: 2 cores / (server + client
            # CPU per request) is what this pair could serve with the machine to itself.
            figures["server_cpu_ms_per_request"] = round((_cpu_s(proc.pid) - server_cpu) * 1000 / n, 2)
            figures["client_cpu_ms_per_request"] = round(
                (used.ru_utime + used.ru_stime - client_cpu.ru_utime - client_cpu.ru_stime) * 1000 / n, 2)
            out.update(figures)
        if args.weight:
            out["page_weight"] = page_weight(base)
            out["page_server_ms"] = page_times(base, n=args.n)
        if args.export:
            out["export"] = export_figures(base, proc.pid)
        out["load_average_1min"] = round(os.getloadavg()[0], 2)
        out["cores"] = os.cpu_count()
        print(json.dumps(out, ensure_ascii=False), flush=True)
    finally:
        stop_server(proc)
        tmp.cleanup()


if __name__ == "__main__":
    main()
