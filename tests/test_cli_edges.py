"""The command line at its edges (issue 16): endless and binary input read within bounds, long
input restored as a stream, a full output device and hostile characters on one line, dates read
one way."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import khabar
from khabar.cli import main

EXE = str(Path(sys.executable).parent / "khabar")
ARTICLE = "به گزارش ايسنا، وزير اقتصاد امروز گفت: «برنامه ها از هفته آينده اجرا مي شوند.»\n"


def _run(args: list[str], *, stdin: bytes | None = None, stdout: object = subprocess.PIPE,
         memory: int | None = None, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    def limit() -> None:
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run([EXE, *args], input=stdin, stdout=stdout, stderr=subprocess.PIPE,  # type: ignore[arg-type]
                          timeout=timeout, preexec_fn=limit)


def _one_line_error(result: subprocess.CompletedProcess[bytes]) -> str:
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize("command", ["restore", "analyze"])
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_endless_binary_device_is_refused_in_bounded_memory(command: str, device: str) -> None:
    # Issue 16, item 6: these read without limit (an 80 MB stdin reached 5.7 GB).
    if not Path(device).exists():
        pytest.skip(f"no {device}")
    err = _one_line_error(_run([command, device], memory=1500 * 2**20, timeout=60))
    assert "binary" in err or "decode" in err


def test_analyze_stdin_over_the_limit_is_refused_without_reading_it_all(monkeypatch: pytest.MonkeyPatch) -> None:
    import khabar.cli as cli

    monkeypatch.setattr(cli, "MAX_ANALYZE_BYTES", 100_000)
    result = CliRunner().invoke(main, ["analyze"], input=(ARTICLE * 10_000).encode())
    assert result.exit_code == 1 and "over the 100,000-byte limit" in result.output


def test_analyze_endless_text_on_stdin_is_refused() -> None:
    # A pipe of valid text that never ends: refused at the limit, not read until memory runs out.
    with subprocess.Popen(["yes", "خبر کوتاه امروز"], stdout=subprocess.PIPE) as yes:
        try:
            result = subprocess.run([EXE, "analyze"], stdin=yes.stdout, capture_output=True, timeout=120)
        finally:
            yes.kill()
    assert "over the 16,777,216-byte limit" in _one_line_error(result)


def test_restore_streams_a_long_line_without_breaks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import khabar.cli as cli

    monkeypatch.setattr(cli, "STREAM_BYTES", 10_000)
    monkeypatch.setattr(cli, "STREAM_CUT", 4_000)
    sentence = "كتاب هاي جديد مي رسند. "
    path = tmp_path / "line.txt"
    path.write_text(sentence * 3000, encoding="utf-8")
    pieces: list[str] = []
    real = cli._cut_point
    monkeypatch.setattr(cli, "_cut_point", lambda text: pieces.append(text) or real(text))
    result = CliRunner().invoke(main, ["restore", str(path)])
    assert result.exit_code == 0, result.output
    assert len(pieces) > 10  # cut into pieces, not held whole
    assert result.output == khabar.restore(sentence * 3000) + " "  # the same text as restored whole


def test_restore_streams_a_big_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    import khabar.cli as cli

    monkeypatch.setattr(cli, "STREAM_BYTES", 10_000)
    lines = [f"خبر شماره {i} درباره كتاب ها\n" for i in range(2000)]
    result = CliRunner().invoke(main, ["restore"], input="".join(lines).encode())
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [khabar.restore(line.strip()) for line in lines]


def test_restore_a_60mb_line_stays_in_bounded_memory(tmp_path: Path) -> None:
    # Issue 16, item 6: a 60 MB single line took 941 MB; now it streams. 20 MB here keeps CI quick.
    path = tmp_path / "long.txt"
    with path.open("w", encoding="utf-8") as fh:
        for _ in range(20):
            fh.write("کتاب ها و مي روند. " * 30_000)
    size = path.stat().st_size
    result = _run(["restore", str(path)], stdout=subprocess.DEVNULL, memory=600 * 2**20, timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    assert size > 15 * 2**20


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("args", [["restore"], ["analyze", "--json"], ["analyze"]])
def test_output_to_a_full_device_is_one_line(args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        result = _run(args, stdin=ARTICLE.encode(), stdout=full)
    err = _one_line_error(result)
    assert "No space left on device" in err


def test_analyze_published_is_read_like_search_since(tmp_path: Path) -> None:
    text = "وزیر اقتصاد دیروز به تهران رفت."
    jalali = CliRunner().invoke(main, ["analyze", "--json", "--published", "1404-05-18"], input=text.encode())
    gregorian = CliRunner().invoke(main, ["analyze", "--json", "--published", "2025-08-09"], input=text.encode())
    assert jalali.exit_code == 0, jalali.output
    assert json.loads(jalali.output)["dates"] == json.loads(gregorian.output)["dates"]
    assert json.loads(jalali.output)["meta"]["published"] == "2025-08-09"
    from khabar.text.calendar import date_range

    assert date_range("1404-05-18")[0] == "2025-08-09"


def test_analyze_published_that_is_not_a_date_is_a_clear_error() -> None:
    result = CliRunner().invoke(main, ["analyze", "--published", "دیروز"], input="خبر".encode())
    assert result.exit_code == 1 and "is not a date" in result.output


def test_analyze_json_streams_the_same_json_as_to_dict() -> None:
    result = CliRunner().invoke(main, ["analyze", "--json"], input=(ARTICLE * 300).encode())
    assert result.exit_code == 0
    assert json.loads(result.output) == khabar.analyze(ARTICLE * 300).to_dict()
    assert result.output == json.dumps(khabar.analyze(ARTICLE * 300).to_dict(), ensure_ascii=False) + "\n"


def test_an_unexpected_error_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RecursionError("deep")

    monkeypatch.setattr(khabar, "analyze", broken)
    monkeypatch.delenv("KHABAR_DEBUG", raising=False)
    result = CliRunner().invoke(main, ["analyze"], input="خبر".encode())
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: internal error (RecursionError: deep); please report it (KHABAR_DEBUG=1 shows the traceback)"]


def test_terminal_escapes_in_analyze_output_are_shown_not_run() -> None:
    from khabar.render import render_document

    doc = khabar.analyze("تیتر \x1b[2J خبر و \x9b31m رنگ")
    from io import StringIO

    from rich.console import Console

    out = StringIO()
    render_document(doc, Console(file=out, force_terminal=False, width=200))
    assert "\x1b" not in out.getvalue() and "\x9b" not in out.getvalue()
    assert "␛[2J" in out.getvalue()


def test_restore_keeps_going_after_a_broken_pipe() -> None:
    # `khabar restore big | head -1`: no traceback, no "Exception ignored" at exit.
    proc = subprocess.Popen([EXE, "restore"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate((ARTICLE * 20_000).encode(), timeout=120)
    assert proc.returncode == 0 and b"Traceback" not in err and b"Exception ignored" not in err


def test_khabar_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(khabar, "analyze", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("x")))
    monkeypatch.setenv("KHABAR_DEBUG", "1")
    result = CliRunner().invoke(main, ["analyze"], input="خبر".encode())
    assert isinstance(result.exception, RuntimeError)
    assert os.environ["KHABAR_DEBUG"] == "1"
