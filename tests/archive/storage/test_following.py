"""The storage interface's Following part (feeds, items, saved searches, matches, stories one at a time),
run against every backend."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from khabar import analyze
from khabar.archive.models import Alert, FeedState, ItemRecord, NewArticle
from khabar.archive.storage import Storage, open_storage
from khabar.errors import InvalidInput, NotFoundError, StorageError


@pytest.fixture(params=["sqlite-memory", "sqlite-file", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "postgres":
        address = request.getfixturevalue("pg_url")
    else:
        address = ":memory:" if request.param == "sqlite-memory" else str(tmp_path / "a.db")
    s = open_storage(address)
    try:
        yield s
    finally:
        s.close()


def add(store: Storage, n: int, text: str, **meta: object) -> int:
    doc = analyze(text)
    [article_id] = store.write([NewArticle.from_document(doc, content_key=f"k{n}", **meta)])  # type: ignore[arg-type]
    assert article_id is not None
    return article_id


def test_following_feeds_registered_once_and_state_round_trips(store: Storage) -> None:
    store.follow(["https://a.ir/rss", "https://b.ir/rss"], now=100.0)
    store.follow(["https://a.ir/rss"], now=200.0)
    assert [f.url for f in store.feeds()] == ["https://a.ir/rss", "https://b.ir/rss"]
    state = FeedState("https://a.ir/rss", title="ایسنا", etag='"v3"', last_modified="Sat, 09 Aug 2025 10:00:00 GMT",
                      last_poll=1.5, last_status="failed", last_error="HTTP 500", error_kind="http-500", failures=2,
                      next_poll=99.25, last_new=1.0, polls=9, added=100.0)
    store.save_feed(state)
    assert store.feeds(["https://b.ir/rss", "https://a.ir/rss", "https://none.ir/"])[1] == state
    assert store.feeds(["https://b.ir/rss"])[0].added == 100.0


def test_following_unknown_feed_is_not_found(store: Storage) -> None:
    with pytest.raises(NotFoundError):
        store.save_feed(FeedState("https://nowhere.ir/rss"))
    with pytest.raises(NotFoundError):
        store.feed_items("https://nowhere.ir/rss", ["k"])


def test_following_items_pending_then_stored(store: Storage) -> None:
    store.follow(["https://a.ir/rss"], now=0.0)
    article = add(store, 1, "وزیر امروز به تهران رفت.", url="https://a.ir/1")
    items = [ItemRecord("https://a.ir/1", "https://a.ir/1", "stored", 1, 10.0, article),
             ItemRecord("https://a.ir/2", "https://a.ir/2", "pending", 0, 11.0, data={"title": "خبر", "text": "متن"}),
             ItemRecord("guid:x", None, "failed", 3, 9.0, note="no text"),
             ItemRecord("https://a.ir/3", "https://a.ir/3", "pending", 1, 8.0, data={"title": "سوم"})]
    store.save_items("https://a.ir/rss", items)
    found = store.feed_items("https://a.ir/rss", ["https://a.ir/1", "https://a.ir/2", "guid:x", "unknown"])
    assert found == {i.key: i for i in items[:3]}
    assert [i.key for i in store.pending_items("https://a.ir/rss", limit=10)] == ["https://a.ir/3", "https://a.ir/2"]
    assert [i.key for i in store.pending_items("https://a.ir/rss", limit=1)] == ["https://a.ir/3"]
    # finished: its data is dropped
    store.save_items("https://a.ir/rss", [ItemRecord("https://a.ir/2", "https://a.ir/2", "duplicate", 1, 11.0,
                                                     data={"title": "خبر"})])
    assert store.feed_items("https://a.ir/rss", ["https://a.ir/2"])["https://a.ir/2"].data is None
    assert store.item_counts() == {"https://a.ir/rss": {"stored": 1, "duplicate": 1, "failed": 1, "pending": 1}}
    assert store.forget_items(10.5) == 2  # the stored and the failed item; pending ones stay
    assert store.item_counts() == {"https://a.ir/rss": {"duplicate": 1, "pending": 1}}


def test_following_many_keys_at_once(store: Storage) -> None:
    store.follow(["https://a.ir/rss"], now=0.0)
    items = [ItemRecord(f"https://a.ir/{n}", f"https://a.ir/{n}", "pending", 0, float(n)) for n in range(2500)]
    store.save_items("https://a.ir/rss", items)
    assert len(store.feed_items("https://a.ir/rss", [i.key for i in items])) == 2500
    assert len(store.feeds([f"https://x{n}.ir/" for n in range(1200)] + ["https://a.ir/rss"])) == 1


def test_following_unfollow_forgets_items_not_articles(store: Storage) -> None:
    store.follow(["https://a.ir/rss"], now=0.0)
    article = add(store, 1, "وزیر امروز به تهران رفت.", url="https://a.ir/1")
    store.save_items("https://a.ir/rss", [ItemRecord("https://a.ir/1", "https://a.ir/1", "stored", 1, 1.0, article)])
    assert store.unfollow("https://a.ir/rss") and not store.unfollow("https://a.ir/rss")
    assert store.feeds() == [] and store.item_counts() == {} and store.stats()["articles"] == 1


def test_following_alerts_saved_listed_removed(store: Storage) -> None:
    saved = store.add_alert(Alert("نفت", "نفت OR گاز", source="ایسنا", has_quotes=True,
                                  created="2025-08-09T10:00:00+00:00"))
    assert saved.id is not None and saved.facets() == {"source": "ایسنا", "has_quotes": True}
    store.add_alert(Alert("ارز", "دلار", created="2025-08-09T10:00:00+00:00"))
    assert [a.name for a in store.alerts()] == ["ارز", "نفت"]
    assert store.alerts()[1] == saved
    with pytest.raises(InvalidInput, match="exists"):
        store.add_alert(Alert("نفت", "x", created="2025-08-09T10:00:00+00:00"))
    assert store.remove_alert("ارز") and not store.remove_alert("ارز")


def test_following_matches_newest_first_since_and_once(store: Storage) -> None:
    alert = store.add_alert(Alert("نفت", "نفت", created="2025-08-09T00:00:00+00:00"))
    assert alert.id is not None
    a1 = add(store, 1, "صادرات نفت ایران افزایش یافت.", title="نفت", url="https://a.ir/1", outlet="ایسنا",
             published="2025-08-09")
    a2 = add(store, 2, "قیمت نفت امروز کاهش یافت.", title="قیمت", url="https://a.ir/2")
    assert store.add_matches([(alert.id, a1, "2025-08-09T10:00:00+00:00"),
                              (alert.id, a2, "2025-08-10T10:00:00+00:00")]) == 2
    assert store.add_matches([(alert.id, a1, "2025-08-11T10:00:00+00:00")]) == 0  # once per article
    matches = store.alert_matches(alert.id)
    assert [m.article_id for m in matches] == [a2, a1]
    assert (matches[1].title, matches[1].url, matches[1].outlet, matches[1].published) == (
        "نفت", "https://a.ir/1", "ایسنا", "2025-08-09")
    assert matches[1].summary and matches[1].summary.startswith("صادرات نفت")
    assert [m.article_id for m in store.alert_matches(alert.id, since="2025-08-10")] == [a2]
    assert [m.article_id for m in store.alert_matches(alert.id, limit=1)] == [a2]
    store.remove_alert("نفت")
    assert store.add_matches([]) == 0


def test_following_transaction_stores_all_or_nothing(store: Storage) -> None:
    store.follow(["https://a.ir/rss"], now=0.0)
    with pytest.raises(RuntimeError), store.transaction():
        add(store, 1, "وزیر امروز به تهران رفت.", url="https://a.ir/1")
        store.save_items("https://a.ir/rss", [ItemRecord("https://a.ir/1", "https://a.ir/1", "stored", 1, 1.0)])
        store.save_feed(FeedState("https://a.ir/rss", etag='"v2"'))
        raise RuntimeError("killed mid-poll")
    assert store.stats()["articles"] == 0 and store.item_counts() == {}
    assert store.feeds()[0].etag is None
    with store.transaction():
        add(store, 1, "وزیر امروز به تهران رفت.", url="https://a.ir/1")
        with store.transaction():  # nested: joins
            store.save_feed(FeedState("https://a.ir/rss", etag='"v2"'))
    assert store.stats()["articles"] == 1 and store.feeds()[0].etag == '"v2"'


def test_following_storage_errors_are_storage_errors(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    open_storage(str(path)).close()
    ro = open_storage(str(path), readonly=True)
    try:
        with pytest.raises((StorageError, sqlite3.Error)):
            ro.follow(["https://a.ir/rss"], now=0.0)
    finally:
        ro.close()
