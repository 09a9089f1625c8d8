"""DESIGN.md's import rules, checked on the real import graph.

Every module of the package is parsed (``ast``) and every import it makes is collected: at the
top, inside functions (lazy imports) and under ``TYPE_CHECKING``. Each module belongs to a layer,
and each layer may import only the layers DESIGN.md allows; database drivers and optional engines
are imported only by their adapter; and no module outside a storage backend holds SQL.
"""

from __future__ import annotations

import ast
import re
from functools import cache, lru_cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "khabar"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@lru_cache(maxsize=1)
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name: str) -> bool:
    path = _modules().get(name)
    return path is not None and path.name == "__init__.py"


@cache
def imports_of(name: str) -> frozenset[str]:
    """Every module ``name`` imports (khabar modules resolved; others by their top-level name)."""
    tree = ast.parse(_modules()[name].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = name if _is_package(name) else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    parent = parent.rpartition(".")[0]
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                # `from khabar.archive import runner` imports the submodule khabar.archive.runner.
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in _modules() else base)
    return frozenset(found)


def _khabar_imports(name: str) -> set[str]:
    return {m for m in imports_of(name) if m == "khabar" or m.startswith("khabar.")}


def _under(name: str, *prefixes: str) -> bool:
    """Whether ``name`` is one of ``prefixes`` or inside one; a prefix ending in ``$`` is that module only."""
    return any(name == p.rstrip("$") or (not p.endswith("$") and name.startswith(p + ".")) for p in prefixes)


# (the modules a rule is about, what they may import from khabar)
LAYERS = [
    (("khabar.text", "khabar.errors", "khabar._version"), ("khabar.text",)),
    (("khabar.offsets", "khabar.document"), ("khabar.text", "khabar.errors", "khabar.offsets", "khabar.document")),
    (("khabar.codec",), ("khabar.text", "khabar.errors", "khabar.document")),
    (("khabar.decoding",), ("khabar.text", "khabar.errors")),
    (("khabar.pipeline",), ("khabar.text", "khabar.document", "khabar.offsets", "khabar.errors", "khabar.pipeline")),
    (("khabar.ingest",), ("khabar.decoding", "khabar.errors", "khabar.text", "khabar._version", "khabar.ingest")),
    # Storage backends: the storage interface and its records, codec, text, errors; never the pipeline.
    # The typed records and the query tree: what crosses the storage seam.
    (("khabar.archive.models", "khabar.archive.query"), ("khabar.document", "khabar.codec", "khabar.text",
                                                          "khabar.errors", "khabar.archive.models")),
    (("khabar.archive.storage.sqlite", "khabar.archive.storage.postgres"),
     ("khabar.archive.storage.base", "khabar.archive.storage.rows", "khabar.archive.models", "khabar.archive.query",
      "khabar.codec", "khabar.text", "khabar.errors", "khabar.document", "khabar.offsets",
      "khabar.archive.storage.sqlite", "khabar.archive.storage.postgres")),
    (("khabar.archive.storage.base", "khabar.archive.storage.rows"), ("khabar.archive.models", "khabar.archive.query", "khabar.codec",
                                        "khabar.text", "khabar.errors", "khabar.document")),
    # The edges talk to khabar and khabar.archive (and their records), never to storage or the pipeline.
    (("khabar.cli", "khabar.render", "khabar.demo", "khabar.api", "khabar.web"),
     ("khabar$", "khabar.archive$", "khabar.archive.models", "khabar.archive.query", "khabar.errors",
      "khabar.document", "khabar.offsets", "khabar.decoding", "khabar.text", "khabar.ingest", "khabar.render",
      "khabar.cli", "khabar._version", "khabar.api", "khabar.web")),
]
BACKENDS = ("khabar.archive.storage.sqlite", "khabar.archive.storage.postgres")
EDGES = ("khabar.cli", "khabar.render", "khabar.demo", "khabar.api", "khabar.web")
# Third-party modules only their adapter may import.
DRIVERS = {
    # The PostgreSQL backend runs the SQLite backend's SQL through a dialect shim that speaks sqlite3's errors.
    "sqlite3": ("khabar.archive.storage.sqlite", "khabar.archive.storage.postgres"),
    "psycopg": ("khabar.archive.storage.postgres",),
    "ray": ("khabar.archive.engines.ray",),
    "fastapi": ("khabar.api", "khabar.web"),
}


def _modules_of(prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in _modules() if _under(m, *prefixes)]


@pytest.mark.parametrize(("layer", "allowed"), LAYERS, ids=[",".join(layer) for layer, _ in LAYERS])
def test_imports_layer_imports_only_what_design_allows(layer: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    modules = _modules_of(layer)
    assert modules, f"no module under {layer}"
    wrong = {m: sorted(i for i in _khabar_imports(m) if not _under(i, *allowed)) for m in modules}
    assert not {m: w for m, w in wrong.items() if w}


def test_imports_archive_never_imports_a_backend() -> None:
    # The registry opens backends by address; everything else in the archive talks to the interface.
    archive = [m for m in _modules_of(("khabar.archive",))
               if not _under(m, *BACKENDS, "khabar.archive.storage.registry")]
    wrong = {m: sorted(i for i in _khabar_imports(m) if _under(i, *BACKENDS)) for m in archive}
    assert not {m: w for m, w in wrong.items() if w}


def test_imports_edges_reach_the_archive_through_its_interface() -> None:
    wrong = {m: sorted(i for i in _khabar_imports(m) if _under(i, *BACKENDS, "khabar.pipeline"))
             for m in _modules_of(EDGES)}
    assert not {m: w for m, w in wrong.items() if w}


@pytest.mark.parametrize("driver", sorted(DRIVERS))
def test_imports_drivers_only_in_their_adapter(driver: str) -> None:
    users = [m for m in _modules() if any(_under(i, driver) for i in imports_of(m))]
    assert [m for m in users if not _under(m, *DRIVERS[driver])] == []


# A statement of SQL: a keyword followed, within the string, by the word that completes it.
_SQL = re.compile(r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX)|"
                  r"DROP\s+TABLE|ALTER\s+TABLE|PRAGMA\s+\w+)\b", re.S)


def test_imports_no_sql_outside_a_backend() -> None:
    holders = []
    for name, path in _modules().items():
        if _under(name, *BACKENDS):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.search(node.value):
                holders.append((name, node.lineno))
    assert holders == []


def test_imports_the_graph_is_read_from_real_code() -> None:
    # A guard for the checks above: the parser sees top-level, lazy and relative imports.
    assert "khabar.pipeline" in imports_of("khabar.archive.keys")
    assert "khabar.render" in imports_of("khabar.cli")  # a lazy import inside a command
    assert "sqlite3" in imports_of("khabar.archive.storage.sqlite.connection")


def test_imports_the_server_reads_only_khabar_and_the_archive_facade() -> None:
    # api/ and web/ see the package's public names and khabar.archive's facade, never its modules.
    allowed = ("khabar", "khabar.archive")
    wrong = {m: sorted(i for i in _khabar_imports(m) if i not in allowed and not _under(i, "khabar.api", "khabar.web"))
             for m in _modules_of(("khabar.api", "khabar.web"))}
    assert not {m: w for m, w in wrong.items() if w}
    assert _modules_of(("khabar.api",)) and _modules_of(("khabar.web",))
