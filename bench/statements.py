"""Statements, meetings, dates and source credits against bench/gold/statements.json, and speed.

    .venv/bin/python bench/statements.py                 # every figure, per split, and the speed run
    .venv/bin/python bench/statements.py --misses tune   # also list what went wrong on a split
    .venv/bin/python bench/statements.py --no-speed      # quality only

Splits: ``seed`` (the seed article, read from ../shared/data), ``tune`` (passages looked at while
developing) and ``dev`` (passages held out while developing). Scoring follows
../shared/tools/quote_eval.py: a gold statement is found when a predicted cue overlaps its cue (raw
offsets); its speaker is right when the predicted speaker's entity name/aliases or span text contain
a gold key (letters folded, ZWNJ ignored); precision counts predicted quotes that overlap neither a
gold nor an optional cue. Content overlap is the character F1 of predicted and gold content of found
statements. An event is right when its trigger overlaps the gold one and its participants, date and
place all match; a date is right when it overlaps a gold date and has the same value.

Speed: ``khabar.analyze`` plus the readable rendering of ``khabar analyze`` (to a null console) on a
~600-word article assembled from the gold passages, on one core, with the time of each stage and a
cProfile of the run printed together. Stage times are CPU time of this (single-threaded) process,
so a busy machine slows the run down but does not inflate the figures much; the load is printed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO.parent  # where `shared/` lives beside the repo
GOLD = REPO / "bench" / "gold" / "statements.json"
FOLD = str.maketrans({"ي": "ی", "ك": "ک", "\u200c": None, "ة": "ه", "أ": "ا", "إ": "ا", "آ": "ا", " ": None})


def f(s: str | None) -> str:
    return (s or "").translate(FOLD)


def ov(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["raw_start"] < b["raw_end"] and b["raw_start"] < a["raw_end"]


def names_of(span: dict[str, Any] | None, ents: dict[str, dict[str, Any]]) -> list[str]:
    if not span:
        return []
    e = ents.get(span.get("entity") or "") or {}
    return [span.get("text", ""), e.get("name", ""), *e.get("aliases", [])]


def entity_names(eid: str | None, ents: dict[str, dict[str, Any]]) -> list[str]:
    e = ents.get(eid or "") or {}
    return [eid or "", e.get("name", ""), *e.get("aliases", [])] if e else [eid or ""]


def matches(keys: list[str], names: list[str]) -> bool:
    return any(f(k) in f(n) for k in keys for n in names if n)


def char_f1(p: dict[str, Any], g: dict[str, Any]) -> float:
    inter = max(0, min(p["raw_end"], g["raw_end"]) - max(p["raw_start"], g["raw_start"]))
    if not inter:
        return 0.0
    prec = inter / (p["raw_end"] - p["raw_start"])
    rec = inter / (g["raw_end"] - g["raw_start"])
    return 2 * prec * rec / (prec + rec)


def load(gold: Path) -> list[dict[str, Any]]:
    docs = json.loads(gold.read_text(encoding="utf-8"))
    out = []
    for d in docs:
        if "text" not in d:
            path = ROOT / d["file"]
            if not path.is_file():
                print(f"skipping {d['id']}: {path} not found", file=sys.stderr)
                continue
            d = {**d, "text": path.read_text(encoding="utf-8")}
        out.append(d)
    return out


def score(docs: list[dict[str, Any]], misses: set[str]) -> dict[str, dict[str, Any]]:
    import khabar

    c: dict[str, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
    for doc in docs:
        split = doc["split"]
        d = khabar.analyze(doc["text"], published=doc.get("published")).to_dict()
        ents = {e["id"]: e for e in d["entities"]}
        quotes = d["quotes"]
        cs = c[split]
        show = split in misses
        for g in doc["statements"]:
            cs["statements"] += 1
            hits = [q for q in quotes if ov(q["cue"], g)]
            if not hits:
                if show:
                    print(f"  [{doc['id']}] miss: {g['cue']} ({g['speaker'][0]})", file=sys.stderr)
                continue
            cs["found"] += 1
            q = hits[0]
            ok = any(matches(g["speaker"], names_of(h.get("speaker"), ents)) for h in hits)
            cs["speaker_right"] += ok
            if not ok and show:
                got = [(h.get("speaker") or {}).get("text") for h in hits]
                print(f"  [{doc['id']}] speaker: {g['cue']} want {g['speaker']} got {got}", file=sys.stderr)
            if "content" in g:
                cs["content_f1"] += char_f1(q["content"], g["content"])
            if "kind" in g:
                cs["kind_right"] += q["kind"] == g["kind"]
                if q["kind"] != g["kind"] and show:
                    print(f"  [{doc['id']}] kind: {g['cue']} want {g['kind']} got {q['kind']}", file=sys.stderr)
        good = doc["statements"] + doc.get("optional", [])
        for q in quotes:
            cs["predicted"] += 1
            if not any(ov(q["cue"], g) for g in good):
                cs["false"] += 1
                if show:
                    print(f"  [{doc['id']}] false cue: {q['cue']['text']} "
                          f"({(q.get('speaker') or {}).get('text')})", file=sys.stderr)
        # Meetings.
        for g in doc.get("events", []):
            cs["events"] += 1
            hits = [e for e in d["events"] if ov(e["trigger"], g)]
            if not hits:
                if show:
                    print(f"  [{doc['id']}] event miss: {g['trigger']}", file=sys.stderr)
                continue
            cs["events_found"] += 1
            e = hits[0]
            parts_ok = all(any(matches(keys, entity_names(p, ents)) for p in e["participants"])
                           for keys in g["participants"])
            date_ok = e["date"] == g["date"]
            place_ok = (g["place"] is None and e["place"] is None) or (
                g["place"] is not None and matches([g["place"]], entity_names(e["place"], ents)))
            cs["events_right"] += parts_ok and date_ok and place_ok
            if show and not (parts_ok and date_ok and place_ok):
                print(f"  [{doc['id']}] event {g['trigger']}: participants {parts_ok} {e['participants']}, "
                      f"date {e['date']} want {g['date']}, place {e['place']} want {g['place']}", file=sys.stderr)
        for e in d["events"]:
            cs["events_predicted"] += 1
            if not any(ov(e["trigger"], g) for g in doc.get("events", [])):
                cs["events_false"] += 1
                if show:
                    print(f"  [{doc['id']}] false event: {e['trigger']['text']}", file=sys.stderr)
        # Dates.
        for g in doc.get("dates", []):
            cs["dates"] += 1
            hits = [x for x in d["dates"] if ov(x, g)]
            right = any(x["value"] == g["value"] for x in hits)
            cs["dates_found"] += bool(hits)
            cs["dates_right"] += right
            if show and not right:
                print(f"  [{doc['id']}] date {g['text']}: want {g['value']} got "
                      f"{[(x['text'], x['value']) for x in hits]}", file=sys.stderr)
        date_ok = doc.get("dates", []) + doc.get("optional_dates", [])
        for x in d["dates"]:
            cs["dates_predicted"] += 1
            if not any(ov(x, g) for g in date_ok):
                cs["dates_false"] += 1
                if show:
                    print(f"  [{doc['id']}] false date: {x['text']} {x['value']}", file=sys.stderr)
        # Source credit.
        cs["docs"] += 1
        src = d["source"]
        want = doc.get("source")
        right = (want is None and src is None) or (want is not None and src is not None and f(want) == f(src["name"]))
        cs["source_right"] += right
        if show and not right:
            print(f"  [{doc['id']}] source: want {want} got {src and src['name']}", file=sys.stderr)
    return {k: figures(v) for k, v in c.items()}


def figures(c: dict[str, float]) -> dict[str, Any]:
    def r(a: float, b: float) -> float | None:
        return round(a / b, 4) if b else None

    return {
        "statements": int(c["statements"]),
        "cue_recall": r(c["found"], c["statements"]),
        "cue_precision": r(c["predicted"] - c["false"], c["predicted"]),
        "speaker_accuracy": r(c["speaker_right"], c["statements"]),
        "content_overlap": r(c["content_f1"], c["found"]),
        "kind_accuracy": r(c["kind_right"], c["found"]),
        "events": int(c["events"]),
        "event_recall": r(c["events_found"], c["events"]),
        "event_precision": r(c["events_predicted"] - c["events_false"], c["events_predicted"]),
        "event_accuracy": r(c["events_right"], c["events"]),
        "dates": int(c["dates"]),
        "date_recall": r(c["dates_found"], c["dates"]),
        "date_precision": r(c["dates_predicted"] - c["dates_false"], c["dates_predicted"]),
        "date_accuracy": r(c["dates_right"], c["dates"]),
        "source_accuracy": r(c["source_right"], c["docs"]),
    }


def typical_article(docs: list[dict[str, Any]], words: int = 600) -> str:
    """A ~600-word article: the gold passages' paragraphs, in order, until there are enough words."""
    paras: list[str] = []
    n = 0
    for d in docs:
        if d["split"] == "seed":
            continue
        for p in d["text"].split("\n"):
            if p.strip():
                paras.append(p)
                n += len(p.split())
        if n >= words:
            break
    return "\n\n".join(paras)


def speed(text: str, seconds: float = 4.0) -> dict[str, Any]:
    from rich.console import Console

    from khabar.pipeline import default_pipeline
    from khabar.render import render_document

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    pipe = default_pipeline()
    null = Console(file=io.StringIO(), width=120, force_terminal=False, highlight=False, soft_wrap=True)
    pipe.analyze(text, published="2025-08-09")  # warm up: models load once
    per_stage: dict[str, float] = defaultdict(float)
    runs = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        from khabar.document import Document

        doc = Document.from_raw(text, published="2025-08-09")
        for stage in pipe.stages:
            t = time.process_time()
            doc = stage(doc)
            per_stage[stage.name] += time.process_time() - t
        t = time.process_time()
        json.dumps(doc.to_dict(), ensure_ascii=False)
        per_stage["json"] += time.process_time() - t
        t = time.process_time()
        null.file = io.StringIO()
        render_document(doc, null)
        per_stage["render"] += time.process_time() - t
        runs += 1
    wall = time.perf_counter() - start
    pipeline = sum(v for k, v in per_stage.items() if k not in ("json", "render"))
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(max(5, runs // 4)):
        d = pipe.analyze(text, published="2025-08-09")
        null.file = io.StringIO()
        render_document(d, null)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(14)
    return {"words": len(text.split()), "runs": runs,
            "analyze_per_second": round(runs / pipeline, 1),
            "json_per_second": round(runs / (pipeline + per_stage["json"]), 1),
            "articles_per_second": round(runs / (pipeline + per_stage["render"]), 1),
            "ms_per_article": round(1000 * (pipeline + per_stage["render"]) / runs, 2),
            "wall_per_second": round(runs / wall, 1),
            "stages_ms": {k: round(1000 * v / runs, 2) for k, v in per_stage.items()},
            "profile": out.getvalue()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, default=GOLD)
    ap.add_argument("--misses", action="append", default=[], help="list errors of this split (seed, tune, dev)")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--no-quote-eval", action="store_true", help="skip ../shared/tools/quote_eval.py")
    args = ap.parse_args()
    docs = load(args.gold)
    results = score(docs, set(args.misses))
    cols = ["statements", "cue_recall", "cue_precision", "speaker_accuracy", "content_overlap", "kind_accuracy",
            "event_accuracy", "event_precision", "date_accuracy", "date_precision", "source_accuracy"]
    print(f"{'split':<6} " + " ".join(f"{c[:12]:>12}" for c in cols))
    for split in ("seed", "tune", "dev", "dev2", "dev3", "dev4"):
        if split in results:
            row = results[split]
            print(f"{split:<6} " + " ".join(f"{'-' if row[c] is None else row[c]:>12}" for c in cols))
    print(json.dumps({"quality": results}, ensure_ascii=False))
    evaluator = ROOT / "shared" / "tools" / "quote_eval.py"
    if not args.no_quote_eval and evaluator.is_file():
        res = subprocess.run([sys.executable, str(evaluator), str(args.gold), str(ROOT)],
                             capture_output=True, text=True, check=False)
        print("quote_eval.py (all splits, no publication dates):", res.stdout.strip() or res.stderr.strip()[-300:])
    if not args.no_speed:
        sp = speed(typical_article(docs))
        print(f"speed: {sp['words']}-word article on one core ({sp['runs']} runs): "
              f"khabar.analyze {sp['analyze_per_second']}/s; `khabar analyze --json` {sp['json_per_second']}/s; "
              f"`khabar analyze` (readable) {sp['articles_per_second']}/s ({sp['ms_per_article']} ms each)"
              + f" in CPU time; {sp['wall_per_second']}/s by the wall clock"
              + (f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)" if hasattr(os, "getloadavg") else ""))
        print("per stage, ms per article: " + ", ".join(f"{k} {v}" for k, v in sp["stages_ms"].items()))
        print(sp["profile"])


if __name__ == "__main__":
    main()
