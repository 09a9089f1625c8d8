"""Bytes to text: the encodings Persian files arrive in, and clear errors for the rest."""

from __future__ import annotations

import codecs

import pytest

from khabar.decoding import decode, detect
from khabar.errors import DecodeError, InvalidInput

TEXT = "به گزارش ایسنا، وزیر امروز گفت که برنامه‌ها اجرا می‌شوند. ۱۴۰۳"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_decoding_reads_unicode_encodings(data: bytes, encoding: str) -> None:
    assert decode(data) == TEXT
    assert detect(data) == encoding


def test_decoding_reads_windows_1256() -> None:
    # Windows-1256 has only the Arabic forms of yeh and kaf.
    text = "به گزارش ايسنا، وزير امروز گفت كه برنامه ها اجرا مي شوند."
    assert decode(text.encode("cp1256")) == text


def test_decoding_empty_bytes_is_empty_text() -> None:
    assert decode(b"") == ""


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 4,  # binary
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # an image header
        "Grüße aus Köln, schöne Straße".encode("latin-1") + b"\x00\x01",  # Latin-1 with controls
    ],
)
def test_decoding_refuses_binary_with_name_and_offset(data: bytes) -> None:
    with pytest.raises(DecodeError) as err:
        decode(data, "article.txt")
    assert "article.txt" in str(err.value)
    assert "offset" in str(err.value)
    assert isinstance(err.value, InvalidInput)


def test_decoding_refuses_latin1_text_that_is_not_arabic_script() -> None:
    with pytest.raises(DecodeError, match=r"offset 2"):
        decode("Grüße aus Köln".encode("latin-1"), "de.txt")


def test_decoding_rejects_str() -> None:
    with pytest.raises(TypeError, match="bytes"):
        decode("سلام")  # type: ignore[arg-type]
