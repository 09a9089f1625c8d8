"""Saved searches and followed feeds over the API: JSON, the Atom feed, 404 and 422 as problems."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import feedparser
import pytest

from khabar.archive import Archive
from khabar.archive.following import ArchiveWatchStore
from khabar.archive.models import FeedState, ItemRecord
from khabar.ingest import RawArticle

FEED = "https://www.isna.ir/rss"
ARTICLES = [("صادرات نفت ایران به چین افزایش یافت و قیمت نفت بالا رفت.", "نفت"),
            ("بارش برف سنگین راه های کوهستانی را بست.", "برف"),
            ("وزیر نفت درباره قرارداد تازه گاز توضیح داد.", "وزیر نفت")]


@pytest.fixture
def archive_path(tmp_path: Path) -> str:
    path = str(tmp_path / "news.db")
    with Archive.open(path) as archive:
        archive.add_alert("نفت", "نفت")
        archive.add_alert("برف", "برف", source="ایسنا")
        store = ArchiveWatchStore(archive.storage, restore_only=True, owned=False)
        store.watch_feeds([FEED])
        records = [(ItemRecord(f"{FEED}/{n}", f"https://www.isna.ir/news/{n}"),
                    RawArticle(text, f"{FEED}#{n}", "feed", title=title, url=f"https://www.isna.ir/news/{n}",
                               published="2025-08-09", outlet="ایسنا"))
                   for n, (text, title) in enumerate(ARTICLES)]
        outcome = store.save(FEED, [], records, FeedState(FEED, title="ایسنا", etag='"v1"', last_poll=1.0))
        assert len(outcome.alerts) == 3
    return path


def test_api_alerts_listed(make_client: Any, archive_path: str) -> None:
    found = make_client(db=archive_path).get("/api/v1/alerts").json()
    assert [(a["name"], a["query"], a["facets"]) for a in found] == [("برف", "برف", {"source": "ایسنا"}),
                                                                    ("نفت", "نفت", {})]


def test_api_alert_matches_newest_first(make_client: Any, archive_path: str) -> None:
    client = make_client(db=archive_path)
    body = client.get(f"/api/v1/alerts/{quote('نفت')}").json()
    assert body["name"] == "نفت" and sorted(m["title"] for m in body["matches"]) == ["نفت", "وزیر نفت"]
    assert {m["url"] for m in body["matches"]} == {"https://www.isna.ir/news/0", "https://www.isna.ir/news/2"}
    assert client.get(f"/api/v1/alerts/{quote('نفت')}?limit=1").json()["matches"][0]["article"] > 0
    assert client.get(f"/api/v1/alerts/{quote('نفت')}?since=2999-01-01").json()["matches"] == []


def test_api_alert_atom_feed(make_client: Any, archive_path: str) -> None:
    response = make_client(db=archive_path).get(f"/api/v1/alerts/{quote('نفت')}.atom")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo and sorted(e.title for e in parsed.entries) == ["نفت", "وزیر نفت"]
    assert parsed.feed.links[0].href.endswith(f"/api/v1/alerts/{quote('نفت')}.atom")


@pytest.mark.parametrize("path", [f"/api/v1/alerts/{quote('گاز')}", f"/api/v1/alerts/{quote('گاز')}.atom"])
def test_api_unknown_alert_is_a_404_problem(make_client: Any, archive_path: str, path: str) -> None:
    response = make_client(db=archive_path).get(path)
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
    assert "no alert named 'گاز'" in response.json()["detail"] and "نفت" in response.json()["detail"]


@pytest.mark.parametrize("path", [f"/api/v1/alerts/{quote('نفت')}", f"/api/v1/alerts/{quote('نفت')}.atom"])
def test_api_alert_bad_since_is_a_422_naming_it(make_client: Any, archive_path: str, path: str) -> None:
    response = make_client(db=archive_path).get(f"{path}?since=not-a-date")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "since"


def test_api_feeds_with_health(make_client: Any, archive_path: str) -> None:
    [feed] = make_client(db=archive_path).get("/api/v1/feeds").json()
    assert (feed["url"], feed["title"], feed["health"], feed["items"]) == (FEED, "ایسنا", "ok", {"stored": 3})
