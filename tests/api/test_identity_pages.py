"""An identity's page (API and web): every form and title with its dates, and its merges."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install 'khabar[web]'")

from khabar.archive import Archive
from khabar.ingest import RawArticle

# Written for this test (original text in the style of Persian news).
TEXTS = [("2025-08-27", "ایرنا", "مسعود پزشکیان، رئیس‌جمهور، امروز به مشهد سفر کرد."),
         ("2025-09-02", "ایسنا", "دکتر پزشکیان در مشهد با فعالان اقتصادی دیدار کرد.")]


@pytest.fixture
def client(tmp_path: Path) -> Any:
    from fastapi.testclient import TestClient

    from khabar.api import Settings, create_app

    db = tmp_path / "news.db"
    with Archive.open(str(db)) as archive:
        archive.ingest(records=[RawArticle(t, f"t{i}", "text", url=f"https://e.invalid/{i}", published=d, outlet=o)
                                for i, (d, o, t) in enumerate(TEXTS)], jobs=1)
    with TestClient(create_app(Settings(db=str(db))), raise_server_exceptions=False) as c:
        yield c


def test_identity_page_json_has_forms_and_titles_with_dates(client: Any) -> None:
    found = client.get("/api/v1/entities/" + quote("per:مسعودپزشکیان", safe="")).json()
    assert found["article_count"] == 2
    forms = {f["text"]: f for f in found["forms"]}
    assert forms["مسعود پزشکیان"]["first"] == "2025-08-27" and forms["پزشکیان"]["last"] == "2025-09-02"
    assert [(t["text"], t["first"]) for t in found["title_history"]] == [("رئیس‌جمهور", "2025-08-27")]
    assert found["history"] == []


def test_identity_page_html_shows_forms_and_titles(client: Any) -> None:
    page = client.get("/entities/" + quote("per:مسعودپزشکیان", safe=""))
    assert page.status_code == 200
    assert "رئیس‌جمهور" in page.text and "پزشکیان" in page.text and "نام‌ها" in page.text
