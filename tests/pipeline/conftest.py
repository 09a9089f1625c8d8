"""Fixtures for the pipeline tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

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
