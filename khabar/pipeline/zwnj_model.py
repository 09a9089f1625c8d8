"""A learned per-boundary ZWNJ classifier for words that no list holds.

The lexicon decides the words it knows; an unseen compound or name (``بیضی‌شکل``, ``انرژی‌زایی``)
falls through to this model. It scores every letter boundary inside a stripped word from the
letters around it (character n-grams) and from what the lexicon knows of the two parts (is the
left part a word, a compound head; is the right part a word, a productive compound tail; how often
they occur). The weights are an averaged perceptron trained by ``scripts/build_zwnj.py`` on the
words of UPDT (treebank text) and the ZWNJ forms of hazm's word list, and shipped as
``khabar/resources/zwnj/boundary.tsv.gz`` with the decision threshold tuned on held-out UPDT text.

>>> m = BoundaryModel.load()
>>> m.threshold > 0
True
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from khabar.pipeline.zwnj_lexicon import NON_JOINING, ZWNJ, Lexicon

RESOURCE = Path(__file__).resolve().parents[1] / "resources" / "zwnj" / "boundary.tsv.gz"
_PARTS_MAX = 200_000
# Suffixes and prefixes the rules handle; as model features they tell a compound from an affix.
_SUFFIX_PARTS = frozenset(["ها", "های", "هایی", "ای", "اند", "ام", "ایم", "اید", "ات", "اش", "تر", "ترین", "تری", "ی", "ان", "یی"])
_PREFIX_PARTS = frozenset(["می", "نمی", "بی", "نا", "غیر", "هم", "پر", "کم", "ضد", "پیش", "پس"])


def _bucket(n: int) -> int:
    """A count as a small integer: 0, then about one per power of 4."""
    return 0 if n <= 0 else 1 + min(8, int(math.log(n, 4)))


def boundary_features(key: str, i: int, lex: Lexicon) -> list[str]:
    """The features of the boundary after letter ``i`` of ``key`` (a word without ZWNJ): those of
    the left part, of the right part, and of the two together.

    >>> "R3=شکل" in boundary_features("بیضیشکل", 4, Lexicon.load())
    True
    """
    left, right = key[:i], key[i:]
    lf, lk, lz = _left_features(left, lex)
    rf, rk, rz = _right_features(right, lex)
    return [*lf, *rf, *_joint_features(left, right, lk, lz, rk, rz)]


def _left_features(left: str, lex: Lexicon) -> tuple[list[str], bool, bool]:
    """The features of :func:`boundary_features` that depend on the left part alone, and whether
    the left part is a known word and begins a ZWNJ form (for the joint features)."""
    feats = [f"L{n}={left[-n:]}" if len(left) >= n else f"L{n}=^{left}" for n in (1, 2, 3, 4)]
    if len(left) <= 5:
        feats.append(f"LW={left}")
    feats.append(f"ln={min(len(left), 7)}")
    lu, lh, ls = lex.plain.get(left, (0, 0, 0))
    feats += [f"lu={_bucket(lu)}", f"lh={_bucket(lh // 100)}", f"ls={_bucket(ls // 1000)}",
              f"fs={_bucket(lex.firsts.get(left, 0))}"]
    if left in _PREFIX_PARTS:
        feats.append(f"pf={left}")
    lj, lsp = lex.joins.get(left, (0, 0, 0, 0))[2:]
    feats.append(f"lj={_bucket(lj)}|{_bucket(lsp)}")
    return feats, bool(lu or lh), left in lex.by_key


def _right_features(right: str, lex: Lexicon) -> tuple[list[str], bool, bool]:
    """The features of :func:`boundary_features` that depend on the right part alone (see
    :func:`_left_features`)."""
    feats = [f"R{n}={right[:n]}" if len(right) >= n else f"R{n}={right}$" for n in (1, 2, 3, 4)]
    if len(right) <= 5:
        feats.append(f"RW={right}")
    feats.append(f"rn={min(len(right), 7)}")
    ru, rh, rs = lex.plain.get(right, (0, 0, 0))
    feats += [f"ru={_bucket(ru)}", f"rh={_bucket(rh // 100)}", f"rs={_bucket(rs // 1000)}",
              f"hd={_bucket(lex.heads.get(right, 0))}", f"lv={int(right in lex.verbs)}"]
    if right in _SUFFIX_PARTS:
        feats.append(f"sf={right}")
    rj, rsp = lex.joins.get(right, (0, 0, 0, 0))[:2]
    feats.append(f"rj={_bucket(rj)}|{_bucket(rsp)}")
    return feats, bool(ru or rh), right in lex.by_key


def _joint_features(left: str, right: str, lk: bool, lz: bool, rk: bool, rz: bool) -> list[str]:
    """The features of :func:`boundary_features` that look at both parts: the letters around the
    boundary, and whether each part is a known word (``lk``/``rk``) and begins a ZWNJ form (``lz``/``rz``)."""
    return ["b", f"LR={left[-2:]}|{right[:2]}", f"LR1={left[-1:]}|{right[:1]}",
            f"lk={int(lk)}|rk={int(rk)}", f"lz={int(lz)}|rz={int(rz)}"]


def candidate_boundaries(key: str) -> Iterator[int]:
    """Boundaries the model scores: both parts at least two letters, after a joining letter."""
    for i in range(2, len(key) - 1):
        if key[i - 1] not in NON_JOINING:
            yield i


@dataclass
class BoundaryModel:
    """Feature weights of a linear boundary classifier and the score above which a ZWNJ is written."""

    weights: dict[str, float] = field(default_factory=dict)
    threshold: float = 0.0
    # Summed weights of the features of one left or right part, with what the joint features need:
    # the parts recur across words (`می`, `ها`, `گذاری`), so a new word costs a few look-ups.
    _parts: dict[tuple[bool, str], tuple[float, bool, bool]] = field(default_factory=dict, repr=False, compare=False)
    _parts_of: int = field(default=0, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path | None = None) -> BoundaryModel:
        """The shipped model (read once per process); an empty model (never fires) if it is absent."""
        return _load(path or RESOURCE)

    def score(self, key: str, i: int, lex: Lexicon) -> float:
        """The summed weight of :func:`boundary_features` (computed part by part, with a cache).

        >>> m, lex = BoundaryModel.load(), Lexicon.load()
        >>> abs(m.score("بیضیشکل", 4, lex) - sum(m.weights.get(f, 0.0) for f in boundary_features("بیضیشکل", 4, lex))) < 1e-9
        True
        """
        w = self.weights
        parts = self._parts
        if self._parts_of != id(lex) or len(parts) > _PARTS_MAX:
            parts.clear()
            self._parts_of = id(lex)
        left, right = key[:i], key[i:]
        lp = parts.get((True, left))
        if lp is None:
            feats, known, zform = _left_features(left, lex)
            lp = parts[(True, left)] = (sum(w.get(f, 0.0) for f in feats), known, zform)
        rp = parts.get((False, right))
        if rp is None:
            feats, known, zform = _right_features(right, lex)
            rp = parts[(False, right)] = (sum(w.get(f, 0.0) for f in feats), known, zform)
        joint = _joint_features(left, right, lp[1], lp[2], rp[1], rp[2])
        return lp[0] + rp[0] + sum(w.get(f, 0.0) for f in joint)

    def cuts(self, key: str, lex: Lexicon) -> tuple[int, ...]:
        """Boundaries of ``key`` whose score passes the threshold (no two adjacent).

        >>> BoundaryModel.load().cuts("کرهشکل", Lexicon.load())
        (3,)
        """
        if not self.weights:
            return ()
        out: list[int] = []
        for i in candidate_boundaries(key):
            if (not out or i - out[-1] >= 2) and self.score(key, i, lex) > self.threshold:
                out.append(i)
        return tuple(out)

    def save(self, path: Path) -> None:
        """Write the model (gzip'd TSV: a ``T threshold`` line, then ``feature weight`` lines)."""
        with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9,
                                                    mtime=0) as f:
            lines = [f"T\t{self.threshold:.4f}"]
            lines += [f"{k}\t{v:.3f}" for k, v in sorted(self.weights.items())]
            f.write(("\n".join(lines) + "\n").encode("utf-8"))


@lru_cache(maxsize=4)
def _load(path: Path) -> BoundaryModel:
    model = BoundaryModel()
    if not path.exists():
        return model
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            if k == "T":
                model.threshold = float(v)
            else:
                model.weights[k] = float(v)
    return model


def train(samples: Iterable[tuple[list[str], int]], epochs: int = 5) -> dict[str, float]:
    """An averaged perceptron over (features, label ±1) samples; returns the averaged weights.

    >>> w = train([(["b", "x"], 1), (["b", "y"], -1)] * 3)
    >>> w["x"] > 0 > w["y"]
    True
    """
    data = list(samples)
    w: dict[str, float] = {}
    acc: dict[str, float] = {}  # sum over steps of each weight's update times the step it happened
    step = 1
    for epoch in range(epochs):
        # A fixed, seedless shuffle: a stride through the data, different each epoch.
        n = len(data)
        stride = _coprime_stride(n, epoch)
        for j in range(n):
            feats, y = data[(j * stride) % n]
            s = sum(w.get(f, 0.0) for f in feats)
            if y * s <= 0:
                for f in feats:
                    w[f] = w.get(f, 0.0) + y
                    acc[f] = acc.get(f, 0.0) + y * step
            step += 1
    return {f: w[f] - acc[f] / step for f in w if abs(w[f] - acc[f] / step) >= 0.005}


def _coprime_stride(n: int, epoch: int) -> int:
    stride = 1 + (7919 * (epoch + 1)) % max(1, n - 1)
    while n > 1 and math.gcd(stride, n) != 1:
        stride += 1
    return stride


__all__ = ["ZWNJ", "BoundaryModel", "boundary_features", "candidate_boundaries", "train"]
