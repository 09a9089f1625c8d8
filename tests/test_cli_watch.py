"""khabar watch, feeds and alert, end to end against simulated outlets (real HTTP servers on 127.0.0.x)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import feedparser
import pytest
from click.testing import CliRunner

from khabar.cli import main

outlets = sys.modules["khabar_tests_outlets"]
REPO = Path(__file__).resolve().parents[1]
FAST = ["--every", "0.2s", "--spacing", "0s", "--timeout", "3s", "--deadline", "3s"]
TOPICS = [("افزایش قیمت نفت خام در بازارهای جهانی", "نفت"), ("بارش برف سنگین در گردنه حیران", "برف"),
          ("صادرات پسته ایران به چین دو برابر شد", "پسته"), ("قیمت نفت و گاز در زمستان", "نفت"),
          ("افتتاح کتابخانه تازه در اصفهان", "کتاب"), ("کمبود آب در شهرهای جنوبی", "آب")]


def body(title: str, n: int) -> str:
    return (f"به گزارش خبرنگار ما، {title} و این خبر شماره {n} است که مسئولان امروز درباره آن توضیح دادند.\n"
            f"کارشناسان گفتند پیامدهای این رویداد شماره {n} تا پایان ماه آینده روشن خواهد شد.")


def publish(o: Any, path: str, n: int, *, slow: float = 0.0) -> str:
    """Item ``n`` on outlet ``o``'s feed ``path``, with its page (answered after ``slow`` seconds)."""
    title = f"{TOPICS[n % len(TOPICS)][0]} ({n})"
    page = outlets.article_page(title, body(TOPICS[n % len(TOPICS)][0], n))
    if slow:
        def handle(h: Any, page: bytes = page) -> None:
            time.sleep(slow)
            h.reply(200, "text/html; charset=utf-8", page)
        link = o.route(f"/news/{n}", handle)
    else:
        link = o.page(f"/news/{n}", page)
    o.add_item(path, outlets.Item(f"g{n}", title, link, f"خلاصه {title}", outlets.rfc822()))
    return title


def run(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def stored(db: Path) -> set[str]:
    if not db.exists():
        return set()
    with sqlite3.connect(db) as con:
        try:
            return {r[0] for r in con.execute("SELECT url FROM articles")}
        except sqlite3.OperationalError:  # the schema is being created
            return set()


def titles(db: Path) -> list[str]:
    with sqlite3.connect(db) as con:
        return sorted(r[0] for r in con.execute("SELECT title FROM articles"))


def test_cli_watch_once_then_feeds_then_304(outlet: Any, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    outlet.feed("/rss", "خبرگزاری نمونه")
    expected = sorted(publish(outlet, "/rss", n) for n in range(3))
    first = run("watch", outlet.base + "/rss", "--db", str(db), "--once", *FAST)
    assert first.exit_code == 0, first.output
    assert titles(db) == expected
    assert "3 new" in first.stderr
    second = run("watch", "--db", str(db), "--once", *FAST)  # the archive remembers the feed
    assert second.exit_code == 0 and "0 new" in second.stderr and "1 unchanged" in second.stderr
    assert [r.status for r in outlet.requests("/rss")] == [200, 304]
    assert len([r for r in outlet.requests() if r.path.startswith("/news/")]) == 3
    listed = run("feeds", "--db", str(db), "--json")
    [feed] = json.loads(listed.stdout)
    assert (feed["url"], feed["health"], feed["items"], feed["title"]) == (
        outlet.base + "/rss", "ok", {"stored": 3}, "خبرگزاری نمونه")
    shown = run("feeds", "--db", str(db))
    assert "ok" in shown.stdout and "3 articles" in shown.stdout
    gone = run("feeds", "--db", str(db), "--remove", outlet.base + "/rss")
    assert gone.exit_code == 0 and json.loads(run("feeds", "--db", str(db), "--json").stdout) == []


def test_cli_watch_feeds_file_and_opml(outlet: Any, tmp_path: Path) -> None:
    outlet.feed("/a", "الف")
    outlet.feed("/b", "ب")
    publish(outlet, "/a", 1)
    publish(outlet, "/b", 2)
    listing = tmp_path / "feeds.txt"
    listing.write_text(f"# my outlets\n{outlet.base}/a\n\n{outlet.base}/a  # twice\n", encoding="utf-8")
    opml = tmp_path / "feeds.opml"
    opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><body><outline text="x">'
                    f'<outline type="rss" xmlUrl="{outlet.base}/b"/></outline></body></opml>', encoding="utf-8")
    db = tmp_path / "news.db"
    assert run("watch", "--feeds", str(listing), "--db", str(db), "--once", *FAST).exit_code == 0
    assert run("watch", "--feeds", str(opml), "--db", str(db), "--once", *FAST).exit_code == 0
    assert len(titles(db)) == 2
    assert [f["url"] for f in json.loads(run("feeds", "--db", str(db), "--json").stdout)] == [
        outlet.base + "/a", outlet.base + "/b"]


@pytest.mark.parametrize(("args", "message"), [
    (["watch", "ftp://x.ir/rss", "--once"], "not an http(s) feed URL"),
    (["watch", "--once"], "no feeds to watch"),
    (["watch", "http://x.ir/rss", "--every", "soon"], "not a duration"),
    (["watch", "http://x.ir/rss", "--every", "0s"], "longer than 0"),
])
def test_cli_watch_bad_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, [*args, "--db", str(tmp_path / "x.db")])
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output


def test_cli_feeds_file_with_junk_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "feeds.txt"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = CliRunner().invoke(main, ["watch", "--feeds", str(junk), "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_cli_alerts_raised_printed_kept_and_served_as_atom(outlet: Any, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    assert run("alert", "add", "نفت", "نفت", "--db", str(db)).exit_code == 0
    assert run("alert", "add", "برف-نمونه", "برف", "--source", "خبرگزاری نمونه", "--db", str(db)).exit_code == 0
    duplicate = CliRunner().invoke(main, ["alert", "add", "نفت", "گاز", "--db", str(db)])
    assert duplicate.exit_code == 1 and "exists" in duplicate.output
    empty = CliRunner().invoke(main, ["alert", "add", "همه", "--db", str(db)])
    assert empty.exit_code == 1 and "needs a query or a facet" in empty.output
    slash = CliRunner().invoke(main, ["alert", "add", "نفت/گاز", "نفت", "--db", str(db)])
    assert slash.exit_code == 1 and "alert name" in slash.output
    outlet.feed("/rss", "خبرگزاری نمونه")
    stored = [publish(outlet, "/rss", n) for n in range(6)]
    result = run("watch", outlet.base + "/rss", "--db", str(db), "--once", *FAST)
    assert result.exit_code == 0, result.output
    oil = sorted(t for t in stored if "نفت" in t)
    printed = [line for line in result.stdout.splitlines() if "alert «نفت»" in line]
    assert sorted(line.split(": ", 1)[1].split(" — ")[0] for line in printed) == oil
    assert len([line for line in result.stdout.splitlines() if "alert «برف-نمونه»" in line]) == 1
    shown = json.loads(run("alert", "show", "نفت", "--db", str(db), "--json").stdout)
    assert sorted(m["title"] for m in shown) == oil and all(m["url"].startswith(outlet.base) for m in shown)
    assert json.loads(run("alert", "show", "نفت", "--db", str(db), "--json", "--since", "2999-01-01").stdout) == []
    atom = feedparser.parse(run("alert", "show", "نفت", "--db", str(db), "--atom").stdout_bytes)
    assert not atom.bozo and sorted(e.title for e in atom.entries) == oil
    listed = json.loads(run("alert", "list", "--db", str(db), "--json").stdout)
    assert [a["name"] for a in listed] == ["برف-نمونه", "نفت"]
    assert listed[0]["facets"] == {"source": "خبرگزاری نمونه"}
    # a new article is matched as it is stored; nothing is matched twice
    publish(outlet, "/rss", 9)  # نفت و گاز
    again = run("watch", "--db", str(db), "--once", *FAST)
    assert [line.split(": ", 1)[1].split(" — ")[0] for line in again.stdout.splitlines()] == [f"{TOPICS[3][0]} (9)"]
    assert len(json.loads(run("alert", "show", "نفت", "--db", str(db), "--json").stdout)) == len(oil) + 1
    assert run("alert", "remove", "نفت", "--db", str(db)).exit_code == 0
    missing = CliRunner().invoke(main, ["alert", "show", "نفت", "--db", str(db)])
    assert missing.exit_code == 1 and "no alert named 'نفت'" in missing.output and "برف-نمونه" in missing.output


def test_cli_watch_json_events(outlet: Any, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    run("alert", "add", "برف", "برف", "--db", str(db))
    outlet.feed("/rss", "نمونه")
    publish(outlet, "/rss", 1)
    bad = f"http://127.0.0.1:{outlets.closed_port()}/rss"
    result = run("watch", outlet.base + "/rss", bad, "--db", str(db), "--once", "--json", *FAST)
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert {(e["kind"], e["feed"]) for e in events} == {("alert", outlet.base + "/rss"), ("problem", bad)}
    [hit] = [e for e in events if e["kind"] == "alert"]
    assert hit["alert"]["alert"] == "برف" and hit["alert"]["url"] == outlet.base + "/news/1"


def test_cli_watch_new_article_joins_a_stored_story(outlet: Any, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    outlet.feed("/rss", "نمونه")
    quake = ("زمین لرزه ای به بزرگی ۵.۱ ریشتر بامداد امروز زرند در استان کرمان را لرزاند و ۱۲ نفر مصدوم شدند. "
             "مدیریت بحران استان کرمان گفت تیم های امدادی به منطقه اعزام شده اند.")
    again = ("به گزارش ایرنا، زمینلرزه ۵.۱ ریشتری بامداد امروز زرند کرمان را لرزاند؛ ۱۲ نفر مصدوم شدند و "
             "مدیریت بحران کرمان تیم های امدادی را به منطقه فرستاد.")
    other = "قیمت سکه امروز در بازار تهران ۲۰۰ هزار تومان کاهش یافت و بازار طلا آرام بود."
    for n, (title, text) in enumerate([("زلزله زرند", quake), ("سکه ارزان شد", other)]):
        link = outlet.page(f"/n/{n}", outlets.article_page(title, text))
        outlet.add_item("/rss", outlets.Item(f"g{n}", title, link, title, outlets.rfc822()))
    run("watch", outlet.base + "/rss", "--db", str(db), "--once", *FAST)
    link = outlet.page("/n/2", outlets.article_page("زلزله کرمان", again, outlet="ایرنا"))
    outlet.add_item("/rss", outlets.Item("g2", "زلزله کرمان", link, "زلزله", outlets.rfc822()))
    run("watch", "--db", str(db), "--once", *FAST)
    with sqlite3.connect(db) as con:
        rows = dict(con.execute("SELECT title, story_id FROM articles").fetchall())
        sizes = dict(con.execute("SELECT id, size FROM stories").fetchall())
    assert rows["زلزله کرمان"] == rows["زلزله زرند"] != rows["سکه ارزان شد"]
    assert sizes[rows["زلزله زرند"]] == 2
    stories = json.loads(run("stories", "--db", str(db), "--json").stdout)
    assert [len(s["articles"]) for s in stories] == [2]


def test_cli_watch_killed_mid_poll_and_restarted(outlet: Any, tmp_path: Path) -> None:
    """kill -9 while pages are being fetched, three times, then a full run: every item stored once, and
    no page of an item stored before a kill fetched again."""
    db = tmp_path / "news.db"
    outlet.feed("/rss", "نمونه")
    expected = sorted(publish(outlet, "/rss", n, slow=0.15) for n in range(40))
    cmd = [sys.executable, "-m", "khabar.cli", "watch", outlet.base + "/rss", "--db", str(db), "--every", "1s",
           "--spacing", "0s", "--restore-only"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    stored_before_kill: list[set[str]] = []
    markers: list[int] = []
    for pause in (0.3, 1.0, 0.6):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            before = len(stored(db))
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline and len(stored(db)) == before:
                time.sleep(0.05)  # killed once this run is storing, not while Python starts
            time.sleep(pause)
        finally:  # whatever happens here, no watcher is left running
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        stored_before_kill.append(stored(db))
        markers.append(len(outlet.requests()))
    assert any(0 < len(s) < 40 for s in stored_before_kill), [len(s) for s in stored_before_kill]
    done = subprocess.run([*cmd, "--once"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert titles(db) == expected  # every item once
    log = outlet.requests()
    for kept, marker in zip(stored_before_kill, markers, strict=True):  # no page stored before a kill fetched again
        assert not {outlet.base + r.path for r in log[marker:] if r.path.startswith("/news/")} & kept
    with sqlite3.connect(db) as con:
        states = dict(con.execute("SELECT state, COUNT(*) FROM feed_items GROUP BY state").fetchall())
    assert states == {"stored": 40}
