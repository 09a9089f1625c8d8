"""Engines: where the batches of an ingest or a reanalysis run.

- :mod:`.local` — worker processes on this machine (the default);
- :mod:`.ray` — a Ray cluster (``pip install 'khabar[scale]'``), through Ray Data.

Both run the same functions over batches (:mod:`khabar.archive.work`), so the archive they build is
the same. Ray is imported by :mod:`.ray` only, and only when that engine is chosen.
"""

from __future__ import annotations

ENGINES = ("local", "ray")

__all__ = ["ENGINES"]
