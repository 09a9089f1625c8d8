#!/usr/bin/env python3
"""Statements, entities, dates and credits on real crawled news, against hand-made gold.

    .venv/bin/python bench/real_gold.py                    # every figure
    .venv/bin/python bench/real_gold.py --misses           # and each miss and false alarm
    .venv/bin/python bench/real_gold.py --show N           # article N of the gold with its marks
    .venv/bin/python bench/real_gold.py --build ANCHORS    # (re)write the gold from an anchors file

The gold (``bench/gold/real_news.json``) covers 44 articles drawn by ``bench/real_gold_sample.py``
from a part of ``../shared/data/news/`` that no build reads; each was annotated (the first ~1,500
characters, whole lines) before khabar's output on it was seen. It holds no text of the articles:
each one is named by URL and the SHA-256 of its text, and every gold item by character offsets into
that text, read from ``../shared/data/news/`` when the figures are computed. What is marked:

* every attributed statement: its cue (``گفت``, ``تصریح کرد``, ``به گفته``) and keys of its speaker
  (surname, or the body or role where no name is given); statements inside a quotation, and cues
  that are not clearly statements, are optional (neither required nor wrong);
* every PER/ORG/LOC mention, with the conventions of ``bench/gold/news_ner.txt`` (honorifics and
  roles outside names; a club, agency or body named in full is one ORG; a country or city is LOC;
  a facility named with its kind is LOC); mentions glued to other words by the crawler, and a few
  unclear cases, are optional;
* every date with its value in khabar's form (ISO day, ``YYYY-MM``, ``YYYY``, a Jalali month or year
  as a Gregorian interval); relative dates resolved against the article's publication date, and
  ``-`` (no value expected) where the crawl gives none (Varzesh3);
* the credit: the outlet the article names as its source, or none.

Scoring follows ``../shared/tools/quote_eval.py`` for statements (a cue is found when a predicted cue
overlaps it; the speaker is right when the predicted speaker's text, identity name or aliases contain
a key, letters folded and ZWNJ ignored). Entities: strict (same span and label) micro P/R/F1 over
PER/ORG/LOC in the annotated regions, predictions overlapping an optional mention ignored. Dates: a
gold date with a value is right when a predicted date overlaps it with the same value. Credits: right
when the predicted name and a gold name contain one another (letters folded), or both are none.
Each article is analysed as ``khabar ingest`` does: ``analyze(text, published=…, url=…, source=outlet)``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from real_data import Article, articles  # noqa: E402
from real_gold_sample import region_end, sample  # noqa: E402

GOLD = HERE / "gold" / "real_news.json"
ZWNJ = "\u200c"
FOLD = str.maketrans({"ي": "ی", "ك": "ک", ZWNJ: None, "ة": "ه", "أ": "ا", "إ": "ا", "\u200e": None,
                      "\u200f": None, "َ": None})
SPACE_FOLD = str.maketrans({" ": None})
LABELS = ("PER", "ORG", "LOC")


def fold(s: str | None) -> str:
    return (s or "").translate(FOLD)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- building the gold from an anchors file ---------------------------------------------------------

def _find(line: str, surface: str, start: int) -> tuple[int, int]:
    """``surface`` in ``line`` at or after ``start``: exact, else letters folded and spaces/ZWNJ free."""
    i = line.find(surface, start)
    if i >= 0:
        return i, i + len(surface)
    # Map each kept character of the line to its index, fold both, then search.
    keep = [(k, c) for k, c in enumerate(line) if fold(c) and c not in " \u200c"]
    flat = "".join(fold(c) for _, c in keep)
    want = fold(surface).replace(" ", "")
    pos = next((n for n, (k, _) in enumerate(keep) if k >= start), len(keep))
    j = flat.find(want, pos)
    if j < 0:
        raise ValueError(f"{surface!r} not found in line from {start}: {line[start:start + 80]!r}")
    return keep[j][0], keep[j + len(want) - 1][0] + 1


def _value(spec: str, published: dt.date | None) -> str | None:
    """khabar's form of a gold value: ``j1398/10/17``, ``j1398/10``, ``j1398``, ``pub+N``, ISO forms."""
    import jdatetime

    spec = spec.strip()
    if spec == "-":
        return None
    m = re.fullmatch(r"pub([+-]\d+)", spec)
    if m:
        if published is None:
            raise ValueError("pub+N in an article with no publication date")
        return (published + dt.timedelta(days=int(m.group(1)))).isoformat()
    m = re.fullmatch(r"j(\d{4})(?:/(\d{1,2}))?(?:/(\d{1,2}))?", spec)
    if m:
        y = int(m.group(1))
        if m.group(3):
            return str(jdatetime.date(y, int(m.group(2)), int(m.group(3))).togregorian().isoformat())
        if m.group(2):
            mon = int(m.group(2))
            first = jdatetime.date(y, mon, 1)
            nxt = jdatetime.date(y + (mon == 12), mon % 12 + 1, 1)
            last = nxt.togregorian() - dt.timedelta(days=1)
            return f"{first.togregorian().isoformat()}/{last.isoformat()}"
        return (f"{jdatetime.date(y, 1, 1).togregorian().isoformat()}/"
                f"{(jdatetime.date(y + 1, 1, 1).togregorian() - dt.timedelta(days=1)).isoformat()}")
    if re.fullmatch(r"\d{4}(?:-\d{2}(?:-\d{2})?)?|\d{4}-W\d{2}", spec):
        return spec
    raise ValueError(f"bad date value {spec!r}")


def published_date(raw: str | None) -> dt.date | None:
    """The publication date as khabar ingest reads it from the crawl's metadata."""
    from khabar.text.calendar import parse_published

    iso = parse_published(raw) if raw else None
    return dt.date.fromisoformat(iso[:10]) if iso else None


def build(anchors: Path) -> list[dict[str, Any]]:
    by_url = {a.url: a for a in articles()}
    picked = {a.url for a in sample()}
    out: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    art: Article | None = None
    lines: list[str] = []
    starts: list[int] = []
    cursors: dict[tuple[int, str], int] = {}
    for n, row in enumerate(anchors.read_text(encoding="utf-8").split("\n"), 1):
        row = row.strip()
        if not row or row.startswith("#"):
            continue
        try:
            if row.startswith("=== "):
                _, num, url = row.split(" ", 2)
                if url not in picked:
                    raise ValueError(f"{url} is not in the sample")
                art = by_url[url]
                region = region_end(art.text)
                lines = art.text.split("\n")
                starts = [0]
                for line in lines:
                    starts.append(starts[-1] + len(line) + 1)
                cursors = {}
                pub = published_date(art.published)
                cur = {"n": int(num), "url": url, "sha256": sha(art.text), "outlet": art.outlet,
                       "published": art.published, "region": [0, region], "credit": [],
                       "mentions": [], "optional_mentions": [], "statements": [], "optional_statements": [],
                       "dates": [], "optional_dates": []}
                out.append(cur)
                continue
            assert cur is not None and art is not None
            if row.startswith("credit "):
                names = row[len("credit "):].split("/")
                cur["credit"] = [x.strip() for x in names]
                continue
            head, _, items = row.partition(" ")
            k = int(head[1:]) - 1
            line, base = lines[k], starts[k]
            if base >= cur["region"][1]:
                raise ValueError(f"line {k + 1} is outside the annotated region")
            for item in (x.strip() for x in items.split(" | ")):
                kind, _, rest = item.partition(" ")
                group = {"PER": "m", "ORG": "m", "LOC": "m", "X": "m", "Q": "q", "Q?": "q", "D": "d", "D?": "d"}[kind]
                surface = rest
                keys = value = ""
                if kind == "Q":
                    surface, _, keys = rest.partition(" > ")
                elif kind == "D":
                    surface, _, value = rest.partition(" = ")
                s, e = _find(line, surface.strip(), cursors.get((k, group), 0))
                cursors[(k, group)] = e
                span = {"raw_start": base + s, "raw_end": base + e}
                if kind in LABELS:
                    cur["mentions"].append({**span, "label": kind})
                elif kind == "X":
                    cur["optional_mentions"].append(span)
                elif kind == "Q":
                    cur["statements"].append({**span, "speaker": [x.strip() for x in keys.split("/")]})
                elif kind == "Q?":
                    cur["optional_statements"].append(span)
                elif kind == "D":
                    cur["dates"].append({**span, "value": _value(value, pub)})
                else:
                    cur["optional_dates"].append(span)
        except (ValueError, KeyError, IndexError, AssertionError) as exc:
            raise SystemExit(f"{anchors}:{n}: {exc}") from exc
    return out


# -- scoring --------------------------------------------------------------------------------------

def _ov(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["raw_start"] < b["raw_end"] and b["raw_start"] < a["raw_end"]


def _inside(span: dict[str, Any], region: list[int]) -> bool:
    return region[0] <= span["raw_start"] and span["raw_end"] <= region[1]


def load_gold() -> tuple[list[dict[str, Any]], dict[str, Article]]:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    texts: dict[str, Article] = {}
    for a in articles():
        texts.setdefault(a.url, a)
    for g in gold:
        a = texts.get(g["url"])
        if a is None or sha(a.text) != g["sha256"]:
            raise SystemExit(f"article {g['n']} ({g['url']}) is missing from ../shared/data/news or its text changed")
    return gold, texts


def analyze(a: Article) -> dict[str, Any]:
    import khabar
    from khabar.text.calendar import parse_published

    pub = parse_published(a.published) if a.published else None
    return khabar.analyze(a.text, published=pub, url=a.url, source=a.outlet).to_dict()


def score(gold: list[dict[str, Any]], texts: dict[str, Article], misses: bool = False) -> dict[str, Any]:
    c: Counter[str] = Counter()
    out_misses: list[str] = []
    for g in gold:
        a = texts[g["url"]]
        d = analyze(a)
        region = g["region"]
        ents = {e["id"]: e for e in d["entities"]}
        tag = f"#{g['n']}"
        # statements
        quotes = [q for q in d["quotes"] if q.get("cue")]
        for st in g["statements"]:
            c["statements"] += 1
            hits = [q for q in quotes if _ov(q["cue"], st)]
            if not hits:
                out_misses.append(f"{tag} cue missed: {a.text[st['raw_start']:st['raw_end']]!r} ({st['speaker'][0]})")
                continue
            c["cues_found"] += 1
            ok = False
            said = []
            for q in hits:
                sp = q.get("speaker") or {}
                e = ents.get(sp.get("entity") or "") or {}
                names = [sp.get("text", ""), e.get("name", ""), *e.get("aliases", [])]
                said.append(sp.get("text"))
                if any(fold(k) in fold(nm) for k in st["speaker"] for nm in names if nm):
                    ok = True
            c["speakers_right"] += ok
            if not ok:
                out_misses.append(f"{tag} speaker wrong: {a.text[st['raw_start']:st['raw_end']]!r} "
                                  f"gold {st['speaker']} got {said}")
        good = g["statements"] + g["optional_statements"]
        for q in quotes:
            if not _inside(q["cue"], region):
                continue
            c["cues_predicted"] += 1
            if not any(_ov(q["cue"], s) for s in good):
                c["cues_false"] += 1
                out_misses.append(f"{tag} cue false: {q['cue']['text']!r}")
        # entities
        gold_m = {(m["raw_start"], m["raw_end"], m["label"]) for m in g["mentions"]}
        pred_m = set()
        for m in d["mentions"]:
            if m["label"] not in LABELS or not _inside(m, region):
                continue
            if any(_ov(m, x) for x in g["optional_mentions"]):
                continue
            pred_m.add((m["raw_start"], m["raw_end"], m["label"]))
        for lab in LABELS:
            gl = {x for x in gold_m if x[2] == lab}
            pl = {x for x in pred_m if x[2] == lab}
            c[f"ner_tp_{lab}"] += len(gl & pl)
            c[f"ner_fp_{lab}"] += len(pl - gl)
            c[f"ner_fn_{lab}"] += len(gl - pl)
        for s, e, lab in sorted(gold_m - pred_m):
            out_misses.append(f"{tag} NER missed {lab} {a.text[s:e]!r}")
        for s, e, lab in sorted(pred_m - gold_m):
            out_misses.append(f"{tag} NER false {lab} {a.text[s:e]!r}")
        # dates
        pdates = [x for x in d["dates"] if _inside(x, region)]
        for gd in g["dates"]:
            c["dates"] += 1
            hits = [x for x in pdates if _ov(x, gd)]
            c["dates_found"] += bool(hits)
            if gd["value"] is None:
                continue
            c["dates_valued"] += 1
            if any(x.get("value") == gd["value"] for x in hits):
                c["dates_right"] += 1
            else:
                out_misses.append(f"{tag} date {a.text[gd['raw_start']:gd['raw_end']]!r} gold {gd['value']} "
                                  f"got {[(x['text'], x.get('value')) for x in hits]}")
        for x in pdates:
            c["dates_predicted"] += 1
            if not any(_ov(x, gd) for gd in g["dates"] + g["optional_dates"]):
                c["dates_false"] += 1
                out_misses.append(f"{tag} date false {x['text']!r} {x.get('value')}")
        # credit
        src = d.get("source")
        got = fold((src or {}).get("name")).translate(SPACE_FOLD)
        want = [fold(x).translate(SPACE_FOLD) for x in g["credit"]]
        right = "-" in want or not want if not got else any(w != "-" and w and (w in got or got in w) for w in want)
        c["credits"] += 1
        c["credits_right"] += right
        if not right:
            out_misses.append(f"{tag} credit gold {g['credit']} got {(src or {}).get('name')!r}")
    tp = sum(c[f"ner_tp_{x}"] for x in LABELS)
    fp = sum(c[f"ner_fp_{x}"] for x in LABELS)
    fn = sum(c[f"ner_fn_{x}"] for x in LABELS)

    def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return {"P": round(p, 3), "R": round(r, 3), "F1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
                "gold": tp + fn}

    res = {
        "articles": len(gold),
        "statements": c["statements"],
        "cue_recall": round(c["cues_found"] / c["statements"], 3),
        "speaker_accuracy": round(c["speakers_right"] / c["statements"], 3),
        "cue_precision": round(1 - c["cues_false"] / c["cues_predicted"], 3) if c["cues_predicted"] else 0.0,
        "ner": prf(tp, fp, fn),
        "ner_by_label": {x: prf(c[f"ner_tp_{x}"], c[f"ner_fp_{x}"], c[f"ner_fn_{x}"]) for x in LABELS},
        "dates": c["dates"],
        "dates_found": round(c["dates_found"] / c["dates"], 3),
        "dates_valued": c["dates_valued"],
        "date_values_right": round(c["dates_right"] / c["dates_valued"], 3),
        "date_precision": round(1 - c["dates_false"] / c["dates_predicted"], 3) if c["dates_predicted"] else 0.0,
        "credits_right": round(c["credits_right"] / c["credits"], 3),
    }
    if misses:
        res["misses"] = out_misses
    return res


def show(gold: list[dict[str, Any]], texts: dict[str, Article], n: int) -> None:
    g = next(x for x in gold if x["n"] == n)
    text = texts[g["url"]].text
    marks: list[tuple[int, int, str]] = []
    for m in g["mentions"]:
        marks += [(m["raw_start"], 1, f"[{m['label']} "), (m["raw_end"], 0, "]")]
    for m in g["optional_mentions"]:
        marks += [(m["raw_start"], 1, "[? "), (m["raw_end"], 0, "]")]
    for s in g["statements"]:
        marks += [(s["raw_start"], 1, "<<"), (s["raw_end"], 0, f"|{'/'.join(s['speaker'])}>>")]
    for s in g["optional_statements"]:
        marks += [(s["raw_start"], 1, "<<?"), (s["raw_end"], 0, ">>")]
    for x in g["dates"]:
        marks += [(x["raw_start"], 1, "{{"), (x["raw_end"], 0, f"|{x['value']}}}}}")]
    for x in g["optional_dates"]:
        marks += [(x["raw_start"], 1, "{{?"), (x["raw_end"], 0, "}}")]
    out, prev = [], 0
    for pos, _, s in sorted(marks):
        out.append(text[prev:pos])
        out.append(s)
        prev = pos
    out.append(text[prev:g["region"][1]])
    print(f"#{n} {g['url']}  credit: {g['credit']}")
    print("".join(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, help="write bench/gold/real_news.json from this anchors file")
    ap.add_argument("--show", type=int, help="print gold article N with its marks")
    ap.add_argument("--misses", action="store_true")
    args = ap.parse_args()
    if args.build:
        gold = build(args.build)
        GOLD.write_text(json.dumps(gold, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        print(f"{GOLD}: {len(gold)} articles, {sum(len(g['mentions']) for g in gold)} mentions, "
              f"{sum(len(g['statements']) for g in gold)} statements, {sum(len(g['dates']) for g in gold)} dates")
        return
    gold, texts = load_gold()
    if args.show is not None:
        show(gold, texts, args.show)
        return
    res = score(gold, texts, args.misses)
    for m in res.pop("misses", []):
        print(m)
    print(json.dumps(res, ensure_ascii=False))


if __name__ == "__main__":
    main()
