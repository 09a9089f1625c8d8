"""RSS/Atom feeds: items as articles, Persian dates, and hostile XML refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from khabar.ingest import Failure, RawArticle, read_sources
from khabar.ingest.feeds import read_feed

ITEM = ("<item><title>بارش برف در گردنه حیران</title><link>https://www.irna.ir/news/1/?utm_source=rss#x</link>"
        "<pubDate>{date}</pubDate><author>سرویس استان ها</author>"
        "<description>&lt;p&gt;اردبیل - ایرنا - بارش برف در گردنه حیران تردد را کند کرد.&lt;/p&gt;</description></item>")


def rss(*items: str, encoding: str = "utf-8") -> str:
    return (f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>ایرنا</title>'
            f"<link>https://www.irna.ir/</link>{''.join(items)}</channel></rss>")


def read(xml: str | bytes) -> list[RawArticle | Failure]:
    return list(read_feed(xml.encode() if isinstance(xml, str) else xml, "f.xml"))


def test_item_becomes_an_article() -> None:
    [article] = read(rss(ITEM.format(date="Tue, 15 Oct 2024 05:10:00 +0330")))
    assert isinstance(article, RawArticle)
    assert article == RawArticle(
        text="اردبیل - ایرنا - بارش برف در گردنه حیران تردد را کند کرد.", origin="f.xml#1", kind="feed",
        title="بارش برف در گردنه حیران", url="https://www.irna.ir/news/1/", published="2024-10-15T05:10:00+03:30",
        author="سرویس استان ها", outlet="ایرنا", raw_html="<p>اردبیل - ایرنا - بارش برف در گردنه حیران تردد را کند کرد.</p>")


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Tue, 15 Oct 2024 05:10:00 +0330", "2024-10-15T05:10:00+03:30"),
        ("Tue, 15 Oct 2024 01:40:00 GMT", "2024-10-15T01:40:00+00:00"),
        ("سه شنبه ۲۴ مهر ۱۴۰۳ - ۰۸:۱۵", "2024-10-15T08:15:00+03:30"),
        ("۱۴۰۳/۰۷/۲۴ ۰۸:۱۵", "2024-10-15T08:15:00+03:30"),
        ("2024-10-15T08:15:00Z", "2024-10-15T08:15:00+00:00"),
        ("یک روز پیش", None),
    ],
)
def test_pubdate_in_any_calendar(date: str, expected: str | None) -> None:
    [article] = read(rss(ITEM.format(date=date)))
    assert article.published == expected  # type: ignore[union-attr]


def test_atom_feed() -> None:
    atom = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>ایسنا</title>'
            '<entry><title>خبر</title><link href="https://www.isna.ir/news/2"/><updated>2024-10-15T08:00:00Z</updated>'
            '<content type="html">&lt;p&gt;متن کامل خبر در اینجا آمده است.&lt;/p&gt;</content>'
            "<summary>خلاصه</summary></entry></feed>")
    [article] = read(atom)
    assert (article.text, article.url, article.outlet) == (  # type: ignore[union-attr]
        "متن کامل خبر در اینجا آمده است.", "https://www.isna.ir/news/2", "ایسنا")


def test_item_without_text_is_a_failure_and_the_rest_goes_on() -> None:
    empty = "<item><title>فقط عنوان</title><link>https://a.ir/1</link></item>"
    results = read(rss(empty, ITEM.format(date="")))
    assert isinstance(results[0], Failure) and results[0].origin == "f.xml#1" and "no text" in results[0].reason
    assert isinstance(results[1], RawArticle) and results[1].origin == "f.xml#2"


def test_feed_without_items_is_a_failure() -> None:
    [result] = read(rss())
    assert isinstance(result, Failure) and "no items" in result.reason


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        ("<html><body><p>این یک صفحه است</p><br></body></html>", "not XML"),
        ("این اصلاً XML نیست", "not XML"),
        ('{"items": []}', "not XML"),
        ("<rss><channel><item>", "not XML"),
        ('<?xml version="1.0"?><note><to>تهران</to></note>', "not an RSS/Atom feed"),
        ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
         '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><rss><channel><title>&lol3;</title></channel></rss>', "refused"),
        ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
         "<rss><channel><item><description>&xxe;</description></item></channel></rss>", "refused"),
        ('<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd"><rss><channel></channel></rss>',
         "refused"),
        ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x">%p;]><rss/>', "refused"),
    ],
)
def test_bad_or_hostile_xml_is_refused(xml: str, reason: str) -> None:
    [result] = read(xml)
    assert isinstance(result, Failure)
    assert reason in result.reason and "\n" not in result.reason


def test_billion_laughs_does_not_expand() -> None:
    levels = "".join(f"<!ENTITY l{i} \"{f'&l{i - 1};' * 10}\">" for i in range(1, 10))
    xml = f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "ha">{levels}]><rss><channel><title>&l9;</title></channel></rss>'
    [result] = read(xml)  # would be 10^9 × "ha" if expanded
    assert isinstance(result, Failure) and "refused" in result.reason


@pytest.mark.parametrize("encoding", ["windows-1256", "utf-16", "utf-8"])
def test_feed_in_declared_encoding(encoding: str) -> None:
    xml = rss(ITEM.format(date="Tue, 15 Oct 2024 05:10:00 +0330"), encoding=encoding).replace("ی", "ي")
    [article] = read(xml.encode(encoding))
    assert isinstance(article, RawArticle) and "گردنه حيران" in article.text


def test_feed_file_by_extension_and_by_content(tmp_path: Path) -> None:
    xml = rss(ITEM.format(date=""))
    (tmp_path / "a.rss").write_text(xml, encoding="utf-8")
    (tmp_path / "b").write_text(xml, encoding="utf-8")
    assert [r.kind for r in read_sources([str(tmp_path)])] == ["feed", "feed"]  # type: ignore[union-attr]


def test_sample_feed(samples: Path) -> None:
    items = list(read_sources([str(samples / "04-irna-feed.xml")]))
    assert len(items) == 5 and all(isinstance(i, RawArticle) for i in items)
    assert items[3].text.count("\n") == 2  # content:encoded preferred over the one-line description
    assert not items[0].text.endswith("انتهای خبر")  # type: ignore[union-attr]
