"""The archive's storage: a typed protocol (:mod:`.base`), a registry that opens a backend from its
address (:mod:`.registry`), and the backends (:mod:`.sqlite`, :mod:`.postgres`).
"""

from khabar.archive.storage.base import FACETS, Storage, iter_articles
from khabar.archive.storage.registry import DEFAULT_DB, default_db_path, open_storage

__all__ = ["DEFAULT_DB", "FACETS", "Storage", "default_db_path", "iter_articles", "open_storage"]
