"""Build bench/gold/statements.json from the marked-up passages in statements.txt and the seed anchors.

    .venv/bin/python bench/gold/build.py [--shared ../shared]

The JSON has the shape ../shared/tools/quote_eval.py reads (a list of ``{text | file, statements:
[{cue, raw_start, raw_end, speaker: [keys]}], optional, annotated}``), plus what
bench/statements.py scores beyond it: each statement's ``content`` and ``kind``, ``events``,
``dates``, ``source``, ``published`` and ``split``. The seed article is referred to by ``file``
(relative to the folder holding the repo and shared/); its text is never copied here, only offsets.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
OPEN = {"[[": "]]", "{{": "}}", "<<": ">>", "((": "))"}


def parse_markup(marked: str) -> tuple[str, list[tuple[str, str, int, int, list[str]]]]:
    """Plain text and ``(opener, head, start, end, fields)`` for every marked piece; nesting allowed.

    ``[[cue|1|key]]`` gives fields ``['1', 'key']``; ``{{1d:…}}`` gives head ``'1d'``; ``[[?cue]]``
    gives head ``'?'``.
    """
    out: list[str] = []
    n = 0  # length of the plain text so far
    stack: list[list[Any]] = []  # [opener, start, head, fields or None while in the text part]
    found: list[tuple[str, str, int, int, list[str]]] = []
    i = 0
    while i < len(marked):
        two = marked[i:i + 2]
        if two in OPEN:
            i += 2
            head = ""
            if two == "{{":
                colon = marked.index(":", i)
                head, i = marked[i:colon], colon + 1
            elif two == "[[" and marked[i] == "?":
                head, i = "?", i + 1
            stack.append([two, n, head, None, 0])
            continue
        if stack and two == OPEN[stack[-1][0]]:
            opener, start, head, fields, end = stack.pop()
            if fields is None:
                end = n
                fields = []
            found.append((opener, head, start, end, [f for f in "".join(fields).split("|") if f != ""]
                          if fields else []))
            i += 2
            continue
        ch = marked[i]
        if stack and stack[-1][0] != "{{" and (ch == "|" or stack[-1][3] is not None):
            if stack[-1][3] is None:
                stack[-1][3] = []
                stack[-1][4] = n
            else:
                stack[-1][3].append(ch)
            i += 1
            continue
        out.append(ch)
        n += 1
        i += 1
    if stack:
        raise ValueError(f"unclosed {stack[-1][0]} in: {marked[:60]}")
    return "".join(out), found


def passage(pid: str, split: str, published: str, source: str | None, marked: str) -> dict[str, Any]:
    text, pieces = parse_markup(marked)
    statements: dict[str, dict[str, Any]] = {}
    contents: dict[str, dict[str, Any]] = {}
    optional, dates, events = [], [], []
    for opener, head, s, e, fields in pieces:
        span = {"raw_start": s, "raw_end": e}
        piece = text[s:e]
        if opener == "[[" and head == "?":
            optional.append({"cue": piece, **span})
        elif opener == "[[":
            statements[fields[0]] = {"cue": piece, **span, "speaker": fields[1].split("/")}
        elif opener == "{{":
            contents[head[:-1]] = {"content": {"text": piece, **span},
                                   "kind": {"d": "direct", "i": "indirect"}[head[-1]]}
        elif opener == "<<":
            value, calendar, granularity = fields
            dates.append({"text": piece, **span, "value": value, "calendar": calendar, "granularity": granularity})
        elif opener == "((":
            etype, parts, date, place = fields
            events.append({"type": etype, "trigger": piece, **span,
                           "participants": [p.split("/") for p in parts.split(";") if p and p != "-"],
                           "date": None if date == "-" else date, "place": None if place == "-" else place})
    stmts = []
    for n, st in sorted(statements.items(), key=lambda kv: kv[1]["raw_start"]):
        if n not in contents:
            raise ValueError(f"{pid}: statement {n} has no content")
        st.update(contents[n])
        stmts.append(st)
    if set(contents) - set(statements):
        raise ValueError(f"{pid}: content without a cue: {set(contents) - set(statements)}")
    return {"id": pid, "split": split, "published": published, "source": source, "text": text,
            "statements": stmts, "optional": optional, "dates": dates, "events": events}


def read_passages(path: Path) -> list[dict[str, Any]]:
    docs = []
    blocks = re.split(r"^=== ", path.read_text(encoding="utf-8"), flags=re.M)[1:]
    for block in blocks:
        header, _, body = block.partition("\n")
        pid, split, published = header.split()
        source = None
        lines = body.strip("\n").split("\n")
        if lines and lines[0].startswith("source: "):
            source = lines.pop(0)[len("source: "):].strip()
        docs.append(passage(pid, split, published, source, "\n".join(lines).strip()))
    return docs


def _check(doc: dict[str, Any]) -> None:
    text = doc["text"]
    assert not any(m in text for m in ("[[", "]]", "{{", "}}", "<<", ">>", "((", "))", "|")), doc["id"]
    for st in doc["statements"]:
        assert text[st["raw_start"]:st["raw_end"]] == st["cue"], (doc["id"], st)
        if "content" in st:
            c = st["content"]
            c["text"] = text[c["raw_start"]:c["raw_end"]]
    for d in doc["dates"]:
        d["text"] = text[d["raw_start"]:d["raw_end"]]
    for ev in doc["events"]:
        ev["trigger"] = text[ev["raw_start"]:ev["raw_end"]]


# The seed article's 15 statements, located by their cue (the n-th whole-word occurrence) and their
# content (a few words it starts and ends with). Only offsets reach the JSON.
SEED_STATEMENTS = [
    ("ابراز امیدواری کرد", 1, ["درویش"], "indirect", "این تقارن", "مسجدالاقصی شود"),
    ("دانست", 1, ["لحیة", "لحیه"], "indirect", "این پیروزی را", "جمهوری اسلامی ایران"),
    ("تأکید کرد", 1, ["لحیة", "لحیه"], "indirect", "این موفقیت،", "بوده است"),
    ("اظهار داشت", 1, ["خامنه"], "indirect", "خداوند متعال", "عطا کرده است"),
    ("تأکید کردند", 1, ["خامنه"], "indirect", "مقاومت غزه مصداق", "غلبه میکنند"),
    ("افزودند", 1, ["خامنه"], "indirect", "مقاومت غزه نه", "شده است"),
    ("خاطرنشان کردند", 1, ["خامنه"], "indirect", "نتیجه این", "تبدیل شدهاند"),
    ("خواندند", 1, ["خامنه"], "indirect", "دستاوردهای توافق", "را بزرگ"),
    ("تأکید کردند", 2, ["خامنه"], "indirect", "امروز وظیفه", "مشکلات آنهاست"),
    ("دانستند", 1, ["خامنه"], "indirect", "برنامهریزی برای", "را ضروری"),
    ("دانستند", 2, ["خامنه"], "indirect", "ایمان را", "برابر دشمنان"),
    ("تأکید کردند", 3, ["خامنه"], "indirect", "به لطف", "ضعف نمیکنند"),
    ("اعلام کردند", 1, ["خامنه"], "indirect", "این تهدیدها", "کشور ندارد"),
    ("اظهار داشتند", 1, ["خامنه"], "indirect", "حوادث و", "امیدوار بود"),
    ("گفتند", 1, ["خامنه"], "indirect", "روزی خواهد", "فرا خواهد رسید"),
]
# Cues that may or may not be counted: a verb inside a statement, and `با تأکید بر اینکه`.
SEED_OPTIONAL = [("بیان میکند", 1), ("تأکید", 5)]
SEED_EVENTS = [("دیدار کردند", 1, "meeting", [["حماس"], ["خامنه"]], "2025-02-08", None)]
SEED_DATES = [("امروز صبح", 1, "2025-02-08", "relative", "day")]
SEED_OPTIONAL_DATES = [("امروز", 2)]
SEED_PUBLISHED = "2025-02-08"  # the day of the meeting it reports (Bahman 1403)


def _nth(text: str, word: str, n: int, start: int = 0) -> int:
    pat = re.compile(rf"(?<![\w\u200c]){re.escape(word)}(?![\w\u200c])")
    for i, m in enumerate(pat.finditer(text, start), 1):
        if i == n:
            return m.start()
    raise ValueError(f"{word!r} #{n} not in the seed")


def seed_doc(shared: Path) -> dict[str, Any] | None:
    path = shared / "data" / "seed" / "article.txt"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    stmts = []
    for cue, n, keys, kind, first, last in SEED_STATEMENTS:
        s = _nth(text, cue, n)
        sentence_start = max(text.rfind(".", 0, s), text.rfind("\n", 0, s)) + 1
        cs = text.rfind(first, sentence_start, s) if text.rfind(first, sentence_start, s) >= 0 else text.index(first, s)
        ce = text.index(last, cs) + len(last)
        stmts.append({"cue": cue, "raw_start": s, "raw_end": s + len(cue), "speaker": keys, "kind": kind,
                      "content": {"raw_start": cs, "raw_end": ce}})
    optional = [{"cue": c, "raw_start": (s := _nth(text, c, n)), "raw_end": s + len(c)} for c, n in SEED_OPTIONAL]
    events = [{"type": t, "trigger": c, "raw_start": (s := _nth(text, c, n)), "raw_end": s + len(c),
               "participants": p, "date": d, "place": pl} for c, n, t, p, d, pl in SEED_EVENTS]
    dates = [{"text": c, "raw_start": (s := _nth(text, c, n)), "raw_end": s + len(c), "value": v, "calendar": cal,
              "granularity": g} for c, n, v, cal, g in SEED_DATES]
    optional_dates = [{"raw_start": (s := _nth(text, c, n)), "raw_end": s + len(c)} for c, n in SEED_OPTIONAL_DATES]
    return {"id": "seed", "split": "seed", "published": SEED_PUBLISHED, "source": "jahankhabari.ir",
            "file": "shared/data/seed/article.txt", "statements": stmts, "optional": optional,
            "events": events, "dates": dates, "optional_dates": optional_dates}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--out", type=Path, default=HERE / "statements.json")
    args = ap.parse_args()
    docs = read_passages(HERE / "statements.txt")
    seed = seed_doc(args.shared)
    if seed:
        docs.insert(0, seed)
    args.out.write_text(json.dumps(docs, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    n = sum(len(d["statements"]) for d in docs)
    print(f"{len(docs)} documents, {n} statements -> {args.out}")


if __name__ == "__main__":
    main()
