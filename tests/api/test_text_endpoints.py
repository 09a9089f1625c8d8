"""POST /api/v1/restore and /api/v1/analyze: text in, restored text or the whole Document out."""

from __future__ import annotations

from typing import Any

import pytest


def test_restore_takes_plain_text(client: Any) -> None:
    r = client.post("/api/v1/restore", content="آنها ميكنند".encode(), headers={"content-type": "text/plain"})
    assert r.status_code == 200
    assert r.json() == {"text": "آن\u200cها می\u200cکنند"}


def test_restore_takes_windows_1256(client: Any) -> None:
    r = client.post("/api/v1/restore", content="كتاب".encode("cp1256"), headers={"content-type": "text/plain"})
    assert r.json() == {"text": "کتاب"}


def test_analyze_returns_the_whole_document(client: Any) -> None:
    r = client.post("/api/v1/analyze", json={"text": "به گزارش ایسنا، وزیر امور خارجه امروز گفت: «ما ادامه میدهیم.»",
                                             "published": "2024-10-15"})
    assert r.status_code == 200
    doc = r.json()
    assert {"raw_text", "text", "sentences", "tokens", "mentions", "entities", "quotes", "events", "dates",
            "source", "warnings", "changes"} <= set(doc)
    assert doc["source"]["name"] == "ایسنا" and doc["quotes"]


def test_analyze_of_empty_text_is_an_empty_document(client: Any) -> None:
    r = client.post("/api/v1/analyze", json={"text": ""})
    assert r.status_code == 200 and r.json()["tokens"] == []


@pytest.mark.parametrize(("body", "ctype", "field"), [
    (b'{"txt": "x"}', "application/json", "txt"),
    (b'{"text": 5}', "application/json", "text"),
    (b'{"text": "x", "published": "yesterday"}', "application/json", "published"),
    (b'["x"]', "application/json", "body"),
    (b'{"text": ', "application/json", "body"),
    (b"\x00\x01\x02\xff\xfe binary", "text/plain", "body"),
    ("سلام دنیا ".encode() * 30 + b"\xff\xfe" + "سلام".encode(), "text/plain", "body"),
])
def test_text_endpoints_name_the_bad_field(client: Any, body: bytes, ctype: str, field: str) -> None:
    r = client.post("/api/v1/analyze", content=body, headers={"content-type": ctype})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 422 and problem["errors"][0]["field"] == field
    assert repr(field) in problem["detail"] or field in problem["detail"]


def test_text_endpoints_refuse_other_media_types(client: Any) -> None:
    r = client.post("/api/v1/restore", content=b"<x/>", headers={"content-type": "application/xml"})
    assert r.status_code == 415 and r.json()["status"] == 415


@pytest.mark.parametrize("path", ["/api/v1/restore", "/api/v1/analyze"])
def test_text_endpoints_answer_413_above_one_megabyte(client: Any, path: str) -> None:
    r = client.post(path, content=("ا" * 600_000).encode(), headers={"content-type": "text/plain"})
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert "1,000,000" in r.json()["detail"]


def test_text_endpoints_take_a_body_just_under_the_limit(make_client: Any) -> None:
    client = make_client(max_body=2000)
    assert client.post("/api/v1/restore", content=b"a" * 2000, headers={"content-type": "text/plain"}).status_code == 200
    assert client.post("/api/v1/restore", content=b"a" * 2001, headers={"content-type": "text/plain"}).status_code == 413


def test_streamed_body_is_cut_at_the_limit(make_client: Any) -> None:
    client = make_client(max_body=1000)

    def chunks() -> Any:  # no Content-Length: the limit is enforced while the body arrives
        for _ in range(10):
            yield b"a" * 500

    r = client.post("/api/v1/restore", content=chunks(), headers={"content-type": "text/plain"})
    assert r.status_code == 413
