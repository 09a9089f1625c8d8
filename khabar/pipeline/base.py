"""What a stage is, and the base for stages that change the text.

A stage is a small class: keyword-only configuration in ``__init__``, one ``__call__(doc) -> doc``,
no I/O. It says what it needs (``requires``) and what it fills (``assigns``); the
:class:`~khabar.pipeline.Pipeline` checks the order when it is built.

A text-changing stage (:class:`TextStage`) is a list of :class:`Rule` s. Each rule has a fast
``apply(text) -> str`` for :func:`khabar.restore`, and ``edits(text)`` for :func:`khabar.analyze`,
which keeps the offset map; both are driven by the same pattern and replacement, so they agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import ClassVar, Protocol

from khabar.document import Document
from khabar.offsets import Edit


class Stage(Protocol):
    name: ClassVar[str]
    requires: ClassVar[tuple[str, ...]]
    assigns: ClassVar[tuple[str, ...]]

    def __call__(self, doc: Document) -> Document: ...


Replacement = str | Callable[[re.Match[str]], str]


class Rule:
    """One rewrite: every match of ``pattern`` becomes ``repl`` (a string or a function of the match).

    ``note`` names the change for ``doc.warnings`` (``"{n} Arabic letters unified"``); rules with no
    note are routine (spacing) and are not reported.
    """

    __slots__ = ("_fn", "note", "pattern", "repl")

    def __init__(self, pattern: str | re.Pattern[str], repl: Replacement, note: str = "") -> None:
        self.pattern = re.compile(pattern) if isinstance(pattern, str) else pattern
        self.repl = repl
        self.note = note
        if callable(repl):
            self._fn: Callable[[re.Match[str]], str] = repl
        else:
            self._fn = lambda m, r=repl: m.expand(r)

    def apply(self, text: str) -> str:
        return self.pattern.sub(self.repl, text)

    def edits(self, text: str) -> list[Edit]:
        out: list[Edit] = []
        fn = self._fn
        for m in self.pattern.finditer(text):
            new = fn(m)
            if new != m.group():
                out.append((m.start(), m.end(), new))
        return out


class TranslateRule(Rule):
    """A character-for-string table: ``str.translate`` for speed, a character class for edits."""

    __slots__ = ("table",)

    def __init__(self, table: dict[str, str], note: str = "") -> None:
        self.table = str.maketrans(table)
        chars = "".join(re.escape(c) for c in table)
        super().__init__(f"[{chars}]", lambda m: table[m.group()], note)

    def apply(self, text: str) -> str:
        return text.translate(self.table)


class TextStage:
    """A stage that rewrites ``doc.text`` through its rules, in order, keeping the offset map."""

    name: ClassVar[str] = "text"
    requires: ClassVar[tuple[str, ...]] = ("text",)
    assigns: ClassVar[tuple[str, ...]] = ("text",)

    rules: Sequence[Rule] = ()

    def apply(self, text: str) -> str:
        """The rewritten text (no offsets): the fast path of :func:`khabar.restore`."""
        for rule in self.rules:
            text = rule.apply(text)
        return text

    def __call__(self, doc: Document) -> Document:
        for rule in self.rules:
            edits = rule.edits(doc.text)
            if edits:
                doc.edit(edits)
                if rule.note:
                    doc.warnings.append(f"{self.name}: {rule.note.format(n=len(edits))}")
        return doc
