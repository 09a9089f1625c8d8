"""The watch loop against simulated outlets: new items once, 304s, restarts, and every hostile outlet
handled, reported once, without stopping the others."""

from __future__ import annotations

import asyncio
import itertools
import random
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from khabar.archive.following import ArchiveWatchStore
from khabar.archive.models import FeedState
from khabar.archive.storage import iter_articles, open_storage
from khabar.archive.watch import Watcher, WatchEvent, WatchOptions, parse_every

outlets = sys.modules["khabar_tests_outlets"]


class Archive:
    """An archive file the watcher stores into (restore-only: the tests are about following, not analysis)."""

    def __init__(self, folder: Path) -> None:
        self.path = str(folder / "watch.db")

    def open(self) -> ArchiveWatchStore:
        return ArchiveWatchStore.open(self.path, restore_only=True)

    @property
    def articles(self) -> list[SimpleNamespace]:
        with open_storage(self.path) as s:
            return [SimpleNamespace(kind=a.kind, title=a.title, text=a.doc["raw_text"], outlet=a.outlet, url=a.url)
                    for a in iter_articles(s)]

    def feed(self, url: str) -> FeedState:
        with open_storage(self.path) as s:
            return s.feeds([url])[0]

    def save_feed(self, state: FeedState) -> None:
        with open_storage(self.path) as s:
            s.save_feed(state)

FAST = {"every": 0.3, "spacing": 0.0, "timeout": 2.5, "deadline": 1.5}
BODY = ("به گزارش خبرنگار ما، {topic} امروز در جلسه‌ای با حضور مسئولان استان بررسی شد و تصمیم‌های تازه‌ای "
        "درباره آن گرفته شد.\nمسئولان گفتند اجرای این تصمیم‌ها از هفته آینده آغاز می‌شود و نتیجه آن تا پایان "
        "سال روشن خواهد شد.")
TOPICS = ["کمبود آب شرب در شهرهای جنوبی", "افزایش قیمت نان در بازار", "بازگشایی مدارس پس از تعطیلات",
          "ساخت بیمارستان تازه در حاشیه شهر", "ترافیک سنگین جاده چالوس", "برگزاری نمایشگاه کتاب",
          "بارش برف در گردنه‌های شمالی", "صادرات پسته به کشورهای همسایه"]


_VOCABULARY = ("بازار بورس نفت گاز برق آب نان سکه طلا دلار مدرسه دانشگاه بیمارستان جاده فرودگاه بندر کشتی قطار "
         "باران برف سیل زلزله آتش کشاورزی گندم پسته زعفران خرما صادرات واردات مالیات یارانه مجلس دولت شهرداری "
         "استاندار فرماندار دادگاه پلیس ورزش فوتبال کشتی والیبال کتاب سینما تئاتر موسیقی نمایشگاه جشنواره")
WORDS = _VOCABULARY.split()


def varied(n: int) -> str:
    """A short item text of its own (a feed of 10,000 copies of one template would be one story)."""
    rng = random.Random(n)
    return f"خبر {n}: " + " ".join(rng.sample(WORDS, 9)) + "."


def item(o: Any, n: int, *, page: bool = True, guid: str | None = None, encoding: str = "utf-8") -> Any:
    """Item ``n`` of a feed on outlet ``o``, with its page (in ``encoding``, declared only when UTF-8)."""
    topic = TOPICS[n % len(TOPICS)] + f" (شماره {n})"
    link = None
    if page:
        utf8 = encoding == "utf-8"
        link = o.page(f"/news/{n}", outlets.article_page(topic, BODY.format(topic=topic), encoding=encoding,
                                                         declare=utf8),
                      ctype="text/html; charset=utf-8" if utf8 else "text/html")
    return outlets.Item(guid or f"item-{n}", topic, link, f"خلاصه: {topic}", outlets.rfc822())


def watch(store: Any, feeds: list[str], *, cycles: int | None = None, once: bool = False,
          **options: Any) -> tuple[Any, list[WatchEvent]]:
    events: list[WatchEvent] = []
    watcher = Watcher(store.open, feeds, options=WatchOptions(**{**FAST, **options}), on_event=events.append)
    status = asyncio.run(watcher.run(cycles=cycles, once=once))
    return status, events


def test_watch_new_items_once_then_304_and_no_page_twice(outlet: Any, tmp_path: Path) -> None:
    feed = outlet.feed("/rss", "خبرگزاری نمونه")
    for n in range(3):
        feed.add(item(outlet, n))
    store = Archive(tmp_path)
    status, events = watch(store, [outlet.base + "/rss"], once=True)
    assert status.new == 3 and len(store.articles) == 3 and not events
    assert {a.kind for a in store.articles} == {"html"}
    assert all("تصمیم‌های تازه" in a.text for a in store.articles)
    outlet.add_item("/rss", item(outlet, 3))
    status, _ = watch(store, [outlet.base + "/rss"], cycles=2)
    assert status.new == 1 and status.not_modified == 1 and len(store.articles) == 4
    pages = Counter(r.path for r in outlet.requests() if r.path.startswith("/news/"))
    assert pages == {f"/news/{n}": 1 for n in range(4)}
    feed_answers = [r.status for r in outlet.requests("/rss")]
    assert feed_answers == [200, 200, 304]


def test_watch_restart_resumes_without_refetching(outlet: Any, tmp_path: Path) -> None:
    feed = outlet.feed("/rss", "نمونه")
    for n in range(2):
        feed.add(item(outlet, n))
    store = Archive(tmp_path)
    watch(store, [outlet.base + "/rss"], once=True)
    before = len(outlet.requests())
    status, _ = watch(store, [outlet.base + "/rss"], once=True)
    after = outlet.requests()[before:]
    assert [(r.path, r.status) for r in after] == [("/robots.txt", 404), ("/rss", 304)]
    assert after[1].if_none_match == feed.etag and status.new == 0


def test_watch_feed_without_validators_fetches_no_page_twice(outlet: Any, tmp_path: Path) -> None:
    feed = outlet.feed("/rss", "نمونه", validators=False)
    feed.add(item(outlet, 0))
    store = Archive(tmp_path)
    status, _ = watch(store, [outlet.base + "/rss"], cycles=3)
    assert [r.status for r in outlet.requests("/rss")] == [200, 200, 200]
    assert len(outlet.requests("/news/0")) == 1 and status.new == 1


def test_watch_remembers_registered_feeds(outlet: Any, tmp_path: Path) -> None:
    outlet.feed("/rss", "نمونه").add(item(outlet, 0))
    store = Archive(tmp_path)
    watch(store, [outlet.base + "/rss"], once=True)
    status, _ = watch(store, [], once=True)  # no URLs: the feeds the archive knows
    assert status.feeds == 1


def test_watch_without_feeds_is_a_clear_error(tmp_path: Path) -> None:
    from khabar.errors import InvalidInput

    with pytest.raises(InvalidInput, match="no feeds to watch"):
        watch(Archive(tmp_path), [], once=True)


def test_watch_hostile_outlets_are_handled_and_reported_once(tmp_path: Path) -> None:
    with outlets.outlets(4) as (good, bad, pages, big):
        good_feed = good.feed("/rss", "خوب")
        good_feed.add(item(good, 0))
        urls = {"good": good.base + "/rss"}
        urls["500"] = bad.route("/500", outlets.status(500))
        urls["silent"] = bad.route("/silent", outlets.silent)
        urls["loop"] = bad.route("/loop", outlets.redirect_to("/loop2"))
        bad.route("/loop2", outlets.redirect_to("/loop"))
        urls["slow"] = bad.route("/slow", outlets.trickle(every=2.0))
        urls["huge"] = bad.route("/huge", outlets.endless())
        urls["malformed"] = bad.route("/malformed", outlets.body(b"<?xml version='1.0'?><rss><channel><item>",
                                                                 "application/rss+xml"))
        urls["html"] = bad.route("/html", outlets.body(outlets.article_page("صفحه", BODY.format(topic="x")),
                                                       "text/html"))
        urls["dead"] = f"http://127.0.0.1:{outlets.closed_port()}/rss"
        # a feed whose items' pages vanish (404) or never answer well (500): the feed's own text is kept
        vanish = pages.feed("/rss", "صفحه‌ها")
        for n in (10, 11, 12):
            vanish.add(item(pages, n))
        pages.remove_page("/news/10")
        pages.route("/news/11", outlets.status(500))
        # an article page in Windows-1256 with no charset anywhere
        vanish.add(item(pages, 13, encoding="windows-1256"))
        # duplicate GUIDs with different links
        for n in (20, 21):
            vanish.add(item(pages, n, guid="same-guid"))
        urls["pages"] = pages.base + "/rss"
        # 10,000 items (no pages: the feed's text)
        huge_feed = big.feed("/rss", "بزرگ")
        huge_feed.items = [outlets.Item(f"g{n}", f"خبر {n}", None, varied(n), outlets.rfc822()) for n in range(10_000)]
        urls["10k"] = big.base + "/rss"
        store = Archive(tmp_path)
        started = time.monotonic()

        async def go() -> tuple[Any, list[WatchEvent]]:
            events: list[WatchEvent] = []
            watcher = Watcher(store.open, list(urls.values()), on_event=events.append,
                              options=WatchOptions(**{**FAST, "every": 0.5, "max_items": 300, "page_attempts": 2,
                                                          "max_feed_bytes": 4 * 2**20}))

            async def grow() -> None:  # the good feed gains an item while the bad ones misbehave
                await asyncio.sleep(0.8)
                good.add_item("/rss", item(good, 1))

            grower = asyncio.create_task(grow())
            status = await watcher.run(cycles=3)
            await grower
            return status, events

        _, events = asyncio.run(go())
        took = time.monotonic() - started
    by_feed = {name: [e for e in events if e.feed == url] for name, url in urls.items()}
    problems = {name: [e.message for e in evs if e.kind == "problem"] for name, evs in by_feed.items()}
    # every broken feed: one line for its problem, however many polls it failed
    for name in ("500", "silent", "loop", "slow", "huge", "malformed", "html", "dead"):
        assert len(problems[name]) == 1, (name, problems[name])
    assert problems["500"][0].startswith("HTTP 500")
    assert problems["loop"][0].startswith("redirect loop")
    assert "deadline" in problems["slow"][0] or "deadline" in problems["silent"][0]
    assert "limit" in problems["huge"][0]
    assert "HTML page" in problems["html"][0]
    assert "not a readable feed" in problems["malformed"][0]
    assert problems["dead"][0].startswith("unreachable: Connection refused")
    assert not problems["good"] and not problems["pages"] and not problems["10k"]
    # the good feed's items, the one added while it ran included
    stored = {a.title for a in store.articles}
    assert {f"{TOPICS[0]} (شماره 0)", f"{TOPICS[1]} (شماره 1)"} <= stored
    # vanished and failing pages: the feed's text, noted once per item
    texts = {a.title: a for a in store.articles}
    assert texts[f"{TOPICS[10 % 8]} (شماره 10)"].kind == "feed"
    assert texts[f"{TOPICS[11 % 8]} (شماره 11)"].kind == "feed"
    items = [e.message for e in by_feed["pages"] if e.kind == "item"]
    assert len(items) == 2 and any("HTTP 404" in m for m in items) and any("HTTP 500" in m for m in items)
    assert len(pages.requests("/news/11")) == 2  # retried once, then the feed's text
    # Windows-1256 page without a charset: read right
    cp = texts[f"{TOPICS[13 % 8]} (شماره 13)"]
    assert cp.kind == "html" and "آغاز مي\u200cشود" in cp.text
    # two items with one GUID and different links: both stored, noted once
    assert {f"{TOPICS[20 % 8]} (شماره 20)", f"{TOPICS[21 % 8]} (شماره 21)"} <= stored
    assert sum(1 for e in by_feed["pages"] if e.kind == "note") == 1
    # the 10,000-item feed: 300 per poll, newest first, no item twice
    from_big = [a for a in store.articles if a.outlet == "بزرگ"]
    assert len(from_big) == 900 and len({a.text for a in from_big}) == 900
    assert from_big[0].title == "خبر 0"
    assert [e.kind for e in by_feed["10k"]] == ["note"]
    assert len(store.articles) == len({a.url or a.text for a in store.articles})
    assert took < 60  # no outlet held the others up (a deadline or a timeout each, not a hang)


def test_watch_backoff_grows_for_a_failing_feed(outlet: Any, tmp_path: Path) -> None:
    url = outlet.route("/500", outlets.status(500))
    store = Archive(tmp_path)
    status, events = watch(store, [url], cycles=4, every=0.3)
    times = [r.at for r in outlet.requests("/500")]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Each wait near the doubled delay (0.3, 0.6, 1.2 s; scheduled from the poll, seen at the server) or
    # longer: a busy machine lengthens them unevenly, so ratios between the measured gaps are no test.
    assert len(times) == 4 and all(gap >= 0.75 * 0.3 * 2 ** k for k, gap in enumerate(gaps)), gaps
    assert store.feed(url).failures == 4 and status.failing == 1
    assert [e.kind for e in events] == ["problem"]


def test_watch_retry_after_is_honoured(outlet: Any, tmp_path: Path) -> None:
    url = outlet.route("/busy", outlets.status(503, {"Retry-After": "3600"}))
    store = Archive(tmp_path)
    watch(store, [url], once=True)
    assert store.feed(url).next_poll - time.time() > 3000


def test_watch_feed_back_after_failures_is_said_once(outlet: Any, tmp_path: Path) -> None:
    outlet.route("/rss", outlets.status(500))
    store = Archive(tmp_path)
    _, first = watch(store, [outlet.base + "/rss"], cycles=2, every=0.05)
    del outlet.routes["/rss"]
    outlet.feed("/rss", "نمونه").add(item(outlet, 0))
    state = store.feed(outlet.base + "/rss")
    state.next_poll = 0
    store.save_feed(state)
    _, events = watch(store, [outlet.base + "/rss"], cycles=2, every=0.05)
    assert [e.kind for e in first] == ["problem"]
    assert [e.kind for e in events] == ["back"] and "after 2 failed polls" in events[0].message


@pytest.mark.parametrize(("text", "seconds"), [("10m", 600), ("30s", 30), ("1h", 3600), ("1h30m", 5400),
                                               ("45", 45), ("0.5s", 0.5), ("2d", 172800)])
def test_parse_every(text: str, seconds: float) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "ten minutes", "10x", "-5m", "5m garbage"])
def test_parse_every_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|longer than 0"):
        parse_every(text)
