"""The README documents every command, and starts with the two commands a new user needs."""

from __future__ import annotations

from pathlib import Path

import click

from khabar.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "khabar") -> list[str]:
    out = []
    for name, cmd in group.commands.items():
        full = f"{prefix} {name}"
        out.append(full)
        if isinstance(cmd, click.Group):
            out += _commands(cmd, full)
    return out


def test_docs_readme_documents_every_cli_command() -> None:
    missing = [c for c in _commands(main) if c not in README]
    assert not missing, f"README.md does not mention: {missing}"


def test_docs_readme_starts_with_setup_and_test_commands() -> None:
    head = README.split("\n\n", 3)[:3]
    assert any("make demo" in part and "make test" in part for part in head)
