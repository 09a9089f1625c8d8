"""Fixtures of the archive tests: one Ray cluster for every test that needs one; the faulty stages
of faults.py, importable as ``khabar_tests_faults``."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

if "khabar_tests_faults" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("khabar_tests_faults", Path(__file__).with_name("faults.py"))
    assert _spec and _spec.loader
    sys.modules["khabar_tests_faults"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["khabar_tests_faults"])


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    """A real two-node Ray cluster on this machine (one CPU per node, small object stores, no
    dashboard), started once per test process and shared by its tests (marked ``xdist_group("ray")``,
    so that ``--dist loadgroup`` would keep them in one process). Skipped without Ray (``pip install
    'khabar[scale]'``); under CI=true a missing Ray fails instead."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    try:
        import ray
        from ray.cluster_utils import Cluster
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("Ray is needed in CI: pip install 'khabar[scale]'")
        pytest.skip("Ray tests skipped: pip install 'khabar[scale]'")
    store = 80 * 2**20
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": store,
                                                            "include_dashboard": False})
    cluster.add_node(num_cpus=1, object_store_memory=store)
    ray.init(address=cluster.address, log_to_driver=False)
    try:
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()
