#!/usr/bin/env python3
"""Real crawled news end to end: every article of ``../shared/data/news/`` through ``khabar ingest``.

    nice .venv/bin/python bench/real_news.py [--jobs N] [--synthetic 2000] [--keep DIR]

Runs the CLI as a user would, into a fresh archive in a temporary folder: ``khabar ingest
irnews-dev.jsonl --field published=date`` and ``khabar ingest fars-varzesh3.jsonl --field
published=date_jalali``, then, in the same run and on the same archive settings, the synthetic
articles of ``bench/archive.py`` (written to a JSONL file and ingested the same way), so that the
articles per second of the two can be compared on one machine at one load. Then it reads the
archive back through ``khabar export`` and ``khabar stories --json`` and prints:

* articles read, added, duplicates, failures (with their reasons, from the failure report);
* warnings by kind (the stage that wrote them, and what they say without their numbers);
* articles per second (wall clock, all cores) on real and synthetic articles;
* entities, mentions, quotes, meetings and dates per article;
* credits: articles with a credit, and the credit against the outlet in the metadata;
* published dates parsed from the metadata;
* story clusters: how many, their sizes, how many span several outlets;
* the 20 most frequent entities per label (by articles that mention them).

The crawl is read from ``../shared`` and nothing of it is written into the repo.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NEWS = REPO.parent / "shared" / "data" / "news"
KHABAR = [str(Path(sys.executable).parent / "khabar")]
FILES = (("irnews-dev.jsonl", "date"), ("fars-varzesh3.jsonl", "date_jalali"))
# Outlets as the crawl names them, and the names their own credits use.
OUTLET_NAMES = {
    "asriran": ["عصر ایران", "عصرایران"], "tabnak": ["تابناک"], "roozno": ["روز نو", "روزنو"],
    "sobhane1": ["صبحانه"], "sobhane2": ["صبحانه"], "mashregh": ["مشرق"], "farsnews": ["فارس"],
    "varzesh3": ["ورزش سه", "ورزش۳"],
}
FOLD = str.maketrans({"ي": "ی", "ك": "ک", "\u200c": None, " ": None})


def run(args: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=REPO, check=False, **kw)


def ingest(src: Path, db: Path, field: str | None, jobs: int | None, report: Path) -> tuple[dict[str, Any], float]:
    cmd = [*KHABAR, "ingest", str(src), "--db", str(db), "--json", "--report", str(report)]
    if field:
        cmd += ["--field", f"published={field}"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    t = time.perf_counter()
    proc = run(cmd)
    seconds = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"khabar ingest {src.name} exited {proc.returncode}: {proc.stderr[-2000:]}")
    out = proc.stdout.strip().splitlines()
    summary = json.loads(out[-1]) if out else {}
    return summary, seconds


def synthetic(path: Path, n: int) -> None:
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(REPO))
    from archive import articles  # bench/archive.py's generator

    with open(path, "w", encoding="utf-8") as f:
        for a in articles(n):
            f.write(json.dumps({"text": a.text, "title": a.title, "url": a.url, "published": a.published,
                                "outlet": a.outlet}, ensure_ascii=False) + "\n")


_NUM = re.compile(r"\d+")


def warning_kind(w: str) -> str:
    """A warning without its numbers and quoted parts: ``zwnj: N ZWNJs restored (N inserted, …)``."""
    w = re.sub(r"«[^»]*»|'[^']*'|\"[^\"]*\"", "…", w)
    return _NUM.sub("N", w)[:90]


def credit_matches(credit: str, outlet: str) -> bool:
    c = credit.translate(FOLD)
    return any(n.translate(FOLD) in c for n in OUTLET_NAMES.get(outlet, [outlet]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    ap.add_argument("--synthetic", type=int, default=2000, help="synthetic articles to compare with (0: none)")
    ap.add_argument("--keep", type=Path, default=None, help="keep the archives in this folder")
    args = ap.parse_args()
    if not NEWS.exists():
        raise SystemExit(f"{NEWS} is absent: this bench needs the crawl in ../shared/data/news")
    tmp = Path(tempfile.mkdtemp(prefix="khabar-real-"))
    try:
        db = tmp / "news.db"
        report = tmp / "failures.jsonl"
        totals: Counter[str] = Counter()
        seconds = 0.0
        failures: list[dict[str, Any]] = []
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        for name, field in FILES:
            if report.exists():
                report.unlink()
            summary, secs = ingest(NEWS / name, db, field, args.jobs, report)
            seconds += secs
            for k in ("added", "duplicates", "already", "failed"):
                totals[k] += int(summary.get(k, 0) or 0)
            read = sum(1 for line in (NEWS / name).read_text(encoding="utf-8").splitlines() if line.strip())
            totals["read"] += read
            if report.exists():
                failures += [json.loads(x) for x in report.read_text(encoding="utf-8").splitlines() if x.strip()]
            failures += [f for f in summary.get("failures") or [] if isinstance(f, dict) and f not in failures]
            print(f"{name}: {read} records in {secs:.1f} s — {json.dumps(summary, ensure_ascii=False)}")
        load = os.getloadavg()[0]
        real_rate = totals["read"] / seconds
        print(f"real: {totals['read']} records, {totals['added']} added, {totals['duplicates']} duplicates, "
              f"{totals['failed']} failed; {real_rate:.1f} records/s ({totals['added'] / seconds:.1f} added/s) "
              f"wall clock, load {load:.2f}")
        for f in failures:
            print(f"  failure: {f.get('origin')}: {f.get('reason') or f.get('error') or f}")
        if args.synthetic:
            syn = tmp / "synthetic.jsonl"
            synthetic(syn, args.synthetic)
            _s_summary, s_secs = ingest(syn, tmp / "synthetic.db", None, args.jobs, tmp / "syn-failures.jsonl")
            syn_chars = sum(len(json.loads(x)["text"]) for x in syn.read_text(encoding="utf-8").splitlines())
            print(f"synthetic: {args.synthetic} articles in {s_secs:.1f} s = {args.synthetic / s_secs:.1f} articles/s "
                  f"(mean {syn_chars / args.synthetic:.0f} chars), load {os.getloadavg()[0]:.2f}; "
                  f"real/synthetic articles/s = {real_rate / (args.synthetic / s_secs):.2f}")
        # read the archive back
        exported = run([*KHABAR, "export", "--db", str(db), "--format", "jsonl"])
        if exported.returncode != 0:
            raise SystemExit(f"export failed: {exported.stderr[-2000:]}")
        docs = [json.loads(x) for x in exported.stdout.splitlines() if x.strip()]
        report_archive(docs, real_rate)
        stories = run([*KHABAR, "stories", "--db", str(db), "--json", "--limit", "10000"])
        report_stories(stories.stdout)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(db, args.keep / "news.db")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report_archive(rows: list[dict[str, Any]], rate: float) -> None:
    n = len(rows)
    warnings: Counter[str] = Counter()
    per: Counter[str] = Counter()
    credits = Counter[str]()
    top: dict[str, Counter[str]] = defaultdict(Counter)
    names: dict[str, str] = {}
    chars = 0
    for row in rows:
        d = row
        chars += len(d.get("raw_text") or "")
        for w in d.get("warnings") or []:
            warnings[warning_kind(w)] += 1
        per["entities"] += len(d.get("entities") or [])
        per["mentions"] += len(d.get("mentions") or [])
        per["quotes"] += len(d.get("quotes") or [])
        per["quotes with a speaker"] += sum(1 for q in d.get("quotes") or [] if q.get("speaker"))
        per["meetings"] += sum(1 for e in d.get("events") or [] if e.get("type") == "meeting")
        per["dates"] += len(d.get("dates") or [])
        per["dates with a value"] += sum(1 for x in d.get("dates") or [] if x.get("value"))
        meta = d.get("meta") or {}
        art = row.get("article") or {}
        outlet = art.get("source") or meta.get("source") or ""
        published = art.get("published") or meta.get("published")
        per["published parsed"] += bool(published)
        src = d.get("source")
        if src:
            credits["credited"] += 1
            credits["credit names the outlet" if credit_matches(src.get("name", ""), outlet) else "credit names another source"] += 1
        else:
            credits["no credit"] += 1
        for e in d.get("entities") or []:
            if e.get("label") in ("PER", "ORG", "LOC"):
                top[e["label"]][e["id"]] += 1
                names.setdefault(e["id"], e.get("name", ""))
    print(f"archive: {n} articles, mean {chars / max(1, n):.0f} chars")
    print("per article: " + ", ".join(f"{k} {v / max(1, n):.2f}" for k, v in per.items() if k != "published parsed"))
    print(f"published dates parsed from the metadata: {per['published parsed']} of {n}")
    print("credits: " + ", ".join(f"{k} {v}" for k, v in credits.items()))
    print("warnings by kind (articles):")
    for w, c in warnings.most_common(25):
        print(f"  {c:6d}  {w}")
    for lab in ("PER", "ORG", "LOC"):
        print(f"top {lab}: " + "، ".join(f"{names[i]} ({c})" for i, c in top[lab].most_common(20)))


def report_stories(out: str) -> None:
    try:
        data = json.loads(out)
    except json.JSONDecodeError:
        print(f"stories: unreadable output {out[:200]!r}")
        return
    stories = data.get("stories", data) if isinstance(data, dict) else data
    sizes = Counter[int]()
    multi = 0
    for s in stories:
        arts = s.get("articles") or []
        sizes[len(arts)] += 1
        outlets = s.get("outlets") or len({a.get("source") for a in arts})
        multi += outlets > 1
    print(f"stories (clusters of 2 or more articles): {len(stories)}, {multi} across outlets; sizes "
          + ", ".join(f"{k}: {v}" for k, v in sorted(sizes.items())))


if __name__ == "__main__":
    main()
