#!/usr/bin/env python3
"""NER figures: strict and lenient P/R/F1 per label and micro (PER/ORG/LOC) on each dev set, and speed.

    nice .venv/bin/python bench/ner.py [--data ../shared/data] [--model-dir DIR] [--max N]
                                       [--sets tweets,wiki,multiconer] [--zwnj keep|strip|space] [--no-link]

Scored as ../shared/tools/ner_eval.py scores: each sentence's tokens are joined with single spaces,
run through khabar's pipeline (normalize, zwnj, sentences, tokens, entities), and predicted
mentions are mapped back onto the gold tokens through raw_start/raw_end. Strict: same token span
and label; lenient: overlapping span, same label, each gold matched at most once.
Dev sets: ParsTwiNER dev.txt; the held-out slices (every 10th sentence) of the Text-Mining
Wikipedia sample and of MultiCoNER v1, exactly those scripts/train_ner.py never trains on.
Speed: tokens per second of the entities stage alone over all sets, by the process's CPU time (one
core; wall time is printed too, and is lower when other processes share the machine).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from train_ner import read_conll, splits  # noqa: E402

from khabar.document import Document  # noqa: E402
from khabar.pipeline import DEFAULT_STAGES  # noqa: E402
from khabar.pipeline.entities import EntityRecognizer, bio_spans  # noqa: E402

SCORED = ("PER", "ORG", "LOC")
ZWNJ = "\u200c"


def dev_sets(data: Path) -> dict[str, list[tuple[list[str], list[str]]]]:
    parts = splits(data)
    return {"tweets": read_conll(data / "ner" / "parstwiner" / "dev.txt"),
            "wiki": parts["wiki_dev"], "multiconer": parts["multiconer_dev"]}


def unzwnj(sent: tuple[list[str], list[str]], how: str) -> tuple[list[str], list[str]]:
    """The sentence with its ZWNJs removed (``strip``) or turned into spaces (``space``), tags kept."""
    if how == "keep":
        return sent
    words: list[str] = []
    tags: list[str] = []
    for w, t in zip(*sent, strict=True):
        parts = [p for p in w.split(ZWNJ) if p] if how == "space" else [w.replace(ZWNJ, "")]
        for j, p in enumerate(parts or [w]):
            words.append(p)
            tags.append(t if j == 0 or t == "O" else "I-" + t[2:])
    return words, tags


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"P": round(p, 4), "R": round(r, 4), "F1": round(2 * p * r / (p + r) if p + r else 0.0, 4)}


class Runner:
    """The pipeline up to the entities stage, timing that stage alone."""

    def __init__(self, model_dir: str = "", *, link: bool = True) -> None:
        stages = []
        for factory in DEFAULT_STAGES:
            if factory is EntityRecognizer:
                break
            stages.append(factory())
        self.before = stages
        self.ner = EntityRecognizer(model_dir=model_dir, link=link)
        self.seconds = 0.0
        self.cpu = 0.0
        self.tokens = 0

    def __call__(self, text: str) -> Document:
        doc = Document.from_raw(text)
        for st in self.before:
            doc = st(doc)
        t0, c0 = time.perf_counter(), time.process_time()
        doc = self.ner(doc)
        self.seconds += time.perf_counter() - t0
        self.cpu += time.process_time() - c0
        self.tokens += len(doc.tokens)
        return doc


def score(run: Runner, sents: list[tuple[list[str], list[str]]]) -> dict[str, object]:
    """Strict and lenient counts per label for one dev set."""
    strict: dict[str, Counter[str]] = {lab: Counter() for lab in SCORED}
    lenient: dict[str, Counter[str]] = {lab: Counter() for lab in SCORED}
    for words, tags in sents:
        gold = {g for g in bio_spans(tags) if g[2] in SCORED}
        text, offs, pos = " ".join(words), [], 0
        for w in words:
            offs.append((pos, pos + len(w)))
            pos += len(w) + 1
        doc = run(text)
        pred = set()
        for m in doc.mentions:
            if m.label not in SCORED:
                continue
            idx = [i for i, (x, y) in enumerate(offs) if x < m.raw_end and y > m.raw_start]
            if idx:
                pred.add((idx[0], idx[-1] + 1, m.label))
        for lab in SCORED:
            g = {x for x in gold if x[2] == lab}
            p = {x for x in pred if x[2] == lab}
            strict[lab].update(tp=len(g & p), fp=len(p - g), fn=len(g - p))
            used: set[tuple[int, int, str]] = set()
            for x in sorted(g):
                hit = next((y for y in sorted(p) if y not in used and y[0] < x[1] and x[0] < y[1]), None)
                if hit is None:
                    lenient[lab]["fn"] += 1
                else:
                    used.add(hit)
                    lenient[lab]["tp"] += 1
            lenient[lab]["fp"] += len(p - used)
    out: dict[str, object] = {"sentences": len(sents)}
    for name, counts in (("strict", strict), ("lenient", lenient)):
        table = {lab: prf(c["tp"], c["fp"], c["fn"]) for lab, c in counts.items()}
        tot = sum(counts.values(), Counter())
        table["micro"] = prf(tot["tp"], tot["fp"], tot["fn"])
        out[name] = table
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--model-dir", default="", help="a model other than the shipped one")
    ap.add_argument("--max", type=int, default=None, help="first N sentences of each set")
    ap.add_argument("--sets", default="tweets,wiki,multiconer")
    ap.add_argument("--json", action="store_true", help="one JSON line per set instead of tables")
    ap.add_argument("--zwnj", choices=("keep", "strip", "space"), default="keep",
                    help="score on the dev text with its ZWNJs removed or turned into spaces (robustness)")
    ap.add_argument("--no-link", action="store_true",
                    help="score the model's own mentions, without the identity linker's additions and trims")
    args = ap.parse_args()
    run = Runner(args.model_dir, link=not args.no_link)
    sets = dev_sets(args.data)
    for name in args.sets.split(","):
        res = score(run, [unzwnj(x, args.zwnj) for x in sets[name][: args.max]])
        if args.json:
            print(json.dumps({"set": name, **res}, ensure_ascii=False))
            continue
        print(f"== {name} ({res['sentences']} sentences)")
        print(f"{'':8}{'strict P':>9}{'R':>7}{'F1':>7}   {'lenient P':>9}{'R':>7}{'F1':>7}")
        for lab in (*SCORED, "micro"):
            s, le = res["strict"][lab], res["lenient"][lab]  # type: ignore[index]
            print(f"{lab:8}{s['P']:>9.3f}{s['R']:>7.3f}{s['F1']:>7.3f}   {le['P']:>9.3f}{le['R']:>7.3f}{le['F1']:>7.3f}")
    # CPU time of this process is the one-core figure; wall time also counts other processes' turns.
    print(f"entities stage: {run.tokens} tokens, {run.cpu:.2f}s CPU = {run.tokens / max(run.cpu, 1e-9):,.0f} tokens/s "
          f"on one core (wall {run.seconds:.2f}s = {run.tokens / max(run.seconds, 1e-9):,.0f} tokens/s)")


if __name__ == "__main__":
    main()
