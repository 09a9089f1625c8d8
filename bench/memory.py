"""Memory figures of issue 16: peak RSS of `khabar analyze --json` per MB of article, and of
`khabar export --format parquet` on a large archive (to a file and to a pipe), each measured on a
child process (``wait4``'s ``ru_maxrss``).

    nice .venv/bin/python bench/memory.py analyze                 # 1, 5 and 15 MB of ../shared/data/news text
    nice .venv/bin/python bench/memory.py export --n 24000        # builds /tmp/khabar-mem-24000.db (restore-only)

``analyze`` prints, per size, the peak, the peak per MB, and the peak above an empty article's run
per MB (the memory the article itself costs). ``export`` prints the peak with the shipped settings
and, to a file, with the old ones (a row group per 2,000 rows whatever their size, 500 articles
read at a time), from one run on the same archive. (The old pipe export also held the whole file.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).parent / "khabar")
NEWS = REPO.parent / "shared" / "data" / "news"


def peak_mb(argv: list[str], *, stdout: object = subprocess.DEVNULL, env: dict[str, str] | None = None) -> float:
    proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, env=env)  # type: ignore[arg-type]
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[:3]} failed: {err[-300:]}")
    return usage.ru_maxrss / 1024


def news_texts() -> list[str]:
    texts = []
    for path in sorted(NEWS.glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            text = json.loads(line).get("text") or ""
            if text.strip():
                texts.append(text)
    return texts


def analyze(sizes: list[int]) -> None:
    whole = "\n".join(news_texts()).encode("utf-8")
    tmp = Path(tempfile.mkdtemp(prefix="khabar-mem-"))
    empty = tmp / "empty.txt"
    empty.write_text("", encoding="utf-8")
    base = peak_mb([EXE, "analyze", "--json", str(empty)])
    print(f"empty article: {base:.0f} MB")
    for mb in sizes:
        path = tmp / f"{mb}mb.txt"
        path.write_text(whole[:mb << 20].decode("utf-8", "ignore"), encoding="utf-8")
        size = path.stat().st_size / 2**20
        peak = peak_mb([EXE, "analyze", "--json", str(path)])
        print(json.dumps({"article_mb": round(size, 1), "peak_mb": round(peak), "peak_per_mb": round(peak / size, 1),
                          "above_empty_per_mb": round((peak - base) / size, 1),
                          "load": round(os.getloadavg()[0], 1)}), flush=True)


_OLD = ("import sys, khabar.archive.export as e; e.READ_BATCH = 500; e.PARQUET_BATCH_BYTES = 1 << 62; "
        "from khabar.cli import main; sys.argv = ['khabar'] + sys.argv[1:]; main()")


def export(n: int, db: Path) -> None:
    if not db.exists():
        texts = news_texts()
        src = Path(tempfile.mkdtemp(prefix="khabar-mem-src-"))
        for start in range(0, n, 10_000):  # files of 10,000 articles: under ingest's 100 MB a file
            with (src / f"dump-{start:07d}.jsonl").open("w", encoding="utf-8") as fh:
                for i in range(start, min(n, start + 10_000)):
                    text = texts[i % len(texts)]
                    fh.write(json.dumps({"text": f"{text}\n(نسخه {i // len(texts)})" if i >= len(texts) else text,
                                         "title": f"خبر {i}"}, ensure_ascii=False) + "\n")
        subprocess.run([EXE, "ingest", str(src), "--db", str(db), "--restore-only", "--report", f"{src}.report.jsonl"],
                       check=True, stderr=subprocess.DEVNULL)
    out = db.with_suffix(".parquet")
    count = json.loads(subprocess.run([EXE, "check", "--quick", "--json", "--db", str(db)], capture_output=True,
                                      text=True).stdout)["articles"]
    if count < 0.9 * n:  # a few texts of the news dumps repeat and are stored once
        raise SystemExit(f"{db} holds {count:,} articles, far fewer than the {n:,} asked for (see the ingest report)")
    rows = {"articles": count, "archive_mb": round(db.stat().st_size / 2**20)}
    rows["file_peak_mb"] = round(peak_mb([EXE, "export", "--format", "parquet", "--db", str(db), "-o", str(out)]))
    rows["pipe_peak_mb"] = round(peak_mb([EXE, "export", "--format", "parquet", "--db", str(db)]))
    rows["old_settings_file_peak_mb"] = round(peak_mb([sys.executable, "-c", _OLD, "export", "--format", "parquet",
                                                       "--db", str(db), "-o", str(out)]))
    rows["load"] = round(os.getloadavg()[0], 1)
    print(json.dumps(rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["analyze", "export"])
    ap.add_argument("--sizes", default="1,5,15", help="article sizes in MB (analyze)")
    ap.add_argument("--n", type=int, default=24_000, help="articles in the archive (export)")
    ap.add_argument("--db", help="the archive to export (built when missing)")
    args = ap.parse_args()
    if args.what == "analyze":
        analyze([int(x) for x in args.sizes.split(",")])
    else:
        export(args.n, Path(args.db or f"/tmp/khabar-mem-{args.n}.db"))


if __name__ == "__main__":
    main()
