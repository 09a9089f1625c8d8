"""Document ⇄ compact bytes: the stored form of ``Document.to_dict()``.

The two texts (raw and restored) are kept apart (a backend stores them in their own columns, where
they are searched and shown); the rest is zlib-compressed JSON, with sentence and token offsets
stored as small repeating numbers instead of one dict per span. :func:`unpack_doc` gives back
exactly the ``to_dict()`` that was packed, on every backend.

>>> from khabar.document import Document
>>> d = Document.from_raw("سلام").to_dict()
>>> unpack_doc(pack_doc(d), d["raw_text"], d["text"]) == d
True
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from itertools import chain
from operator import attrgetter, eq, sub
from typing import Any

from khabar.document import Document, Span, Token

__all__ = ["pack_doc", "pack_document", "unpack_doc"]

_SPAN_KEYS = ("text", "start", "end", "raw_start", "raw_end")
# Lists of plain spans stored as offset columns: a token's text is text[start:end] by construction,
# so storing it again would double the archive.
_COLUMNAR = ("sentences", "tokens")


def _columns(spans: list[dict[str, Any]], text: str) -> dict[str, list[int]] | None:
    """``spans`` as four offset columns, or ``None`` when they are not plain spans of ``text``."""
    cols: dict[str, list[int]] = {"start": [], "end": [], "raw_start": [], "raw_end": []}
    for sp in spans:
        if len(sp) != 5 or sp.keys() != set(_SPAN_KEYS) or text[sp["start"]:sp["end"]] != sp["text"]:
            return None
        for k in cols:
            v = sp[k]
            if type(v) is not int:
                return None
            cols[k].append(v)
    return cols


def _deltas(start: Sequence[int], end: Sequence[int], raw_start: Sequence[int],
            raw_end: Sequence[int]) -> dict[str, list[int]]:
    """Span offsets as small repeating numbers (gap, length, raw shift, raw length change), which
    compress to a fraction of the offsets themselves. (Column arithmetic in ``map``: a long
    article has hundreds of thousands of tokens.)

    >>> _undeltas(_deltas([0, 4], [3, 9], [0, 5], [3, 11])) == {"start": [0, 4], "end": [3, 9], "raw_start": [0, 5], "raw_end": [3, 11]}
    True
    """
    if not len(start) == len(end) == len(raw_start) == len(raw_end):
        raise ValueError("offset columns of different lengths")
    length = list(map(sub, end, start))
    shifts = list(map(sub, raw_start, start))
    return {"g": list(map(sub, start, chain((0,), end))), "l": length,
            "s": list(map(sub, shifts, chain((0,), shifts))),
            "r": list(map(sub, map(sub, raw_end, raw_start), length))}


_OFFSETS = attrgetter("start", "end", "raw_start", "raw_end")
_TEXT = attrgetter("text")


def _undeltas(d: dict[str, list[int]]) -> dict[str, list[int]]:
    start, end, raw_start, raw_end = [], [], [], []
    prev_end = prev_shift = 0
    for g, ln, sh, gr in zip(d["g"], d["l"], d["s"], d["r"], strict=True):
        s = prev_end + g
        e = s + ln
        shift = prev_shift + sh
        start.append(s)
        end.append(e)
        raw_start.append(s + shift)
        raw_end.append(s + shift + ln + gr)
        prev_end, prev_shift = e, shift
    return {"start": start, "end": end, "raw_start": raw_start, "raw_end": raw_end}


def pack_doc(doc: dict[str, Any]) -> bytes:
    """The stored form of ``Document.to_dict()`` less its two texts (stored in their own columns).

    >>> from khabar import analyze
    >>> d = analyze("دو جمله. دومی هم هست.").to_dict()
    >>> unpack_doc(pack_doc(d), d["raw_text"], d["text"]) == d
    True
    """
    text = doc.get("text", "")
    rest: dict[str, Any] = {}
    for k, v in doc.items():
        if k in ("raw_text", "text"):
            continue
        if k in _COLUMNAR and isinstance(v, list) and v:
            cols = _columns(v, text)
            if cols is not None:
                rest["#" + k] = _deltas(cols["start"], cols["end"], cols["raw_start"], cols["raw_end"])
                continue
        rest[k] = v
    return zlib.compress(json.dumps(rest, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 3)


def pack_document(doc: Document) -> tuple[bytes, dict[str, Any]]:
    """``(pack_doc(doc.to_dict()), doc.to_dict() less sentences and tokens)``, made without building a
    dict per token (the slow part of ``to_dict`` on a long article).

    >>> from khabar import analyze
    >>> doc = analyze("دو جمله. دومی هم هست.")
    >>> packed, light = pack_document(doc)
    >>> packed == pack_doc(doc.to_dict()) and "tokens" not in light
    True
    """
    sentences, tokens = doc.sentences, doc.tokens
    spans: dict[str, list[Span]] = {"sentences": sentences, "tokens": list(tokens)}
    # Plain spans of the text (each its own text's slice) go as offset columns. (Read off in
    # ``map``s: a long article has hundreds of thousands of tokens.)
    columns: dict[str, tuple[Sequence[int], ...]] = {}
    plain = True
    for k, items in spans.items():
        if not items:
            continue
        if not set(map(type, items)) <= {Span, Token}:
            plain = False
            break
        start, end, raw_start, raw_end = zip(*map(_OFFSETS, items), strict=True)
        if not all(map(eq, map(_TEXT, items), map(doc.text.__getitem__, map(slice, start, end)))):
            plain = False
            break
        columns[k] = (start, end, raw_start, raw_end)
    if not plain:
        full = doc.to_dict()
        return pack_doc(full), {k: v for k, v in full.items() if k not in _COLUMNAR}
    doc.sentences, doc.tokens = [], []
    try:
        light = doc.to_dict()
    finally:
        doc.sentences, doc.tokens = sentences, tokens
    rest: dict[str, Any] = {}
    for k, v in light.items():
        if k in ("raw_text", "text"):
            continue
        if k in _COLUMNAR:
            if k in columns:
                rest["#" + k] = _deltas(*columns[k])
            else:
                rest[k] = v
            continue
        rest[k] = v
    packed = zlib.compress(json.dumps(rest, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 3)
    return packed, {k: v for k, v in light.items() if k not in _COLUMNAR}


def unpack_doc(blob: bytes, raw_text: str, text: str) -> dict[str, Any]:
    """The inverse of :func:`pack_doc`."""
    rest = json.loads(zlib.decompress(blob).decode("utf-8"))
    out: dict[str, Any] = {"raw_text": raw_text, "text": text}
    for k, v in rest.items():
        if k.startswith("#"):
            v = _undeltas(v)
        if k[0] in "@#":  # "@": plain columns, as 0002-era archives stored them
            out[k[1:]] = [{"text": text[s:e], "start": s, "end": e, "raw_start": rs, "raw_end": re_}
                          for s, e, rs, re_ in zip(v["start"], v["end"], v["raw_start"], v["raw_end"], strict=True)]
        else:
            out[k] = v
    return out
