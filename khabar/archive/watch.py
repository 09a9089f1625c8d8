"""Following outlets: poll RSS/Atom feeds continuously, fetch each new item's page, store it once.

:class:`Watcher` polls every feed on its own schedule (``every`` seconds after its last poll),
politely and within bounds (:class:`khabar.ingest.fetch.PoliteClient`: per-host spacing,
robots.txt, conditional GET, timeouts, a deadline and size caps on every answer). For each item it
has not seen it fetches the linked page, extracts the article as ``khabar ingest`` does
(:func:`khabar.ingest.html.read_html`) and hands it to a :class:`WatchStore`, which stores it through
the archive's pipeline (dedup, stories, identities) and matches it against the saved searches.

What is kept between runs (by the store, in the archive): each feed's validators (ETag,
Last-Modified), its title, its failures and next poll, and a record of every item it listed —
stored (with its article), a duplicate of one already stored, failed (with the reason), or pending
(a page to fetch or retry). So a restarted watcher asks with the saved validators, gets 304s from
unchanged feeds, and fetches no page twice; a watcher killed mid-poll (``kill -9``) stored whole
articles only, and saved a feed's validators only after its items: the next run asks again and
fetches only what it had not stored.

Problems are reported once each, not once per poll: a feed's problem when it starts (or changes),
then nothing while it lasts, then once when the feed is back. A failing feed is polled again after
``every``, 2×, 4×, … up to ``max_backoff`` (or the server's ``Retry-After``); the other feeds go on.
An item whose page fails transiently is retried on the next polls (``page_attempts`` in all); a page
that is gone (404/410), forbidden by robots.txt, too big or not an article falls back to the feed's
own text when the item has one. At most ``max_items`` items are handled per poll of a feed, newest
first; the rest wait as pending (a feed of 10,000 items is worked through over several polls, and
never holds up the others).

>>> parse_every("10m"), parse_every("90"), parse_every("1h30m"), parse_every("2.5s")
(600.0, 90.0, 5400.0, 2.5)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from khabar.archive.models import AlertMatch, FeedState, ItemRecord
from khabar.ingest import Failure, RawArticle
from khabar.ingest.fetch import USER_AGENT, HttpProblem, PoliteClient, Response

if TYPE_CHECKING:
    import httpx

    from khabar.ingest.feeds import FeedEntry

__all__ = [
    "USER_AGENT",
    "FeedState",
    "ItemRecord",
    "StoreOutcome",
    "WatchEvent",
    "WatchOptions",
    "WatchStatus",
    "WatchStore",
    "Watcher",
    "human_duration",
    "parse_every",
    "read_feed_list",
]

T = TypeVar("T")

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_EVERY = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
# Page problems after which the page is not asked for again (the feed's own text is used instead).
_PERMANENT_KINDS = frozenset({"robots", "too-big", "redirect", "bad-url"})
_PERMANENT_STATUS = frozenset({400, 401, 403, 404, 405, 410, 414, 451})
_BINARY_TYPES = ("image/", "audio/", "video/", "application/pdf", "application/zip", "application/octet-stream")
_CHARSET = re.compile(r"charset=\"?([\w.:-]+)", re.IGNORECASE)
SAVE_EVERY = 16   # items stored per transaction within one poll


def read_feed_list(path: str) -> list[str]:
    """The feed URLs in a file: one a line (blank lines and ``#`` comments skipped), or the ``xmlUrl``
    of every outline of an OPML file (what feed readers export)."""
    from pathlib import Path

    from khabar.decoding import decode
    from khabar.errors import InvalidInput

    data = Path(path).read_bytes()
    text = decode(data, path)
    if text.lstrip().startswith("<"):
        from defusedxml import ElementTree as SafeET

        try:
            root = SafeET.fromstring(data, forbid_dtd=True)
        except Exception as err:
            raise InvalidInput(f"{path}: not a list of URLs and not readable OPML ({err})") from None
        urls = [el.get("xmlUrl", "").strip() for el in root.iter("outline") if el.get("xmlUrl")]
    else:
        urls = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    urls = [u for u in urls if u]
    bad = [u for u in urls if not u.lower().startswith(("http://", "https://"))]
    if bad:
        raise InvalidInput(f"{path}: {bad[0]!r} is not an http(s) feed URL")
    if not urls:
        raise InvalidInput(f"{path}: no feed URLs in it")
    return list(dict.fromkeys(urls))


def parse_every(text: str | float, *, zero: bool = False) -> float:
    """Seconds in ``"10m"``, ``"30s"``, ``"1h30m"``, ``"2d"`` or a plain number of seconds."""
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        spec = text.strip().replace(" ", "")
        pos, seconds = 0, 0.0
        for m in _EVERY.finditer(spec):
            if m.start() != pos:
                break
            seconds += float(m.group(1)) * _UNITS[m.group(2).lower()]
            pos = m.end()
        if not spec or pos != len(spec):
            raise ValueError(f"{text!r} is not a duration (e.g. 10m, 30s, 1h, 90)")
    if seconds < 0 or (seconds == 0 and not zero):
        raise ValueError(f"{text!r}: the interval must be longer than 0 s")
    return seconds


@dataclass(frozen=True, slots=True)
class WatchOptions:
    """How the watcher polls; every limit applies to every feed and page."""

    every: float = 600.0               # seconds between two polls of a feed
    spacing: float = 2.0               # seconds between two requests to one host (end to start)
    timeout: float = 10.0              # seconds to connect, and for each read
    deadline: float = 30.0             # seconds for a whole answer, body included
    max_feed_bytes: int = 16 * 2**20
    max_page_bytes: int = 5 * 2**20
    max_items: int = 100               # items handled per poll of one feed (the rest wait, newest first)
    page_attempts: int = 3             # tries of a page that fails transiently (5xx, timeouts)
    max_backoff: float = 6 * 3600.0    # the longest wait before polling a failing feed again
    concurrency: int = 16              # feeds polled at the same time (hosts are still spaced)
    pages: bool = True                 # fetch each item's page (else store the feed's own text)
    robots: bool = True
    user_agent: str = USER_AGENT

    def __post_init__(self) -> None:
        if self.every <= 0 or self.spacing < 0 or self.timeout <= 0 or self.deadline <= 0:
            raise ValueError("every, timeout and deadline must be > 0 and spacing >= 0 seconds")
        if self.max_items < 1 or self.page_attempts < 1 or self.concurrency < 1:
            raise ValueError("max_items, page_attempts and concurrency must be at least 1")


@dataclass(slots=True)
class StoreOutcome:
    """What the store did with the articles of one poll: item key → article id (new), and the rest."""

    added: dict[str, int] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    alerts: list[AlertMatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # what went wrong beside the articles (an alert's search)


class WatchStore(Protocol):
    """Where the watcher keeps feeds, items and articles. Called from one thread only."""

    def watch_feeds(self, urls: Sequence[str] | None) -> list[FeedState]:
        """The states of ``urls`` (registering the new ones), or of every registered feed for ``None``."""

    def items(self, feed_url: str, keys: Sequence[str]) -> dict[str, ItemRecord]:
        """The records of the items among ``keys`` that the feed listed before."""

    def pending(self, feed_url: str, *, limit: int) -> list[ItemRecord]:
        """Items of the feed still to fetch, oldest first."""

    def has_url(self, url: str) -> bool:
        """Whether an article with this URL is stored."""

    def save(self, feed_url: str, items: Sequence[ItemRecord], articles: Sequence[tuple[ItemRecord, RawArticle]],
             state: FeedState | None = None) -> StoreOutcome:
        """Store ``articles`` (pipeline, dedup, stories, alerts), the items' records (those of
        ``articles`` too, with their outcome) and the feed's ``state`` (when given: a poll's items
        are saved a few at a time, and the feed's new validators only once all of them are), in one
        transaction: a crash at any moment makes the next run ask again rather than lose anything."""

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """Something to tell the person watching: a ``problem`` (once per problem), a feed ``back``, an
    ``item`` that could not be stored as its page, a ``note`` about a feed, an ``alert``."""

    kind: str
    feed: str
    message: str
    alert: AlertMatch | None = None


@dataclass(slots=True)
class WatchStatus:
    """Counts since the watcher started, for the status line."""

    feeds: int = 0
    polls: int = 0
    new: int = 0
    duplicates: int = 0
    failed_items: int = 0
    failing: int = 0
    pending: int = 0
    alerts: int = 0
    not_modified: int = 0
    next_poll: float | None = None

    def line(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if self.next_poll is None:
            when = "—"
        else:
            wait = max(0.0, self.next_poll - now)
            when = time.strftime("%H:%M:%S", time.localtime(self.next_poll)) + f" (in {human_duration(wait)})"
        return (f"{self.feeds} feeds · {self.new} new · {self.duplicates} duplicates · {self.failing} failing"
                f" · {self.pending} pending · {self.alerts} alerts · next poll {when}")


class Watcher:
    """Polls feeds into a :class:`WatchStore` (opened by ``open_store`` in the watcher's storage thread)."""

    def __init__(self, open_store: Callable[[], WatchStore], feeds: Sequence[str] | None = None, *,
                 options: WatchOptions | None = None, on_event: Callable[[WatchEvent], None] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, clock: Callable[[], float] = time.time) -> None:
        self.open_store = open_store
        self.feed_urls = list(dict.fromkeys(feeds)) if feeds else None
        self.options = options or WatchOptions()
        self.on_event = on_event or (lambda event: None)
        self.transport = transport
        self.clock = clock
        self.status = WatchStatus()
        self._store: WatchStore | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._client: PoliteClient | None = None
        self._states: list[FeedState] = []
        self._pending: dict[str, int] = {}
        self._noted: set[tuple[str, str]] = set()
        self._stop = asyncio.Event()

    # -- running ------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the watcher to finish: polls in progress end at their next step, nothing half-stored."""
        self._stop.set()

    async def run(self, *, once: bool = False, cycles: int | None = None) -> WatchStatus:
        """Poll until :meth:`stop`; ``once``: every feed not in backoff, once; ``cycles``: each feed that
        many times on its schedule (tests and benches)."""
        self._stop = asyncio.Event()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="khabar-watch-store")
        try:
            self._store = await self._db(self.open_store)
            self._states = await self._db(self._store_call, "watch_feeds", self.feed_urls)
            if not self._states:
                from khabar.errors import InvalidInput

                raise InvalidInput("no feeds to watch: give feed URLs or --feeds FILE (feeds given once are "
                                   "remembered by the archive)")
            self.status.feeds = len(self._states)
            o = self.options
            self._client = PoliteClient(user_agent=o.user_agent, spacing=o.spacing, timeout=o.timeout,
                                        deadline=o.deadline, robots=o.robots, transport=self.transport)
            gate = asyncio.Semaphore(o.concurrency)
            limit = 1 if once else cycles
            self._update_status()
            tasks = [asyncio.create_task(self._follow(feed, gate, limit, once)) for feed in self._states]
            stopper = asyncio.create_task(self._stop.wait())
            try:
                while not stopper.done() and not all(t.done() for t in tasks):
                    await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (*tasks, stopper):
                    task.cancel()
                await asyncio.gather(*tasks, stopper, return_exceptions=True)
            for task in tasks:  # a bug in the watcher itself is not swallowed
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
            return self.status
        finally:
            if self._client is not None:
                await self._client.aclose()
                self._client = None
            if self._store is not None:
                with contextlib.suppress(Exception):
                    await self._db(self._store.close)
                self._store = None
            self._executor.shutdown(wait=True)

    async def _follow(self, feed: FeedState, gate: asyncio.Semaphore, limit: int | None, once: bool) -> None:
        polls = 0
        while limit is None or polls < limit:
            wait = feed.next_poll - self.clock()
            if once and feed.failures and wait > 0:
                return  # in backoff: a run with --once leaves it for a later run
            if not once and wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), wait)
                if self._stop.is_set():
                    return
            async with gate:
                await self._poll(feed)
            polls += 1
            self._update_status()

    # -- one poll ------------------------------------------------------------------------------

    async def _poll(self, feed: FeedState) -> None:
        assert self._client is not None
        o = self.options
        started = self.clock()
        feed.polls += 1
        feed.last_poll = started
        self.status.polls += 1
        try:
            answer = await self._client.get(feed.url, max_bytes=o.max_feed_bytes, etag=feed.etag,
                                            last_modified=feed.last_modified, accept=FEED_ACCEPT)
        except HttpProblem as problem:
            kind = f"http-{problem.status}" if problem.kind == "http" else problem.kind
            await self._feed_failed(feed, kind, problem.reason, problem.retry_after, started)
            return
        entries: list[FeedEntry] = []
        old_validators = (feed.etag, feed.last_modified)
        if answer.not_modified:
            feed.last_status = "not-modified"
            self.status.not_modified += 1
        else:
            listing = await asyncio.to_thread(_read_listing, answer, feed.url)
            if isinstance(listing, Failure):
                await self._feed_failed(feed, "feed", _feed_refusal(answer, listing.reason), None, started)
                return
            feed.title = listing.title or feed.title
            feed.etag, feed.last_modified = answer.etag, answer.last_modified
            feed.last_status = "unchanged"
            entries = listing.entries
        was_failing = (feed.failures, feed.last_error)
        feed.failures, feed.last_error, feed.error_kind = 0, None, None
        feed.next_poll = started + o.every
        try:
            todo, fresh = await self._items(feed, entries, started)
            waiting = fresh[o.max_items:]
            finished = True
            # Stored a few items at a time: a watcher stopped or killed mid-poll keeps what it fetched.
            for first in range(0, len(todo), SAVE_EVERY):
                if self._stop.is_set():
                    finished = False
                    break
                results = await self._handle(feed, todo[first:first + SAVE_EVERY])
                articles = [(record, article) for record, article in results if article is not None]
                records = [record for record, article in results if article is None]
                outcome = await self._db(self._store_call, "save", feed.url, records, articles)
                self._count(feed, outcome, results)
            if not finished:  # the rest is found again by asking with the old validators
                feed.etag, feed.last_modified = old_validators
                waiting = []
            # Items not reached (a stop mid-poll) are still "pending" records.
            self._pending[feed.url] = sum(1 for r in todo if r.state == "pending") + len(waiting)
            await self._db(self._store_call, "save", feed.url, waiting, [], replace(feed))
        except Exception as err:  # the archive refused (disk full, locked): report once, retry later
            feed.failures, feed.last_error, feed.error_kind = was_failing[0], was_failing[1], None
            feed.etag, feed.last_modified = old_validators
            await self._feed_failed(feed, "store", f"cannot store ({type(err).__name__}: {err})", None, started,
                                    save=False)
            return
        if was_failing[0]:
            self._emit("back", feed, f"back after {was_failing[0]} failed poll{'s' if was_failing[0] > 1 else ''}"
                                     f" ({was_failing[1]})")

    async def _items(self, feed: FeedState, entries: list[FeedEntry],
                     now: float) -> tuple[list[ItemRecord], list[ItemRecord]]:
        """The items to handle in this poll (new ones first, then those pending from earlier polls),
        at most ``max_items``, and every new item's record."""
        keyed: dict[str, FeedEntry] = {}
        links_by_guid: dict[str, set[str]] = {}
        for entry in entries:
            key = _item_key(entry)
            keyed.setdefault(key, entry)
            if entry.guid and entry.link:
                links_by_guid.setdefault(entry.guid, set()).add(entry.link)
        shared = sum(len(v) for v in links_by_guid.values() if len(v) > 1)
        if shared:
            self._note(feed, "guid", f"{shared} items share a GUID with items that link elsewhere; they are told "
                                     "apart by their links")
        known = await self._db(self._store_call, "items", feed.url, list(keyed)) if keyed else {}
        fresh = [ItemRecord(key, entry.link, first_seen=now, data=_entry_data(entry))
                 for key, entry in keyed.items() if key not in known]
        if len(fresh) > self.options.max_items:
            self._note(feed, "long", f"{len(fresh):,} new items; {self.options.max_items} are handled per poll, "
                                     "newest first, the rest on later polls")
        room = self.options.max_items - min(len(fresh), self.options.max_items)
        earlier = await self._db(self._store_call, "pending", feed.url, limit=room) if room else []
        new_keys = {r.key for r in fresh}
        todo = fresh[: self.options.max_items] + [r for r in earlier if r.key not in new_keys]
        return todo, fresh

    async def _handle(self, feed: FeedState,
                      records: list[ItemRecord]) -> list[tuple[ItemRecord, RawArticle | None]]:
        gate = asyncio.Semaphore(8)

        async def one(record: ItemRecord) -> tuple[ItemRecord, RawArticle | None]:
            async with gate:
                if self._stop.is_set():
                    return record, None
                return record, await self._article(feed, record)

        return list(await asyncio.gather(*(one(r) for r in records)))

    async def _article(self, feed: FeedState, record: ItemRecord) -> RawArticle | None:
        """The item's article (``record`` updated when there is none yet: pending, duplicate or failed)."""
        assert self._client is not None
        data = record.data or {}
        fallback = _feed_article(record, feed)
        if not record.url or not self.options.pages:
            if fallback is None:
                record.state, record.note = "failed", "the item has no link and no text"
                self._item_problem(feed, record)
            return fallback
        if await self._db(self._store_call, "has_url", record.url):
            record.state, record.note = "duplicate", "already in the archive"
            return None
        try:
            answer = await self._client.get(record.url, max_bytes=self.options.max_page_bytes, accept=PAGE_ACCEPT)
        except HttpProblem as problem:
            record.attempts += 1
            permanent = problem.kind in _PERMANENT_KINDS or (problem.kind == "http"
                                                             and problem.status in _PERMANENT_STATUS)
            if not permanent and record.attempts < self.options.page_attempts:
                record.state, record.note = "pending", problem.reason
                return None
            return self._give_up(feed, record, fallback, f"page not fetched: {problem.reason}")
        record.attempts += 1
        page = await asyncio.to_thread(_extract, answer, record.url)
        if isinstance(page, Failure):
            return self._give_up(feed, record, fallback, f"page not read: {page.reason}")
        return RawArticle(text=page.text, origin=record.url, kind="html", title=data.get("title") or page.title,
                          url=page.url or record.url, published=data.get("published") or page.published,
                          author=page.author or data.get("author"), outlet=page.outlet or feed.title)

    def _give_up(self, feed: FeedState, record: ItemRecord, fallback: RawArticle | None,
                 reason: str) -> RawArticle | None:
        if fallback is None:
            record.state, record.note = "failed", reason
            self._item_problem(feed, record)
            return None
        record.note = f"{reason}; the feed's text was stored"
        self._item_problem(feed, record)
        return fallback

    async def _feed_failed(self, feed: FeedState, kind: str, reason: str, retry_after: float | None,
                           started: float, *, save: bool = True) -> None:
        o = self.options
        feed.failures += 1
        feed.last_status = "failed"
        delay = min(max(o.max_backoff, o.every), o.every * 2 ** (feed.failures - 1))
        delay *= 1 + 0.1 * _spread(feed.url, feed.failures)  # feeds failing together spread out
        if retry_after is not None:
            delay = max(delay, min(retry_after, max(o.max_backoff, o.every)))
        feed.next_poll = started + delay
        if kind != feed.error_kind:
            self._emit("problem", feed, f"{reason}; next try in {human_duration(delay)}")
        feed.last_error, feed.error_kind = reason, kind
        if save:
            try:
                await self._db(self._store_call, "save", feed.url, [], [], replace(feed))
            except Exception as err:
                self._emit("problem", feed, f"cannot store the feed's state ({type(err).__name__}: {err})")

    # -- bookkeeping ---------------------------------------------------------------------------

    def _count(self, feed: FeedState, outcome: StoreOutcome,
               results: list[tuple[ItemRecord, RawArticle | None]]) -> None:
        self.status.new += len(outcome.added)
        self.status.duplicates += len(outcome.duplicates) + sum(1 for r, a in results
                                                                if a is None and r.state == "duplicate")
        self.status.failed_items += len(outcome.failed) + sum(1 for r, a in results if a is None and r.state == "failed")
        if outcome.added:
            feed.last_status = "new"
            feed.last_new = self.clock()
        for note in outcome.notes:
            self._note(feed, note, note)
        for key, reason in outcome.failed.items():
            self._emit("item", feed, f"{key}: not stored ({reason})")
        for hit in outcome.alerts:
            self.status.alerts += 1
            self._emit("alert", feed, f"«{hit.alert}»: {hit.title or '(untitled)'} — {hit.url or hit.article_id}",
                       alert=hit)

    def _update_status(self) -> None:
        self.status.failing = sum(1 for f in self._states if f.failures)
        self.status.pending = sum(self._pending.values())
        upcoming = [f.next_poll for f in self._states]
        self.status.next_poll = min(upcoming) if upcoming else None

    def _emit(self, kind: str, feed: FeedState, message: str, alert: AlertMatch | None = None) -> None:
        self.on_event(WatchEvent(kind, feed.url, message, alert))

    def _note(self, feed: FeedState, what: str, message: str) -> None:
        if (feed.url, what) not in self._noted:
            self._noted.add((feed.url, what))
            self._emit("note", feed, message)

    def _item_problem(self, feed: FeedState, record: ItemRecord) -> None:
        self._emit("item", feed, f"{record.url or record.key}: {record.note}")

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def _store_call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        assert self._store is not None
        return getattr(self._store, name)(*args, **kwargs)


# -- items ----------------------------------------------------------------------------------------

def _read_listing(answer: Response, url: str) -> Any:
    from khabar.ingest.feeds import read_feed_entries

    m = _CHARSET.search(answer.content_type or "")
    return read_feed_entries(answer.content, url, charset=m.group(1) if m else None, base=answer.url)


def _feed_refusal(answer: Response, reason: str) -> str:
    ctype = (answer.content_type or "").split(";")[0].strip().lower()
    head = answer.content[:2048].lstrip().lower()
    if "html" in ctype or head.startswith((b"<!doctype html", b"<html")):
        return "the feed's address now serves an HTML page, not RSS/Atom (has the outlet moved its feed?)"
    if not answer.content.strip():
        return "the feed's address answers with an empty body"
    return f"not a readable feed: {reason}"


def _item_key(entry: FeedEntry) -> str:
    """Items are told apart by link: CMSs give many items one GUID, but rarely one link; the GUID (or
    the item's text) for items without a link."""
    if entry.link:
        return entry.link
    if entry.guid:
        return f"guid:{entry.guid}"
    article = entry.article
    text = f"{article.title}\n{article.text}" if isinstance(article, RawArticle) else article.origin
    return "text:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _entry_data(entry: FeedEntry) -> dict[str, Any]:
    article = entry.article
    if not isinstance(article, RawArticle):
        return {"guid": entry.guid}
    return {"guid": entry.guid, "title": article.title, "text": article.text, "published": article.published,
            "author": article.author, "outlet": article.outlet, "origin": article.origin}


def _feed_article(record: ItemRecord, feed: FeedState) -> RawArticle | None:
    """The item as the feed gave it (its description or content), when it has text."""
    data = record.data or {}
    if not data.get("text"):
        return None
    return RawArticle(text=data["text"], origin=data.get("origin") or record.url or feed.url, kind="feed",
                      title=data.get("title"), url=record.url, published=data.get("published"),
                      author=data.get("author"), outlet=data.get("outlet") or feed.title)


def _extract(answer: Response, url: str) -> RawArticle | Failure:
    from khabar.ingest.html import read_html

    ctype = (answer.content_type or "").lower()
    if ctype.startswith(_BINARY_TYPES):
        return Failure(url, f"the link is {ctype.split(';')[0]}, not an article page")
    m = _CHARSET.search(ctype)
    found = next(read_html(answer.content, url, url=answer.url, charset=m.group(1) if m else None))
    if isinstance(found, RawArticle):
        return replace(found, raw_html=None)
    return found


def _spread(url: str, n: int) -> float:
    """A stable number in [-1, 1) per feed and failure count."""
    digest = hashlib.blake2b(f"{url}#{n}".encode(), digest_size=2).digest()
    return int.from_bytes(digest, "big") / 32768 - 1


def human_duration(seconds: float) -> str:
    """``12 s``, ``4 min``, ``1.5 h``, ``2.0 days``."""
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
