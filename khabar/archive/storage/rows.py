"""The rows stored articles become, the same for every backend.

An article's structure lives in tables beside it: its entities as archive identities (merged into
the stored ones), the names and keys identities are found by, the links of its entities to them,
its bare roles, mentions, per-article facets, quotes, events with participants and dates.
:class:`StructureRows` derives those rows once, for one article or a whole batch, per table and in
the order they are written; each backend writes them its own way (SQLite a statement per table and
article, PostgreSQL one ``COPY`` or one insert of arrays per table and batch), so the
archives every backend builds from the same articles hold the same rows.

>>> rows = StructureRows()
>>> rows.add(7, {"text": "لاوروف گفت", "mentions": [{"text": "لاوروف", "start": 0, "end": 6,
...     "raw_start": 0, "raw_end": 6, "label": "PER", "entity": "per:lavrov"}]}, key=70)
>>> [(kind, e["id"]) for kind, e in rows.entities], rows.article_entities
([('merge', 'per:lavrov')], [('per:lavrov', 70, 7, 'PER', 1)])
>>> merge_entity(None, {"id": "per:x", "name": "سرگئی لاوروف", "aliases": ["لاوروف"], "titles": ["وزیر"]})
('سرگئی لاوروف', ['لاوروف'], ['وزیر'])
>>> merge_entity(("لاوروف", [], ["وزیر"]), {"name": "سرگئی لاوروف", "titles": ["وزیر", "دیپلمات"]})
('سرگئی لاوروف', ['لاوروف'], ['وزیر', 'دیپلمات'])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from khabar.archive.models import ArticleLinks
from khabar.text.fold import fold

__all__ = ["ROLE_LABEL", "StructureRows", "entity_name_keys", "merge_entity", "scoped"]

# The label of an entity that stands for a role no one could be named for, kept to its article.
ROLE_LABEL = "ROLE"


def scoped(local: str, article_id: int) -> str:
    """The id of an entity kept to its article (a role no one could be named for)."""
    return f"{local}@{article_id}"


def identity_map(article_id: int, links: ArticleLinks | None) -> Callable[[str | None], str | None]:
    """How an article's entity ids are written: as their identities (or kept to the article)."""
    ids = links.ids if links is not None else {}

    def to(local: str | None) -> str | None:
        if local is None or local not in ids:
            return local
        return ids[local] or scoped(local, article_id)

    return to


def merge_entity(stored: tuple[str, list[str], list[str]] | None,
                 ent: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    """``(name, aliases, titles)`` of an identity after taking in ``ent`` (one article's view of it);
    ``stored`` is the identity as stored, or ``None`` for a new one. An identity is shown by its
    fullest name (the one of most words; the first of those)."""
    names = {ent.get("name", ""), *(ent.get("aliases") or ())} - {""}
    titles = list(ent.get("titles") or ())
    if stored is None:
        return ent.get("name", ""), sorted(names - {ent.get("name", "")}), titles
    old_name, old_aliases, old_titles = stored
    name = old_name
    new_name = ent.get("name", "")
    if len(new_name.split()) > len(name.split()):
        name = new_name
    return (name, sorted((set(old_aliases) | names | {old_name}) - {name}),
            old_titles + [t for t in titles if t not in old_titles])


def entity_name_keys(ent: dict[str, Any]) -> list[str]:
    """The folded name keys an identity is found by (its name and aliases in this article)."""
    names = {ent.get("name", ""), *(ent.get("aliases") or ())} - {""}
    return [k for k in (fold(n) for n in names) if k]


@dataclass(slots=True)
class StructureRows:
    """The rows derived from stored articles (one or a batch), per table, in the order written.

    ``entities`` are what happens to the ``entities`` table, in order: ``("new", {id, name,
    label})`` inserts an identity first seen (kept if stored already), ``("merge", entity)`` merges
    one article's view of an identity into it (:func:`merge_entity`). ``events`` and
    ``participants`` go together: the participants (identity ids) of each event, in the events'
    order. Tables written "or ignore" (``entity_names``, ``identity_keys``, ``event_participants``)
    and "or replace" (``identity_links``) may repeat rows here; the writer keeps SQLite's rule.
    """

    entities: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    entity_names: list[tuple[str, str]] = field(default_factory=list)       # (key, entity_id)
    identity_keys: list[tuple[str, str]] = field(default_factory=list)      # (key, identity_id)
    # (identity_id, article_id, kind, key, text, published)
    identity_names: list[tuple[Any, ...]] = field(default_factory=list)
    identity_links: list[tuple[Any, ...]] = field(default_factory=list)     # (article_id, local_id, identity_id, reason)
    # (article_id, start, end, raw_start, raw_end, text, office, identity_id, reason, speaker, entity)
    role_mentions: list[tuple[Any, ...]] = field(default_factory=list)
    # (article_id, entity_id, label, text, start, end, raw_start, raw_end)
    mentions: list[tuple[Any, ...]] = field(default_factory=list)
    # (entity_id, fts_key, article_id, label, mentions) — the facet rows
    article_entities: list[tuple[Any, ...]] = field(default_factory=list)
    # (article_id, speaker_entity, speaker, cue, content, content_key, kind, start, end, raw_start, raw_end)
    quotes: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)  # (article_id, type, trigger, start, end, date, place)
    participants: list[list[str | None]] = field(default_factory=list)
    # (article_id, value, calendar, granularity, text, start, end)
    dates: list[tuple[Any, ...]] = field(default_factory=list)

    def __len__(self) -> int:
        return sum(len(getattr(self, name)) for name in self.__slots__)

    def add(self, article_id: int, doc: dict[str, Any], key: int, links: ArticleLinks | None = None) -> None:
        """One article's rows (``key``: its full-text key), its entities written as their archive
        identities (``links``; without it each entity id is its own identity)."""
        to = identity_map(article_id, links)
        if links is not None:
            self._links(article_id, links)
        entities: dict[str, dict[str, Any]] = {}
        labels: dict[str, str] = {}
        for e in doc.get("entities") or ():
            ident = to(e["id"]) or e["id"]
            is_scoped = ident.endswith(f"@{article_id}")
            ent = {**e, "id": ident, "label": ROLE_LABEL if is_scoped else e.get("label", "")}
            if ident in entities:  # two of the article's entities are one identity
                old = entities[ident]
                ent = {**ent, "aliases": [*old.get("aliases", ()), old.get("name", ""), *ent.get("aliases", ())],
                       "titles": [*old.get("titles", ()), *ent.get("titles", ())]}
            entities[ident] = ent
            labels[ident] = ent["label"]
        counts: dict[str, int] = {}
        for m in doc.get("mentions") or ():
            ident = to(m.get("entity"))
            if ident:
                counts[ident] = counts.get(ident, 0) + 1
                if ident not in entities:  # a mention whose identity the document does not list
                    entities[ident] = {"id": ident, "name": m["text"], "label": m.get("label", "")}
                    labels[ident] = m.get("label", "")
        roles = links.roles if links is not None else []
        for r in roles:
            if r.identity:
                counts[r.identity] = counts.get(r.identity, 0) + 1
                if r.identity not in entities:
                    labels[r.identity] = "PER"
        for ent in entities.values():
            self._merge(ent)
        self.mentions += [(article_id, to(m.get("entity")), m.get("label", ""), m["text"], m["start"], m["end"],
                           m.get("raw_start"), m.get("raw_end")) for m in doc.get("mentions") or ()]
        self.article_entities += [(eid, key, article_id, label, counts.get(eid, 0))
                                  for eid, label in labels.items() if label != ROLE_LABEL]
        for q in doc.get("quotes") or ():
            sp, content = q.get("speaker") or {}, q["content"]
            speaker_entity = to(sp.get("entity"))
            if sp and not speaker_entity:
                # A speaker given by a role the archive resolved (`سخنگوی دولت گفت`).
                speaker_entity = next((r.identity for r in roles if r.identity and r.speaker
                                       and r.start < sp.get("end", -1) and sp.get("start", -1) < r.end), None)
            if speaker_entity and speaker_entity not in entities and speaker_entity not in labels:
                self._merge({"id": speaker_entity, "name": sp.get("text", ""), "label": "PER"})
            self.quotes.append((article_id, speaker_entity, sp.get("text"), (q.get("cue") or {}).get("text"),
                                content["text"], fold(content["text"]), q.get("kind"), content["start"],
                                content["end"], content.get("raw_start"), content.get("raw_end")))
        for ev in doc.get("events") or ():
            trig = ev.get("trigger") or {}
            self.events.append((article_id, ev["type"], trig.get("text"), trig.get("start"), trig.get("end"),
                                ev.get("date"), to(ev.get("place"))))
            self.participants.append([to(p) for p in ev.get("participants") or ()])
        self.dates += [(article_id, d.get("value"), d.get("calendar"), d.get("granularity"), d["text"], d["start"],
                        d["end"]) for d in doc.get("dates") or ()]

    def _links(self, article_id: int, links: ArticleLinks) -> None:
        self.entities += [("new", {"id": ident, "name": name, "label": label}) for ident, name, label in links.new]
        self.identity_keys += links.keys
        self.identity_names += [(ident, article_id, kind, key, text, links.published)
                                for ident, kind, key, text in links.names]
        self.identity_links += [(article_id, local, ident or scoped(local, article_id), links.reasons.get(local))
                                for local, ident in links.ids.items()]
        self.role_mentions += [(article_id, r.start, r.end, r.raw_start, r.raw_end, r.text, r.office, r.identity,
                                r.reason, int(r.speaker), r.entity) for r in links.roles]

    def _merge(self, ent: dict[str, Any]) -> None:
        self.entities.append(("merge", ent))
        self.entity_names += [(k, ent["id"]) for k in entity_name_keys(ent)]
