"""Story clustering figures: pairwise precision/recall/F1, speed and memory of khabar.archive.stories.

Sets:
  samples    the repository's sample articles (19, 5 multi-outlet stories; the thresholds were set on these)
  synthetic  pseudo-articles of consecutive UD treebank sentences (../shared/data/zwnj/*.conllu),
             each "reported" by 1-4 outlets: a 40-70% subset of its sentences, ~15% of the words
             dropped, ZWNJs stripped or spaced, Arabic ي/ك, other digits, a credit and a footer,
             dated within 2 days of the event; events spread over 60 days. Not tuned on.

Usage:
  .venv/bin/python bench/stories.py                     # samples + synthetic (seraji, perdt)
  .venv/bin/python bench/stories.py --speed 5000        # also: add() throughput and memory on 5,000 articles
  .venv/bin/python bench/stories.py --sweep             # P/R/F1 for several thresholds
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import sys
import time
import tracemalloc
from collections.abc import Hashable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from khabar.archive.stories import StoryClusterer  # noqa: E402
from khabar.ingest import RawArticle, read_sources  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from noise import scrape_damage  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "zwnj"
SAMPLE_STORIES = [
    ["01-isna-economy.txt", "07-news-dump.jsonl#3", "10-donya-inflation.html"],
    ["02-mehr-diplomacy.txt", "04-irna-feed.xml#5", "05-tasnim-moscow.html"],
    ["03-jahan-culture.txt", "04-irna-feed.xml#3", "07-news-dump.jsonl#1"],
    ["04-irna-feed.xml#4", "06-hamshahri-earthquake.html", "07-news-dump.jsonl#2", "08-khabaronline-earthquake.txt"],
    ["07-news-dump.jsonl#4", "09-fars-derby.txt"],
]
CREDITS = ["به گزارش ایسنا، ", "به گزارش خبرگزاری مهر، ", "تهران - ایرنا - ", "به گزارش ایلنا، ",
           "به گزارش خبرنگار تسنیم، ", "خبرآنلاین ـ ", "به گزارش فارس، ", ""]
FOOTERS = ["", "\nانتهای پیام/", "\nتوسط jahankhabari.ir", "\nمنبع: باشگاه خبرنگاران جوان", ""]
Item = tuple[Hashable, str, "str | None"]


def sample_set() -> tuple[list[Item], dict[Hashable, int]]:
    items: list[Item] = []
    gold: dict[Hashable, int] = {}
    for a in read_sources([str(REPO / "samples")]):
        if not isinstance(a, RawArticle):
            continue
        name = Path(a.origin).name
        items.append((name, "\n".join(filter(None, [a.title, a.text])), a.published))
        gold[name] = next((i for i, story in enumerate(SAMPLE_STORIES) if name in story), 100 + len(gold))
    return items, gold


def sentences(path: Path) -> list[str]:
    return [line[len("# text = "):].strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("# text = ")]


def _noisy(sentence: str, rng: random.Random) -> str:
    words = [w for w in sentence.split() if rng.random() > 0.15] or sentence.split()[:3]
    text = " ".join(words)
    text = scrape_damage(text, rng)
    if rng.random() < 0.3:
        text = text.translate(str.maketrans("0123456789۰۱۲۳۴۵۶۷۸۹", "۰۱۲۳۴۵۶۷۸۹0123456789"))
    return text


def synthetic_set(path: Path, *, per_event: int = 6, seed: int = 7,
                  limit: int | None = None) -> tuple[list[Item], dict[Hashable, int]]:
    rng = random.Random(seed)
    sents = sentences(path)
    events = [sents[i:i + per_event] for i in range(0, len(sents) - per_event + 1, per_event)]
    if limit:
        events = (events * (limit // max(1, len(events)) + 1))[:limit]
    start = dt.date(2024, 9, 1)
    items: list[Item] = []
    gold: dict[Hashable, int] = {}
    for number, event in enumerate(events):
        day = start + dt.timedelta(days=rng.randrange(60))
        for outlet in range(rng.choice([1, 1, 2, 2, 3, 4])):
            keep = sorted(rng.sample(range(len(event)), max(2, round(len(event) * rng.uniform(0.4, 0.7)))))
            body = " ".join(_noisy(event[i], rng) for i in keep)
            text = rng.choice(CREDITS) + body + rng.choice(FOOTERS)
            published = (day + dt.timedelta(days=rng.randrange(3))).isoformat() if rng.random() > 0.1 else None
            key = f"e{number}-o{outlet}"
            items.append((key, text, published))
            gold[key] = number
    rng.shuffle(items)
    return items, gold


def pairwise(predicted: dict[Hashable, Hashable], gold: dict[Hashable, int]) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for a, b in itertools.combinations(list(gold), 2):
        same_gold, same_pred = gold[a] == gold[b], predicted[a] == predicted[b]
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(name: str, items: Sequence[Item], gold: dict[Hashable, int], **kwargs: float) -> None:
    predicted = StoryClusterer(**kwargs).cluster(items)  # type: ignore[arg-type]
    p, r, f = pairwise(predicted, gold)
    stories = len(set(gold.values()))
    print(f"{name:<28} articles={len(items):>5} stories={stories:>4} found={len(set(predicted.values())):>4}  "
          f"pairwise P={p:.3f} R={r:.3f} F1={f:.3f}")


def speed(n: int) -> None:
    """add() throughput and memory, unbounded and ``bounded`` (items in date order)."""
    path = DATA / "seraji-dev.conllu"
    items, _ = synthetic_set(path, limit=n // 2)
    items = sorted(items[:n], key=lambda item: (item[2] is None, item[2] or ""))
    for bounded in (False, True):
        start = time.perf_counter()
        StoryClusterer().cluster(items, bounded=bounded)
        elapsed = time.perf_counter() - start
        tracemalloc.start()  # a second run: tracing slows the first one's timing threefold
        clusterer = StoryClusterer()
        clusterer.cluster(items, bounded=bounded)
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        print(f"speed{' (bounded)' if bounded else ''}: {len(items)} articles in {elapsed:.1f} s = "
              f"{len(items) / elapsed:.0f} articles/s (search_key included); memory held at the end "
              f"{held / 2**20:.0f} MiB (~{held / len(items):,.0f} bytes/article)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--speed", type=int, default=0, help="time add() on this many synthetic articles")
    parser.add_argument("--sweep", action="store_true", help="P/R/F1 at several thresholds")
    parser.add_argument("--data", type=Path, default=DATA, help="folder with seraji-dev.conllu and perdt-dev.conllu")
    args = parser.parse_args()
    sets = [("samples (tuning set)", *sample_set())]
    for corpus in ("seraji-dev", "perdt-dev"):
        path = args.data / f"{corpus}.conllu"
        if path.is_file():
            sets.append((f"synthetic {corpus}", *synthetic_set(path)))
        else:
            print(f"skipped synthetic {corpus}: {path} not found", file=sys.stderr)
    for name, items, gold in sets:
        evaluate(name, items, gold)
    if args.sweep:
        for threshold in (0.06, 0.08, 0.10, 0.12, 0.15, 0.20, 0.30):
            print(f"-- threshold={threshold} (undated {threshold + 0.05:.2f})")
            for name, items, gold in sets:
                evaluate(name, items, gold, threshold=threshold, undated_threshold=threshold + 0.05)
    if args.speed:
        speed(args.speed)


if __name__ == "__main__":
    main()
