"""The hostile probe list of issue 16, run against the installed `khabar` command: every probe must end
(within its time limit) with no traceback, and an error must be one line. Prints one line per probe and
a closing summary; exits 1 when any probe failed.

    nice .venv/bin/python bench/probe.py             # ~1-2 minutes
    nice .venv/bin/python bench/probe.py --keep DIR  # keep the probe folder to look at

A probe is (name, command, expected exit statuses, what its stdin/stdout are). The archive probes run
on a small archive built first; the hostile inputs are written into a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

EXE = str(Path(sys.executable).parent / "khabar")
BODY = "خبر شماره {} درباره بازار سرمایه و بورس تهران که امروز منتشر شد."


def _inputs(d: Path) -> None:
    (d / "src").mkdir()
    for i in range(5):
        (d / "src" / f"{i}.txt").write_text(BODY.format(i), encoding="utf-8")
    lines = [json.dumps({"text": BODY.format(i), "title": f"t{i}", "url": f"https://a.ir/{i}"}) for i in range(300)]
    lines[5] = json.dumps({"text": BODY.format(5), "title": "bad \udfff"})
    lines[10] = json.dumps({"text": BODY.format(10), "url": "https://a.ir/\udfff"})
    lines[20] = json.dumps({"text": BODY.format(20), "title": "\x1b[2J\x1b]0;x\x07", "author": "\x00"})
    (d / "surrogates.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    rows = ["title,text"] + [f't{i},"{BODY.format(i)} بی پایان' if i == 249 else f"t{i},{BODY.format(i)}"
                             for i in range(500)]
    (d / "quote.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    attrs = " ".join(f'a{i}="v"' for i in range(200_000))
    (d / "flood.html").write_text(f"<html><body><p {attrs}>{BODY.format(1)} {BODY.format(2)}</p></body></html>",
                                  encoding="utf-8")
    (d / "flood.xml").write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item {attrs}>'
                                 f"<description>{BODY.format(3)}</description></item></channel></rss>", encoding="utf-8")
    (d / "big-article.jsonl").write_text(json.dumps({"text": "خبر " * 600_000}) + "\n", encoding="utf-8")
    (d / "line.txt").write_text("کتاب ها و مي روند. " * 1_000_000, encoding="utf-8")  # 20 MB, no line break
    (d / "secret.txt").write_text("رمز عبور مدیر", encoding="utf-8")
    (d / "src" / "leak.txt").symlink_to(d / "secret.txt")


def _trickle_server() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)

    def handle(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + b"<p>" * 1000:
                conn.send(bytes([byte]))
                time.sleep(2)
        except OSError:
            pass
        finally:
            conn.close()

    def serve() -> None:
        while True:
            conn, _ = sock.accept()
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}/slow"


def probes(d: Path, slow_url: str) -> list[tuple[str, list[str], set[int], dict[str, str]]]:
    db, a = str(d / "a.db"), str(d / "a.db")
    deep = "(" * 330 + "تورم" + ")" * 330
    return [
        ("export over the archive", ["export", "--db", db, "-o", a], {1}, {}),
        ("export over the -wal", ["export", "--db", db, "-o", a + "-wal"], {1}, {}),
        ("report over the archive", ["ingest", str(d / "src"), "--db", db, "--report", a], {1}, {}),
        ("report over an input", ["ingest", str(d / "src"), "--db", db, "--report", str(d / "src" / "0.txt")], {1}, {}),
        ("ingest ''", ["ingest", "", "--db", db], {2}, {}),
        ("surrogates in jsonl fields", ["ingest", str(d / "surrogates.jsonl"), "--db", str(d / "s.db"), "-j", "2"],
         {0}, {"expect": "300 added"}),
        ("unterminated csv quote", ["ingest", str(d / "quote.csv"), "--db", str(d / "q.db"), "-j", "1"], {0},
         {"expect": "499 added"}),
        ("200k attributes html", ["ingest", str(d / "flood.html"), "--db", str(d / "f.db"), "-j", "1"], {0}, {}),
        ("200k attributes feed", ["ingest", str(d / "flood.xml"), "--db", str(d / "f.db"), "-j", "1"], {0}, {}),
        ("article over the size limit", ["ingest", str(d / "big-article.jsonl"), "--db", str(d / "b.db"), "-j", "1"],
         {0}, {"expect": "1 failed"}),
        ("trickling server (1 byte / 2 s)", ["ingest", slow_url, str(d / "src"), "--db", str(d / "t.db"), "-j", "1"],
         {0}, {"limit": "150"}),
        ("password in a url", ["ingest", "http://me:hunter2@127.0.0.1:9/x", "--db", str(d / "p.db"), "-j", "1"], {0},
         {"absent": "hunter2"}),
        ("restore /dev/zero", ["restore", "/dev/zero"], {1}, {}),
        ("restore /dev/urandom", ["restore", "/dev/urandom"], {1}, {}),
        ("analyze /dev/zero", ["analyze", "/dev/zero"], {1}, {}),
        ("analyze /dev/urandom", ["analyze", "/dev/urandom"], {1}, {}),
        ("analyze endless stdin", ["analyze", "-"], {1}, {"stdin": "yes"}),
        ("restore 20 MB line", ["restore", str(d / "line.txt")], {0}, {"stdout": "null"}),
        ("restore to /dev/full", ["restore", str(d / "src" / "0.txt")], {1}, {"stdout": "full"}),
        ("analyze --json to /dev/full", ["analyze", "--json", str(d / "src" / "0.txt")], {1}, {"stdout": "full"}),
        ("export to /dev/full", ["export", "--db", db], {1}, {"stdout": "full"}),
        ("search to /dev/full", ["search", "تورم", "--db", db], {1}, {"stdout": "full"}),
        ("analyze lone surrogate (API)", [sys.executable, "-c", "import khabar\ntry:\n khabar.analyze('خبر\\ud800')\n"
                                         "except khabar.InvalidInput: pass"], {0}, {"raw": "1"}),
        ("analyze --published Jalali", ["analyze", "--json", "--published", "1404-05-18", str(d / "src" / "0.txt")],
         {0}, {"expect": "2025-08-09"}),
        ("search --until 9999-12-31", ["search", "تورم", "--until", "9999-12-31", "--db", db], {0}, {}),
        ("330 nested parentheses", ["search", deep, "--db", db], {1}, {}),
        ("punctuation-only query", ["search", "،،", "--db", db], {0}, {"expect": "no word to search for"}),
        ("ZWNJ-only query", ["search", "\u200c", "--db", db], {0}, {"expect": "no word to search for"}),
        ("show 99999999999999999999", ["show", "99999999999999999999", "--db", db], {1}, {}),
        ("parquet to a missing folder", ["export", "--format", "parquet", "--db", db, "-o", str(d / "no" / "x")],
         {1}, {}),
        ("parquet to a pipe", ["export", "--format", "parquet", "--db", db], {0}, {"stdout": "null"}),
        ("check", ["check", "--db", db], {0}, {}),
        ("backup", ["backup", "--db", db, str(d / "copy.db")], {0}, {}),
        ("check a damaged archive", ["check", "--db", str(d / "damaged.db")], {1}, {"report": "1"}),
        ("export a damaged archive", ["export", "--db", str(d / "damaged.db"), "-o", str(d / "dmg.jsonl")], {0, 1},
         {}),
        ("salvage a damaged archive", ["export", "--salvage", "--db", str(d / "damaged.db"), "-o",
                                       str(d / "saved.jsonl")], {0}, {}),
        ("search a file that is not an archive", ["search", "x", "--db", str(d / "src" / "0.txt")], {1}, {}),
    ]


def _damaged(d: Path) -> None:
    import sqlite3

    shutil.copy(d / "a.db", d / "damaged.db")
    con = sqlite3.connect(d / "damaged.db")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = con.execute("PRAGMA page_size").fetchone()[0]
    page = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'articles'").fetchone()[0]
    con.close()
    with open(d / "damaged.db", "r+b") as fh:
        fh.seek((page - 1) * size + size // 2)
        fh.write(b"\xff" * (size // 4))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", help="keep the probe folder here")
    args = ap.parse_args()
    d = Path(args.keep or tempfile.mkdtemp(prefix="khabar-probe-"))
    d.mkdir(parents=True, exist_ok=True)
    _inputs(d)
    subprocess.run([EXE, "ingest", str(d / "src"), "--db", str(d / "a.db"), "-j", "1"], capture_output=True, check=True)
    _damaged(d)
    slow = _trickle_server()
    failed = tracebacks = 0
    started = time.monotonic()
    env = {**os.environ, "KHABAR_DB": str(d / "a.db")}
    env.pop("KHABAR_DEBUG", None)
    for name, cmd, codes, opts in probes(d, slow):
        argv = cmd if opts.get("raw") else [EXE, *cmd]
        stdout: object = subprocess.PIPE
        if opts.get("stdout") == "full":
            stdout = open("/dev/full", "wb")  # noqa: SIM115
        elif opts.get("stdout") == "null":
            stdout = subprocess.DEVNULL
        stdin: object = subprocess.DEVNULL
        feeder = None
        if opts.get("stdin") == "yes":
            feeder = subprocess.Popen(["yes", "خبر کوتاه امروز"], stdout=subprocess.PIPE)
            stdin = feeder.stdout
        t0 = time.monotonic()
        try:
            run = subprocess.run(argv, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=env,  # type: ignore[arg-type]
                                 timeout=float(opts.get("limit", 120)))
            out = (run.stdout or b"").decode("utf-8", "replace") + run.stderr.decode("utf-8", "replace")
            code = run.returncode
        except subprocess.TimeoutExpired:
            out, code = "HUNG (time limit)", -1
        finally:
            if feeder:
                feeder.kill()
            if hasattr(stdout, "close"):
                stdout.close()  # type: ignore[union-attr]
        errors = run.stderr.decode("utf-8", "replace").strip().splitlines() if code != -1 else []
        problems = []
        if "Traceback" in out:
            tracebacks += 1
            problems.append("traceback")
        if code not in codes:
            problems.append(f"exit {code}, expected {sorted(codes)}")
        if code == 1 and not opts.get("report") and len([e for e in errors if e.startswith("Error")]) != 1:
            problems.append("error not on one line")
        if opts.get("expect") and opts["expect"] not in out:
            problems.append(f"no {opts['expect']!r} in the output")
        if opts.get("absent") and opts["absent"] in out + "".join(p.read_text("utf-8", "replace")
                                                                  for p in d.glob("*.report.jsonl")):
            problems.append(f"{opts['absent']!r} written out")
        failed += bool(problems)
        line = errors[-1][:100] if errors else ""
        print(f"{'FAIL' if problems else 'ok  '} {name:38s} {time.monotonic() - t0:6.1f}s exit {code}  "
              f"{'; '.join(problems) or line}", flush=True)
    total = len(probes(d, slow))
    print(f"\n{total} probes, {failed} failed, {tracebacks} tracebacks, {time.monotonic() - started:.0f} s "
          f"(load {os.getloadavg()[0]:.1f})")
    if not args.keep:
        shutil.rmtree(d, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
