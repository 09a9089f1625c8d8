"""Word lists read from ``khabar/resources/words/``: one entry a line, ``#`` starts a comment.

The lists are data, not code: honorifics and role heads (``honorifics``, ``role_heads``, read by the
identity stage) and the stop list of function words and news boilerplate (``stopwords``, read by
story clustering). :func:`words` gives a list as written; callers fold it the way they compare.

>>> "آیت‌الله" in words("honorifics")
True
>>> "گزارش" in words("stopwords")
True
"""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["words"]


@cache
def words(name: str) -> tuple[str, ...]:
    """The entries of the list ``name`` (``resources/words/NAME.txt``), in file order."""
    if not name.isidentifier():
        raise ValueError(f"no word list named {name!r}")
    try:
        text = resources.files("khabar").joinpath("resources", "words", f"{name}.txt").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"no word list named {name!r} in khabar/resources/words/") from None
    out = []
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            out.append(entry)
    return tuple(out)
