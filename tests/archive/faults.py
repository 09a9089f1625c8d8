"""Faulty pipeline stages shared by the archive's fault tests (test_runner.py on the local engine,
test_engines.py on Ray): a stage that raises, and one that kills its own worker process.

Loaded by tests/archive/conftest.py as ``khabar_tests_faults`` (the tests run with
``--import-mode=importlib``, so a test module cannot import another by name); forked pool workers
find it in ``sys.modules``, Ray workers get it by value (``cloudpickle.register_pickle_by_value``).
"""

from __future__ import annotations

import os
import signal
from typing import Any

# The process that loaded this module (the test's own): a Killer never kills it, only workers.
PARENT = os.getpid()


class Poison:
    """A stage that raises on articles holding ``word`` (a stand-in for a pipeline bug)."""

    name = "poison"
    requires = ("text",)
    assigns = ()

    def __init__(self, word: str) -> None:
        self.word = word

    def __call__(self, doc):  # type: ignore[no-untyped-def]
        if self.word in doc.text:
            raise RuntimeError("boom")
        return doc


class Killer:
    """A stage that kills its own worker process (as kill -9 or the OOM killer would) on articles
    holding ``word``: once (the first worker to meet it, marked by the file ``marker``), or every time
    (``marker`` None)."""

    name = "killer"
    requires = ("text",)
    assigns = ()

    def __init__(self, word: str, marker: str | None) -> None:
        self.word = word
        self.marker = marker

    def __call__(self, doc):  # type: ignore[no-untyped-def]
        if self.word in doc.text and os.getpid() != PARENT:
            if self.marker is not None:
                try:
                    os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL))
                except FileExistsError:
                    return doc
            os.kill(os.getpid(), signal.SIGKILL)
        return doc


def with_stage(stage: Any):  # type: ignore[no-untyped-def]
    """The default pipeline with ``stage`` at its end (``partial(with_stage, stage)`` is a pipeline factory)."""
    from khabar.pipeline import Pipeline, default_pipeline

    return Pipeline([*default_pipeline().stages, stage])
