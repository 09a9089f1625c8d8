"""PoliteClient against real local servers: conditional GET, limits, robots.txt, spacing, redirects."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import sys
import time
import zlib
from typing import Any

import pytest

from khabar.ingest.fetch import USER_AGENT, HostPacer, HttpProblem, PoliteClient

outlets = sys.modules["khabar_tests_outlets"]


def fetch(url: str, *, max_bytes: int = 10**6, **options: Any) -> Any:
    kwargs = {k: options.pop(k) for k in ("etag", "last_modified") if k in options}

    async def go() -> Any:
        async with PoliteClient(**{"spacing": 0.0, "timeout": 2.0, "deadline": 5.0, **options}) as client:
            return await client.get(url, max_bytes=max_bytes, **kwargs)

    return asyncio.run(go())


def problem(url: str, **options: Any) -> HttpProblem:
    with pytest.raises(HttpProblem) as info:
        fetch(url, **options)
    return info.value


def test_fetch_feed_with_validators_then_304(outlet: Any) -> None:
    feed = outlet.feed("/rss", "ایسنا")
    feed.add(outlets.Item("g1", "خبر", None, "متن خبر", outlets.rfc822()))
    first = fetch(outlet.base + "/rss")
    assert first.status == 200 and b"<rss" in first.content and first.etag == feed.etag
    again = fetch(outlet.base + "/rss", etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.content == b"" and again.etag == first.etag
    by_date = fetch(outlet.base + "/rss", last_modified=first.last_modified)
    assert by_date.not_modified
    [*_, last] = outlet.requests("/rss")
    assert last.if_modified_since == first.last_modified and last.user_agent == USER_AGENT


def test_fetch_sends_a_clear_user_agent(outlet: Any) -> None:
    outlet.page("/a", b"<html></html>")
    fetch(outlet.base + "/a")
    [request] = outlet.requests("/a")
    assert request.user_agent.startswith("khabar/") and "+http" in request.user_agent


@pytest.mark.parametrize(("code", "kind"), [(500, "http"), (404, "http"), (503, "http")])
def test_fetch_http_errors(outlet: Any, code: int, kind: str) -> None:
    outlet.route("/e", outlets.status(code, {"Retry-After": "120"} if code == 503 else None))
    err = problem(outlet.base + "/e")
    assert (err.kind, err.status) == (kind, code) and str(err).startswith(f"HTTP {code}")
    assert err.retry_after == (120.0 if code == 503 else None)


def test_fetch_dead_outlet_is_unreachable() -> None:
    err = problem(f"http://127.0.0.1:{outlets.closed_port()}/rss")
    assert err.kind == "unreachable" and "refused" in str(err).lower()


def test_fetch_silent_server_times_out(outlet: Any) -> None:
    outlet.route("/hang", outlets.silent)
    started = time.monotonic()
    err = problem(outlet.base + "/hang", timeout=0.3)
    assert err.kind == "timeout" and time.monotonic() - started < 2


def test_fetch_trickling_body_hits_the_deadline(outlet: Any) -> None:
    # One byte every 2 s never trips a 2.5 s read timeout; only the overall deadline stops it.
    outlet.route("/slow", outlets.trickle(every=2.0))
    started = time.monotonic()
    err = problem(outlet.base + "/slow", timeout=2.5, deadline=3.0)
    took = time.monotonic() - started
    assert err.kind == "deadline" and "3 s deadline" in str(err)
    assert 2.9 < took < 4.5


@pytest.mark.parametrize("announce", [False, True])
def test_fetch_100mb_body_stops_at_the_cap(outlet: Any, announce: bool) -> None:
    outlet.route("/huge", outlets.endless(announce=announce))
    started = time.monotonic()
    err = problem(outlet.base + "/huge", max_bytes=2 * 2**20)
    assert err.kind == "too-big" and "2,097,152-byte limit" in str(err)
    assert time.monotonic() - started < 3


def test_fetch_gzip_bomb_stops_at_the_cap(outlet: Any) -> None:
    bomb = gzip.compress(b"\0" * (50 * 2**20))
    outlet.route("/bomb", lambda h: h.reply(200, "application/rss+xml", bomb, {"Content-Encoding": "gzip"}))
    err = problem(outlet.base + "/bomb", max_bytes=2**20)
    assert err.kind == "too-big"


@pytest.mark.parametrize("wrap", ["gzip", "zlib", "raw"])
def test_fetch_decodes_compressed_bodies(outlet: Any, wrap: str) -> None:
    text = "خبر فوری ".encode() * 1000
    if wrap == "gzip":
        data, encoding = gzip.compress(text), "gzip"
    else:
        c = zlib.compressobj(wbits=zlib.MAX_WBITS if wrap == "zlib" else -zlib.MAX_WBITS)
        data, encoding = c.compress(text) + c.flush(), "deflate"
    outlet.route("/z", lambda h: h.reply(200, "text/html", data, {"Content-Encoding": encoding}))
    assert fetch(outlet.base + "/z").content == text


def test_fetch_redirect_loop_is_named(outlet: Any) -> None:
    outlet.route("/a", outlets.redirect_to("/b"))
    outlet.route("/b", outlets.redirect_to(outlet.base + "/a"))
    err = problem(outlet.base + "/a")
    assert err.kind == "redirect" and str(err).startswith("redirect loop")
    assert [r.path for r in outlet.requests()] == ["/robots.txt", "/a", "/b"]


def test_fetch_follows_redirects_to_the_final_url(outlet: Any) -> None:
    outlet.route("/old", outlets.redirect_to("/new"))
    outlet.page("/new", b"<html>ok</html>")
    answer = fetch(outlet.base + "/old")
    assert answer.url == outlet.base + "/new" and answer.content == b"<html>ok</html>"


def test_fetch_redirect_to_another_scheme_is_refused(outlet: Any) -> None:
    outlet.route("/ftp", outlets.redirect_to("ftp://127.0.0.1/x"))
    assert problem(outlet.base + "/ftp").kind == "bad-url"


def test_fetch_honours_robots_txt(outlet: Any) -> None:
    outlet.robots = "User-agent: *\nDisallow: /private/\n\nUser-agent: khabar\nDisallow: /mine/\n"
    outlet.page("/private/x", b"secret")
    outlet.page("/mine/x", b"secret")
    outlet.page("/news/1", b"<html>ok</html>")

    async def go() -> list[str]:
        out = []
        async with PoliteClient(spacing=0.0) as client:
            for path in ("/news/1", "/private/x", "/mine/x", "/news/1"):
                try:
                    await client.get(outlet.base + path, max_bytes=1000)
                    out.append("ok")
                except HttpProblem as err:
                    out.append(err.kind)
        return out

    assert asyncio.run(go()) == ["ok", "ok", "robots", "ok"]  # the * group does not apply to khabar's own
    assert [r.path for r in outlet.requests()] == ["/robots.txt", "/news/1", "/private/x", "/news/1"]


def test_fetch_robots_txt_server_error_means_not_now(outlet: Any) -> None:
    outlet.route("/robots.txt", outlets.status(503))
    outlet.page("/news/1", b"<html>ok</html>")
    err = problem(outlet.base + "/news/1", robots=True)
    assert err.kind == "robots" and "could not be read" in str(err)
    assert [r.path for r in outlet.requests()] == ["/robots.txt"]


def test_fetch_robots_txt_missing_means_no_rules(outlet: Any) -> None:
    outlet.page("/news/1", b"<html>ok</html>")
    assert fetch(outlet.base + "/news/1").status == 200


def test_fetch_spacing_per_host_from_the_servers_log() -> None:
    with outlets.outlets(2) as (a, b):
        for o in (a, b):
            for n in range(4):
                o.page(f"/p{n}", b"x")

        async def go() -> None:
            async with PoliteClient(spacing=0.3, robots=False) as client:
                await asyncio.gather(*(client.get(f"{o.base}/p{n}", max_bytes=10) for o in (a, b) for n in range(4)))

        started = time.monotonic()
        asyncio.run(go())
        took = time.monotonic() - started
        for o in (a, b):
            times = sorted(r.at for r in o.requests())
            gaps = [y - x for x, y in itertools.pairwise(times)]
            assert len(times) == 4 and min(gaps) >= 0.3
        assert took < 1.5  # the two hosts were fetched side by side, not one after the other


def test_fetch_crawl_delay_raises_spacing(outlet: Any) -> None:
    outlet.robots = "User-agent: *\nCrawl-delay: 0.4\n"
    for n in range(3):
        outlet.page(f"/p{n}", b"x")

    async def go() -> None:
        async with PoliteClient(spacing=0.05) as client:
            for n in range(3):
                await client.get(f"{outlet.base}/p{n}", max_bytes=10)

    asyncio.run(go())
    times = [r.at for r in outlet.requests() if r.path.startswith("/p")]
    assert min(y - x for x, y in itertools.pairwise(times)) >= 0.4


def test_host_pacer_forgets_idle_hosts() -> None:
    async def go() -> int:
        pacer = HostPacer(0.0)
        for n in range(600):
            async with pacer.slot(f"h{n}"):
                pass
        return len(pacer._locks)

    assert asyncio.run(go()) < 300
