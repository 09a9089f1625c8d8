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


# -- PostgreSQL: one throwaway cluster per test process (pytest-xdist workers each start their own) --

@pytest.fixture(scope="session")
def pg_cluster():
    """A local PostgreSQL cluster started for the tests (or the server in $KHABAR_TEST_POSTGRES).

    Without PostgreSQL here the tests that need it are skipped, saying how to get it; under CI=true
    a missing PostgreSQL fails them instead.
    """
    import os

    from khabar.archive.storage.postgres.cluster import ClusterUnavailable, TemporaryCluster

    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install 'khabar[postgres]')")
    external = os.environ.get("KHABAR_TEST_POSTGRES")
    if external:
        yield _External(external)
        return
    try:
        cluster = TemporaryCluster().start()
    except ClusterUnavailable as err:
        _unavailable(str(err))
    try:
        yield cluster
    finally:
        cluster.stop()


def _unavailable(why: str) -> None:
    import os

    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is needed in CI: {why}")
    pytest.skip(f"PostgreSQL tests skipped: {why}")


class _External:
    """An existing server: each test gets a new database on it."""

    def __init__(self, url: str) -> None:
        self.admin = url

    def create_database(self) -> str:
        import uuid

        import psycopg
        from psycopg.conninfo import make_conninfo

        name = f"k_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' "
                         "LC_CTYPE 'C.UTF-8'")
        return make_conninfo(self.admin, dbname=name)

    def drop_database(self, url: str) -> None:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{conninfo_to_dict(url)["dbname"]}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_cluster):
    """A new, empty PostgreSQL database (dropped after the test)."""
    url = pg_cluster.create_database()
    yield url
    pg_cluster.drop_database(url)
