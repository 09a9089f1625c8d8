"""The archive's storage: a typed interface (:mod:`.base`), a registry that opens a backend from its
address (:mod:`.registry`), and the backends (:mod:`.sqlite`).
"""

from khabar.archive.storage.base import (
    ORG_LABELS,
    PERSON_LABELS,
    PLACE_LABELS,
    ArticleFilter,
    Hit,
    NewArticle,
    Storage,
    StoredArticle,
)
from khabar.archive.storage.registry import DEFAULT_DB, default_db_path, open_storage

__all__ = [
    "DEFAULT_DB",
    "ORG_LABELS",
    "PERSON_LABELS",
    "PLACE_LABELS",
    "ArticleFilter",
    "Hit",
    "NewArticle",
    "Storage",
    "StoredArticle",
    "default_db_path",
    "open_storage",
]
