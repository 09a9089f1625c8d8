"""The khabar command: restore as a Unix filter, analyze readable and as JSON, bad input."""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import khabar
from khabar.cli import main

ARTICLE = "به گزارش ايسنا، وزير اقتصاد امروز گفت: «برنامه ها از هفته آينده اجرا مي شوند.»\n"


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def test_cli_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and khabar.__version__ in result.output


def test_cli_restore_is_a_filter(runner: CliRunner) -> None:
    result = runner.invoke(main, ["restore"], input=ARTICLE.encode("utf-8"))
    assert result.exit_code == 0
    assert result.output == khabar.restore(ARTICLE) + "\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1256"])
def test_cli_restore_reads_files_in_each_encoding(runner: CliRunner, tmp_path: Path, encoding: str) -> None:
    text = ARTICLE.replace("«", "").replace("»", "")  # cp1256 has «» but keep the sample simple
    path = tmp_path / "a.txt"
    path.write_bytes(text.encode(encoding))
    result = runner.invoke(main, ["restore", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == khabar.restore(text) + "\n"


def test_cli_restore_streams_large_files_line_by_line(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import khabar.cli as cli

    monkeypatch.setattr(cli, "STREAM_BYTES", 1000)
    lines = [f"خبر شماره {i} درباره كتاب ها\n" for i in range(2000)]
    path = tmp_path / "big.txt"
    path.write_text("".join(lines), encoding="utf-8")
    result = runner.invoke(main, ["restore", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [khabar.restore(line.strip()) for line in lines]


def test_cli_restore_binary_file_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    result = runner.invoke(main, ["restore", str(path)])
    assert result.exit_code == 1
    assert "image.png" in result.output and "offset" in result.output
    assert "Traceback" not in result.output


def test_cli_missing_file_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["restore", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_cli_analyze_json_is_to_dict(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    result = runner.invoke(main, ["analyze", "--json", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data == khabar.analyze(ARTICLE).to_dict()


def test_cli_analyze_readable_shows_changes_and_sentences(runner: CliRunner) -> None:
    result = runner.invoke(main, ["analyze"], input=ARTICLE.encode("utf-8"))
    assert result.exit_code == 0, result.output
    assert "sentences" in result.output and "وزیر" in result.output
    assert "[ی|ي]" in result.output.replace("\u200c", "")


def test_cli_analyze_empty_input_is_an_empty_document(runner: CliRunner) -> None:
    result = runner.invoke(main, ["analyze", "--json"], input=b"")
    assert result.exit_code == 0
    assert json.loads(result.output)["tokens"] == []


def test_cli_analyze_refuses_files_over_the_limit(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import khabar.cli as cli

    monkeypatch.setattr(cli, "MAX_ANALYZE_BYTES", 100)
    path = tmp_path / "big.txt"
    path.write_text(ARTICLE * 10, encoding="utf-8")
    result = runner.invoke(main, ["analyze", str(path)])
    assert result.exit_code == 1 and "limit" in result.output and "khabar restore" in result.output


def test_cli_runs_as_an_installed_command() -> None:
    exe = Path(sys.executable).parent / "khabar"
    out = subprocess.run([str(exe), "restore"], input=codecs.BOM_UTF8 + "ميروند".encode(), capture_output=True, timeout=60)
    assert out.returncode == 0
    assert out.stdout.decode() == khabar.restore("ميروند")
