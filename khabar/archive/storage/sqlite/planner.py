"""Query plans: a search is driven either by the text index (matches scanned newest first, filters
checked on covering indexes) or by its smallest facet (text matches read once into a set),
whichever the estimates say is cheaper (:meth:`Planner._plan`).
"""

from __future__ import annotations

import datetime as _dt
import json
import zlib
from collections.abc import Sequence
from typing import Any

from khabar.archive.models import FACET_LABELS, HitRecord, Match
from khabar.archive.query import FACET_CAP, RANK_CHARS, Filters, SearchQuery, rank_window
from khabar.archive.storage.sqlite.connection import Connection
from khabar.archive.storage.sqlite.fts import DAY_SHIFT, SAMPLE, day_key, to_match

# Rough costs in microseconds, measured on the 1M-article bench archive: one text match scanned
# newest first and checked against the filters; one text match read into a set.
SCAN_US, SET_US = 2.0, 0.65


class Planner(Connection):
    """Search, counts, facets and histograms over the text index and the facet tables."""

    def _estimate(self, fts: str) -> int:
        """About how many articles match an FTS5 expression: the count among the newest
        :data:`SAMPLE` articles, scaled to the archive (exact for an archive that small)."""
        total = self.size()
        if total <= SAMPLE:
            return int(self._query("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH ?", (fts,))[0][0])
        bound = self._query(f"SELECT fts_key FROM articles ORDER BY fts_key DESC LIMIT 1 OFFSET {SAMPLE}")[0][0]
        n = int(self._query("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH ? AND rowid > ?",
                            (fts, bound))[0][0])
        return n * total // SAMPLE

    def size(self) -> int:
        """How many articles at most: the highest id (one page read; COUNT(*) reads the whole table)."""
        return int(self._query("SELECT COALESCE(MAX(id), 0) FROM articles")[0][0])

    def _filters(self, filt: Filters, *, skip_group: int | None = None,
                 skip_outlets: bool = False) -> tuple[list[str], list[Any]]:
        """WHERE clauses on ``a`` (articles) for the filters, except the one that drives the query."""
        clauses: list[str] = []
        params: list[Any] = []
        for i, group in enumerate(filt.entity_groups):
            if i == skip_group:
                continue
            clauses.append(f"EXISTS (SELECT 1 FROM article_entities ae WHERE ae.entity_id IN ({','.join('?' * len(group))}) "
                           "AND ae.fts_key = a.fts_key)")
            params += list(group)
        if filt.outlet_ids is not None and not skip_outlets:
            clauses.append(f"a.outlet_id IN ({','.join('?' * len(filt.outlet_ids))})")
            params += list(filt.outlet_ids)
        if filt.has_quotes:
            clauses.append("a.quotes > 0")
        if filt.story_id is not None:
            clauses.append("a.story_id = ?")
            params.append(filt.story_id)
        return clauses, params

    def _key_range(self, query: SearchQuery) -> tuple[int | None, int | None]:
        filt = query.filters
        lo = day_key(filt.since) if filt.since else None
        hi = day_key(filt.until) if filt.until else None
        if hi is not None and lo is None:
            lo = 1 << DAY_SHIFT  # a date bound excludes undated articles
        if query.after is not None:  # keyset paging: continue past the last key shown
            if query.sort == "newest":
                hi = query.after if hi is None else min(hi, query.after)
            else:
                lo = query.after + 1 if lo is None else max(lo, query.after + 1)
        return lo, hi

    def _facet_sizes(self, filt: Filters) -> list[tuple[int, str, int]]:
        """``(articles, kind, index)`` of each filter that can drive a query, smallest first."""
        sizes = []
        for i, group in enumerate(filt.entity_groups):
            n = self._query(f"SELECT COUNT(*) FROM (SELECT 1 FROM article_entities WHERE entity_id IN "
                            f"({','.join('?' * len(group))}) LIMIT {FACET_CAP})", list(group))[0][0]
            sizes.append((int(n), "entity", i))
        if filt.outlet_ids is not None:
            n = self._query(f"SELECT COUNT(*) FROM (SELECT 1 FROM articles WHERE outlet_id IN "
                            f"({','.join('?' * len(filt.outlet_ids))}) LIMIT {FACET_CAP})", list(filt.outlet_ids))[0][0]
            sizes.append((int(n), "outlet", 0))
        return sorted(sizes)

    def _plan(self, query: SearchQuery, need: int) -> tuple[str, list[Any], int]:
        """``(SELECT a.id, key …, params, rows)`` in index-key order, driven by the text index or the smallest facet.

        Scanning the text matches newest first stops once ``need`` of them pass the filters: about
        ``need × articles / facet size`` rows (at most all matches). Driving by a facet reads the
        text matches once into a set and walks the facet's articles. The cheaper one drives.
        ``rows`` is how many to take: ``need``, or for a relevance window :func:`rank_window`.
        """
        filt = query.filters
        fts = to_match(query.text) if query.text is not None else None
        lo, hi = self._key_range(query)
        sizes = self._facet_sizes(filt)
        total = max(1, self.size())
        rows = rank_window(need, sizes[0][0] if sizes else None, total) if query.rank_window else need
        driver = None
        if filt.ids is not None:
            driver = ("ids", 0)  # a handful of articles (an alert's new ones): nothing is cheaper
        elif sizes:
            n, kind, i = sizes[0]
            if not fts:
                driver = (kind, i)
            else:
                matches = self._estimate(fts)
                scan_cost = SCAN_US * min(matches, rows * total // max(1, n))
                facet_cost = SET_US * matches + n
                if facet_cost < scan_cost:
                    driver = (kind, i)
        if fts and driver is None:
            clauses, params = self._filters(filt)
            where = ["articles_fts MATCH ?"]
            args: list[Any] = [fts]
            if lo is not None:
                where.append("articles_fts.rowid >= ?")
                args.append(lo)
            if hi is not None:
                where.append("articles_fts.rowid < ?")
                args.append(hi)
            # CROSS JOIN keeps the text index as the outer loop: with an IN filter on the articles SQLite
            # would walk them and run the text match once per article (seconds on one outlet at 100k).
            sql = ("SELECT a.id AS id, articles_fts.rowid AS k FROM articles_fts CROSS "
                   "JOIN articles a ON a.fts_key = articles_fts.rowid WHERE " + " AND ".join(where + clauses))
            return sql, args + params, rows
        clauses, params = self._filters(filt, skip_group=driver[1] if driver and driver[0] == "entity" else None,
                                        skip_outlets=bool(driver and driver[0] == "outlet"))
        args = []
        if driver and driver[0] == "entity":
            group = filt.entity_groups[driver[1]]
            source = ("FROM article_entities d JOIN articles a ON a.fts_key = d.fts_key "
                      f"WHERE d.entity_id IN ({','.join('?' * len(group))})")
            args += list(group)
            keycol = "d.fts_key"
        elif driver and driver[0] == "ids":
            assert filt.ids is not None
            source = f"FROM articles a WHERE a.id IN ({','.join('?' * len(filt.ids)) or 'NULL'})"
            args += list(filt.ids)
            keycol = "a.fts_key"
        elif driver:
            assert filt.outlet_ids is not None
            source = f"FROM articles a WHERE a.outlet_id IN ({','.join('?' * len(filt.outlet_ids))})"
            args += list(filt.outlet_ids)
            keycol = "a.fts_key"
        else:
            source = "FROM articles a WHERE 1"
            keycol = "a.fts_key"
        if lo is not None:
            clauses.append(f"{keycol} >= ?")
            params.append(lo)
        if hi is not None:
            clauses.append(f"{keycol} < ?")
            params.append(hi)
        if fts:
            # One pass over the text index into a set; probing it per article (MATCH … AND rowid = ?)
            # would reload the terms' doclists every time.
            clauses.append(f"{keycol} IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
            params.append(fts)
        # An article mentioning two identities of one name (تهران: the city and بازار آزاد تهران) is one match.
        distinct = "DISTINCT " if driver and driver[0] == "entity" and len(filt.entity_groups[driver[1]]) > 1 else ""
        sql = f"SELECT {distinct}a.id AS id, {keycol} AS k {source}" + "".join(f" AND {c}" for c in clauses)
        return sql, args + params, rows

    def search(self, query: SearchQuery) -> list[Match]:
        sql, params, rows = self._plan(query, query.limit)
        if query.sort == "oldest":
            sql = f"SELECT id, k FROM ({sql}) ORDER BY k LIMIT ?"
        else:
            sql = f"{sql} ORDER BY k DESC LIMIT ?"
        return [Match(int(r[0]), int(r[1])) for r in self._query(sql, [*params, rows])]

    def hits(self, ids: Sequence[int], *, full: bool = True) -> list[HitRecord]:
        """Result rows for these ids, in order; ``full=False``: only the title and the first
        :data:`RANK_CHARS` characters of the text (what ranking reads)."""
        if not ids:
            return []
        found: dict[int, HitRecord] = {}
        cols = "a.text, a.raw_text, a.doc" if full else f"substr(a.text, 1, {RANK_CHARS}), '', NULL"
        for part in _chunks(ids):
            for r in self._query(f"SELECT a.id, a.title, o.name, a.published, a.url, {cols} FROM articles a "
                                 f"LEFT JOIN outlets o ON o.id = a.outlet_id WHERE a.id IN ({','.join('?' * len(part))})",
                                 list(part)):
                raw = r[6] if full else r[5]
                changes = json.loads(zlib.decompress(r[7])).get("changes", []) if full and r[6] != r[5] else []
                found[r[0]] = HitRecord(r[0], r[1], r[2], r[3], r[4], raw, r[5], changes)
        return [found[i] for i in ids if i in found]

    def _ids_sql(self, query: SearchQuery, limit: int, *, ordered: bool) -> tuple[str, list[Any]]:
        sql, params, _ = self._plan(query, limit)
        order = " ORDER BY k DESC" if ordered else ""
        return f"SELECT id FROM ({sql}{order} LIMIT {int(limit)})", params

    def count(self, query: SearchQuery, *, cap: int) -> int:
        sql, params = self._ids_sql(query, cap, ordered=False)
        return int(self._query(f"SELECT COUNT(*) FROM ({sql})", params)[0][0])

    def facets(self, query: SearchQuery, *, top: int = 5, sample: int = 5000) -> dict[str, list[tuple[str, str, int]]]:
        ids, params = self._ids_sql(query, sample, ordered=True)
        # The sample's ids are found once (a materialized CTE) and every facet is counted in one pass;
        # the top values of each are chosen here, in the order the database would sort them.
        rows = self._query(
            f"WITH sample(id) AS MATERIALIZED ({ids}) "
            "SELECT e.label, e.id, e.name, COUNT(*) FROM article_entities ae JOIN entities e ON e.id = ae.entity_id "
            "WHERE ae.article_id IN sample GROUP BY e.id "
            "UNION ALL SELECT NULL, o.id, o.name, COUNT(*) FROM articles a2 JOIN outlets o ON o.id = a2.outlet_id "
            "WHERE a2.id IN sample GROUP BY o.id", params)
        out: dict[str, list[tuple[str, str, int]]] = {}
        for facet, labels in FACET_LABELS.items():
            found = sorted((r for r in rows if r[0] is not None and r[0] in labels), key=lambda r: (-r[3], r[2], r[1]))
            out[facet] = [(r[1], r[2], int(r[3])) for r in found[:top]]
        outlets = sorted((r for r in rows if r[0] is None), key=lambda r: (-r[3], r[2], r[1]))
        out["source"] = [(r[2], r[2], int(r[3])) for r in outlets[:top]]
        return out

    def histogram(self, query: SearchQuery) -> list[tuple[str, int]]:
        sql, params, _ = self._plan(query, 0)
        rows = self._query(f"SELECT k >> {DAY_SHIFT} AS day, COUNT(*) FROM ({sql}) WHERE k >= {1 << DAY_SHIFT} "
                           "GROUP BY day ORDER BY day", params)
        return [(_dt.date.fromordinal(int(r[0])).isoformat(), int(r[1])) for r in rows]


def _chunks(ids: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]
