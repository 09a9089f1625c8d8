"""Bytes to text: UTF-8 (with or without BOM), UTF-16 (with BOM, or plainly two-byte) and
Windows-1256, the encodings Persian pages and files arrive in. Anything else is an error that
names the file and the byte offset where reading failed.

>>> decode("سلام".encode("cp1256"))
'سلام'
>>> decode("\ufeffسلام".encode("utf-8"))
'سلام'
"""

from __future__ import annotations

import codecs
import re

from khabar.errors import DecodeError

# Control characters other than tab, newline, carriage return and form feed: a sign of binary data.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")


def detect(data: bytes, *, partial: bool = False) -> str:
    """The name of the encoding :func:`decode` would use, or raise :class:`DecodeError`.

    ``partial``: ``data`` is the head of a longer stream and may end inside a character.
    """
    return _decode(data, "<bytes>", final=not partial)[1]


def decode(data: bytes | bytearray, name: str = "<bytes>") -> str:
    """Decode article bytes; raise :class:`~khabar.errors.DecodeError` naming ``name`` and the offset."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    return _decode(bytes(data), name)[0]


def _decode(data: bytes, name: str, final: bool = True) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", name, 3), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", name, 0), "utf-16"
    utf16 = _bomless_utf16(data)
    if utf16:
        return _strict(data, utf16, name, 0), utf16
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(data, final=final)
    except UnicodeDecodeError as err:
        bad = err.start
    else:
        _reject_binary(text, data, name)
        return text, "utf-8"
    if _mostly_utf8(data):
        # A UTF-8 file with a few corrupt bytes: read as Windows-1256 it would pass as Arabic-script mojibake.
        raise DecodeError(
            f"{name}: invalid UTF-8 at byte offset {bad} in a file that is otherwise UTF-8"
            " (remove or fix the corrupt bytes, e.g. with iconv -c -f utf-8 -t utf-8)",
            name=name,
            offset=bad,
        )
    try:
        text = data.decode("cp1256")
    except UnicodeDecodeError:
        text = ""
    # Windows-1256 reads almost any bytes; believe it only for text that looks Persian/Arabic.
    if text and not _CONTROL.search(text) and len(_ARABIC_SCRIPT.findall(text)) >= 0.3 * sum(
        1 for c in text if c.isalpha()
    ):
        return text, "cp1256"
    raise DecodeError(
        f"{name}: cannot decode byte 0x{data[bad]:02x} at offset {bad}: not UTF-8, UTF-16 or Windows-1256 text"
        " (convert the file to UTF-8, e.g. with iconv)",
        name=name,
        offset=bad,
    )


def _mostly_utf8(data: bytes) -> bool:
    # Windows-1256 bytes almost never form valid multi-byte UTF-8 sequences; many valid ones and few
    # invalid ones mean UTF-8 with corruption.
    text = data.decode("utf-8", "replace")
    invalid = text.count("\ufffd")
    valid = sum(1 for c in text if c > "\x7f") - invalid
    return valid >= 20 and invalid * 20 <= valid


def _bomless_utf16(data: bytes) -> str | None:
    # Persian/Latin text in UTF-16 without BOM has a zero or 0x06 byte in every other position.
    sample = data[:4000]
    if len(sample) < 4 or len(sample) % 2:
        return None
    evens, odds = sample[0::2], sample[1::2]
    if odds.count(0) + odds.count(6) > 0.7 * len(odds) and evens.count(0) < 0.2 * len(evens):
        return "utf-16-le"
    if evens.count(0) + evens.count(6) > 0.7 * len(evens) and odds.count(0) < 0.2 * len(odds):
        return "utf-16-be"
    return None


def _strict(data: bytes, encoding: str, name: str, skip: int) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        raise DecodeError(
            f"{name}: invalid {encoding} at byte offset {err.start + skip} (convert the file to UTF-8, e.g. with iconv)",
            name=name,
            offset=err.start + skip,
        ) from None
    text = text.lstrip("\ufeff")
    _reject_binary(text, data, name)
    return text


def _reject_binary(text: str, data: bytes, name: str) -> None:
    m = _CONTROL.search(text)
    if m:
        offset = len(text[: m.start()].encode("utf-8"))
        if b"\x00" in data:
            offset = data.index(b"\x00")
        raise DecodeError(
            f"{name}: binary data (control character at byte offset {offset}); khabar reads text, HTML and feeds",
            name=name,
            offset=offset,
        )
