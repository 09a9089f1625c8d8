"""Search on PostgreSQL: matches, counts, facets and histograms over the ``tsvector`` index.

The same matches in the same order as the SQLite backend: the same lexemes (:mod:`.fts`), the same
date-ordered key (``fts_key``), facets and relevance windows over the newest matches, ties broken by
ids and texts compared by code point.
"""

from __future__ import annotations

import datetime as _dt
import json
import zlib
from collections.abc import Sequence
from typing import Any

from khabar.archive.models import (
    FACET_LABELS,
    HitRecord,
    Match,
)
from khabar.archive.query import FACET_CAP, RANK_CHARS, SearchQuery, rank_window
from khabar.archive.storage.postgres.fts import to_tsquery

DAY_SHIFT = 32
LEAD_CHARS = 120
_ARTICLE_COLUMNS = ("a.id, a.doc, a.raw_text, a.text, a.content_key, a.title, a.url, a.published, a.author, "
                    "o.name, a.origin, a.kind, a.analysis, a.story_id, a.added")


def like_words(key: str, *, prefix: bool = False) -> str:
    """A LIKE pattern matching ``key`` as whole words inside a space-padded value."""
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"% {escaped}%" if prefix else f"% {escaped} %"


def _source(query: SearchQuery) -> str:
    """What a search reads: the text index joined to the articles (driven by either, as the planner
    finds cheaper), or the articles alone."""
    if query.text is None:
        return "articles a"
    return "articles_fts f JOIN articles a ON a.fts_key = f.rowid"


def _key(query: SearchQuery) -> str:
    return "a.fts_key" if query.text is None else "f.rowid"


def _day_key(iso_day: str) -> int:
    return _dt.date.fromisoformat(iso_day).toordinal() << DAY_SHIFT


class PgSearch:
    """Search (mixed into :class:`~khabar.archive.storage.postgres.PostgresStorage`, before the SQL it
    shares with SQLite)."""

    def _pg(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    # -- search -------------------------------------------------------------------------------

    def size(self) -> int:
        return int(self._pg("SELECT COALESCE(MAX(id), 0) FROM articles")[0][0])

    def _facet_size(self, query: SearchQuery) -> int | None:
        """The smallest driving facet's size (counted up to FACET_CAP), as SQLite's planner counts it."""
        filt = query.filters
        sizes = [int(self._pg("SELECT COUNT(*) FROM (SELECT 1 FROM article_entities WHERE entity_id = ANY(%s) "
                                 f"LIMIT {FACET_CAP}) s", (list(group),))[0][0]) for group in filt.entity_groups]
        if filt.outlet_ids is not None:
            sizes.append(int(self._pg(f"SELECT COUNT(*) FROM (SELECT 1 FROM articles WHERE outlet_id = ANY(%s) "
                                         f"LIMIT {FACET_CAP}) s", (list(filt.outlet_ids),))[0][0]))
        return min(sizes) if sizes else None

    def _where(self, query: SearchQuery) -> tuple[str, list[Any]]:
        """The WHERE clause (on ``a``, articles) of a search, and its parameters."""
        filt = query.filters
        clauses: list[str] = []
        params: list[Any] = []
        if query.text is not None:
            clauses.append("f.tsv @@ %s::tsquery")
            params.append(to_tsquery(query.text))
        if filt.ids is not None:
            clauses.append("a.id = ANY(%s)")
            params.append(list(filt.ids))
        for group in filt.entity_groups:
            clauses.append("EXISTS (SELECT 1 FROM article_entities ae WHERE ae.article_id = a.id "
                           "AND ae.entity_id = ANY(%s))")
            params.append(list(group))
        if filt.outlet_ids is not None:
            clauses.append("a.outlet_id = ANY(%s)")
            params.append(list(filt.outlet_ids))
        if filt.has_quotes:
            clauses.append("a.quotes > 0")
        if filt.story_id is not None:
            clauses.append("a.story_id = %s")
            params.append(filt.story_id)
        lo = _day_key(filt.since) if filt.since else None
        hi = _day_key(filt.until) if filt.until else None
        if hi is not None and lo is None:
            lo = 1 << DAY_SHIFT  # a date bound excludes undated articles
        if query.after is not None:
            if query.sort == "newest":
                hi = query.after if hi is None else min(hi, query.after)
            else:
                lo = query.after + 1 if lo is None else max(lo, query.after + 1)
        key = _key(query)
        if lo is not None:
            clauses.append(f"{key} >= %s")
            params.append(lo)
        if hi is not None:
            clauses.append(f"{key} < %s")
            params.append(hi)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def search(self, query: SearchQuery) -> list[Match]:
        where, params = self._where(query)
        rows = query.limit
        if query.rank_window:
            rows = rank_window(query.limit, self._facet_size(query), max(1, self.size()))
        order = "ASC" if query.sort == "oldest" else "DESC"
        key = _key(query)
        found = self._pg(f"SELECT a.id, {key} FROM {_source(query)}{where} ORDER BY {key} {order} LIMIT %s",
                         [*params, rows])
        return [Match(int(r[0]), int(r[1])) for r in found]

    def hits(self, ids: Sequence[int], *, full: bool = True) -> list[HitRecord]:
        if not ids:
            return []
        cols = "a.text, a.raw_text, a.doc" if full else f"substr(a.text, 1, {RANK_CHARS}), '', NULL"
        found: dict[int, HitRecord] = {}
        for r in self._pg(f"SELECT a.id, a.title, o.name, a.published, a.url, {cols} FROM articles a "
                             "LEFT JOIN outlets o ON o.id = a.outlet_id WHERE a.id = ANY(%s)", (list(ids),)):
            raw = r[6] if full else r[5]
            changes = json.loads(zlib.decompress(r[7])).get("changes", []) if full and r[6] != r[5] else []
            found[r[0]] = HitRecord(r[0], r[1], r[2], r[3], r[4], raw, r[5], changes)
        return [found[i] for i in ids if i in found]

    def count(self, query: SearchQuery, *, cap: int) -> int:
        where, params = self._where(query)
        return int(self._pg(f"SELECT COUNT(*) FROM (SELECT 1 FROM {_source(query)}{where} LIMIT %s) s",
                               [*params, cap])[0][0])

    def facets(self, query: SearchQuery, *, top: int = 5, sample: int = 5000) -> dict[str, list[tuple[str, str, int]]]:
        where, params = self._where(query)
        matched = f"SELECT a.id FROM {_source(query)}{where} ORDER BY {_key(query)} DESC LIMIT {int(sample)}"
        out: dict[str, list[tuple[str, str, int]]] = {}
        for facet, labels in FACET_LABELS.items():
            rows = self._pg(
                f"SELECT e.id, e.name, COUNT(*) AS n FROM article_entities ae JOIN entities e ON e.id = ae.entity_id "
                f"WHERE ae.article_id IN ({matched}) AND e.label = ANY(%s) GROUP BY e.id, e.name "
                'ORDER BY n DESC, e.name COLLATE "C", e.id COLLATE "C" LIMIT %s', [*params, list(labels), top])
            out[facet] = [(r[0], r[1], int(r[2])) for r in rows]
        rows = self._pg(
            f"SELECT o.name, COUNT(*) AS n, o.id FROM articles a2 JOIN outlets o ON o.id = a2.outlet_id "
            f'WHERE a2.id IN ({matched}) GROUP BY o.id, o.name ORDER BY n DESC, o.name COLLATE "C", o.id LIMIT %s',
            [*params, top])
        out["source"] = [(r[0], r[0], int(r[1])) for r in rows]
        return out

    def histogram(self, query: SearchQuery) -> list[tuple[str, int]]:
        where, params = self._where(query)
        key = _key(query)
        rows = self._pg(f"SELECT {key} >> {DAY_SHIFT} AS day, COUNT(*) FROM {_source(query)}{where}"
                        f"{' AND' if where else ' WHERE'} {key} >= {1 << DAY_SHIFT} GROUP BY day ORDER BY day", params)
        return [(_dt.date.fromordinal(int(r[0])).isoformat(), int(r[1])) for r in rows]
