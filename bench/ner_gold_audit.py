#!/usr/bin/env python3
"""How completely each NER corpus tags plain country names: a check of the gold, not of khabar.

    .venv/bin/python bench/ner_gold_audit.py [--data ../shared/data]

For every word of each corpus that is, by itself, the Persian name of a country (the Unicode CLDR
names Babel ships, one-word names only, less a few that are also common words such as ``قطر``), it
counts whether the gold starts a LOC there, has it inside a longer name (``جمهوری اسلامی ایران``),
or leaves it untagged. A corpus that leaves many of them untagged marks only some of its places
(MultiCoNER marks the names its Wikipedia sentences link), so a model that tags every country,
as a reader of news wants, is charged false positives there that no model can avoid without
learning which mentions the annotators happened to mark.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from train_ner import country_names, read_conll  # noqa: E402

from khabar.pipeline.entities import fold_word  # noqa: E402

FILES = {
    "tweets (ParsTwiNER train+dev)": ("ner/parstwiner/train.txt", "ner/parstwiner/dev.txt"),
    "wiki (Text-Mining sample)": ("ner/textmining-wiki/train.conll",),
    "multiconer (v1 subset)": ("ner/multiconer/v1-train-subset.conll",),
    "multiconer2 (coarse)": ("ner/multiconer/v2-train10-coarse.conll",),
}


def audit(sents: list[tuple[list[str], list[str]]], names: set[str]) -> Counter[str]:
    out: Counter[str] = Counter()
    for words, tags in sents:
        for i, w in enumerate(words):
            if fold_word(w) not in names:
                continue
            t = tags[i]
            whole = t == "B-LOC" and (i + 1 == len(tags) or not tags[i + 1].startswith("I-"))
            out["LOC" if whole else "untagged" if t == "O" else "in a longer name"] += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = ap.parse_args()
    names = country_names()
    print(f"{len(names)} one-word country names (CLDR, via Babel)")
    print(f"{'corpus':32} {'as LOC':>7} {'untagged':>9} {'in a name':>10} {'untagged share':>15}")
    for label, paths in FILES.items():
        c: Counter[str] = Counter()
        for p in paths:
            c += audit(read_conll(args.data / p), names)
        alone = c["LOC"] + c["untagged"]
        share = c["untagged"] / alone if alone else 0.0
        print(f"{label:32} {c['LOC']:7} {c['untagged']:9} {c['in a longer name']:10} {share:15.1%}")


if __name__ == "__main__":
    main()
