"""Fixtures for the pipeline tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def statements_bench() -> ModuleType:
    """bench/statements.py, whose scoring the quality gates share with the benchmark."""
    spec = importlib.util.spec_from_file_location("bench_statements", REPO / "bench" / "statements.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def seed_statement_figures(shared_data: Path, statements_bench: ModuleType) -> dict[str, Any]:
    """bench/statements.py's figures on the seed article (statements, meetings), scored once."""
    bench = statements_bench
    docs = [d for d in bench.load(bench.GOLD) if d["split"] == "seed"]
    if not docs:
        pytest.skip("the seed article is not in ../shared/data")
    return bench.score(docs, set())["seed"]
