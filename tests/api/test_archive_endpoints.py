"""The archive's endpoints on a real archive (the samples, ingested): shapes, paging, errors, export, writes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from khabar.archive import Archive

    path = tmp_path_factory.mktemp("api") / "news.db"
    with Archive.open(str(path)) as archive:
        summary = archive.ingest([str(SAMPLES)], jobs=1)
        assert summary.added >= 10 and not summary.failed
        archive.cluster()
    return path


@pytest.fixture(scope="module")
def api(archive_path: Path) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from khabar.api import Settings, create_app

    with TestClient(create_app(Settings(db=str(archive_path), token=TOKEN)), raise_server_exceptions=False) as c:
        yield c


def test_search_answers_the_documented_shape(api: Any) -> None:
    r = api.get("/api/v1/search", params={"q": "زلزله", "facets": "all"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"query", "total", "results", "facets", "next_cursor"}
    assert body["total"]["relation"] in ("eq", "gte") and body["total"]["value"] >= 2
    hit = body["results"][0]
    assert set(hit) >= {"id", "title", "source", "published", "url", "snippet"}
    text, highlights = hit["snippet"]["text"], hit["snippet"]["highlights"]
    assert highlights and all("زلزله" in text[s:e] or "زمین" in text[s:e] for s, e in highlights)
    assert set(body["facets"]) == {"person", "org", "place", "source"}
    value = body["facets"]["source"][0]
    assert set(value) == {"value", "label", "count", "selected"} and value["selected"] is False


def test_search_facets_are_opt_in_and_marked_selected(api: Any) -> None:
    assert api.get("/api/v1/search", params={"q": "زلزله"}).json()["facets"] == {}
    first = api.get("/api/v1/search", params={"q": "زلزله", "facets": "source"}).json()["facets"]["source"][0]
    r = api.get("/api/v1/search", params={"q": "زلزله", "facets": "source", "source": first["value"]}).json()
    assert r["total"]["value"] == first["count"]
    assert any(v["selected"] for v in r["facets"]["source"])
    assert {hit["source"] for hit in r["results"]} == {first["label"]}


def test_search_pages_with_a_keyset_cursor_and_link_header(api: Any) -> None:
    seen: list[int] = []
    url, pages = "/api/v1/search?limit=4", 0
    while url and pages < 20:
        r = api.get(url)
        assert r.status_code == 200
        ids = [h["id"] for h in r.json()["results"]]
        assert not set(ids) & set(seen)
        seen += ids
        link = r.headers.get("link")
        assert bool(link) == bool(r.json()["next_cursor"])
        url = link.split(";")[0].strip("<>") if link else None
        pages += 1
    total = api.get("/api/v1/search").json()["total"]["value"]
    assert len(seen) == total and pages >= 3


@pytest.mark.parametrize(("params", "field"), [
    ({"since": "not a date"}, "since"),
    ({"until": "1403-13-40"}, "until"),
    ({"cursor": "garbage"}, "cursor"),
    ({"limit": "0"}, "limit"),
    ({"limit": "abc"}, "limit"),
    ({"sort": "random"}, "sort"),
    ({"q": "(تورم"}, "q"),
    ({"q": "تورم OR"}, "q"),
    ({"q": "x" * 1001}, "q"),
    ({"facets": "colour"}, "facets"),
    ({"has_quotes": "maybe"}, "has_quotes"),
])
def test_search_names_the_parameter_it_cannot_read(api: Any, params: dict[str, str], field: str) -> None:
    r = api.get("/api/v1/search", params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["errors"][0]["field"] == field and repr(field) in body["detail"]


def test_search_cursor_of_another_search_is_refused(api: Any) -> None:
    cursor = api.get("/api/v1/search", params={"limit": 2}).json()["next_cursor"]
    r = api.get("/api/v1/search", params={"limit": 2, "q": "تهران", "cursor": cursor})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"


def test_search_reads_jalali_and_gregorian_dates_alike(api: Any) -> None:
    jalali = api.get("/api/v1/search", params={"since": "۲۴ مهر ۱۴۰۳", "until": "1403-07-24"}).json()
    gregorian = api.get("/api/v1/search", params={"since": "2024-10-15", "until": "2024-10-15"}).json()
    assert jalali["total"] == gregorian["total"] and jalali["total"]["value"] >= 1


def test_search_with_hostile_queries_answers_without_error(api: Any) -> None:
    for q in ['<script>alert(1)</script>', '" OR 1=1 --', "NEAR(a b)", "\u202eتهران", "\x00\x01", "*", '"""']:
        r = api.get("/api/v1/search", params={"q": q})
        assert r.status_code in (200, 422), (q, r.text)


def test_counts_are_count_total_ratio(api: Any) -> None:
    rows = api.get("/api/v1/counts", params={"q": "زلزله", "interval": "month"}).json()
    assert rows and set(rows[0]) == {"date", "count", "total", "ratio"}
    assert all(0 < r["count"] <= r["total"] and abs(r["ratio"] - r["count"] / r["total"]) < 1e-6 for r in rows)
    assert api.get("/api/v1/counts", params={"interval": "hour"}).status_code == 422


def test_article_is_the_document_and_its_metadata(api: Any) -> None:
    r = api.get("/api/v1/articles/1")
    body = r.json()
    assert {"raw_text", "text", "mentions", "entities", "quotes", "changes", "article"} <= set(body)
    assert body["article"]["id"] == 1


@pytest.mark.parametrize("path", ["/api/v1/articles/999999", "/api/v1/articles/0", "/api/v1/articles/-3",
                                  "/api/v1/articles/99999999999999999999999", "/api/v1/stories/999999",
                                  "/api/v1/stories/99999999999999999999999", "/api/v1/entities/per:nobody",
                                  "/api/v1/entities/per:nobody/timeline"])
def test_unknown_ids_are_404_problem_json(api: Any, path: str) -> None:
    r = api.get(path)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"] == "application/problem+json" and r.json()["status"] == 404


def test_article_id_that_is_not_a_number_is_422(api: Any) -> None:
    r = api.get("/api/v1/articles/abc")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "article_id"


def test_entities_autocomplete_and_profile_and_timeline(api: Any) -> None:
    found = api.get("/api/v1/entities", params={"q": "لاورو"}).json()
    assert found and all({"id", "name", "label"} <= set(e) for e in found)
    eid = found[0]["id"]
    profile = api.get(f"/api/v1/entities/{quote(eid, safe='')}").json()
    assert {"name", "aliases", "titles", "articles", "statements", "meetings", "co_mentioned"} <= set(profile)
    assert profile["article_count"] >= 1
    timeline = api.get(f"/api/v1/entities/{quote(eid, safe='')}/timeline", params={"interval": "day"}).json()
    assert sum(t["count"] for t in timeline) >= 1
    assert api.get("/api/v1/entities", params={"q": ""}).status_code == 422


def test_stories_and_sources(api: Any) -> None:
    stories = api.get("/api/v1/stories").json()
    assert stories and stories[0]["size"] >= 2 and stories[0]["articles"]
    one = api.get(f"/api/v1/stories/{stories[0]['id']}").json()
    assert one["id"] == stories[0]["id"]
    sources = api.get("/api/v1/sources").json()
    assert sources and set(sources[0]) == {"name", "articles", "first_published", "last_published"}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_streams_every_matching_article(api: Any, fmt: str) -> None:
    total = api.get("/api/v1/search", params={"q": "زلزله"}).json()["total"]["value"]
    r = api.get("/api/v1/export", params={"format": fmt, "q": "زلزله"})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    if fmt == "jsonl":
        lines = r.text.splitlines()
        assert len(lines) == total and all("raw_text" in json.loads(line) for line in lines)
    elif fmt == "csv":
        assert len(list(csv.DictReader(io.StringIO(r.text)))) == total
    else:
        pq = pytest.importorskip("pyarrow.parquet")
        assert pq.read_table(io.BytesIO(r.content)).num_rows == total


def test_export_of_a_bad_query_is_422_before_any_byte(api: Any) -> None:
    r = api.get("/api/v1/export", params={"q": "(تورم"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "q"


def test_writes_need_the_token(api: Any) -> None:
    article = {"text": "خبر تازه: بارش باران در تهران ادامه دارد.", "title": "باران"}
    r = api.post("/api/v1/articles", json=article)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    r = api.post("/api/v1/articles", json=article, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 403
    r = api.post("/api/v1/articles", json=article, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 201 and r.json()["added"] == 1
    again = api.post("/api/v1/articles", json=[article], headers={"Authorization": f"Bearer {TOKEN}"})
    assert again.json()["added"] == 0 and again.json()["duplicates"] == 1
    assert api.get("/api/v1/search", params={"q": "باران"}).json()["total"]["value"] == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "بی‌متن"}, "text"), ({"text": "  "}, "text"), ({"text": "x", "colour": "red"}, "colour"),
    ({"text": 5}, "text"), ([], "body"), ([{"text": "a"}, "b"], "[1]"), ("just a string", "body"),
])
def test_writes_name_the_bad_field(api: Any, body: Any, field: str) -> None:
    r = api.post("/api/v1/articles", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field


def test_a_read_only_server_refuses_writes(archive_path: Path) -> None:
    from fastapi.testclient import TestClient

    from khabar.api import Settings, create_app

    with TestClient(create_app(Settings(db=str(archive_path)))) as c:
        r = c.post("/api/v1/articles", json={"text": "x"}, headers={"Authorization": "Bearer anything"})
        assert r.status_code == 403 and "read-only" in r.json()["detail"]


def test_search_total_is_at_least_beyond_the_count_cap(api: Any) -> None:
    every = api.get("/api/v1/search").json()["total"]
    assert every["relation"] == "eq" and every["value"] > 3
    capped = api.get("/api/v1/search", params={"count_cap": 3}).json()["total"]
    assert capped == {"value": 3, "relation": "gte"}
    assert api.get("/api/v1/search", params={"count_cap": 0}).status_code == 422


def test_entities_autocomplete_by_kind(api: Any) -> None:
    people = api.get("/api/v1/entities", params={"q": "ل", "label": "person"}).json()
    places = api.get("/api/v1/entities", params={"q": "م", "label": "place"}).json()
    assert people and all(e["label"] in ("PER", "PERSON") for e in people)
    assert places and all(e["label"] in ("LOC", "GPE", "PLACE", "LOCATION", "FAC") for e in places)
    assert api.get("/api/v1/entities", params={"q": "م", "label": "colour"}).status_code == 422
