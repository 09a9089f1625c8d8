#!/usr/bin/env python3
"""ZWNJ restoration on real crawled news: the dev set (or, once, the held-out set) of the crawl.

    .venv/bin/python bench/real_zwnj.py                       # dev: deleted and spaced
    .venv/bin/python bench/real_zwnj.py --part heldout        # the held-out part (score it at the end only)
    .venv/bin/python bench/real_zwnj.py --diff 40             # also print 40 differing words of each kind
    .venv/bin/python bench/real_zwnj.py --why                 # class each wrong ZWNJ by the spelling it departs from

The gold is every article of the part (``bench/real_data.py``: dev = 4 of 20 URL buckets, held-out
= 3 of 20, neither read by any build) that writes ZWNJs consistently (:func:`real_data.zwnj_consistent`:
the verbal prefix and plural written with ZWNJ, never spaced, no ZWNJ noise), one line per crawled
line. As in ``../shared/tools/zwnj_score.py`` (imported by path, so the figures are that scorer's):
ZWNJs are deleted (``stripped``) or turned into spaces (``spaced``), ``khabar.restore`` runs on each
article, and ZWNJ labels at letter boundaries are compared, tolerant of the older joined spelling of
affixes (``P_strict`` counts those too). ``--diff`` lists the words where output and gold differ,
most frequent first, to read what goes wrong.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from real_data import split, zwnj_consistent  # noqa: E402

ZWNJ = "\u200c"


def scorer() -> ModuleType:
    path = REPO.parent / "shared" / "tools" / "zwnj_score.py"
    spec = importlib.util.spec_from_file_location("zwnj_score", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import the scorer at {path}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def gold_texts(part: str) -> list[str]:
    return [a.text for a in split()[part] if zwnj_consistent(a.text)]


_WORDS = re.compile(rf"[\w{ZWNJ}]+")


def _render(chars: str, labels: list[str], a: int, b: int) -> str:
    return "".join(c + {"Z": ZWNJ, "S": " "}.get(lab, "") for c, lab in zip(chars[a:b], labels[a:b], strict=False)).strip()


def diffs(sc: ModuleType, gold: str, out: str) -> Counter[tuple[str, str, str]]:
    """Words whose ZWNJs the output writes otherwise than the gold: ``(kind, gold, output)`` with kind
    ``miss`` (a gold ZWNJ not restored) or ``wrong`` (a ZWNJ the tolerant scorer counts against it).
    Letters are aligned as the scorer aligns them (folded skeletons); a word is the gold's, with the
    next one when the output joins them."""
    found: Counter[tuple[str, str, str]] = Counter()
    for g_line, o_line in zip(gold.split("\n"), out.split("\n"), strict=False):
        gc, gl = sc.skeleton(g_line)
        oc, ol = sc.skeleton(o_line)
        if gc != oc or gl == ol:
            continue
        start = 0
        for i in range(len(gc) + 1):
            if i < len(gc) and gl[i] != "S" and i != len(gc) - 1:
                continue
            end = i + 1
            if gl[start:end] != ol[start:end]:
                miss = any(x == "Z" and y != "Z" for x, y in zip(gl[start:end], ol[start:end], strict=False))
                wrong = any(y == "Z" and x != "Z" and not (x == "N" and sc._variant(gc, gl, k))
                            for k, (x, y) in enumerate(zip(gl[start:end], ol[start:end], strict=False), start))
                stop = end
                if ol[end - 1] == "Z":  # joined to the next word: show both
                    stop = end + 1
                    while stop < len(gc) and gl[stop - 1] != "S":
                        stop += 1
                g, o = _render(gc, gl, start, stop), _render(oc, ol, start, stop)
                for kind, yes in (("miss", miss), ("wrong", wrong)):
                    if yes:
                        found[(kind, g, o)] += 1
            start = end
    return found


def why(sc: ModuleType, gold: str, out: str, lex: object) -> Counter[str]:
    """Each wrong ZWNJ (one the tolerant scorer counts) by the spelling it departs from: a space the
    gold writes before an affix or between two words, a word the gold writes joined that the word
    lists (UPDT, hazm, shekar) spell with a ZWNJ, or else an error."""
    found: Counter[str] = Counter()
    zwnj_forms = lex.zwnj  # type: ignore[attr-defined]
    for g_line, o_line in zip(gold.split("\n"), out.split("\n"), strict=False):
        gc, gl = sc.skeleton(g_line)
        oc, ol = sc.skeleton(o_line)
        if gc != oc:
            continue
        for k, (x, y) in enumerate(zip(gl, ol, strict=False)):
            if y != "Z" or x == "Z" or (x == "N" and sc._variant(gc, gl, k)):
                continue
            if x == "S":
                found["space in the gold (an affix or a compound written apart)"] += 1
                continue
            s = k
            while s > 0 and ol[s - 1] not in "S":
                s -= 1
            e = k + 1
            while e < len(oc) and ol[e - 1] != "S":
                e += 1
            word = _render(oc, ol, s, e).split()[0] if _render(oc, ol, s, e) else ""
            if word.translate(sc.FOLD) in zwnj_forms or word in zwnj_forms:
                found["joined in the gold, written with a ZWNJ by the word lists"] += 1
            else:
                found["other"] += 1
    return found


# The error classes, each a kind of word where output and gold differ (from :func:`diffs`).
SURNAME_PARTS = ("فرد", "زاده", "پور", "نیا", "زهی", "فضلی", "نژاد", "فر", "راد", "منش", "مهر", "دوست", "نسب",
                 "کیا", "وند", "فام", "زادگان")
LOOKALIKE_AFFIXES = ("ای", "های", "ی", "ها", "اش", "ام", "ات", "اند", "ایم", "اید", "مان", "تان", "شان", "تر",
                     "ترین", "بری", "شهر", "ایی")


def error_class(kind: str, gold: str, out: str) -> str | None:
    """Which of the issue's error classes a differing word is in, or None:

    * ``surname``: a gold ZWNJ before a surname part (``انصاری‌فرد``, ``تقی‌زاده``) not restored;
    * ``ezafe``: the ezafe ``‌ی`` after ``ه`` (``ارائه‌ی``) not restored, or added where the gold has none;
    * ``affix``: a ZWNJ written before a look-alike affix where the gold writes the word joined
      (``کول‌بری``, ``به‌ای``, ``غیرسهمی‌های``);
    * ``context``: the ZWNJ of ``‌های``/``ه‌ای`` put on the wrong side of ``ه`` (``حرف‌های`` / ``حرفه‌ای``).

    >>> error_class("miss", "انصاری‌فرد", "انصاریفرد"), error_class("wrong", "گریده‌ای", "گری‌ده‌ای")
    ('surname', None)
    >>> error_class("wrong", "حرف‌های", "حرفه‌ای"), error_class("wrong", "بهای", "به‌ای")
    ('context', 'affix')
    """
    g, o = gold.strip(".,:؛،!؟?»«\"()"), out.strip(".,:؛،!؟?»«\"()")
    if " " in g:
        return None
    o = o.replace(" ", "")  # (spaced: a gold ZWNJ left a space is missed like one left out)
    gz, oz = positions_of(g), positions_of(o)
    letters = g.replace(ZWNJ, "")
    eh, ha = f"ه{ZWNJ}ای", f"{ZWNJ}های"
    if (g.endswith(eh) and o.endswith(ha)) or (g.endswith(ha) and o.endswith(eh)):
        return "context"
    if kind == "miss":
        for p in gz - oz:
            rest = letters[p:]
            if letters[p - 1:p] == "ه" and rest == "ی":
                return "ezafe"
            if any(rest.startswith(part) and rest[len(part):] in ("", "ها", "های", "ی") for part in SURNAME_PARTS):
                return "surname"
        return None
    for p in oz - gz:
        rest = letters[p:]
        if letters[p - 1:p] == "ه" and rest == "ی":
            return "ezafe"
        if rest in LOOKALIKE_AFFIXES:
            return "affix"
    return None


def positions_of(word: str) -> set[int]:
    out, n = set(), 0
    for ch in word:
        if ch == ZWNJ:
            out.add(n)
        else:
            n += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", default="dev", choices=("dev", "heldout"))
    ap.add_argument("--variants", default="stripped,spaced")
    ap.add_argument("--diff", type=int, default=0, help="print this many differing words per variant")
    ap.add_argument("--why", action="store_true", help="class each wrong ZWNJ by the spelling it departs from")
    ap.add_argument("--classes", action="store_true",
                    help="count the issue's error classes (compound surnames, ezafe after ه, look-alike affix "
                         "splits, context-dependent forms)")
    args = ap.parse_args()
    import khabar

    sc = scorer()
    texts = gold_texts(args.part)
    print(f"{args.part}: {len(texts)} articles written with ZWNJs consistently, "
          f"{sum(len(t) for t in texts):,} characters")
    khabar.restore("")
    from khabar.pipeline.zwnj_lexicon import Lexicon

    lex = Lexicon.load()
    for variant in args.variants.split(","):
        tot = dict(tp=0, fp=0, fps=0, fn=0, n=0, a=0)
        found: Counter[tuple[str, str, str]] = Counter()
        reasons: Counter[str] = Counter()
        t0 = time.perf_counter()
        for gold in texts:
            inp = sc.variant(gold, variant)
            out = khabar.restore(inp)
            gls, pls = gold.split("\n"), out.split("\n")
            pairs = zip(gls, pls, strict=False) if len(gls) == len(pls) else [(gold, out)]
            for g, p in pairs:
                s = sc._score(g, p, raw=True)
                for k in tot:
                    tot[k] += s[k]
            if args.diff or args.classes:
                found += diffs(sc, gold, out)
            if args.why:
                reasons += why(sc, gold, out, lex)
        res = sc._finish(tot)
        res["seconds"] = round(time.perf_counter() - t0, 1)
        print(variant, json.dumps(res))
        if args.why:
            for reason, n in reasons.most_common():
                print(f"  wrong ZWNJs: {n:4d}  {reason}")
            style = sum(n for r, n in reasons.items() if r != "other")
            print(f"  P counting only 'other': {res['tp'] / (res['tp'] + res['fp'] - style):.4f}")
        if args.classes:
            classes: Counter[str] = Counter()
            examples: dict[str, list[str]] = {}
            for (kind, g, o), n in found.items():
                cls = error_class(kind, g, o)
                if cls and not (cls == "context" and kind == "wrong"):  # (a context error is a miss and a wrong)
                    classes[cls] += n
                    examples.setdefault(cls, []).append(f"{g}>{o}")
            print("  error classes (words):", json.dumps({c: classes[c] for c in ("surname", "ezafe", "affix", "context")}))
        if args.diff:
            for kind in ("miss", "wrong"):
                items = [(k, n) for k, n in found.most_common() if k[0] == kind]
                print(f"  {kind}: {sum(n for _, n in items)} in {len(items)} words")
                for (_, g, o), n in items[: args.diff]:
                    print(f"  {n:4d}  gold {g}  out {o}")


if __name__ == "__main__":
    main()
