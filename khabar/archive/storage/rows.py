"""The rows an article's ``Document.to_dict()`` becomes, the same for every backend.

Backends store an article's structure in tables (mentions, identities, per-article facets, quotes,
events with participants, dates); :func:`article_rows` derives those rows once, and
:func:`merge_entity` is how a stored identity takes in what another article says of it, so the
archives every backend builds from the same articles hold the same rows.

>>> rows = article_rows({"text": "لاوروف گفت", "mentions": [{"text": "لاوروف", "start": 0, "end": 6,
...     "raw_start": 0, "raw_end": 6, "label": "PER", "entity": "per:lavrov"}]})
>>> [e["id"] for e in rows.entities], rows.facets
(['per:lavrov'], [('per:lavrov', 'PER', 1)])
>>> merge_entity(None, {"id": "per:x", "name": "سرگئی لاوروف", "aliases": ["لاوروف"], "titles": ["وزیر"]})
('سرگئی لاوروف', ['لاوروف'], ['وزیر'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from khabar.text.fold import fold

__all__ = ["ArticleRows", "article_rows", "entity_names", "merge_entity"]


@dataclass(slots=True)
class ArticleRows:
    """An article's rows: ``entities`` in the order they are merged into the stored identities."""

    entities: list[dict[str, Any]] = field(default_factory=list)
    # (entity_id, label, text, start, end, raw_start, raw_end)
    mentions: list[tuple[Any, ...]] = field(default_factory=list)
    # (entity_id, label, how many mentions) — the facet rows
    facets: list[tuple[str, str, int]] = field(default_factory=list)
    # (speaker_entity, speaker, cue, content, content_key, kind, start, end, raw_start, raw_end)
    quotes: list[tuple[Any, ...]] = field(default_factory=list)
    # ((type, trigger, start, end, date, place), participant entity ids without repeats)
    events: list[tuple[tuple[Any, ...], list[str]]] = field(default_factory=list)
    # (value, calendar, granularity, text, start, end)
    dates: list[tuple[Any, ...]] = field(default_factory=list)


def article_rows(doc: dict[str, Any]) -> ArticleRows:
    """The rows of one article's ``Document.to_dict()``."""
    out = ArticleRows()
    entities = {e["id"]: e for e in doc.get("entities") or ()}
    counts: dict[str, int] = {}
    for m in doc.get("mentions") or ():
        if m.get("entity"):
            counts[m["entity"]] = counts.get(m["entity"], 0) + 1
            if m["entity"] not in entities:  # a mention whose identity the document does not list
                entities[m["entity"]] = {"id": m["entity"], "name": m["text"], "label": m.get("label", "")}
    out.entities = list(entities.values())
    out.mentions = [(m.get("entity"), m.get("label", ""), m["text"], m["start"], m["end"], m.get("raw_start"),
                     m.get("raw_end")) for m in doc.get("mentions") or ()]
    out.facets = [(eid, ent.get("label", ""), counts.get(eid, 0)) for eid, ent in entities.items()]
    for q in doc.get("quotes") or ():
        sp, content = q.get("speaker") or {}, q["content"]
        speaker_entity = sp.get("entity")
        if speaker_entity and speaker_entity not in entities:
            out.entities.append({"id": speaker_entity, "name": sp.get("text", ""), "label": "PER"})
        out.quotes.append((speaker_entity, sp.get("text"), (q.get("cue") or {}).get("text"), content["text"],
                           fold(content["text"]), q.get("kind"), content["start"], content["end"],
                           content.get("raw_start"), content.get("raw_end")))
    for ev in doc.get("events") or ():
        trig = ev.get("trigger") or {}
        participants = list(dict.fromkeys(ev.get("participants") or ()))
        out.events.append(((ev["type"], trig.get("text"), trig.get("start"), trig.get("end"), ev.get("date"),
                            ev.get("place")), participants))
    out.dates = [(d.get("value"), d.get("calendar"), d.get("granularity"), d["text"], d["start"], d["end"])
                 for d in doc.get("dates") or ()]
    return out


def merge_entity(stored: tuple[str, list[str], list[str]] | None,
                 ent: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    """``(name, aliases, titles)`` of an identity after taking in ``ent`` (one article's view of it);
    ``stored`` is the identity as stored, or ``None`` for a new one. The first name stays the name."""
    names = {ent.get("name", ""), *(ent.get("aliases") or ())} - {""}
    titles = list(ent.get("titles") or ())
    if stored is None:
        return ent.get("name", ""), sorted(names - {ent.get("name", "")}), titles
    name, old_aliases, old_titles = stored
    return name, sorted((set(old_aliases) | names) - {name}), old_titles + [t for t in titles if t not in old_titles]


def entity_names(ent: dict[str, Any]) -> list[str]:
    """The folded name keys an identity is found by (its name and aliases in this article)."""
    names = {ent.get("name", ""), *(ent.get("aliases") or ())} - {""}
    return sorted({fold(n) for n in names if fold(n)})
