"""An in-process client for the API (FastAPI's TestClient); the real server runs in tests/web."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install 'khabar[web]'")


@pytest.fixture
def make_client() -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from khabar.api import Settings, create_app

    clients: list[Any] = []

    def make(**settings: Any) -> Any:
        client = TestClient(create_app(Settings(**settings)), raise_server_exceptions=False)
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def client(make_client: Any) -> Any:
    return make_client()
