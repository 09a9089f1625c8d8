"""Fixtures for the watcher's tests: simulated outlets (real HTTP servers on 127.0.0.x)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def _load_outlets() -> object:
    name = "khabar_tests_outlets"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("outlets.py"))
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


outlets_module = _load_outlets()


@pytest.fixture
def outlet() -> Iterator[object]:
    """One simulated outlet on 127.0.0.1 and a free port."""
    o = outlets_module.Outlet("127.0.0.1")  # type: ignore[attr-defined]
    try:
        yield o
    finally:
        o.close()
