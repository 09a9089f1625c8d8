"""Every archive command on PostgreSQL as on SQLite: the same sample folder ingested into each (the
PostgreSQL one chosen by ``KHABAR_DB``, the SQLite one by ``--db``), then ``search``, ``show``,
``person``, ``entity``, ``stories``, ``export`` and ``reanalyze`` print the same JSON on both, and
``khabar copy`` moves the archive from PostgreSQL to SQLite and back, every Document exact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from khabar.cli import main

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _run(runner: CliRunner, args: list[str], db: str | None = None, *, env_db: str | None = None) -> str:
    argv = [*args, "--db", db] if db else args
    result = runner.invoke(main, argv, env={"KHABAR_DB": env_db} if env_db else {}, catch_exceptions=False)
    assert result.exit_code == 0, (argv, result.output)
    return result.stdout


def _json(runner: CliRunner, args: list[str], db: str | None = None, *, env_db: str | None = None) -> Any:
    return json.loads(_run(runner, args, db, env_db=env_db))


def _no_added(page: Any) -> Any:
    """An export line without the time it was stored (each archive stored it at its own moment)."""
    page.get("article", {}).pop("added", None)
    return page


@pytest.fixture
def both(tmp_path: Path, pg_url: str) -> tuple[CliRunner, str, str]:
    runner = CliRunner()
    sqlite = str(tmp_path / "news.db")
    # Restore-only first: reanalyze then runs the full pipeline over the stored articles on each backend.
    _run(runner, ["ingest", str(SAMPLES), "--jobs", "1", "--restore-only"], sqlite)
    _run(runner, ["ingest", str(SAMPLES), "--jobs", "1", "--restore-only"], env_db=pg_url)
    for db in (sqlite, pg_url):
        _run(runner, ["reanalyze", "--jobs", "1"], db)
    return runner, sqlite, pg_url


def test_cli_backends_every_archive_command_answers_alike(both: tuple[CliRunner, str, str]) -> None:
    runner, sqlite, pg = both
    summary = _json(runner, ["ingest", str(SAMPLES), "--jobs", "1", "--json"], env_db=pg)
    assert summary["added"] == 0 and summary["duplicates"] > 0  # a rerun adds nothing twice
    for query, extra in (("تورم", []), ('"بانک مرکزی"', []), ("زلزله OR زمین*", ["--order", "relevance"]),
                         ("", ["--since", "1402-01-01"]), ("", ["--place", "تهران"]), ("می کند", ["--order", "oldest"])):
        a = _json(runner, ["search", query, "--json", *extra], sqlite)
        b = _json(runner, ["search", query, "--json", *extra], env_db=pg)
        assert a == b, (query, extra)
    found = _json(runner, ["search", "", "--json", "--limit", "100"], sqlite)["results"]
    assert len(found) >= 10
    for hit in found:
        assert _no_added(_json(runner, ["show", str(hit["id"]), "--json"], sqlite)) == \
            _no_added(_json(runner, ["show", str(hit["id"]), "--json"], pg))
    people = sorted({e["name"] for hit in found for e in _json(runner, ["show", str(hit["id"]), "--json"], sqlite)
                     ["entities"] if e["label"] == "PER"})
    assert people
    for name in people[:3]:
        profile = _json(runner, ["person", name, "--json"], sqlite)
        assert profile["ids"] and profile == _json(runner, ["person", name, "--json"], pg)
        assert _json(runner, ["entity", "show", profile["ids"][0], "--json"], sqlite) == \
            _json(runner, ["entity", "show", profile["ids"][0], "--json"], pg)
    assert _json(runner, ["stories", "--json"], sqlite) == _json(runner, ["stories", "--json"], pg)
    exported = [[_no_added(json.loads(line)) for line in _run(runner, ["export"], db).splitlines()]
                for db in (sqlite, pg)]
    assert exported[0] == exported[1] and len(exported[0]) == len(found)


def test_cli_backends_copy_there_and_back(both: tuple[CliRunner, str, str], tmp_path: Path) -> None:
    runner, _, pg = both
    back = str(tmp_path / "back.db")
    _run(runner, ["copy", pg, back])
    result = runner.invoke(main, ["copy", pg, back])
    assert result.exit_code == 0 and "0 articles copied" in result.output  # rerun: nothing twice
    shown = [json.loads(line) for line in _run(runner, ["export"], pg).splitlines()]
    again = [json.loads(line) for line in _run(runner, ["export"], back).splitlines()]
    assert again == shown  # ids, metadata (times included) and Documents exact
