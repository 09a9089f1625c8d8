#!/usr/bin/env python3
"""Entities on news text: strict and lenient P/R/F1 on hand-annotated news sentences.

    .venv/bin/python bench/ner_news.py [--gold FILE ...] [--zwnj keep|strip|space] [--show]

The corpora bench/ner.py scores are tweets, Wikipedia sentences and MultiCoNER fragments; khabar
reads news. `bench/gold/news_ner*.txt` hold news sentences written for khabar, each entity marked
`[LABEL words]` (conventions at the top of news_ner.txt). The second to fifth sets were annotated
before khabar's output on them was seen, and each later one kept aside while rules were tuned on the
ones before (see the head of each file); by default all five are scored, each and together. Each sentence runs through the whole
pipeline (``khabar.analyze``: entity identities, events and all) and its mentions are compared by
character span in the raw sentence (``raw_start``/``raw_end``), so no tokenization is assumed.
Strict: same span and label; lenient: overlapping span, same label, each gold matched at most
once. Micro figures over PER/ORG/LOC, as the other NER figures; EVE is reported apart.
``--zwnj strip|space`` damages the sentences first (ZWNJs removed or turned into spaces), as
scraped news arrives; ``--show`` prints every sentence with its misses and false alarms.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import khabar  # noqa: E402

GOLDS = [REPO / "bench" / "gold" / f"news_ner{x}.txt" for x in ("", "_2", "_3", "_4", "_5", "_6", "_7")]
SCORED = ("PER", "ORG", "LOC")
ZWNJ = "\u200c"
_MARK = re.compile(r"\[(PER|ORG|LOC|EVE) ([^\[\]]+)\]")

Span = tuple[int, int, str]


def parse(line: str) -> tuple[str, list[Span]]:
    """The plain sentence and its gold spans (start, end, label) in it.

    >>> parse("[PER علی رضایی] به [LOC تهران] رفت.")
    ('علی رضایی به تهران رفت.', [(0, 9, 'PER'), (13, 18, 'LOC')])
    """
    out: list[str] = []
    spans: list[Span] = []
    pos = 0
    length = 0
    for m in _MARK.finditer(line):
        out.append(line[pos:m.start()])
        length += m.start() - pos
        spans.append((length, length + len(m.group(2)), m.group(1)))
        out.append(m.group(2))
        length += len(m.group(2))
        pos = m.end()
    out.append(line[pos:])
    return "".join(out), spans


def damage(text: str, spans: list[Span], how: str) -> tuple[str, list[Span]]:
    """``text`` with its ZWNJs removed or made spaces, gold spans moved to match."""
    if how == "keep" or ZWNJ not in text:
        return text, spans
    new = "" if how == "strip" else " "
    starts: list[int] = []  # new offset of each old offset
    n = 0
    for ch in text:
        starts.append(n)
        n += len(new) if ch == ZWNJ else 1
    starts.append(n)
    return text.replace(ZWNJ, new), [(starts[s], starts[e], lab) for s, e, lab in spans]


def load(path: Path) -> list[tuple[str, list[Span]]]:
    lines = [x.strip() for x in path.read_text(encoding="utf-8").splitlines()]
    return [parse(x) for x in lines if x and not x.startswith("#")]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(sents: list[tuple[str, list[Span]]], *, show: bool = False) -> dict[str, dict[str, float]]:
    """Strict and lenient counts per label and micro over PER/ORG/LOC."""
    strict: dict[str, Counter[str]] = {k: Counter() for k in (*SCORED, "EVE")}
    lenient: dict[str, Counter[str]] = {k: Counter() for k in (*SCORED, "EVE")}
    for text, gold in sents:
        doc = khabar.analyze(text)
        pred = [(m.raw_start, m.raw_end, m.label) for m in doc.mentions if m.label in strict]
        gset, pset = set(gold), set(pred)
        for lab in strict:
            g = {x for x in gset if x[2] == lab}
            p = {x for x in pset if x[2] == lab}
            strict[lab].update(tp=len(g & p), fp=len(p - g), fn=len(g - p))
            used: set[Span] = set()
            tp = 0
            for x in sorted(p):
                hit = next((y for y in sorted(g) if y not in used and y[0] < x[1] and x[0] < y[1]), None)
                if hit is not None:
                    used.add(hit)
                    tp += 1
            lenient[lab].update(tp=tp, fp=len(p) - tp, fn=len(g) - tp)
        if show and gset != pset:
            print(text)
            for s, e, lab in sorted(gset - pset):
                print(f"   missed  {lab} {text[s:e]}")
            for s, e, lab in sorted(pset - gset):
                print(f"   false   {lab} {text[s:e]}")
    out: dict[str, dict[str, float]] = {}
    for name, table in (("strict", strict), ("lenient", lenient)):
        for lab, c in table.items():
            out[f"{name} {lab}"] = dict(zip(("P", "R", "F1"), prf(c["tp"], c["fp"], c["fn"]), strict=True))
        micro = sum((table[lab] for lab in SCORED), Counter())
        out[f"{name} micro"] = dict(zip(("P", "R", "F1"), prf(micro["tp"], micro["fp"], micro["fn"]), strict=True))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, nargs="+", default=GOLDS)
    ap.add_argument("--zwnj", choices=("keep", "strip", "space"), default="keep")
    ap.add_argument("--show", action="store_true")
    args = ap.parse_args()
    every: list[tuple[str, list[Span]]] = []
    for path in args.gold:
        sents = [damage(t, s, args.zwnj) for t, s in load(path)]
        every.extend(sents)
        report(f"{path.name} (ZWNJs: {args.zwnj})", sents, show=args.show)
    if len(args.gold) > 1:
        report(f"all (ZWNJs: {args.zwnj})", every)


def report(name: str, sents: list[tuple[str, list[Span]]], *, show: bool = False) -> None:
    res = score(sents, show=show)
    n = sum(len(s) for _, s in sents)
    print(f"== {name}: {len(sents)} sentences, {n} gold entities")
    print(f"{'':16}{'P':>7}{'R':>7}{'F1':>7}")
    for k, v in res.items():
        print(f"{k:16}{v['P']:7.3f}{v['R']:7.3f}{v['F1']:7.3f}")


if __name__ == "__main__":
    main()
