#!/usr/bin/env python3
"""Why khabar leaves a gold ZWNJ out: each missed ZWNJ of a dev file, classed by the evidence the
restorer has about the two parts it separates.

    .venv/bin/python bench/restore_misses.py [--data ../shared/data] [--files seraji,perdt]
                                             [--variants stripped,spaced] [--examples N]

Scored as ``../shared/tools/zwnj_score.py`` aligns text (its skeleton: folded letters, each
boundary labelled ZWNJ / space / none). For every boundary where the gold has a ZWNJ and khabar's
output does not, the parts on both sides are looked up in the shipped lexicon:

* ``affix``: ``می``/``نمی`` before it or an inflectional ending after it (the rules' job);
* ``lists spell it with ZWNJ``: a word list has the ZWNJ spelling of the word (in spaced text, unless
  the treebank text writes the pair with a space at least as often);
* ``UPDT: joined > spaced`` / ``UPDT: spaced >= joined``: the treebank text writes this pair of words
  with a ZWNJ more often than with a space, or not;
* ``lists write it joined``: the word lists have the word only without a ZWNJ;
* ``two known words, no evidence``: both parts are words, nothing says they form one word;
* ``unknown parts``: a part no list knows (mostly names: ``سان‌پااولو``).

The issue's rule for spaced text is to join words only where correct text overwhelmingly writes
them joined, and for any text never to contradict what correct text writes. The first three
classes are the misses such evidence could still fix; the rest would need the restorer to go
against its evidence or to guess, so they bound the recall a careful restorer can reach on the file.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import khabar  # noqa: E402
from khabar.pipeline.zwnj_lexicon import Lexicon  # noqa: E402

ENDINGS = frozenset({"ها", "های", "هایی", "ای", "ام", "ات", "اش", "ایم", "اید", "اند", "تر", "ترین", "ی", "یی"})
FIXABLE = ("affix", "lists spell it with ZWNJ", "UPDT: joined > spaced")
CLASSES = (*FIXABLE, "UPDT: spaced >= joined", "lists write it joined", "two known words, no evidence",
           "unknown parts")


def scorer(data: Path):
    sys.path.insert(0, str(data.parent / "tools"))
    import zwnj_score

    return zwnj_score


def classify(lex: Lexicon, left: str, right: str, *, spaced_input: bool) -> str:
    """The evidence about one missed ZWNJ. In spaced text the treebank's own choice between a ZWNJ and
    a space decides first; in text without ZWNJs, whether the lists spell the word with one."""
    joined, spaced = lex.pairs.get((left, right), (0, 0))
    key = left + right
    if left in ("می", "نمی") or right in ENDINGS:
        return "affix"
    if lex.by_key.get(key) and not (spaced_input and spaced >= joined > 0):
        return "lists spell it with ZWNJ"
    if joined > spaced:
        return "UPDT: joined > spaced"
    if joined + spaced:
        return "UPDT: spaced >= joined"
    if key in lex.plain:
        return "lists write it joined"
    if left in lex.plain and right in lex.plain:
        return "two known words, no evidence"
    return "unknown parts"


def misses(zs, gold: str, out: str) -> list[tuple[str, str]]:
    """(left part, right part) of every gold ZWNJ the output lacks."""
    found: list[tuple[str, str]] = []
    for g, p in zip(gold.split("\n"), out.split("\n"), strict=True):
        gc, gl = zs.skeleton(g)
        pc, pl = zs.skeleton(p)
        if gc != pc:
            continue  # the letters changed (never seen on the dev files): not a ZWNJ question
        for k, lab in enumerate(gl):
            if lab != "Z" or pl[k] == "Z":
                continue
            s = k
            while s > 0 and gl[s - 1] not in "SZ":
                s -= 1
            e = k + 1
            while (e < len(gc) and gl[e - 1] not in "SZ") or e == k + 1:
                e += 1
            found.append((gc[s:k + 1], gc[k + 1:e]))
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--files", default="seraji,perdt")
    ap.add_argument("--variants", default="stripped,spaced")
    ap.add_argument("--examples", type=int, default=8, help="example pairs printed per class")
    args = ap.parse_args()
    zs = scorer(args.data)
    lex = Lexicon.load()
    for name in args.files.split(","):
        gold = zs.load_gold(str(args.data / "zwnj" / f"{name}-dev.conllu"))
        total = gold.count("\u200c")
        for variant in args.variants.split(","):
            out = khabar.restore(zs.variant(gold, variant))
            found = misses(zs, gold, out)
            counts: Counter[str] = Counter()
            examples: dict[str, list[str]] = defaultdict(list)
            for left, right in found:
                cls = classify(lex, left, right, spaced_input=variant == "spaced")
                counts[cls] += 1
                if len(examples[cls]) < args.examples:
                    examples[cls].append(f"{left}|{right}")
            restored = total - len(found)
            bound = (restored + sum(counts[c] for c in FIXABLE)) / total
            print(f"== {name} {variant}: {total} gold ZWNJs, {len(found)} missed, recall {restored / total:.3f}; "
                  f"with every evidence-backed miss fixed: {bound:.3f}")
            for cls in CLASSES:
                if counts[cls]:
                    print(f"  {counts[cls]:4}  {cls:30} {' '.join(examples[cls])}")


if __name__ == "__main__":
    main()
