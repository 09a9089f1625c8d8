"""ZWNJ restoration figures: khabar and its peers on the same text, in one run.

For each dev treebank (``../shared/data/zwnj/{seraji,perdt}-dev.conllu``) and each variant
(``stripped``: ZWNJs deleted; ``spaced``: ZWNJs turned into spaces; ``clean``: the correct text),
prints precision/recall from the shared scorer (``../shared/tools/zwnj_score.py``, imported by path)
and characters per CPU second of one thread (per core, however busy the machine is), for
``khabar.restore`` (normalize + zwnj) and for hazm,
shekar and parsivar. The peers run in their own environments under ``bench/.peers/`` (make them
with ``bash bench/setup_peers.sh``); a peer that is missing or fails is reported and skipped.
Also checks the seed article: every ZWNJ of the hand-made gold restored, nothing else changed.

usage: .venv/bin/python bench/restore.py [--peers hazm,shekar,parsivar] [--files seraji,perdt]
                                         [--variants stripped,spaced,clean] [--lines N]
       .venv/bin/python bench/restore.py --holdout 0.15 [--wheels DIR]   (held-out UPDT, ZWNJ stage only)
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PEERS = REPO / "bench" / ".peers"
ZWNJ = "\u200c"


def scorer() -> ModuleType:
    path = SHARED / "tools" / "zwnj_score.py"
    spec = importlib.util.spec_from_file_location("zwnj_score", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import the scorer at {path}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_khabar(text: str) -> tuple[str, float, float]:
    """Restored text, chars per CPU second on the first pass (word caches cold for this text) and on
    a repeat. CPU time of this one thread, so "per core" even on a busy machine."""
    import khabar
    from khabar.pipeline import restorers

    for stage in restorers():  # load the lexicon outside the timing
        stage.apply("")
    t = time.thread_time()
    out = khabar.restore(text)
    first = time.thread_time() - t
    t = time.thread_time()
    khabar.restore(text)
    again = time.thread_time() - t
    return out, len(text) / first, len(text) / again


def run_peer(name: str, text: str) -> tuple[str | None, float, str]:
    """Restored text (or None), chars/s inside the peer's function, and why it failed."""
    python = PEERS / name / "bin" / "python"
    if not python.exists():
        return None, 0.0, "not installed (run: bash bench/setup_peers.sh)"
    try:
        proc = subprocess.run([str(python), str(REPO / "bench" / "peer_runner.py"), name], input=text,
                              capture_output=True, text=True, timeout=1800)
    except subprocess.TimeoutExpired:
        return None, 0.0, "timed out after 30 minutes"
    if proc.returncode != 0:
        return None, 0.0, f"failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}"
    secs = [line for line in proc.stderr.splitlines() if line.startswith("SECONDS ")]
    dt = float(secs[-1].split()[1]) if secs else 0.0
    return proc.stdout, (len(text) / dt if dt else 0.0), ""


def seed_check() -> None:
    import khabar

    raw_path, gold_path = SHARED / "data" / "seed" / "article.txt", SHARED / "data" / "seed" / "article.zwnj-gold.txt"
    if not raw_path.exists():
        print("seed: ../shared/data/seed absent, skipped")
        return
    from khabar.pipeline.normalize import Normalizer

    raw, gold = raw_path.read_text(encoding="utf-8"), gold_path.read_text(encoding="utf-8")
    out = khabar.restore(raw)
    want = Normalizer().apply(gold)
    n_gold = gold.count(ZWNJ)
    restored = sum(1 for a, b in zip(_zwnj_marks(out), _zwnj_marks(want), strict=False) if a and b)
    print(f"seed: {out.count(ZWNJ)} ZWNJs in output, {n_gold} in gold, {restored} of them restored; "
          f"output == normalized gold: {out == want}")
    if out != want:
        import difflib

        for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, want, out, autojunk=False).get_opcodes():
            if op != "equal":
                print(f"  gold {want[max(0, a1 - 12):a2 + 12]!r} → output {out[max(0, b1 - 12):b2 + 12]!r}")


def _zwnj_marks(text: str) -> list[bool]:
    """For each non-ZWNJ character, whether a ZWNJ follows it."""
    marks: list[bool] = []
    for ch in text:
        if ch == ZWNJ:
            if marks:
                marks[-1] = True
        else:
            marks.append(False)
    return marks


def holdout_check(frac: float, wheels: str | None) -> None:
    """Rebuild the lexicon and boundary model without the last ``frac`` of the UPDT training lines
    (``scripts/build_zwnj.py --holdout``) and score the ZWNJ stage alone on those lines (vowel marks
    removed, as in the dev treebanks), with and without the boundary model: the figures the model's
    threshold is tuned on, never the dev files."""
    import re
    import tempfile
    import unicodedata

    from khabar.pipeline.normalize import Normalizer
    from khabar.pipeline.zwnj import ZwnjRestorer
    from khabar.pipeline.zwnj_lexicon import Lexicon
    from khabar.pipeline.zwnj_model import BoundaryModel

    zs = scorer()
    train = SHARED / "data" / "zwnj" / "updt-train.txt"
    lines = train.read_text(encoding="utf-8").split("\n")
    held = lines[int(len(lines) * (1 - frac)):]
    diac = re.compile("[\u064b-\u065f\u0670]")
    norm = Normalizer()
    gold = "\n".join(diac.sub("", norm.apply(unicodedata.normalize("NFC", line))) for line in held)
    with tempfile.TemporaryDirectory() as tmp:
        lex_path = Path(tmp) / "lexicon.tsv.gz"
        cmd = [sys.executable, str(REPO / "scripts" / "build_zwnj.py"), "--holdout", str(frac), "--out", str(lex_path)]
        subprocess.run(cmd + (["--wheels", wheels] if wheels else []), check=True, capture_output=True)
        lex = Lexicon.load(lex_path)
        model = BoundaryModel.load(Path(tmp) / "boundary.tsv.gz")
        for label, m in (("no model", BoundaryModel()), ("model", model)):
            for v in ("stripped", "spaced", "clean"):
                r = zs.score(gold, ZwnjRestorer(lexicon=lex, model=m).apply(zs.variant(gold, v)))
                print(f"updt-held-out {v:9} {label:9} P {r['P']:.4f} R {r['R']:.4f} fp {r['fp']} fn {r['fn']}"
                      f"  ({len(held)} lines, {len(gold.split())} words)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", default="hazm,shekar,parsivar", help="comma-separated; '' for none")
    ap.add_argument("--files", default="seraji,perdt")
    ap.add_argument("--variants", default="stripped,spaced,clean")
    ap.add_argument("--lines", type=int, default=0, help="only the first N sentences of each file")
    ap.add_argument("--holdout", type=float, default=0.0,
                    help="instead: score held-out UPDT lines (this fraction) with a lexicon built without them")
    ap.add_argument("--wheels", default=None, help="hazm/shekar wheels for the --holdout build (else pip download)")
    args = ap.parse_args()
    if args.holdout:
        holdout_check(args.holdout, args.wheels)
        return
    zs = scorer()
    peers = [p for p in args.peers.split(",") if p]
    print(f"{'file':8} {'variant':9} {'system':9} {'P':>6} {'R':>6} {'F1':>6} {'fp':>5} {'fn':>5} "
          f"{'P_strict':>8} {'chars/cpu-s':>12}  note")
    for f in args.files.split(","):
        gold = zs.load_gold(str(SHARED / "data" / "zwnj" / f"{f}-dev.conllu"))
        if args.lines:
            gold = "\n".join(gold.split("\n")[: args.lines])
        words = len(gold.split())
        for v in args.variants.split(","):
            text = zs.variant(gold, v)
            out, first, again = run_khabar(text)
            r = zs.score(gold, out)
            print(f"{f:8} {v:9} {'khabar':9} {r['P']:6.3f} {r['R']:6.3f} {r['F1']:6.3f} {r['fp']:5} {r['fn']:5} "
                  f"{r['P_strict']:8.3f} {first:12,.0f}  repeat {again:,.0f} chars/s; {words} words"
                  + (f"; {r['fp'] * 2000 / words:.2f} wrong changes per 2,000 words" if v == "clean" else ""))
            for name in peers:
                pout, cps, why = run_peer(name, text)
                if pout is None:
                    print(f"{f:8} {v:9} {name:9} {'-':>6} {'-':>6} {'-':>6} {'-':>5} {'-':>5} {'-':>8} {'-':>12}  {why}")
                    continue
                r = zs.score(gold, pout)
                print(f"{f:8} {v:9} {name:9} {r['P']:6.3f} {r['R']:6.3f} {r['F1']:6.3f} {r['fp']:5} {r['fn']:5} "
                      f"{r['P_strict']:8.3f} {cps:12,.0f}  align {r['align']}")
            sys.stdout.flush()
    seed_check()


if __name__ == "__main__":
    main()
