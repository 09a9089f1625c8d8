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

    __slots__ = ("_fn", "note", "pattern", "repl", "trigger")

    def __init__(self, pattern: str | re.Pattern[str], repl: Replacement, note: str = "", *,
                 trigger: str | None = None) -> None:
        self.pattern = re.compile(pattern) if isinstance(pattern, str) else pattern
        self.repl = repl
        self.note = note
        # A substring without which the pattern cannot match: `in` is far cheaper than a scan.
        self.trigger = trigger
        self._fn: Callable[[re.Match[str]], str] = repl if callable(repl) else _expander(repl)

    def apply(self, text: str) -> str:
        if self.trigger is not None and self.trigger not in text:
            return text
        return self.pattern.sub(self.repl, text)

    def edits(self, text: str) -> list[Edit]:
        out: list[Edit] = []
        if self.trigger is not None and self.trigger not in text:
            return out
        fn = self._fn
        for m in self.pattern.finditer(text):
            new, old = fn(m), m.group()
            if new == old:
                continue
            # Keep only what differs, so unchanged neighbours (a letter a pattern consumed for
            # context) stay outside the change and map exactly.
            start, end = m.start(), m.end()
            p = 0
            while p < len(new) and p < len(old) and new[p] == old[p]:
                p += 1
            q = 0
            while q < len(new) - p and q < len(old) - p and new[-1 - q] == old[-1 - q]:
                q += 1
            out.append((start + p, end - q, new[p:len(new) - q]))
        return out


def _expander(template: str) -> Callable[[re.Match[str]], str]:
    def expand(m: re.Match[str]) -> str:
        return m.expand(template)

    return expand


class TranslateRule(Rule):
    """A character-for-string table: ``str.translate`` for speed, a character class for edits."""

    __slots__ = ("_chars", "_runs", "table")

    def __init__(self, table: dict[str, str], note: str = "") -> None:
        self.table = str.maketrans(table)
        chars = "".join(re.escape(c) for c in table)
        super().__init__(f"[{chars}]", lambda m: table[m.group()], note)
        self._runs = re.compile(f"[{chars}]+")
        self._chars = dict(table)

    def edits(self, text: str) -> list[Edit]:
        # Each match is one character of the table: its change is that character, as Rule.edits
        # finds it, unless the replacement begins or ends with the character itself (then
        # Rule.edits, which trims what stays, decides). No call per match: Arabic ي and ك come
        # dozens of times an article.
        table = self._chars
        out: list[Edit] = []
        add = out.append
        for m in self.pattern.finditer(text):
            old = m.group()
            new = table[old]
            if new == old:
                continue
            if new and (new[0] == old or new[-1] == old):
                return super().edits(text)
            start = m.start()
            add((start, start + 1, new))
        return out

    def apply(self, text: str) -> str:
        # Scanning for the characters is ten times faster than translating non-ASCII text, so only
        # the runs of them are translated.
        if self.pattern.search(text) is None:
            return text
        table = self.table
        return self._runs.sub(lambda m: m.group().translate(table), text)


class StripRule(Rule):
    """Removes whitespace at the start and end of the text."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(r"\A\s+|\s+\Z", "")

    def apply(self, text: str) -> str:
        return text.strip()

    def edits(self, text: str) -> list[Edit]:
        stripped = text.lstrip()
        lead = len(text) - len(stripped)
        trail = len(stripped) - len(stripped.rstrip())
        out: list[Edit] = []
        if lead:
            out.append((0, lead, ""))
        if trail and lead < len(text):
            out.append((len(text) - trail, len(text), ""))
        return out


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
