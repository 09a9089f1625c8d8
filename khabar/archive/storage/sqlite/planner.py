"""Query plans: a search is driven either by the text index (matches scanned newest first, filters
checked on covering indexes, or the smallest facet's articles read once into a set and each match
looked up in it) or by its smallest facet (text matches read once into a set), whichever the
estimates say is cheaper (:meth:`Planner._plan`).
"""

from __future__ import annotations

import datetime as _dt
import json
import zlib
from collections.abc import Sequence
from typing import Any

from khabar.archive.models import FACET_LABELS, HitRecord, Match
from khabar.archive.query import FACET_CAP, RANK_CHARS, And, Filters, Node, Not, Or, SearchQuery, Term, rank_window
from khabar.archive.storage.sqlite.connection import Connection
from khabar.archive.storage.sqlite.fts import DAY_SHIFT, SAMPLE, day_key, to_match

# Rough CPU costs in microseconds, measured on the 1M-article bench archive (thread CPU time, the
# page cache warm): one text match scanned newest first with its facet filters probed on their
# keys; one text match scanned and looked up in a set of a facet's article keys; one facet article
# key read into that set; one text match read into a set (when a facet drives).
SCAN_US, KEYSET_US, KEY_US, SET_US = 0.25, 0.08, 0.12, 0.3


class Planner(Connection):
    """Search, counts, facets and histograms over the text index and the facet tables."""

    def _estimate(self, node: Node) -> int:
        """About how many articles match a query tree, at most: each word is counted among the newest
        :data:`SAMPLE` articles and scaled to the archive; a phrase or an AND matches at most as many
        as its rarest part, an OR at most the sum of its parts, and a NOT is left out. (Exact for an
        archive that small.)

        The words are counted one by one because FTS5 finds an AND's first match from the start of
        its lists before it skips to the newest: counting two words that never meet among the newest
        reads both whole lists (8 ms for two common words at 1M articles), one word alone does not.
        """
        total = self.size()
        if total <= SAMPLE:
            return int(self._query("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH ?",
                                   (to_match(node),))[0][0])
        bound = self._query(f"SELECT fts_key FROM articles ORDER BY fts_key DESC LIMIT 1 OFFSET {SAMPLE}")[0][0]
        counted: dict[str, int] = {}

        def word(token: str, prefix: bool) -> int:
            fts = to_match(Term((token,), prefix=prefix))
            if fts not in counted:
                n = int(self._query("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH ? AND rowid > ?",
                                    (fts, bound))[0][0])
                counted[fts] = n * total // SAMPLE
            return counted[fts]

        def estimate(n: Node) -> int:
            if isinstance(n, Term):
                return min(word(t, n.prefix and i == len(n.tokens) - 1) for i, t in enumerate(n.tokens))
            if isinstance(n, And):
                return min((estimate(c) for c in n.children if not isinstance(c, Not)), default=total)
            if isinstance(n, Or):
                return min(total, sum(estimate(c) for c in n.children))
            return total  # a NOT alone is never searched (validate)

        return estimate(node)

    def size(self) -> int:
        """How many articles at most: the highest id (one page read; COUNT(*) reads the whole table)."""
        return int(self._query("SELECT COALESCE(MAX(id), 0) FROM articles")[0][0])

    def _filters(self, filt: Filters, *, skip_group: int | None = None, skip_outlets: bool = False,
                 key: str = "a.fts_key") -> tuple[list[str], list[Any]]:
        """WHERE clauses on ``a`` (articles) for the filters, except the one that drives the query;
        the entity filters probe ``article_entities`` by ``key`` (the text index's rowid when the text
        drives: the probe then comes before the article's row is joined, not after)."""
        clauses: list[str] = []
        params: list[Any] = []
        for i, group in enumerate(filt.entity_groups):
            if i == skip_group:
                continue
            clauses.append(f"EXISTS (SELECT 1 FROM article_entities ae WHERE ae.entity_id IN ({','.join('?' * len(group))}) "
                           f"AND ae.fts_key = {key})")
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

    def _plan(self, query: SearchQuery, need: int, *, keys_only: bool = False) -> tuple[str, list[Any], int]:
        """``(SELECT a.id, key …, params, rows)`` in index-key order, driven by the text index or the smallest facet.

        Scanning the text matches newest first stops once ``need`` of them pass the filters: about
        ``need × articles / facet size`` rows (at most all matches); each is checked on the facets'
        indexes, or looked up in a set of the smallest person/organization/place facet's articles
        read first. Driving by a facet reads the text matches once into a set and walks the facet's
        articles. The cheapest drives.
        ``rows`` is how many to take: ``need``, or for a relevance window :func:`rank_window`.
        ``keys_only``: only ``k`` is wanted (a histogram); where no filter reads the article's row,
        it is not joined (a place's timeline at 1M articles: 87k rows of the facet's index alone).
        """
        filt = query.filters
        fts = to_match(query.text) if query.text is not None else None
        lo, hi = self._key_range(query)
        # Outlets, quotes and stories are read from the article's row; the rest from the indexes.
        keys_only = keys_only and filt.outlet_ids is None and not filt.has_quotes and filt.story_id is None
        sizes = self._facet_sizes(filt)
        total = max(1, self.size())
        rows = rank_window(need, sizes[0][0] if sizes else None, total) if query.rank_window else need
        driver = None
        keyset = None  # the entity group whose articles are read into a set when the text drives
        if filt.ids is not None:
            driver = ("ids", 0)  # a handful of articles (an alert's new ones): nothing is cheaper
        elif sizes:
            n, kind, i = sizes[0]
            if not fts:
                driver = (kind, i)
            else:
                assert query.text is not None
                matches = self._estimate(query.text)
                # Text matches scanned before ``rows`` pass the smallest facet (all of them when every
                # match is wanted, ``need`` 0: a histogram).
                scanned = min(matches, rows * total // max(1, n)) if need > 0 else matches
                costs = {"scan": SCAN_US * scanned, "facet": SET_US * matches + n}
                # A facet counted whole (under FACET_CAP) can be read into a set of keys: each match is
                # then looked up in the set instead of probing the facet's index (three times cheaper:
                # a count over a rare person's articles among a common word's 160k matches at 1M).
                small = [(m, j) for m, k, j in sizes if k == "entity" and m < FACET_CAP]
                if small:
                    costs["keyset"] = KEY_US * small[0][0] + KEYSET_US * scanned
                best = min(costs, key=lambda c: costs[c])
                if best == "facet":
                    driver = (kind, i)
                elif best == "keyset":
                    keyset = small[0][1]
        if fts and driver is None:
            clauses, params = self._filters(filt, skip_group=keyset, key="articles_fts.rowid")
            where = ["articles_fts MATCH ?"]
            args: list[Any] = [fts]
            if keyset is not None:
                group = filt.entity_groups[keyset]
                # The unary + keeps SQLite from handing the IN list to the text index, which would run
                # the text match once per key.
                where.append("+articles_fts.rowid IN (SELECT fts_key FROM article_entities WHERE entity_id IN "
                             f"({','.join('?' * len(group))}))")
                args += list(group)
            if lo is not None:
                where.append("articles_fts.rowid >= ?")
                args.append(lo)
            if hi is not None:
                where.append("articles_fts.rowid < ?")
                args.append(hi)
            # CROSS JOIN keeps the text index as the outer loop: with an IN filter on the articles SQLite
            # would walk them and run the text match once per article (seconds on one outlet at 100k).
            # The unary + on the join keeps SQLite from copying a date bound or a page's cursor onto
            # a.fts_key: it then ranged over the outlet's index once per match (fts_key < ?) instead of
            # looking the match up (fts_key = ?): 464 ms for an outlet's next page at 1M, 0.1 ms so.
            if keys_only:
                sql = "SELECT articles_fts.rowid AS k FROM articles_fts WHERE " + " AND ".join(where + clauses)
            else:
                sql = ("SELECT a.id AS id, articles_fts.rowid AS k FROM articles_fts CROSS "
                       "JOIN articles a ON a.fts_key = +articles_fts.rowid WHERE " + " AND ".join(where + clauses))
            return sql, args + params, rows
        by_entity = bool(driver and driver[0] == "entity")
        keys_only = keys_only and by_entity
        clauses, params = self._filters(filt, skip_group=driver[1] if driver and by_entity else None,
                                        skip_outlets=bool(driver and driver[0] == "outlet"),
                                        key="d.fts_key" if keys_only else "a.fts_key")
        args = []
        if driver and by_entity:
            group = filt.entity_groups[driver[1]]
            joined = "" if keys_only else "JOIN articles a ON a.fts_key = +d.fts_key "  # + : as above
            source = f"FROM article_entities d {joined}WHERE d.entity_id IN ({','.join('?' * len(group))})"
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
        distinct = "DISTINCT " if driver and by_entity and len(filt.entity_groups[driver[1]]) > 1 else ""
        columns = f"{keycol} AS k" if keys_only else f"a.id AS id, {keycol} AS k"
        sql = f"SELECT {distinct}{columns} {source}" + "".join(f" AND {c}" for c in clauses)
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

    def _ids_sql(self, query: SearchQuery, limit: int, *, ordered: bool, keys_only: bool = False) -> tuple[str, list[Any]]:
        sql, params, _ = self._plan(query, limit, keys_only=keys_only)
        order = " ORDER BY k DESC" if ordered else ""
        return f"SELECT {'k' if keys_only else 'id'} FROM ({sql}{order} LIMIT {int(limit)})", params

    def count(self, query: SearchQuery, *, cap: int) -> int:
        # Counting needs only the index keys (one article per key): where no filter reads the
        # article's row it is not joined.
        sql, params = self._ids_sql(query, cap, ordered=False, keys_only=True)
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
        sql, params, _ = self._plan(query, 0, keys_only=True)
        rows = self._query(f"SELECT k >> {DAY_SHIFT} AS day, COUNT(*) FROM ({sql}) WHERE k >= {1 << DAY_SHIFT} "
                           "GROUP BY day ORDER BY day", params)
        return [(_dt.date.fromordinal(int(r[0])).isoformat(), int(r[1])) for r in rows]


def _chunks(ids: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]
