"""The reads the identity resolver makes, as set queries: one per batch of keys or identities.

SQLite answers them a key or an identity at a time (each a local call); here each would be a round
trip to the server, a few per entity linked, so :class:`PgIdentities` reads a whole batch's at once
(:meth:`~khabar.archive.storage.base.Storage.existing_identities`). The answers are SQLite's.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from khabar.archive.models import IdentityRecord

__all__ = ["PgIdentities"]


class PgIdentities:
    """``identity_lookup``, ``identity_records`` and ``co_mention_counts`` of :class:`PostgresStorage`, by sets."""

    def _pg(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:  # PostgresStorage's
        raise NotImplementedError

    def existing_identities(self, keys: Sequence[str], *, have: Collection[str] = (), also: Sequence[str] = (),
                            ids: Sequence[str] = ()
                            ) -> tuple[dict[str, list[str]], list[IdentityRecord], set[str]]:
        found = self.identity_lookup([*keys, *also])
        wanted = [i for i in dict.fromkeys(i for k in keys for i in found.get(k, ())) if i not in have]
        asked = list(dict.fromkeys(ids))
        existing = {r[0] for r in self._pg(
            "SELECT id FROM entities WHERE id = ANY(%b) UNION SELECT old_id FROM identity_redirects "
            "WHERE old_id = ANY(%b)", [asked, asked])} if asked else set()
        return found, self.identity_records(wanted), existing

    def identity_lookup(self, keys: Sequence[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        want = list(dict.fromkeys(keys))
        if want:
            for key, ident in self._pg("SELECT key, identity_id FROM identity_keys WHERE key = ANY(%b) "
                                       "ORDER BY key, identity_id", [want]):
                out.setdefault(key, []).append(ident)
        return out

    def identity_records(self, ids: Sequence[str]) -> list[IdentityRecord]:
        want = list(dict.fromkeys(ids))
        if not want:
            return []
        rows = {r[0]: r for r in self._pg("SELECT id, name, label FROM entities WHERE id = ANY(%b)", [want])}
        want = [i for i in want if i in rows]
        if not want:
            return []
        articles = dict(self._pg("SELECT entity_id, COUNT(*) FROM article_entities WHERE entity_id = ANY(%b) "
                                 "GROUP BY entity_id", [want]))
        forms: dict[str, dict[str, int]] = {i: {} for i in want}
        titles: dict[str, dict[str, tuple[str | None, str | None, int]]] = {i: {} for i in want}
        honorifics: dict[str, list[str]] = {i: [] for i in want}
        for ident, kind, key, first, last, n in self._pg(
                "SELECT identity_id, kind, key, MIN(published), MAX(published), COUNT(*) FROM identity_names "
                "WHERE identity_id = ANY(%b) GROUP BY identity_id, kind, key ORDER BY identity_id, kind, key", [want]):
            if kind == "form":
                forms[ident][key] = int(n)
            elif kind == "title":
                titles[ident][key] = (first and first[:10], last and last[:10], int(n))
            elif kind == "honorific":
                honorifics[ident].append(key)
        outlets: dict[str, list[str]] = {i: [] for i in want}
        for ident, name in self._pg(
                "SELECT i.id, o.name FROM unnest(%b::text[]) WITH ORDINALITY AS i(id, n) CROSS JOIN LATERAL "
                "(SELECT DISTINCT o.name FROM articles a JOIN outlets o ON o.id = a.outlet_id WHERE a.id IN "
                "(SELECT article_id FROM identity_links WHERE identity_id = i.id LIMIT 200)) AS o "
                "ORDER BY i.n, o.name", [want]):
            outlets[ident].append(name)
        return [IdentityRecord(i, rows[i][2], rows[i][1], int(articles.get(i, 0)), forms[i], titles[i],
                               tuple(honorifics[i]), tuple(outlets[i])) for i in want]

    def co_mention_counts(self, ids: Sequence[str], context: Sequence[str], *, cap: int = 20) -> dict[str, int]:
        # SQLite's query (a DISTINCT over a join, one identity at a time) is planned here as a scan of
        # the whole article_entities_article index per identity, ordered for the DISTINCT: its cost
        # grew with the archive. The identity's own rows are one per article (the key is entity id,
        # fts_key), so "its articles that also name one of context", counted up to cap, is the same
        # number without DISTINCT: its rows, each checked by the article's rows, stopping at cap.
        want = list(dict.fromkeys(ids))
        if not want or not context:
            return {}
        counts = dict(self._pg(
            "SELECT i.id, (SELECT COUNT(*) FROM (SELECT 1 FROM article_entities a1 WHERE a1.entity_id = i.id AND "
            "EXISTS (SELECT 1 FROM article_entities a2 WHERE a2.article_id = a1.article_id AND a2.entity_id = "
            "ANY(%b::text[])) LIMIT %s) AS s) FROM unnest(%b::text[]) AS i(id)",
            [list(context), cap if cap >= 0 else None, want]))  # SQLite's LIMIT -1: no limit
        return {i: int(counts[i]) for i in want}
