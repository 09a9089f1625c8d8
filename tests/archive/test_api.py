"""The Archive facade: typed results, keyset paging, facets, entities, stories, counts, copy."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from khabar.archive import Archive
from khabar.archive.query import Cursor
from khabar.archive.storage.registry import parse_address, redact
from khabar.document import Document
from khabar.errors import InvalidInput, NotFoundError, StorageError
from khabar.ingest import RawArticle

WORDS = ["تورم", "بازار", "سکه", "بورس", "مسکن", "دلار", "نفت", "بودجه"]


def _records(n: int) -> list[RawArticle]:
    import random

    rng = random.Random(7)
    out = []
    for i in range(n):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        published = f"2025-{month:02d}-{day:02d}" if i % 9 else None
        outlet = ["ایرنا", "ایسنا", "مهر"][i % 3]
        out.append(RawArticle(f"گزارش شماره {i}: {words} تورم می کند.", f"t#{i}", "jsonl", title=f"خبر {i} {words[:12]}",
                              url=f"https://x.ir/{i}", published=published, outlet=outlet))
    return out


@pytest.fixture(scope="module")
def archive():
    with Archive.open(":memory:") as a:
        a.ingest(records=_records(60), jobs=1, restore_only=True)
        yield a


@pytest.mark.parametrize("sort", ["newest", "oldest", "relevance"])
def test_api_cursor_pages_through_every_match_once(archive: Archive, sort: str) -> None:
    everything = archive.search("تورم", sort=sort, limit=100)
    seen, cursor, pages = [], None, 0
    while True:
        page = archive.search("تورم", sort=sort, limit=7, cursor=cursor)
        seen += [r.id for r in page]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [r.id for r in everything] and len(seen) == 60
    assert pages == 9


def test_api_relevance_pages_continue_past_the_ranked_window(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    import khabar.archive.query as query

    monkeypatch.setattr(query, "RANK_WINDOW", 10)  # a window smaller than the matches
    first = archive.search("بازار OR سکه", sort="relevance", limit=6)
    second = archive.search("بازار OR سکه", sort="relevance", limit=6, cursor=first.next_cursor)
    third = archive.search("بازار OR سکه", sort="relevance", limit=6, cursor=second.next_cursor)
    ids = [r.id for p in (first, second, third) for r in p]
    assert len(ids) == len(set(ids)) == 18
    newest = [r.id for r in archive.search("بازار OR سکه", limit=100)]
    window = set(newest[:10])
    assert set(ids[:10]) == window  # the ranked window first …
    assert ids[10:] == [i for i in newest if i not in window][:8]  # … then the rest, newest first


@pytest.mark.parametrize("bad", ["x", "abc.def", "e30.0000000000", "a" * 600, "eyJ.1234567890"])
def test_api_cursor_refuses_a_damaged_token(archive: Archive, bad: str) -> None:
    with pytest.raises(InvalidInput, match="cursor"):
        archive.search("تورم", cursor=bad)


def test_api_cursor_refuses_one_from_another_search(archive: Archive) -> None:
    cursor = archive.search("تورم", limit=5).next_cursor
    with pytest.raises(InvalidInput, match="another search"):
        archive.search("بازار", limit=5, cursor=cursor)
    with pytest.raises(InvalidInput, match="another search"):
        archive.search("تورم", limit=5, cursor=cursor, sort="oldest")
    tampered = Cursor("newest", 10**12, fingerprint="x").encode()
    with pytest.raises(InvalidInput):
        archive.search("تورم", cursor=tampered)


def test_api_total_says_at_least_when_counting_stops(archive: Archive) -> None:
    assert archive.search("تورم", count=True).total.to_dict() == {"value": 60, "relation": "eq"}
    assert archive.search("تورم", count=True, count_cap=20).total.to_dict() == {"value": 20, "relation": "gte"}


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_api_total_of_a_page_holding_every_match_is_its_length(archive: Archive, sort: str) -> None:
    # A first page that holds every match is counted by itself; one that does not, by the archive.
    whole = archive.search("تورم", count=True, limit=100, sort=sort)
    assert whole.total.to_dict() == {"value": len(whole.results), "relation": "eq"} and whole.next_cursor is None
    assert archive.search("تورم", count=True, limit=100, count_cap=7, sort=sort).total.to_dict() == \
        {"value": 7, "relation": "gte"}
    part = archive.search("تورم", count=True, limit=10, sort=sort)
    assert part.total.to_dict() == {"value": len(whole.results), "relation": "eq"} and part.next_cursor
    narrow = archive.search("تورم", count=True, limit=100, source="ایرنا", sort=sort)
    assert narrow.total.value == len(narrow.results) < len(whole.results)


@pytest.mark.parametrize("sort", ["newest", "oldest", "relevance"])
def test_api_next_pages_show_the_first_pages_count_without_counting_again(archive: Archive, sort: str,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    first = archive.search("تورم", count=True, limit=7, sort=sort)
    assert first.total.value == 60 and first.next_cursor
    counted: list[int] = []
    real_count = archive.storage.count
    monkeypatch.setattr(archive.storage, "count", lambda q, *, cap: counted.append(cap) or real_count(q, cap=cap))
    seen = [r.id for r in first.results]
    page = first
    while page.next_cursor:
        page = archive.search("تورم", count=True, limit=7, sort=sort, cursor=page.next_cursor)
        assert page.total.to_dict() == {"value": 60, "relation": "eq"}
        seen += [r.id for r in page.results]
    assert counted == [] and len(seen) == len(set(seen)) == 60
    # Another cap than the first page's is counted again; a page without a count carries none on.
    again = archive.search("تورم", count=True, limit=7, sort=sort, count_cap=9, cursor=first.next_cursor)
    assert again.total.to_dict() == {"value": 9, "relation": "gte"} and counted == [9]
    plain = archive.search("تورم", limit=7, sort=sort)
    after = archive.search("تورم", count=True, limit=7, sort=sort, cursor=plain.next_cursor)
    assert after.total.value == 60 and len(counted) == 2


def test_api_cursor_with_a_forged_count_is_refused(archive: Archive) -> None:
    import base64

    token = archive.search("تورم", count=True, limit=5).next_cursor
    data, check = token.split(".")
    fields = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    assert fields[5] == 60 and fields[6] >= 60
    fields[5] = 5
    forged = base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).decode().rstrip("=")
    with pytest.raises(InvalidInput, match="cursor"):
        archive.search("تورم", count=True, cursor=f"{forged}.{check}")
    # A well-formed cursor whose count is beyond its cap is refused too.
    with pytest.raises(InvalidInput, match="cursor"):
        Cursor.decode(Cursor("newest", 1, None, "f", 11, 10).encode(), fingerprint="f")
    assert Cursor.decode(Cursor("newest", 1, None, "f", 10, 10).encode(), fingerprint="f").total == 10


def test_api_facets_have_values_labels_counts_and_selection(archive: Archive) -> None:
    page = archive.search("", facets=True, source="ایرنا")
    [source] = page.facets["source"]
    assert (source.value, source.label, source.count, source.selected) == ("ایرنا", "ایرنا", 20, True)
    assert {r.id for r in page.results} <= {r.id for r in archive.search("", source=["ایرنا", "ایسنا"], limit=100)}


def test_api_to_dict_is_json(archive: Archive) -> None:
    page = archive.search("تورم", count=True, facets=True, limit=2)
    assert json.loads(json.dumps(page.to_dict(), ensure_ascii=False)) == page.to_dict()
    assert page.to_dict()["next_cursor"] == page.next_cursor


def test_api_article_round_trips_and_unknown_ids_are_not_found(archive: Archive) -> None:
    article = archive.article(1)
    assert Document.from_dict(article.to_dict()).to_dict() == article.document.to_dict()
    for bad in (0, 10**6, -3, 2**70):
        with pytest.raises(NotFoundError):
            archive.article(bad)


def test_api_counts_per_interval(archive: Archive) -> None:
    months = archive.counts("بازار", interval="month")
    assert all(c.date.endswith("-01") and 0 < c.count <= c.total for c in months)
    dated = sum(1 for r in archive.search("بازار", limit=100) if r.published)
    assert sum(c.count for c in months) == dated
    with pytest.raises(InvalidInput, match="interval"):
        archive.counts("بازار", interval="hour")  # type: ignore[arg-type]


def test_api_sources_and_export(archive: Archive) -> None:
    assert sorted((s.name, s.articles) for s in archive.sources()) == [("ایرنا", 20), ("ایسنا", 20), ("مهر", 20)]
    out = io.StringIO()
    assert archive.export(out) == 60
    assert [json.loads(line)["article"]["id"] for line in out.getvalue().splitlines()] == list(range(1, 61))


def _people_archive() -> Archive:
    from khabar.archive.models import NewArticle
    from khabar.archive.runner import restore_pipeline
    from khabar.document import Entity, Mention

    a = Archive.open(":memory:")
    for i, (text, people) in enumerate([("سرگئی لاوروف در مسکو گفت.", [("per:sl", "سرگئی لاوروف")]),
                                        ("لاوروف و سرگئی لاوروف آمدند.", [("per:sl", "سرگئی لاوروف")]),
                                        ("علی لاریجانی آمد.", [("per:al", "علی لاریجانی")])]):
        doc = restore_pipeline().analyze(text)
        for eid, name in people:
            s = doc.text.index(name)
            doc.entities.append(Entity(eid, name, "PER"))
            doc.mentions.append(doc.span(s, s + len(name), Mention, label="PER", entity=eid))
        a.storage.write([NewArticle.from_document(doc, content_key=str(i), published=f"2025-01-0{i + 1}")])
    return a


def test_api_entities_autocomplete_and_profile_by_id() -> None:
    a = _people_archive()
    assert [e.name for e in a.entities("سرگ")] == ["سرگئی لاوروف"]
    assert [e.name for e in a.entities("لا")] == ["سرگئی لاوروف", "علی لاریجانی"]  # most mentioned first
    profile = a.entity("per:sl")
    assert profile.article_count == 2 and profile.to_dict()["ids"] == ["per:sl"]
    assert [c.count for c in a.timeline("per:sl", interval="day")] == [1, 1]
    assert [r.id for r in a.search("", person="per:sl")] == [2, 1]  # a facet value filters exactly
    with pytest.raises(NotFoundError):
        a.entity("per:nobody")


def test_api_stories_are_assigned_incrementally() -> None:
    flood = "سیل در استان گلستان روستاهای آق قلا را فرا گرفت و ۱۲ نفر مصدوم شدند و امدادگران هلال احمر اعزام شدند."
    with Archive.open(":memory:") as a:
        a.ingest(records=[RawArticle(flood, "a", "text", published="2025-03-01", outlet="ایرنا"),
                          RawArticle("قیمت سکه در بازار تهران کاهش یافت.", "b", "text", published="2025-03-01")],
                 jobs=1, restore_only=True, stories=True)
        first = {s.id: [x.id for x in s.articles] for s in a.stories(min_size=1)}
        a.ingest(records=[RawArticle("به گزارش ایسنا، " + flood.replace("۱۲ نفر", "دوازده نفر"), "c", "text",
                                     published="2025-03-02", outlet="ایسنا")], jobs=1, restore_only=True, stories=True)
        [story] = a.stories()
        assert story.id == 1 and [x.id for x in story.articles] == [1, 3] and story.outlets == 2
        assert {s.id: [x.id for x in s.articles] for s in a.stories(min_size=1)}[2] == first[2]


def test_api_copy_keeps_documents_ids_and_stories(tmp_path: Path) -> None:
    with Archive.open(":memory:") as a:
        a.ingest(records=_records(25), jobs=1, restore_only=True)
        a.cluster()
        with Archive.open(tmp_path / "copy.db") as b:
            assert a.copy_to(b) == 25
            assert a.copy_to(b) == 0  # rerun: nothing twice
            assert [x.to_dict() for x in a.articles()] == [x.to_dict() for x in b.articles()]
            assert [s.to_dict() for s in a.stories()] == [s.to_dict() for s in b.stories()]


@pytest.mark.parametrize(("address", "expected"), [
    (":memory:", ("sqlite", ":memory:")), ("sqlite://", ("sqlite", ":memory:")),
    ("sqlite:///news.db", ("sqlite", "news.db")), ("sqlite:////srv/news.db", ("sqlite", "/srv/news.db")),
    ("news.db", ("sqlite", "news.db")), ("postgresql://u@h/db", ("postgres", "postgresql://u@h/db")),
    ("postgres://h/db", ("postgres", "postgres://h/db")),
])
def test_api_addresses_name_a_backend(address: str, expected: tuple[str, str]) -> None:
    assert parse_address(address) == expected


@pytest.mark.parametrize("address", ["", "   ", "mysql://u@h/db", "sqlite://relative.db", "ftp://x"])
def test_api_bad_addresses_are_refused_in_one_line(address: str) -> None:
    with pytest.raises(StorageError) as err:
        Archive.open(address)
    assert "\n" not in str(err.value)


def test_api_passwords_never_show() -> None:
    assert "hunter2" not in redact("postgresql://me:hunter2@db:5432/news")
    assert "hunter2" not in redact("host=db password=hunter2 dbname=news")
    with pytest.raises(StorageError) as err:
        Archive.open("mysql://me:hunter2@db/news")
    assert "hunter2" not in str(err.value)


def test_api_opening_a_missing_archive_to_read_says_so(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no archive here"):
        Archive.open(tmp_path / "none.db", must_exist=True)
    assert not (tmp_path / "none.db").exists()
