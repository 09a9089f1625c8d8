"""Stories: articles about the same event, from any outlet, grouped under one story id.

How two articles are compared, and why:

- Text is reduced to its *content words*: :func:`khabar.archive.keys.search_key` (restored, then folded:
  ي/ی, ك/ک, digits, marks and ZWNJs unified), tokens of two or more characters with affixes written
  apart glued back (``می رسد``, ``همکاری ها``, ``بین المللی``), Persian function words and news
  boilerplate (``گزارش``, ``گفت``, ``افزود``…) removed.
- Its *shingles* are those words and the pairs of consecutive ones hashed without their space (so
  ``زمین لرزه`` in one article meets ``زمینلرزه`` in another), plus one shingle per entity name
  passed in. Outlets rewriting one event share names, numbers and phrases (``مدیریت بحران``),
  while the function words all Persian text shares are gone.
- Candidates come from MinHash LSH (datasketch) over the content *words*, 128 permutations in 64
  bands of 2 rows: a pair with word Jaccard 0.23 is found with probability 0.97, one at 0.05 with 0.15.
  The index is split into spans of ``window_days + 1`` days; a dated article asks the (at most
  three) spans around it and keeps candidates within ``window_days`` (3) of its date.
- Candidates are then checked exactly on the shingles (sorted 32-bit hashes kept per article):
  same story when Jaccard ≥ ``threshold`` (0.10), or when the shorter article is mostly inside the
  longer one (containment ≥ ``containment``, 0.30, the shorter having ≥ ``min_shingles``) — a feed
  summary against the full article. Articles without a date must reach ``undated_threshold`` (0.15)
  and are compared with every day. ``near_duplicate`` (Jaccard ≥ 0.60) marks reposts of one text.
- Entities (names of places, people, organizations, as the pipeline finds them) are shingles too,
  and a veto: when both articles have entities and share no word of any, they are two events
  written from one template (two floods, in Mazandaran and in Golestan, on the same day) unless
  they are near-duplicates. Pass them: without entities, such template twins are joined.
- Figures are a veto too: when both articles give at least 4 distinct numbers (two digits or more)
  and share under half of the smaller set, they are two reports of one recurring kind — today's and
  yesterday's gold prices — which would otherwise chain day after day into one endless story.

The thresholds were set on the repository's sample articles (19 articles, 5 stories written from
different outlets) and checked on the separate cases in ``tests/test_stories.py`` and the synthetic
set of ``bench/stories.py``, which prints pairwise precision and recall.

Stories never merge: a new article joins the story of its best match, or starts its own story, named
by its own id. So a story id, once given, never changes — what an archive that stores it needs.

>>> c = StoryClusterer()
>>> c.add(1, "زمین لرزه ای به بزرگی ۵.۱ ریشتر بامداد سه شنبه زرند در استان کرمان را لرزاند و ۱۲ نفر مصدوم شدند.", "2024-10-15")
1
>>> c.add(2, "به گزارش ایلنا، زمینلرزه ۵.۱ ریشتری بامداد امروز زرند کرمان را لرزاند؛ ۱۲ نفر مصدوم شدند.", "2024-10-15")
1
>>> c.add(3, "قیمت سکه امروز در بازار تهران ۲۰۰ هزار تومان کاهش یافت.", "2024-10-15")
3
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from datasketch import MinHash, MinHashLSH

__all__ = ["Assignment", "StoryClusterer", "content_words", "shingles"]

NUM_PERM = 128
# The figures veto: articles with at least MIN_NUMBERS distinct numbers (of two or more digits) each,
# sharing less than NUMBER_OVERLAP of the smaller set, are different events.
MIN_NUMBERS = 4
NUMBER_OVERLAP = 0.5
LSH_BANDS, LSH_ROWS = 64, 2

_WORD = re.compile(r"\w{2,}")
_PREFIXES = frozenset({"می", "نمی"})
_SUFFIXES = frozenset({"ها", "های", "هایی", "ای", "ترین", "تر", "اند", "ایم", "اید"})
_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where :meth:`StoryClusterer.assign` put an article, and on what evidence."""

    article_id: Hashable
    story_id: Hashable
    matched: Hashable | None = None   # the most similar earlier article, None for a new story
    similarity: float = 0.0           # exact shingle Jaccard with ``matched``
    containment: float = 0.0          # share of the shorter article's shingles found in the other
    near_duplicate: bool = False      # a repost of ``matched``'s text (Jaccard ≥ near_duplicate)


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    """Function words and news boilerplate (``resources/words/stopwords.txt``), as written and folded."""
    from khabar.text.fold import fold
    from khabar.text.words import words

    return frozenset(fold(w) for w in words("stopwords")) | frozenset(words("stopwords"))


def content_words(text: str, *, key: str | None = None) -> list[str]:
    """The folded content words of ``text``, in order: function words and news boilerplate removed.

    >>> content_words("به گزارش ایسنا، وزیر اقتصاد امروز گفت تورم کاهش یافت.")
    ['ایسنا', 'وزیر', 'اقتصاد', 'تورم', 'کاهش', 'یافت']

    ``key`` is the text's :func:`~khabar.archive.keys.search_key` when the caller has it already.
    """
    from khabar.archive.keys import search_key

    stop = _stopwords()
    return [w for w in _glue(_WORD.findall(search_key(text) if key is None else key)) if w not in stop]


def _glue(tokens: list[str]) -> list[str]:
    """Join affixes that scraped text writes apart (می کند, همکاری ها, بین المللی) to their word, so
    the spaced and the joined spelling give one token whatever the ZWNJ restorer decided."""
    out: list[str] = []
    prefix = ""
    for token in tokens:
        if prefix:
            token, prefix = prefix + token, ""
        if token in _PREFIXES:
            prefix = token
            continue
        if out and token in _SUFFIXES:
            out[-1] += token
            continue
        if out and out[-1] == "بین" and token.startswith("ال"):
            out[-1] += token
            continue
        out.append(token)
    if prefix:
        out.append(prefix)
    return out


def shingles(text: str, entities: Iterable[str] = ()) -> np.ndarray:
    """Sorted unique 32-bit hashes of the content words, word pairs and entity names of an article.

    >>> len(shingles("زلزله زرند کرمان")) == 3 + 2
    True
    """
    return _shingles(content_words(text), entities)


def _shingles(words: list[str], entities: Iterable[str]) -> np.ndarray:
    import numpy as np

    items = [w.encode() for w in words]
    # A pair is hashed without its space, so a compound written apart (زمین لرزه, همکاری ها) meets
    # the same compound written joined (زمینلرزه, همکاریها) in another article.
    items += [f"{a}{b}".encode() for a, b in pairwise(words)]
    items += [b"@" + " ".join(content_words(e) or [e]).encode() for e in entities if e and e.strip()]
    return np.unique(np.fromiter((zlib.crc32(x) for x in items), dtype=np.uint32, count=len(items)))


class StoryClusterer:
    """Groups articles into stories as they are added (incremental, in memory, deterministic).

    ``add(article_id, text, published)`` returns the story id; ``cluster(items)`` does a batch.
    ``published`` is an ISO date/datetime string, a ``date``/``datetime`` or ``None`` (unknown).
    """

    def __init__(self, *, window_days: int = 3, threshold: float = 0.10, undated_threshold: float = 0.15,
                 containment: float = 0.30, min_shingles: int = 20, near_duplicate: float = 0.60,
                 seed: int = 1) -> None:
        if not 0 < threshold <= 1 or not 0 < undated_threshold <= 1 or not 0 < containment <= 1:
            raise ValueError("thresholds must be in (0, 1]")
        if window_days < 0:
            raise ValueError("window_days must be >= 0")
        self.window_days = window_days
        self.threshold = threshold
        self.undated_threshold = undated_threshold
        self.containment = containment
        self.min_shingles = min_shingles
        self.near_duplicate = near_duplicate
        self.seed = seed
        # One index per span of window_days + 1 days (None: undated), so a dated query asks at most
        # three indexes and a store of many months does not slow it down.
        self._span = window_days + 1
        self._lsh: dict[int | None, MinHashLSH] = {}
        self._shingles: dict[Hashable, np.ndarray] = {}
        self._day: dict[Hashable, int | None] = {}
        self._entities: dict[Hashable, frozenset[str]] = {}
        self._numbers: dict[Hashable, frozenset[str]] = {}
        self._story: dict[Hashable, Hashable] = {}
        self._order: list[Hashable] = []
        self._seq: dict[Hashable, int] = {}
        self._proto: MinHash | None = None

    def __len__(self) -> int:
        return len(self._story)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._story

    def story_of(self, article_id: Hashable) -> Hashable:
        """The story id of an added article (``KeyError`` if it was never added)."""
        return self._story[article_id]

    def stories(self) -> dict[Hashable, list[Hashable]]:
        """Every story id with its article ids, in the order they were added."""
        out: dict[Hashable, list[Hashable]] = {}
        for article_id in self._order:
            out.setdefault(self._story[article_id], []).append(article_id)
        return out

    def add(self, article_id: Hashable, text: str, published: Any = None, *,
            entities: Iterable[str] = (), key: str | None = None) -> Hashable:
        """Add one article; return its story id (an earlier article's story, or ``article_id``).

        Adding an id again returns its story unchanged, so a resumed run can replay articles.
        Pass the title with the text (``title + "\\n" + text``): headlines name the event.
        """
        return self.assign(article_id, text, published, entities=entities, key=key).story_id

    def assign(self, article_id: Hashable, text: str, published: Any = None, *,
               entities: Iterable[str] = (), key: str | None = None) -> Assignment:
        """Like :meth:`add`, with the evidence: the matched article and the similarities.

        ``key``: the text's :func:`~khabar.archive.keys.search_key` if the caller has computed it (the
        archive indexes it anyway), which saves restoring the text a second time.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        if article_id in self._story:
            return Assignment(article_id, self._story[article_id])
        day = _day(published)
        entities = [e for e in entities if isinstance(e, str) and e.strip()]
        names = frozenset(w for e in entities for w in content_words(e))
        words = content_words(text, key=key)
        numbers = frozenset(w for w in words if w[0].isdigit())
        sh = _shingles(words, entities)
        minhash = self._minhash(words)
        best: tuple[float, float, Hashable] | None = None
        if len(sh):
            for other in self._candidates(minhash, day):
                jac, con = _similarity(sh, self._shingles[other])
                other_day = self._day[other]
                dated = day is not None and other_day is not None
                needed = self.threshold if dated else self.undated_threshold
                small = min(len(sh), len(self._shingles[other]))
                theirs = self._entities.get(other, frozenset())
                if names and theirs and not names & theirs and jac < self.near_duplicate:
                    continue  # one template, two events: no place, person or organization in common
                if jac < self.near_duplicate and _numbers_differ(numbers, self._numbers.get(other, frozenset())):
                    continue  # a recurring report (today's gold price) is not yesterday's story
                same = jac >= needed or (dated and con >= self.containment and small >= self.min_shingles)
                if same and (best is None or (jac, con) > best[:2]):
                    best = (jac, con, other)
        story = self._story[best[2]] if best else article_id
        self._shingles[article_id] = sh
        self._day[article_id] = day
        if names:
            self._entities[article_id] = names
        if len(numbers) >= MIN_NUMBERS:
            self._numbers[article_id] = numbers
        self._story[article_id] = story
        self._seq[article_id] = len(self._order)
        self._order.append(article_id)
        if len(sh):
            self._index(day).insert(article_id, minhash, check_duplication=False)
        if best is None:
            return Assignment(article_id, story)
        return Assignment(article_id, story, best[2], round(best[0], 4), round(best[1], 4),
                          best[0] >= self.near_duplicate)

    def add_stored(self, article_id: Hashable, text: str, published: Any = None, *, story_id: Hashable,
             entities: Iterable[str] = (), key: str | None = None) -> None:
        """Add an article already in ``story_id`` (one stored earlier), so that new articles can join
        its story: whatever it would match now, its story stays the stored one."""
        self.assign(article_id, text, published, entities=entities, key=key)
        self._story[article_id] = story_id

    def cluster(self, items: Iterable[tuple[Hashable, str, Any] | Mapping[str, Any]], *,
                bounded: bool = False) -> dict[Hashable, Hashable]:
        """Add many articles in the given order; ``{article_id: story_id}`` for all of them.

        Items are ``(id, text, published)`` tuples or mappings with ``id``, ``text``, ``published``
        and optionally ``title`` (joined to the text), ``entities`` and ``key`` (the search key of
        title and text). Sort them by date first for stories named by their earliest article.

        ``bounded``: for items in date order (undated last), forget what is older than the window
        as the dates advance, so memory holds only the recent days, whatever the archive's size;
        undated articles then meet only the most recent days.
        """
        out: dict[Hashable, Hashable] = {}
        newest: int | None = None
        forgotten = -1  # the index span up to which memory was last cleared
        for item in items:
            if isinstance(item, Mapping):
                article_id, text, published = item["id"], item["text"], item.get("published")
                if item.get("title"):
                    text = f"{item['title']}\n{text}"
                entities, key = item.get("entities") or (), item.get("key")
            else:
                article_id, text, published = item
                entities, key = (), None
            day = _day(published)
            if bounded and day is not None and (newest is None or day > newest):
                newest = day
                if (newest - self.window_days) // self._span > forgotten:  # once per span is enough
                    forgotten = (newest - self.window_days) // self._span
                    self.forget_before(dt.date.fromordinal(newest - self.window_days))
            out[article_id] = self.add(article_id, text, published, entities=entities, key=key)
        return out

    def forget_before(self, published: Any, *, entirely: bool = False) -> int:
        """Drop dated articles from before ``published`` (whole index spans of ``window_days + 1``
        days, so a few days more may stay) from the index; their story ids stay known (unless
        ``entirely``: then nothing of them is kept, for a caller that stores the stories itself, as a
        watcher running for months does). Return how many were dropped. Long ingests in date order
        keep memory bounded this way."""
        limit = _day(published)
        if limit is None:
            raise ValueError(f"not a date: {published!r}")
        # Only whole index spans before the limit can go; articles of the span holding it stay findable.
        gone = [k for k in self._lsh if k is not None and (k + 1) * self._span <= limit]
        dropped = 0
        for k in gone:
            del self._lsh[k]
        for article_id, day in list(self._day.items()):
            if day is not None and (day // self._span + 1) * self._span <= limit and article_id in self._shingles:
                del self._shingles[article_id]
                self._entities.pop(article_id, None)
                self._numbers.pop(article_id, None)
                dropped += 1
            if entirely and day is not None and (day // self._span + 1) * self._span <= limit:
                del self._day[article_id], self._story[article_id], self._seq[article_id]
        if entirely:
            self._order = [a for a in self._order if a in self._story]
        return dropped

    # -- internals --

    def _minhash(self, words: list[str]) -> MinHash:
        from datasketch import MinHash

        if self._proto is None:
            self._proto = MinHash(num_perm=NUM_PERM, seed=self.seed, hashfunc=_identity)
        m = MinHash(num_perm=NUM_PERM, seed=self.seed, hashfunc=_identity, permutations=self._proto.permutations,
                    scheme=self._proto.scheme)
        if words:
            import numpy as np

            hashes = np.unique(np.fromiter((zlib.crc32(w.encode()) for w in words), dtype=np.uint64,
                                           count=len(words)))
            m.update_batch(hashes)
        return m

    def _index(self, day: int | None) -> MinHashLSH:
        from datasketch import MinHashLSH

        key = None if day is None else day // self._span
        if key not in self._lsh:
            self._lsh[key] = MinHashLSH(num_perm=NUM_PERM, params=(LSH_BANDS, LSH_ROWS))
        return self._lsh[key]

    def _candidates(self, minhash: MinHash, day: int | None) -> list[Hashable]:
        if day is None:
            keys: Iterable[int | None] = list(self._lsh)
        else:
            near = range((day - self.window_days) // self._span, (day + self.window_days) // self._span + 1)
            keys = [k for k in self._lsh if k is None or k in near]
        found: set[Hashable] = set()
        for key in keys:
            found.update(self._lsh[key].query(minhash))
        if day is not None:  # an index spans more days than the window
            found = {a for a in found if self._day[a] is None or abs(self._day[a] - day) <= self.window_days}  # type: ignore[operator]
        # Sorted by insertion order so ties resolve the same way on every run.
        return sorted((a for a in found if a in self._shingles), key=self._seq.__getitem__)


def _similarity(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    import numpy as np

    inter = len(np.intersect1d(a, b, assume_unique=True))
    union = len(a) + len(b) - inter
    return (inter / union if union else 0.0), (inter / min(len(a), len(b)) if len(a) and len(b) else 0.0)


def _numbers_differ(mine: frozenset[str], theirs: frozenset[str]) -> bool:
    """Both articles give figures, and most of the smaller set is not in the other: two reports of
    one recurring kind (prices, rates, scores) on different days, not one event."""
    if len(mine) < MIN_NUMBERS or len(theirs) < MIN_NUMBERS:
        return False
    return len(mine & theirs) < NUMBER_OVERLAP * min(len(mine), len(theirs))


def _identity(value: Any) -> Any:
    return value


def _day(published: Any) -> int | None:
    """The day ordinal of a publication date, or ``None`` when unknown or unreadable."""
    if published is None:
        return None
    if isinstance(published, dt.datetime):
        return published.date().toordinal()
    if isinstance(published, dt.date):
        return published.toordinal()
    if isinstance(published, str):
        m = _DATE.match(published)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3])).toordinal()
            except ValueError:
                return None
    return None
