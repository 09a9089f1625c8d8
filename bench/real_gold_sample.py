"""Which crawled articles the real-news gold annotates, and which part of each (the sample is fixed).

    .venv/bin/python bench/real_gold_sample.py [--print]    # list (or print, lines numbered) the sample

44 articles drawn at random, by outlet in proportion to the crawl, from the ``gold`` part of
:mod:`real_data` (a part no build reads). Of each article the annotated region is its first lines up
to 1,500 characters (whole lines; the whole article when shorter), so that long articles do not
crowd out the others.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_data import Article, split

QUOTA = {"varzesh3": 12, "asriran": 9, "tabnak": 8, "farsnews": 7, "roozno": 6, "sobhane2": 2}
REGION = 1500


def sample() -> list[Article]:
    pool = sorted(split()["gold"], key=lambda a: a.url)
    by: dict[str, list[Article]] = defaultdict(list)
    for a in pool:
        by[a.outlet].append(a)
    rng = random.Random(11)
    out: list[Article] = []
    for outlet, n in QUOTA.items():
        out += rng.sample(by[outlet], n)
    return out


def region_end(text: str) -> int:
    """The end of the annotated region: after the line where the text passes REGION characters."""
    n = 0
    for line in text.split("\n"):
        n += len(line) + 1
        if n >= REGION:
            break
    return min(n, len(text))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--print", action="store_true", help="print each article's region, lines numbered")
    args = ap.parse_args()
    for i, a in enumerate(sample(), 1):
        print(f"=== {i} {a.url} | {a.outlet} | {a.published}")
        if args.print:
            print(f"T: {a.title}")
            for k, line in enumerate(a.text[: region_end(a.text)].split("\n"), 1):
                if line:
                    print(f"L{k}: {line}")


if __name__ == "__main__":
    main()
