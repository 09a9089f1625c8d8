"""Fixtures shared by the whole suite."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]

# Hypothesis profiles (issue 16): "ci", the default, keeps the suite quick; "deep" is the fuzzing run
# made by hand: `pytest tests/test_properties.py --hypothesis-profile=deep -p no:cacheprovider` runs
# 25,000 cases of each property (over 100,000 in all). Tests that set their own max_examples keep them.
settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", max_examples=25_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.filter_too_much])
settings.load_profile("ci")
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the repo; tests that need it are skipped where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the repo")
    return SHARED_DATA


@pytest.fixture(scope="session")
def seed_article(shared_data: Path) -> str:
    path = shared_data / "seed" / "article.txt"
    if not path.is_file():
        pytest.skip("the seed article is not in ../shared/data")
    return path.read_text(encoding="utf-8")


def _load_outlets() -> ModuleType:
    """tests/outlets.py (simulated outlets: real HTTP servers on 127.0.0.x), importable by name from any test."""
    name = "khabar_tests_outlets"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("outlets.py"))
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


outlets = _load_outlets()


@pytest.fixture
def outlet() -> Iterator[Any]:
    """One simulated outlet on 127.0.0.1 and a free port (tests/outlets.py)."""
    o = outlets.Outlet("127.0.0.1")
    try:
        yield o
    finally:
        o.close()
