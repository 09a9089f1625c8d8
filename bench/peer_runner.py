"""Run one peer toolkit's ZWNJ-restoring normalizer: stdin → stdout, line by line.

Executed by bench/restore.py with the peer's own interpreter (bench/.peers/NAME/bin/python), so it
imports nothing from khabar. Prints the CPU seconds spent inside the peer's function on stderr's last
line as ``SECONDS <float>``.

usage: python bench/peer_runner.py hazm|shekar|parsivar < text > restored
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


def peer(name: str) -> Callable[[str], str]:
    if name == "hazm":
        from hazm import Normalizer

        # hazm's defaults turn on every correction: spacing, affix spacing, `seperate_mi`.
        return Normalizer().normalize
    if name == "shekar":
        from shekar import Normalizer as ShekarNormalizer

        return ShekarNormalizer()
    if name == "parsivar":
        from parsivar import Normalizer as ParsivarNormalizer

        # The default normalizer: its rules restore ZWNJs (`آن‌ها`); the optional
        # statistical_space_correction model joins words with ZWNJ all over the text (precision ≈ 0
        # on the treebank text), so it is left off.
        return ParsivarNormalizer().normalize
    raise SystemExit(f"unknown peer {name!r}")


def main() -> None:
    fn = peer(sys.argv[1])
    lines = sys.stdin.read().split("\n")
    out = []
    t = time.thread_time()  # CPU time of this thread: per core, however busy the machine is
    for line in lines:
        out.append(fn(line).replace("\n", " ") if line.strip() else line)
    dt = time.thread_time() - t
    sys.stdout.write("\n".join(out))
    print(f"SECONDS {dt}", file=sys.stderr)


if __name__ == "__main__":
    main()
