"""Every API route is in the README (datasette's test_docs habit)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_documents_every_api_route(client: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    missing = []
    for path, operations in schema["paths"].items():
        for method in operations:
            shown = re.sub(r"\{\w+\}", "{id}", path)  # the README writes every path parameter as {id}
            documented = re.search(rf"`{method.upper()} {re.escape(shown)}[?`]", README)
            if not documented:
                missing.append(f"{method.upper()} {path}")
    assert missing == []
