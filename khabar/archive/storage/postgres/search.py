"""Search on PostgreSQL: matches, counts, facets and histograms, each planned from estimates.

The same matches in the same order as the SQLite backend: the same lexemes (:mod:`.fts`), the same
date-ordered key (``fts_key``: publication day, then id), facets and relevance windows over the
newest matches, ties broken by ids and texts compared by code point.

A GIN index cannot give its matches in key order, so a search takes one of two plans
(:meth:`PgSearch._search_plan`), whichever the estimates make cheaper:

- **text**: every text match from the GIN index (a bitmap; with a date range, intersected with
  the key range first), checked against the filters, then the newest few sorted out. Its cost grows
  with the matches: cheap for a rare word or words that never meet, slow for a common word.
- **walk**: a btree walked in key order — a facet's (``article_entities`` by entity and key,
  ``articles`` by outlet and key) or the keys themselves (a date range, or none) — matching each
  article's ``tsvector`` on the way and stopping once enough matched. Its cost grows with the rows
  walked per match: cheap for a common word, slow for a word the walked articles rarely hold.

The matches are estimated by matching the newest :data:`SAMPLE` articles (the date-ordered key
makes that one short walk), a facet's size is counted up to ``FACET_CAP`` as on SQLite, and a date
range's share of the archive is read off its days. A plan's SQL is written so that PostgreSQL
cannot turn it into the other one on its own estimates (which treat the words of a query as
independent and so expect ``امنیت مربی`` in 2% of a sports outlet's articles, where it is in none,
and walk all of them): the walk matches with ``ts_match_vq()``, which no index serves, and the
text plan reads its matches in a ``MATERIALIZED`` CTE, which nothing can drive instead.
"""

from __future__ import annotations

import datetime as _dt
import json
import zlib
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from khabar.archive.models import FACET_LABELS, HitRecord, Match
from khabar.archive.query import FACET_CAP, RANK_CHARS, Filters, Node, SearchQuery, Term, rank_window, terms_of
from khabar.archive.storage.postgres.fts import fts_tokens, to_tsquery

DAY_SHIFT = 32
ID_MASK = (1 << DAY_SHIFT) - 1  # fts_key = (day << 32) | article id
# Text matches are estimated by matching this many of the newest articles.
SAMPLE = 2000
# Rough costs in microseconds, measured on the 1M-article bench archive (PostgreSQL 15, 1 GB of shared
# buffers: the text index's table does not fit): one article walked in key order with its tsvector
# matched (a random page); one posting the GIN index reads; one text match read through its bitmap
# (pages in order) and checked against the filters.
WALK_US, POSTING_US, MATCH_US = 12.0, 0.2, 6.0


def _day_key(iso_day: str) -> int:
    return _dt.date.fromisoformat(iso_day).toordinal() << DAY_SHIFT


@dataclass(frozen=True, slots=True)
class Plan:
    """How a search reads: ``driver`` is ``"text"``, ``"keys"`` (the key range walked), ``"entity"``
    (the entity group ``index`` walked), ``"outlet"`` or ``"ids"``; ``rows`` how many to take."""

    driver: str
    index: int
    rows: int | None
    cost: float


class PgSearch:
    """Search (mixed into :class:`~khabar.archive.storage.postgres.PostgresStorage`, before the SQL it
    shares with SQLite)."""

    def _pg(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def _tx(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _planned(self, sql: str, params: Sequence[Any], plan: Plan | None = None) -> list[Any]:
        """Run a planned search statement. Without parallel workers or JIT compiling: a walk stops after
        a few hundred rows, sooner than workers start (25 ms on the 100k archive) or code compiles. The
        text plan checks its matches' facets one index probe each: it is chosen when they are few, and
        hashing a whole facet first (PostgreSQL's choice when it overestimates them) took 65 ms for a
        place's 87k articles at 1M."""
        settings = "SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0"
        if plan is not None and plan.driver == "text":
            settings += "; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
        with self._tx() as conn:
            conn.execute(settings)
            return list(conn.execute(sql, list(params)).fetchall())

    # -- estimates ----------------------------------------------------------------------------

    def size(self) -> int:
        return int(self._pg("SELECT COALESCE(MAX(id), 0) FROM articles")[0][0])

    def _text_estimate(self, text: Node, total: int) -> tuple[int, int]:
        """About how many articles match, and how many postings the GIN index reads for that (every
        lexeme's, matched or not): counted among the newest :data:`SAMPLE` articles in one walk and
        scaled to the archive (exact for an archive that small). Kept while the archive's size stays
        the same (a relevance page plans two or three searches of one query; estimates only steer plans)."""
        tsquery = to_tsquery(text)
        cache: dict[tuple[str, int], tuple[int, int]] = self.__dict__.setdefault("_estimates", {})
        found = cache.get((tsquery, total))
        if found is not None:
            return found
        lexemes = sorted({to_tsquery(Term((tok,), prefix=t.prefix and i == len(t.tokens) - 1))
                          for t in terms_of(text) for i, tok in enumerate(t.tokens) if fts_tokens(tok)})
        counts = ", ".join(["COUNT(*) FILTER (WHERE ts_match_vq(tsv, %s::tsquery))"] * (1 + len(lexemes)))
        if total <= SAMPLE:
            row = self._pg(f"SELECT {counts} FROM articles_fts", (tsquery, *lexemes))[0]
            scale = 1.0
        else:
            row = self._pg(f"SELECT {counts} FROM (SELECT tsv FROM articles_fts ORDER BY rowid DESC LIMIT {SAMPLE}) s",
                           (tsquery, *lexemes))[0]
            scale = total / SAMPLE
        found = int(row[0] * scale), int(sum(row[1:]) * scale)
        if len(cache) >= 256:
            cache.clear()
        cache[(tsquery, total)] = found
        return found

    def _facet_sizes(self, filt: Filters) -> list[tuple[int, str, int]]:
        """``(articles, kind, index)`` of each facet that can drive a search (counted up to FACET_CAP)."""
        sizes = [(int(self._pg(f"SELECT COUNT(*) FROM (SELECT 1 FROM article_entities WHERE entity_id = ANY(%s) "
                               f"LIMIT {FACET_CAP}) s", (list(group),))[0][0]), "entity", i)
                 for i, group in enumerate(filt.entity_groups)]
        if filt.outlet_ids is not None:
            sizes.append((int(self._pg(f"SELECT COUNT(*) FROM (SELECT 1 FROM articles WHERE outlet_id = ANY(%s) "
                                       f"LIMIT {FACET_CAP}) s", (list(filt.outlet_ids),))[0][0]), "outlet", 0))
        return sizes

    def _range_share(self, lo: int | None, hi: int | None, total: int) -> float:
        """About what share of the archive a key range holds: its articles counted up to FACET_CAP, and
        past that read off its days (the archive's dates are seldom even: a stray article dated 1900
        would make a month look empty by days alone)."""
        if lo is None and hi is None:
            return 1.0
        n = int(self._pg(f"SELECT COUNT(*) FROM (SELECT 1 FROM articles_fts WHERE rowid >= %s AND rowid < %s "
                         f"LIMIT {FACET_CAP}) s", (lo or 0, hi if hi is not None else 1 << 62))[0][0])
        if n < FACET_CAP:
            return n / total
        first, last = self._pg(f"SELECT MIN(rowid), MAX(rowid) FROM articles_fts WHERE rowid >= {1 << DAY_SHIFT}")[0]
        first, last = int(first) >> DAY_SHIFT, (int(last) >> DAY_SHIFT) + 1
        a = max(first, (lo or 0) >> DAY_SHIFT)
        b = min(last, (hi >> DAY_SHIFT) if hi is not None else last)
        return max(n / total, min(1.0, (b - a) / max(1, last - first)))

    @staticmethod
    def _key_range(query: SearchQuery) -> tuple[int | None, int | None]:
        filt = query.filters
        lo = _day_key(filt.since) if filt.since else None
        hi = _day_key(filt.until) if filt.until else None
        if hi is not None and lo is None:
            lo = 1 << DAY_SHIFT  # a date bound excludes undated articles
        if query.after is not None:  # keyset paging: continue past the last key shown
            if query.sort == "newest":
                hi = query.after if hi is None else min(hi, query.after)
            else:
                lo = query.after + 1 if lo is None else max(lo, query.after + 1)
        return lo, hi

    # -- plans --------------------------------------------------------------------------------

    def _choose_plan(self, query: SearchQuery, sizes: list[tuple[int, str, int]], rows: int | None, total: int) -> Plan:
        """The cheaper plan for ``rows`` matches (``None``: all of them).

        Walking a btree of ``size`` articles whose share ``p`` matches costs about ``rows / p``
        articles walked (at most ``size``); the text plan costs the postings the GIN index reads and
        one heap visit per text match in the key range. With no text, the smallest facet is walked
        (or the key range).
        """
        filt = query.filters
        if filt.ids is not None:
            return Plan("ids", 0, rows, 0.0)  # a handful of articles (an alert's new ones): nothing is cheaper
        lo, hi = self._key_range(query)
        share = self._range_share(lo, hi, total)
        walks = [(float(n), kind, i) for n, kind, i in sizes] + [(share * total, "keys", 0)]
        if query.text is None:
            n, kind, i = min(walks)
            return Plan(kind, i, rows, 0.0)
        matches, postings = self._text_estimate(query.text, total)
        best = Plan("text", 0, rows, POSTING_US * postings + MATCH_US * matches * share)
        for n, kind, i in walks:
            # The share of the walked articles that pass everything else: the text, the other
            # facets and, walking a facet, the date range (taken as independent).
            p = matches / total
            for m, other, j in walks:
                if (other, j) != (kind, i):
                    p *= min(1.0, m / total)
            walked = n if rows is None or p <= 0 else min(n, rows / p)
            cost = WALK_US * walked
            if cost < best.cost:
                best = Plan(kind, i, rows, cost)
        return best

    def _search_plan(self, query: SearchQuery, need: int | None, *, order: str | None) -> tuple[str, list[Any], Plan]:
        """``(SELECT id, k …, params, plan)``: the matching articles' ids and keys, ``order``
        (``"DESC"``, ``"ASC"`` or ``None``), at most ``need`` of them (a relevance window:
        :func:`rank_window` of them; ``None``: all)."""
        filt = query.filters
        sizes = self._facet_sizes(filt)
        total = max(1, self.size())
        rows = need
        if query.rank_window and need is not None:
            rows = rank_window(need, min(n for n, _, _ in sizes) if sizes else None, total)
        plan = self._choose_plan(query, sizes, rows, total)
        lo, hi = self._key_range(query)
        tsquery = to_tsquery(query.text) if query.text is not None else None
        params: list[Any] = []
        where: list[str] = []
        with_ = ""
        if plan.driver == "text":
            # The matches first, on their own (MATERIALIZED: PostgreSQL may not drive from a facet
            # instead, checking every article of it), with the key range (an AND of index bitmaps).
            assert tsquery is not None
            with_ = "WITH matches AS MATERIALIZED (SELECT rowid AS k FROM articles_fts WHERE tsv @@ %s::tsquery"
            params.append(tsquery)
            if lo is not None:
                with_ += " AND rowid >= %s"
                params.append(lo)
            if hi is not None:
                with_ += " AND rowid < %s"
                params.append(hi)
            with_ += ") "
            lo = hi = None
            tsquery = None
            source = "matches m"
            k = "m.k"
        elif plan.driver == "entity":
            group = filt.entity_groups[plan.index]
            if len(group) == 1:
                source = "article_entities d"
                where.append("d.entity_id = %s")
                params.append(group[0])
            else:  # an article mentioning two identities of one name (تهران: city and bazaar) is one match
                source = "(SELECT DISTINCT fts_key FROM article_entities WHERE entity_id = ANY(%s)) d"
                params.append(list(group))
            k = "d.fts_key"
        elif plan.driver == "outlet":
            assert filt.outlet_ids is not None
            if len(filt.outlet_ids) == 1:  # one value: the (outlet_id, fts_key) index gives the key order
                source = "articles d"
                where.append("d.outlet_id = %s")
                params.append(filt.outlet_ids[0])
            else:
                source = "(SELECT fts_key FROM articles WHERE outlet_id = ANY(%s)) d"
                params.append(list(filt.outlet_ids))
            k = "d.fts_key"
        elif plan.driver == "ids":
            assert filt.ids is not None
            source = "articles d"
            where.append("d.id = ANY(%s)")
            params.append(list(filt.ids))
            k = "d.fts_key"
        else:
            source = "articles_fts f" if tsquery is not None else "articles d"
            k = "f.rowid" if tsquery is not None else "d.fts_key"
        if tsquery is not None:  # a walk: each article's tsvector matched on the way (no index: see above)
            if source != "articles_fts f":
                source += f" JOIN articles_fts f ON f.rowid = {k}"
            where.append("ts_match_vq(f.tsv, %s::tsquery)")
            params.append(tsquery)
        if lo is not None:
            where.append(f"{k} >= %s")
            params.append(lo)
        if hi is not None:
            where.append(f"{k} < %s")
            params.append(hi)
        for i, group in enumerate(filt.entity_groups):
            if (plan.driver, plan.index) != ("entity", i):
                where.append(f"EXISTS (SELECT 1 FROM article_entities x WHERE x.entity_id = ANY(%s) AND x.fts_key = {k})")
                params.append(list(group))
        if filt.outlet_ids is not None and plan.driver != "outlet":
            where.append(f"EXISTS (SELECT 1 FROM articles x WHERE x.outlet_id = ANY(%s) AND x.fts_key = {k})")
            params.append(list(filt.outlet_ids))
        if filt.has_quotes:
            where.append(f"EXISTS (SELECT 1 FROM articles x WHERE x.fts_key = {k} AND x.quotes > 0)")
        if filt.story_id is not None:
            where.append(f"EXISTS (SELECT 1 FROM articles x WHERE x.fts_key = {k} AND x.story_id = %s)")
            params.append(filt.story_id)
        # The text plan sorts its matches; a walk reads its btree in order and stops at the limit.
        sql = f"{with_}SELECT {k} & {ID_MASK} AS id, {k} AS k FROM {source}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if order:
            sql += f" ORDER BY {k} {order}"
        if plan.rows is not None:
            sql += f" LIMIT {int(plan.rows)}"
        return sql, params, plan

    # -- search -------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> list[Match]:
        sql, params, plan = self._search_plan(query, query.limit, order="ASC" if query.sort == "oldest" else "DESC")
        return [Match(int(r[0]), int(r[1])) for r in self._planned(sql, params, plan)]

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
        sql, params, plan = self._search_plan(query, cap, order=None)
        return int(self._planned(f"SELECT COUNT(*) FROM ({sql}) s", params, plan)[0][0])

    def facets(self, query: SearchQuery, *, top: int = 5, sample: int = 5000) -> dict[str, list[tuple[str, str, int]]]:
        sql, params, _ = self._search_plan(query, sample, order="DESC")
        # The sample's ids are found once and every facet counted in one pass; the top values of
        # each are chosen here, ordered as SQLite orders them (count, then name and id by code point).
        rows = self._planned(
            f"WITH sample AS MATERIALIZED (SELECT id FROM ({sql}) m) "
            "SELECT e.label, e.id, e.name, COUNT(*) FROM article_entities ae JOIN entities e ON e.id = ae.entity_id "
            "WHERE ae.article_id IN (SELECT id FROM sample) GROUP BY e.id, e.name, e.label "
            "UNION ALL SELECT NULL, o.id::text, o.name, COUNT(*) FROM articles a2 JOIN outlets o ON o.id = a2.outlet_id "
            "WHERE a2.id IN (SELECT id FROM sample) GROUP BY o.id, o.name", params)
        out: dict[str, list[tuple[str, str, int]]] = {}
        for facet, labels in FACET_LABELS.items():
            found = sorted((r for r in rows if r[0] is not None and r[0] in labels), key=lambda r: (-r[3], r[2], r[1]))
            out[facet] = [(r[1], r[2], int(r[3])) for r in found[:top]]
        outlets = sorted((r for r in rows if r[0] is None), key=lambda r: (-r[3], r[2], int(r[1])))
        out["source"] = [(r[2], r[2], int(r[3])) for r in outlets[:top]]
        return out

    def histogram(self, query: SearchQuery) -> list[tuple[str, int]]:
        sql, params, plan = self._search_plan(query, None, order=None)
        rows = self._planned(f"SELECT k >> {DAY_SHIFT} AS day, COUNT(*) FROM ({sql}) m WHERE k >= {1 << DAY_SHIFT} "
                        "GROUP BY day ORDER BY day", params, plan)
        return [(_dt.date.fromordinal(int(r[0])).isoformat(), int(r[1])) for r in rows]
