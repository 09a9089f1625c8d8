"""Readable terminal output of a Document, for ``khabar analyze``.

Each stage's results get a section; sections for stages that found nothing are left out.
Restored text marks every change: ``[new|old]`` where a change replaced characters, with ZWNJs
shown as ``‌·`` so they can be seen.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape as _escape_markup

from khabar.document import Document
from khabar.text.chars import ZWNJ

Section = Callable[[Document, Console], None]

# C0 controls but tab and line feed, DEL and C1 controls: a title holding "\x1b[2J" must not clear
# the reader's terminal. Each becomes one visible character, so offsets into the text still hold.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _picture(m: re.Match[str]) -> str:
    code = ord(m.group())
    return chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7f else "\ufffd"


def visible_controls(text: str) -> str:
    """``text`` with every control character (but tab and line feed) as its visible picture.

    >>> visible_controls("تیتر\x1b[2J")
    'تیتر␛[2J'
    """
    return _CONTROLS.sub(_picture, text) if _CONTROLS.search(text) else text


def escape(text: str) -> str:
    """``text`` for rich markup: brackets escaped and control characters made visible."""
    return _escape_markup(visible_controls(text))


def _visible(s: str) -> str:
    return s.replace(ZWNJ, "·").replace("\n", "⏎")


def marked_text(doc: Document) -> str:
    """Restored text with changes marked as rich markup: inserted ZWNJs as a green ·, other changes as [new|old]."""
    parts: list[str] = []
    pos = 0
    for c in doc.alignment.changes:
        parts.append(escape(doc.text[pos:c.start]))
        new, old = doc.text[c.start:c.end], doc.raw_text[c.raw_start:c.raw_end]
        if new.replace(ZWNJ, "") == old.replace(" ", ""):
            # A ZWNJ restored (inserted, or put where a space was).
            parts.append("".join("[bold green]·[/]" if ch == ZWNJ else escape(ch) for ch in new))
        elif not new.strip() and not old.strip():
            parts.append(escape(new))
        else:
            parts.append(f"[yellow]\\[{escape(_visible(new))}|[strike]{escape(_visible(old))}[/strike]][/]")
        pos = c.end
    parts.append(escape(doc.text[pos:]))
    return "".join(parts)


def _restored(doc: Document, console: Console) -> None:
    console.rule("restored text")
    console.print(marked_text(doc))
    n = len(doc.alignment.changes)
    console.print(f"[dim]{n} change{'s' if n != 1 else ''}; green · = ZWNJ restored, \\[new|old] = replaced[/]")


def _sentences(doc: Document, console: Console) -> None:
    if not doc.sentences:
        return
    console.rule(f"sentences ({len(doc.sentences)})")
    for i, s in enumerate(doc.sentences, 1):
        console.print(f"[dim]{i:>3}[/] {escape(s.text)}")


def _warnings(doc: Document, console: Console) -> None:
    if doc.warnings:
        console.rule("notes")
        for w in doc.warnings:
            console.print(f"[dim]- {escape(w)}[/]")


def _entities(doc: Document, console: Console) -> None:
    """Entities grouped by identity: name, label, titles, other forms, and how often each is named."""
    if not doc.entities:
        return
    console.rule(f"entities ({len(doc.entities)})")
    counts: dict[str, int] = {}
    for m in doc.mentions:
        if m.entity:
            counts[m.entity] = counts.get(m.entity, 0) + 1
    colors = {"PER": "cyan", "ORG": "magenta", "LOC": "green", "EVE": "yellow"}
    for label in ("PER", "ORG", "LOC", "EVE"):
        for e in (e for e in doc.entities if e.label == label):
            # A meeting's participant named by a role only (`سفیر چین`) may have no mention of its own.
            n = counts.get(e.id, 0)
            line = f"[{colors[label]}]{label}[/] [bold]{escape(e.name)}[/] [dim]{f'×{n}  ' if n else ''}{escape(e.id)}[/]"
            console.print(line)
            if e.titles:
                console.print(f"      titles: {escape(' · '.join(e.titles))}")
            if e.aliases:
                console.print(f"      also: {escape(' · '.join(e.aliases))}")


def _name(doc: Document, entity: str | None, fallback: str) -> str:
    e = doc.entity(entity) if entity else None
    return e.name if e else fallback


def _statements(doc: Document, console: Console) -> None:
    """Each statement as speaker — cue — content; a resolved pronoun or role shows whom it means."""
    if not doc.quotes:
        return
    console.rule(f"statements ({len(doc.quotes)})")
    # One print for the whole section: rich's per-call cost is most of the time here.
    lines = []
    for i, q in enumerate(doc.quotes, 1):
        if q.speaker is None:
            who = "[dim]?[/]"
        else:
            name = _name(doc, q.speaker.entity, q.speaker.text)
            who = f"[bold cyan]{escape(name)}[/]"
            if name != q.speaker.text:
                who += f" [dim]({escape(q.speaker.text)})[/]"
        content = q.content.text if len(q.content.text) <= 160 else q.content.text[:160] + " …"
        # Direct speech in guillemets, reported speech as it stands.
        said = f"«{escape(_visible(content))}»" if q.kind == "direct" else escape(_visible(content))
        lines.append(f"[dim]{i:>3}[/] {who} — [yellow]{escape(q.cue.text)}[/] — {said}")
    console.print("\n".join(lines))


def _meetings(doc: Document, console: Console) -> None:
    if not doc.events:
        return
    console.rule(f"meetings ({len(doc.events)})")
    lines = []
    for ev in doc.events:
        who = " · ".join(_name(doc, p, p) for p in ev.participants) or "?"
        where = f" in {escape(_name(doc, ev.place, ev.place))}" if ev.place else ""
        when = f" on {ev.date}" if ev.date else ""
        lines.append(f"{escape(ev.type)}: [bold]{escape(who)}[/]{where}{when}  [dim]({escape(ev.trigger.text)})[/]")
    console.print("\n".join(lines))


def _dates(doc: Document, console: Console) -> None:
    if not doc.dates:
        return
    console.rule(f"dates ({len(doc.dates)})")
    console.print("\n".join(
        f"{escape(d.text)} → {d.value or '[dim]unresolved (no publication date)[/]'} [dim]{d.calendar}, {d.granularity}[/]"
        for d in doc.dates))


def _source(doc: Document, console: Console) -> None:
    if doc.source is None:
        return
    console.rule("source")
    console.print(f"[bold]{escape(doc.source.name)}[/] [dim]({escape(doc.source.span.text)})[/]")


# Later stages add their sections here (entities, statements, meetings, dates, source).
SECTIONS: list[Section] = [_restored, _sentences, _entities, _statements, _meetings, _dates, _source, _warnings]


def render_document(doc: Document, console: Console | None = None) -> None:
    console = console or Console(highlight=False, soft_wrap=True)
    for section in SECTIONS:
        section(doc, console)
