"""People in the archive: who a name means, what they said, their titles, articles and meetings."""

from __future__ import annotations

from typing import Any

from khabar.archive.keys import search_key
from khabar.archive.query import query_tokens
from khabar.archive.storage import PERSON_LABELS, Storage
from khabar.errors import NotFoundError
from khabar.text.fold import fold

__all__ = ["choose_identities", "person_profile", "statements"]


def statements(storage: Storage, person: str, about: str | None = None, *, limit: int = 50) -> list[dict[str, Any]]:
    """What a person said (quotes attributed to them), optionally only those mentioning ``about``."""
    ids = [e["id"] for e in storage.find_entities(search_key(person), PERSON_LABELS)]
    if not ids:
        return []
    about_key = " ".join(query_tokens(about)) if about else None
    return storage.statements(ids, about_key, limit=limit)


def choose_identities(storage: Storage, key: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Which of the entities a name matched are the person asked for.

    The linker gives one id per written form it cannot join within an article (سرگئی لاوروف and
    لاوروف), so a name that matches an entity exactly also takes the longer names that appear in
    the same articles. A name that matches none exactly (a surname shared by many) takes the one
    mentioned in the most articles; the others are listed as other matches.
    """
    exact = [e for e in found if fold(e["name"]) == key]
    if exact:
        ids = [e["id"] for e in exact]
        others = [e for e in found if e not in exact]
        together = set(storage.co_occurring(ids, [e["id"] for e in others])) if others else set()
        return exact + [e for e in others if e["id"] in together]
    counts = storage.entity_article_counts([e["id"] for e in found])
    return [max(found, key=lambda e: (counts.get(e["id"], 0), e["name"]))]


def person_profile(storage: Storage, name: str, *, about: str | None = None, limit: int = 20) -> dict[str, Any]:
    """Titles, articles, statements, meetings and co-mentioned entities of the person named ``name``;
    with ``about``, only the statements that mention it.

    Raises :class:`~khabar.errors.NotFoundError` when no person of that name is in the archive.
    """
    found = storage.find_entities(search_key(name), PERSON_LABELS)
    if not found:
        found = storage.find_entities(search_key(name))
    if not found:
        raise NotFoundError(f"no person named {name!r} in the archive (try part of the name, or `khabar search {name}`)")
    chosen = choose_identities(storage, search_key(name), found)
    profile = storage.person([e["id"] for e in chosen], limit=limit)
    profile["name"] = max((e["name"] for e in chosen), key=len)
    if about:
        about_key = " ".join(query_tokens(about))
        profile["statements"] = storage.statements(profile["ids"], about_key, limit=limit)
    profile["matches"] = [{"id": e["id"], "name": e["name"], "label": e["label"],
                           "chosen": e in chosen} for e in found]
    return profile
