"""khabar's exceptions.

    KhabarError
     ├── InvalidInput (also ValueError)   input that cannot be an article: binary, undecodable, too large
     │    └── DecodeError                  bytes that no supported encoding reads; names file and offset
     ├── StorageError                     the archive cannot be read or written
     └── NotFoundError (also LookupError) an article, person or story that is not in the archive

Wrong Python types raise the built-in ``TypeError`` naming what was expected and what arrived.
"""

from __future__ import annotations


class KhabarError(Exception):
    """Base of every error khabar raises on purpose."""


class InvalidInput(KhabarError, ValueError):
    """Input that cannot be an article."""


class DecodeError(InvalidInput):
    """Bytes that none of the supported encodings can read."""

    def __init__(self, message: str, *, name: str = "<bytes>", offset: int = 0) -> None:
        super().__init__(message)
        self.name = name
        self.offset = offset


class StorageError(KhabarError):
    """The archive cannot be read or written."""


class NotFoundError(KhabarError, LookupError):
    """Something asked for by id or name is not in the archive."""


def expect_str(value: object, what: str = "text") -> str:
    """Return ``value`` if it is a ``str``; raise ``TypeError`` naming what arrived otherwise."""
    if isinstance(value, str):
        return value
    hint = " (decode bytes first, e.g. khabar.decode(data))" if isinstance(value, (bytes, bytearray)) else ""
    raise TypeError(f"{what} must be str, not {type(value).__name__}{hint}")
