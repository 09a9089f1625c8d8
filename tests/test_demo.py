"""`make demo` builds an archive from samples/ and shows searches, a person and stories."""

from __future__ import annotations

from pathlib import Path

import pytest

from khabar.demo import SAMPLES, main


def test_demo_runs_every_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not SAMPLES.is_dir():
        pytest.skip("no samples/ folder")
    assert main(["--db", str(tmp_path / "demo.db")]) == 0
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "added" in out and "0 failed" in out
    assert out.count("$ khabar") == 8
    assert "Traceback" not in out and "Error" not in out


def test_demo_without_samples_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "d.db"), "--samples", str(tmp_path / "none")]) == 1
    assert "no sample articles" in capsys.readouterr().out
