"""The offset map between a restored text and the raw text it came from.

A text-changing stage proposes *edits*: ``(start, end, replacement)`` triples on its input text,
sorted and non-overlapping. :func:`apply_edits` makes the new text; :meth:`Alignment.compose`
folds the edits into the alignment, which records every change as a :class:`Change` in the
coordinates of the final text *and* of the raw text. Positions outside changes shift by the
running length difference; positions inside a change map to its edges. Lookups are ``bisect``.

>>> a = Alignment.identity(len("يك"))
>>> a = a.compose([(0, 1, "ی"), (1, 2, "ک")])
>>> a.to_raw(0, 2)
(0, 2)
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

Edit = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class Change:
    """``text[start:end]`` (the restored text) stands where ``raw_text[raw_start:raw_end]`` stood."""

    start: int
    end: int
    raw_start: int
    raw_end: int

    def to_dict(self) -> dict[str, int]:
        return {"start": self.start, "end": self.end, "raw_start": self.raw_start, "raw_end": self.raw_end}


def _change_maker() -> Callable[[int, int, int, int], Change]:
    """``Change(start, end, raw_start, raw_end)`` as the frozen dataclass's ``__init__`` makes it (one
    ``object.__setattr__`` per field), with the slots' setters looked up once: half the time."""
    new = object.__new__
    set_start, set_end, set_raw_start, set_raw_end = (
        Change.__dict__[name].__set__ for name in ("start", "end", "raw_start", "raw_end"))

    def make(start: int, end: int, raw_start: int, raw_end: int) -> Change:
        c = new(Change)
        set_start(c, start)
        set_end(c, end)
        set_raw_start(c, raw_start)
        set_raw_end(c, raw_end)
        return c

    return make


_change = _change_maker()


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """The text with each ``(start, end, replacement)`` applied; edits must be sorted and disjoint."""
    if not edits:
        return text
    parts: list[str] = []
    pos = 0
    for start, end, repl in edits:
        if start < pos or end < start:
            raise ValueError(f"edits overlap or are unsorted at {start}:{end}")
        parts.append(text[pos:start])
        parts.append(repl)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


class Alignment:
    """Maps offsets in the restored text to offsets in the raw text."""

    __slots__ = ("_ends", "_starts", "changes", "length", "raw_length")

    def __init__(self, changes: Sequence[Change], length: int, raw_length: int) -> None:
        self.changes: tuple[Change, ...] = tuple(changes)
        self.length = length
        self.raw_length = raw_length
        self._starts = [c.start for c in self.changes]
        self._ends = [c.end for c in self.changes]

    @classmethod
    def identity(cls, length: int) -> Alignment:
        return cls((), length, length)

    def __repr__(self) -> str:
        return f"Alignment({len(self.changes)} changes, {self.length} <- {self.raw_length})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Alignment)
            and self.changes == other.changes
            and (self.length, self.raw_length) == (other.length, other.raw_length)
        )

    # -- lookups -------------------------------------------------------------------------------

    def raw_start(self, pos: int) -> int:
        """Raw offset where a span starting at ``pos`` begins."""
        return self._map(pos, start=True)

    def raw_end(self, pos: int) -> int:
        """Raw offset where a span ending at ``pos`` ends."""
        return self._map(pos, start=False)

    def to_raw(self, start: int, end: int) -> tuple[int, int]:
        """Raw ``(start, end)`` of the text span ``[start, end)``."""
        rs = self._map(start, start=True)
        re_ = self._map(end, start=False) if end > start else rs
        return rs, max(rs, re_)

    def to_raw_sorted(self, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """:meth:`to_raw` of each span, for spans in text order that do not overlap (tokens): one
        walk over the changes instead of a search per offset (same results)."""
        return [(rs, re_) for _, _, rs, re_ in self.iter_raw_sorted(spans)]

    def iter_raw_sorted(self, spans: Iterable[tuple[int, int]]) -> Iterator[tuple[int, int, int, int]]:
        """``(start, end, raw_start, raw_end)`` of each span of :meth:`to_raw_sorted`, as the spans
        come: no list of all of them is held (a long article has hundreds of thousands of tokens).
        (:meth:`_at` written out in the loop: this runs once per token of every article.)"""
        length = self.length
        starts, ends = self._starts, self._ends
        raw_starts = [c.raw_start for c in self.changes]
        raw_ends = [c.raw_end for c in self.changes]
        bound = [*starts, length + 1]  # no change starts past the end: the walks stop there
        ka = kb = -1  # the last change starting at or before the span's start / end
        for start, end in spans:
            a = 0 if start < 0 else length if start > length else start
            b = 0 if end < 0 else length if end > length else end
            while bound[ka + 1] <= a:
                ka += 1
            if ka < 0:
                rs = a
            elif a == starts[ka]:
                # A deletion here: spans start after the deleted characters.
                rs = raw_ends[ka] if ends[ka] == a else raw_starts[ka]
            elif a < ends[ka]:
                rs = raw_starts[ka]  # inside a change: the span takes the change whole
            else:
                rs = a - ends[ka] + raw_ends[ka]
            if b > a:
                while bound[kb + 1] <= b:
                    kb += 1
                if kb < 0:
                    re_ = b
                elif b == starts[kb]:
                    re_ = raw_starts[kb]  # a deletion or a change here: spans end before it
                elif b < ends[kb]:
                    re_ = raw_ends[kb]
                else:
                    re_ = b - ends[kb] + raw_ends[kb]
                if re_ < rs:
                    re_ = rs
            else:
                re_ = rs
            yield start, end, rs, re_

    def _at(self, pos: int, i: int, *, start: bool) -> int:
        """Raw offset of ``pos``, given ``i``, the last change starting at or before it (-1: none)."""
        if i < 0:
            return pos
        c = self.changes[i]
        if pos == c.start:
            if c.end == c.start:
                # A deletion here: spans start after the deleted characters and end before them.
                return c.raw_end if start else c.raw_start
            return c.raw_start
        if pos < c.end:
            # Inside a change: the span takes the change whole.
            return c.raw_start if start else c.raw_end
        return pos - c.end + c.raw_end

    def _map(self, pos: int, *, start: bool) -> int:
        pos = min(max(pos, 0), self.length)
        return self._at(pos, bisect_right(self._starts, pos) - 1, start=start)

    # -- building ------------------------------------------------------------------------------

    def compose(self, edits: Iterable[Edit]) -> Alignment:
        """The alignment of ``apply_edits(text, edits)`` to the raw text, where this one aligns ``text``."""
        edits = list(edits)
        if not edits:
            return self
        old = self.changes
        n_old, n_edits = len(old), len(edits)
        # Intervals in the coordinates of the current text, old changes and new edits; each merged
        # group becomes one change of the result. (The group being built is held in locals and
        # groups as tuples, and _at is written out below: this runs for every text-changing rule
        # that changes an article, on dozens of changes.)
        groups: list[tuple[int, int, int, int | None, int | None]] = []
        gs = ge = gd = 0
        grs: int | None = None
        gre: int | None = None
        have = False
        i = j = 0
        while i < n_old or j < n_edits:
            if j >= n_edits or (i < n_old and old[i].start <= edits[j][0]):
                c = old[i]
                ps, pe, pd, prs, pre = c.start, c.end, 0, c.raw_start, c.raw_end
                i += 1
            else:
                ps, pe, r = edits[j]
                pd, prs, pre = len(r) - (pe - ps), None, None
                j += 1
            # Merge what overlaps, and a zero-length piece with whatever it touches; two changes
            # that merely touch stay apart, so a span ending between them maps exactly.
            if have and (ps < ge or (ps == ge and (ps == pe or gs == ge))):
                # The group's raw end comes from whatever ends last; an old change knows it exactly.
                if pe > ge or (pe == ge and gre is None):
                    gre = pre
                if pe > ge:
                    ge = pe
                gd += pd
            else:
                if have:
                    groups.append((gs, ge, gd, grs, gre))
                gs, ge, gd, grs, gre, have = ps, pe, pd, prs, pre, True
        groups.append((gs, ge, gd, grs, gre))
        result: list[Change] = []
        shift = 0
        # The groups come in order: the changes before each are walked to, not searched for (_map).
        starts, n, length = self._starts, len(self._starts), self.length
        ia = ib = -1
        # The change being built (merged with the next when both touch and one is empty).
        cs = ce = crs = cre = 0
        pending = False
        for g_start, g_end, g_delta, raw_start, raw_end in groups:
            if raw_start is None:
                a = 0 if g_start < 0 else length if g_start > length else g_start
                while ia + 1 < n and starts[ia + 1] <= a:
                    ia += 1
                if ia < 0:
                    raw_start = a
                else:
                    c = old[ia]
                    if a == c.start:
                        # A deletion here: spans start after the deleted characters.
                        raw_start = c.raw_end if c.end == c.start else c.raw_start
                    elif a < c.end:
                        raw_start = c.raw_start  # inside a change: the span takes the change whole
                    else:
                        raw_start = a - c.end + c.raw_end
            if raw_end is None:
                b = 0 if g_end < 0 else length if g_end > length else g_end
                while ib + 1 < n and starts[ib + 1] <= b:
                    ib += 1
                if ib < 0:
                    raw_end = b
                else:
                    c = old[ib]
                    if b == c.start:
                        raw_end = c.raw_start  # a deletion or a change here: spans end before it
                    elif b < c.end:
                        raw_end = c.raw_end
                    else:
                        raw_end = b - c.end + c.raw_end
            s_, e_ = g_start + shift, g_end + shift + g_delta
            shift += g_delta
            if pending and ce == s_ and (cs == ce or s_ == e_):
                # Empty in the new text and touching: one change, so no two share a position.
                ce, cre = e_, raw_end
            else:
                if pending:
                    result.append(_change(cs, ce, crs, cre))
                cs, ce, crs, cre, pending = s_, e_, raw_start, raw_end, True
        result.append(_change(cs, ce, crs, cre))
        return Alignment(result, self.length + shift, self.raw_length)

    # -- serialization -------------------------------------------------------------------------

    def to_list(self) -> list[dict[str, int]]:
        return [c.to_dict() for c in self.changes]

    @classmethod
    def from_list(cls, items: Sequence[dict[str, int]], length: int, raw_length: int) -> Alignment:
        return cls([Change(d["start"], d["end"], d["raw_start"], d["raw_end"]) for d in items], length, raw_length)
