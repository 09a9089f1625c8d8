"""The offset map: composing edits, and mapping spans back to the raw text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from khabar.offsets import Alignment, apply_edits


def _edits(text: str, data: st.DataObject) -> list[tuple[int, int, str]]:
    """Random sorted, disjoint edits over text."""
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=8)))
    edits, pos = [], 0
    for a, b in zip(cuts[::2], cuts[1::2], strict=False):
        if a < pos:
            continue
        repl = data.draw(st.text(alphabet="xyz\u200c ", max_size=3))
        if a == b and not repl:
            continue
        edits.append((a, b, repl))
        pos = b + 1 if a == b else b
    return edits


def test_offsets_identity_maps_each_position_to_itself() -> None:
    a = Alignment.identity(5)
    assert [a.to_raw(i, i + 1) for i in range(5)] == [(i, i + 1) for i in range(5)]


def test_offsets_insertion_maps_to_an_empty_raw_range() -> None:
    a = Alignment.identity(5).compose([(2, 2, "\u200c")])
    assert a.length == 6
    assert a.to_raw(2, 3) == (2, 2)
    assert a.to_raw(0, 6) == (0, 5)
    assert a.to_raw(3, 6) == (2, 5)


def test_offsets_deletion_is_skipped_at_span_edges() -> None:
    # "ab--cd" with "--" deleted → "abcd"
    a = Alignment.identity(6).compose([(2, 4, "")])
    assert a.to_raw(2, 4) == (4, 6)
    assert a.to_raw(0, 2) == (0, 2)
    assert a.to_raw(0, 4) == (0, 6)


def test_offsets_touching_changes_stay_apart() -> None:
    a = Alignment.identity(6).compose([(1, 2, "X"), (2, 4, " ")])
    assert len(a.changes) == 2
    assert a.to_raw(0, 2) == (0, 2)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abc ", max_size=30), st.data())
def test_offsets_two_rounds_of_edits_keep_unchanged_characters_in_place(text: str, data: st.DataObject) -> None:
    align = Alignment.identity(len(text))
    cur = text
    for _ in range(2):
        edits = _edits(cur, data)
        cur = apply_edits(cur, edits)
        align = align.compose(edits)
    assert align.length == len(cur)
    # Every character of the result outside a change is the raw character it maps to.
    changed = [False] * len(cur)
    for c in align.changes:
        for i in range(c.start, c.end):
            changed[i] = True
    for i, ch in enumerate(cur):
        rs, re_ = align.to_raw(i, i + 1)
        assert 0 <= rs <= re_ <= len(text)
        if not changed[i]:
            assert (rs, re_) == (rs, rs + 1) and text[rs] == ch
    # Changes are sorted and disjoint on both sides.
    for a, b in zip(align.changes, align.changes[1:], strict=False):
        assert a.end <= b.start and a.raw_end <= b.raw_start


def test_offsets_round_trip_through_a_list() -> None:
    a = Alignment.identity(6).compose([(1, 2, "X"), (3, 3, "\u200c")])
    assert Alignment.from_list(a.to_list(), a.length, a.raw_length) == a


@given(st.text(alphabet="abc ", max_size=30), st.data())
def test_offsets_batch_mapping_of_spans_in_order_equals_one_by_one(text: str, data: st.DataObject) -> None:
    align = Alignment.identity(len(text))
    cur = text
    for _ in range(data.draw(st.integers(0, 2))):
        edits = _edits(cur, data)
        cur = apply_edits(cur, edits)
        align = align.compose(edits)
    # Spans in text order, not overlapping, some empty, some past the end.
    cuts = sorted(data.draw(st.lists(st.integers(-1, len(cur) + 1), max_size=10)))
    spans = list(zip(cuts[::2], cuts[1::2], strict=False))
    assert align.to_raw_sorted(spans) == [align.to_raw(a, b) for a, b in spans]


@given(st.text(alphabet="abc ", max_size=30), st.data())
def test_offsets_document_spans_map_as_one_by_one(text: str, data: st.DataObject) -> None:
    """Document.spans maps spans between changes by their shift: the same raw offsets as
    Alignment.to_raw of each, for spans in order or not, empty, inside changes, past either end."""
    from khabar.document import Document, Span

    doc = Document.from_raw(text)
    for _ in range(data.draw(st.integers(0, 3))):
        doc.edit(_edits(doc.text, data))
    n = len(doc.text)
    cuts = data.draw(st.lists(st.integers(-2, n + 2), max_size=16))
    if data.draw(st.booleans()):
        cuts.sort()
    spans = list(zip(cuts[::2], cuts[1::2], strict=False))
    got = doc.spans(spans)
    assert [(s.start, s.end, s.raw_start, s.raw_end) for s in got] == \
           [(a, b, *doc.alignment.to_raw(a, b)) for a, b in spans]
    assert all(type(s) is Span and s.text == doc.text[s.start:s.end] for s in got)
