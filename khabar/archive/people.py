"""People and other entities in the archive: who a name means, what they said, their titles,
articles and meetings, and names for autocompletion."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from khabar.archive.identities import lookup_keys, name_tokens
from khabar.archive.keys import query_tokens, search_key
from khabar.archive.models import PERSON_LABELS, EntityMatch, EntityProfile, EntityRecord, Statement
from khabar.archive.storage import Storage
from khabar.errors import InvalidInput, NotFoundError
from khabar.text.fold import fold, fold_word

__all__ = ["choose_identities", "entity_profile", "find_entities", "merge", "person_profile", "split", "statements"]

MAX_NAME_CHARS = 200


def _name_key(name: str, what: str = "name") -> str:
    if not isinstance(name, str):
        raise TypeError(f"{what} must be str, not {type(name).__name__}")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInput(f"the {what} is {len(name)} characters long; the limit is {MAX_NAME_CHARS}")
    return search_key(name)


def _person_key(name: str) -> str:
    key = _name_key(name)
    if not any(ch.isalnum() for ch in key):
        raise InvalidInput("the name has no letters or digits to look up: give a name (`khabar person پزشکیان`)")
    return key


def statements(storage: Storage, person: str, about: str | None = None, *, limit: int = 50) -> list[Statement]:
    """What a person said (quotes attributed to them), optionally only those mentioning ``about``."""
    ids = [e.id for e in storage.entities(key=_person_key(person), labels=PERSON_LABELS)]
    if not ids:
        return []
    about_key = " ".join(query_tokens(about)) if about else None
    return storage.profile(ids, limit=limit, about_key=about_key).statements


def choose_identities(storage: Storage, key: str, found: list[EntityRecord]) -> list[EntityRecord]:
    """Which of the entities a name matched are the person asked for.

    The linker gives one id per written form it cannot join within an article (سرگئی لاوروف and
    لاوروف), so a name that matches an entity exactly also takes the longer names that appear in
    the same articles. A name that matches none exactly (a surname shared by many) takes the one
    mentioned in the most articles; the others are listed as other matches.
    """
    exact = [e for e in found if fold(e.name) == key]
    if exact:
        others = [e for e in found if e not in exact]
        together = ({e.id for e in storage.entities(ids=[e.id for e in others], cooccurring_with=[e.id for e in exact])}
                    if others else set())
        return exact + [e for e in others if e.id in together]
    counts = {e.id: e.articles or 0 for e in storage.entities(ids=[e.id for e in found], with_counts=True)}
    return [max(found, key=lambda e: (counts.get(e.id, 0), e.name))]


def person_profile(storage: Storage, name: str, *, about: str | None = None, limit: int = 20) -> EntityProfile:
    """Titles, articles, statements, meetings and co-mentioned entities of the person named ``name``;
    with ``about``, only the statements that mention it.

    Raises :class:`~khabar.errors.NotFoundError` when no person of that name is in the archive.
    """
    key = _person_key(name)
    found = storage.entities(key=key, labels=PERSON_LABELS)
    if not found:
        found = storage.entities(key=key)
    if not found:
        raise NotFoundError(f"no person named {name!r} in the archive (try part of the name, or `khabar search {name}`)")
    chosen = choose_identities(storage, key, found)
    about_key = " ".join(query_tokens(about)) if about else None
    profile = storage.profile([e.id for e in chosen], limit=limit, about_key=about_key)
    chosen_ids = {e.id for e in chosen}
    return _with_history(storage, replace(profile, name=max((e.name for e in chosen), key=len),
                                          matches=[EntityMatch(e.id, e.name, e.label, e.id in chosen_ids) for e in found]))


def _with_history(storage: Storage, profile: EntityProfile) -> EntityProfile:
    """A profile with every form and title written for its identities (with their first and last
    days) and their merges and splits."""
    forms, titles = storage.identity_names(profile.ids)
    history = sorted({h.id: h for i in profile.ids for h in storage.identity_history(i)}.values(), key=lambda h: h.id)
    return replace(profile, forms=forms, title_history=titles, history=history)


def entity_profile(storage: Storage, entity_id: str, *, about: str | None = None, limit: int = 20) -> EntityProfile:
    """The profile of one identity by its id (``per:…``, ``org:…``, ``loc:…``)."""
    entity_id = _entity_id(entity_id)
    found = storage.entities(ids=[entity_id])
    if not found:
        # An id merged into another stands for it.
        now = storage.resolve_identity(entity_id)
        found = storage.entities(ids=[now]) if now != entity_id else []
        if not found:
            raise NotFoundError(f"no entity {entity_id!r} in the archive")
        entity_id = now
    about_key = " ".join(query_tokens(about)) if about else None
    profile = storage.profile([entity_id], limit=limit, about_key=about_key)
    return _with_history(storage, replace(profile, matches=[EntityMatch(found[0].id, found[0].name, found[0].label,
                                                                         True)]))


def merge(storage: Storage, keep: str, other: str, *, reason: str) -> int:
    """Make ``other`` part of ``keep`` (one person the archive had as two), recorded with ``reason``;
    returns the merge's id in the history (``khabar entity split KEEP --undo ID`` undoes it)."""
    keep, other = _entity_id(keep), _entity_id(other)
    return storage.merge_identities(storage.resolve_identity(keep), storage.resolve_identity(other),
                                    _reason(reason, needed=True))


MAX_ID_CHARS = 300
MAX_REASON_CHARS = 2000
_SURROGATE_OR_CONTROL = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _entity_id(entity_id: str) -> str:
    if not isinstance(entity_id, str):
        raise TypeError(f"an entity id must be str, not {type(entity_id).__name__}")
    if not entity_id.strip() or len(entity_id) > MAX_ID_CHARS:
        raise InvalidInput(f"an entity id is 1 to {MAX_ID_CHARS} characters (as `khabar person` or --json shows it)")
    if _SURROGATE_OR_CONTROL.search(entity_id):
        raise InvalidInput("an entity id is text without control characters or undecodable bytes "
                           "(as `khabar person` or --json shows it)")
    return entity_id.strip()


def _reason(reason: str, *, needed: bool) -> str:
    """A merge's or split's reason as the history keeps it: one to 2,000 characters of text."""
    if not isinstance(reason, str):
        raise TypeError(f"a reason must be str, not {type(reason).__name__}")
    if needed and not reason.strip():
        raise InvalidInput("say why the two are one (--reason): the archive keeps it with the merge")
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(f"the reason is {len(reason)} characters long; the limit is {MAX_REASON_CHARS}")
    if _SURROGATE_OR_CONTROL.search(reason):
        raise InvalidInput("the reason holds control characters or undecodable bytes: write it as plain text")
    return reason.strip()


def split(storage: Storage, identity: str, *, articles: Sequence[int] = (), undo: int | None = None,
          name: str | None = None, reason: str = "") -> str:
    """Undo a merge (``undo``: its id in the history), or give what ``articles`` say of ``identity``
    to a new identity (``name``, else the same name); returns the id of the identity split off.
    Reanalysis keeps a split."""
    reason = _reason(reason, needed=False)
    if undo is not None:
        return storage.undo_merge(undo, reason)
    if not articles:
        raise InvalidInput("name the articles to split off (--articles 3,5) or the merge to undo (--undo ID)")
    identity = storage.resolve_identity(_entity_id(identity))
    found = storage.entities(ids=[identity])
    if not found:
        raise NotFoundError(f"no entity {identity!r} in the archive")
    absent = [a for a in articles if identity not in storage.article_links(a).values()]
    if absent:
        raise InvalidInput(f"{identity!r} is not in article{'s' if len(absent) > 1 else ''} "
                           f"{', '.join(map(str, absent[:10]))}: only articles that mention it can be split off")
    ent = found[0]
    forms, _ = storage.identity_names([identity])
    new_name = name or ent.name
    base = f"{ent.label.lower()}:" + "".join(name_tokens(new_name) if ent.label == "PER"
                                             else [fold_word(w) for w in new_name.split()])
    new_id, n = base, 1
    while storage.identity_exists(new_id):
        n += 1
        new_id = f"{base}~{n}"
    keys = lookup_keys(ent.label, [f.text for f in forms] or [new_name])
    storage.split_identity(identity, list(articles), new_id, new_name, keys=keys,
                           reason=reason or "split by hand")
    return new_id


def find_entities(storage: Storage, prefix: str, *, labels: tuple[str, ...] | None = None,
                  limit: int = 10) -> list[EntityRecord]:
    """Entities whose name or an alias starts with the words of ``prefix`` (autocompletion), the most
    mentioned first."""
    key = _name_key(prefix, "prefix")
    if not key:
        return []
    found = storage.entities(key=key, prefix=True, labels=labels, with_counts=True, limit=max(limit * 5, 50))
    found.sort(key=lambda e: (-(e.articles or 0), e.name, e.id))
    return found[:limit]
