"""Query plans: a search is driven either by the text index (matches scanned newest first, filters
checked on covering indexes) or by its smallest facet (text matches read once into a set),
whichever the estimates say is cheaper (:meth:`Planner._plan`).
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from khabar.archive.storage.base import ORG_LABELS, PERSON_LABELS, PLACE_LABELS, ArticleFilter, Hit
from khabar.archive.storage.sqlite.connection import Connection
from khabar.archive.storage.sqlite.fts import DAY_SHIFT, SAMPLE, day_key

# `relevance` ranks (bm25) the newest this-many matches, so a broad query costs about the same at
# 1M articles as at 10k; narrower queries are ranked in full. With a facet, the window shrinks so
# that finding it scans at most SCAN_BUDGET text matches.
RANK_WINDOW = 300
SCAN_BUDGET = 10_000
# Rough costs in microseconds, measured on the 1M-article bench archive: one text match scanned
# newest first and checked against the filters; one text match read into a set.
SCAN_US, SET_US = 2.0, 0.65
# Facet sizes are counted up to this (a larger facet only makes scanning the text index cheaper).
FACET_CAP = 20_000



class Planner(Connection):
    """Search, counts and facets over the text index and the facet tables."""

    def estimate_matches(self, fts: str) -> int:
        """About how many articles match an FTS5 expression: the count among the newest
        :data:`SAMPLE` articles, scaled to the archive (exact for an archive that small)."""
        total = int(self._query("SELECT COALESCE(MAX(id), 0) FROM articles")[0][0])
        if total <= SAMPLE:
            return int(self._query("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH ?", (fts,))[0][0])
        bound = self._query(f"SELECT fts_key FROM articles ORDER BY fts_key DESC LIMIT 1 OFFSET {SAMPLE}")[0][0]
        n = int(self._query("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH ? AND rowid > ?",
                            (fts, bound))[0][0])
        return n * total // SAMPLE

    def _filters(self, filt: ArticleFilter, *, skip_group: int | None = None,
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

    def _key_range(self, filt: ArticleFilter) -> tuple[int | None, int | None]:
        lo = day_key(filt.since) if filt.since else None
        hi = day_key(filt.until) if filt.until else None
        if hi is not None and lo is None:
            lo = 1 << DAY_SHIFT  # a date bound excludes undated articles
        return lo, hi

    def _facet_sizes(self, filt: ArticleFilter) -> list[tuple[int, str, int]]:
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

    def _plan(self, fts: str | None, filt: ArticleFilter, estimate: int | None,
              need: int, *, ranked: bool = False) -> tuple[str, list[Any], int]:
        """``(SELECT a.id, key …, params, rows)`` in index-key order, driven by the text index or the smallest facet.

        Scanning the text matches newest first stops once ``need`` of them pass the filters: about
        ``need × articles / facet size`` rows (at most all ``estimate`` matches). Driving by a facet
        reads the text matches once into a set and walks the facet's articles. The cheaper one
        drives. ``rows`` is how many to take in key order (more than ``need`` when ``ranked``).
        """
        lo, hi = self._key_range(filt)
        sizes = self._facet_sizes(filt)
        # MAX(id) reads one page; COUNT(*) would read the whole table on every search.
        total = max(1, int(self._query("SELECT COALESCE(MAX(id), 0) FROM articles")[0][0]))
        rows = max(need, RANK_WINDOW) if ranked else need
        driver = None
        if sizes:
            n, kind, i = sizes[0]
            matches = estimate if estimate is not None else total
            if ranked:
                rows = max(need, min(RANK_WINDOW, SCAN_BUDGET * max(1, n) // total))
            if not fts:
                driver = (kind, i)
            else:
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
            # rank (bm25) first reads every match of each term for its statistics: only when asked.
            rank = "articles_fts.rank" if ranked else "0"
            sql = (f"SELECT a.id AS id, articles_fts.rowid AS k, {rank} AS r FROM articles_fts "
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
        sql = f"SELECT a.id AS id, {keycol} AS k, 0 AS r {source}" + "".join(f" AND {c}" for c in clauses)
        return sql, args + params, rows

    def search(self, fts: str | None, filt: ArticleFilter, *, limit: int, offset: int = 0,
               order: str = "newest", estimate: int | None = None) -> list[Hit]:
        ranked = order == "relevance" and fts is not None
        sql, params, rows = self._plan(fts, filt, estimate, limit + offset, ranked=ranked)
        if ranked:
            sql = f"SELECT id FROM ({sql} ORDER BY k DESC LIMIT {int(rows)}) ORDER BY r, k DESC LIMIT ? OFFSET ?"
        elif order == "oldest":
            sql = f"SELECT id FROM ({sql}) ORDER BY k LIMIT ? OFFSET ?"
        else:
            sql = f"{sql} ORDER BY k DESC LIMIT ? OFFSET ?"
        ids = [r[0] for r in self._query(sql, [*params, limit, offset])]
        hits = []
        for article_id in ids:
            r = self._query("SELECT a.id, a.title, o.name, a.published, a.url, a.raw_text, a.text, a.doc "
                            "FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id WHERE a.id = ?", (article_id,))[0]
            changes = json.loads(zlib.decompress(r[7])).get("changes", []) if r[5] != r[6] else []
            hits.append(Hit(r[0], r[1], r[2], r[3], r[4], r[5], r[6], changes))
        return hits

    def _ids_sql(self, fts: str | None, filt: ArticleFilter, limit: int) -> tuple[str, list[Any]]:
        sql, params, _ = self._plan(fts, filt, None, limit)
        return f"SELECT id FROM ({sql} LIMIT {int(limit)})", params

    def count_matches(self, fts: str | None, filt: ArticleFilter, *, cap: int = 10_000) -> int:
        sql, params = self._ids_sql(fts, filt, cap)
        return int(self._query(f"SELECT COUNT(*) FROM ({sql})", params)[0][0])

    def facet_counts(self, fts: str | None, filt: ArticleFilter, *, top: int = 5,
                     sample: int = 5000) -> dict[str, list[tuple[str, int]]]:
        ids, params = self._ids_sql(fts, filt, sample)
        out: dict[str, list[tuple[str, int]]] = {}
        for facet, labels in (("person", PERSON_LABELS), ("org", ORG_LABELS), ("place", PLACE_LABELS)):
            marks = ",".join("?" * len(labels))
            rows = self._query(
                f"SELECT e.name, COUNT(*) AS n FROM article_entities ae JOIN entities e ON e.id = ae.entity_id "
                f"WHERE ae.article_id IN ({ids}) AND e.label IN ({marks}) GROUP BY e.id ORDER BY n DESC, e.name "
                "LIMIT ?", [*params, *labels, top])
            out[facet] = [(r[0], int(r[1])) for r in rows]
        rows = self._query(
            f"SELECT o.name, COUNT(*) AS n FROM articles a2 JOIN outlets o ON o.id = a2.outlet_id "
            f"WHERE a2.id IN ({ids}) GROUP BY o.id ORDER BY n DESC, o.name LIMIT ?", [*params, top])
        out["source"] = [(r[0], int(r[1])) for r in rows]
        return out
