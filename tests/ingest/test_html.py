"""HTML pages: trafilatura's extraction and the fixes for Persian news sites."""

from __future__ import annotations

from pathlib import Path

import pytest

from khabar.ingest import Failure, RawArticle, read_sources
from khabar.ingest.html import extract, read_html

BODY = ("<p>به گزارش خبرگزاری نمونه، سازمان هواشناسی امروز از ورود سامانه بارشی جدید به کشور از روز پنجشنبه "
        "خبر داد و گفت بارش باران در استان های شمالی و غربی تا پایان هفته ادامه دارد.</p>"
        "<p>مدیرکل پیش بینی سازمان هواشناسی افزود: احتمال وقوع سیلاب در مناطق مستعد وجود دارد و از مردم "
        "خواسته می شود از توقف در حاشیه رودخانه ها خودداری کنند.</p>")


def page(head: str = "", before: str = "", body: str = BODY, after: str = "") -> str:
    return (f"<!DOCTYPE html><html lang='fa' dir='rtl'><head><meta charset='utf-8'>{head}</head><body>"
            f"<nav><a href='/'>صفحه نخست</a> <a href='/p'>سیاسی</a> <a href='/e'>اقتصادی</a></nav>"
            f"<article>{before}<div class='body'>{body}</div>{after}</article>"
            "<footer>کلیه حقوق محفوظ است.</footer></body></html>")


def read(html: str, **kw: object) -> RawArticle:
    result = extract(html, "page.html", **kw)  # type: ignore[arg-type]
    assert isinstance(result, RawArticle), result
    return result


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        ("<div class='news-date'>۲۴ مهر ۱۴۰۳ - ۰۸:۱۵</div>", "2024-10-15T08:15:00+03:30"),
        ("<span class='date'>سه شنبه ۲۴ مهر ۱۴۰۳</span>", "2024-10-15"),
        ("<div>تاریخ انتشار: ۱۴۰۳/۰۷/۲۲ - ۰۹:۴۵</div>", "2024-10-13T09:45:00+03:30"),
        ("<div class='info'>١٠ دي ١٤٠٢ ساعت ١٨:٠٠</div>", "2023-12-31T18:00:00+03:30"),  # Arabic digits, ي
        ("<span class='time'>۱۴ اکتبر ۲۰۲۴</span>", "2024-10-14"),
    ],
)
def test_byline_date_in_persian_is_read(before: str, expected: str) -> None:
    assert read(page(before=before)).published == expected


def test_site_header_date_of_today_does_not_win() -> None:
    html = page(before="<div class='news-meta'>۲۲ مهر ۱۴۰۳ - ۱۱:۰۰</div>").replace(
        "<nav>", "<div class='top'>امروز: سه شنبه ۲۹ مهر ۱۴۰۳</div><nav>")
    assert read(html).published == "2024-10-13T11:00:00+03:30"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("<meta property='article:published_time' content='2024-10-13T09:12:00+03:30'>", "2024-10-13T09:12:00+03:30"),
        ("<meta name='date' content='۱۴۰۳/۰۷/۲۲'>", "2024-10-13"),
        ('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2024-10-12T21:00:00Z"}'
         "</script>", "2024-10-12T21:00:00+00:00"),
    ],
)
def test_metadata_date_is_read_with_time(head: str, expected: str) -> None:
    assert read(page(head=head)).published == expected


def test_page_without_date_has_none() -> None:
    assert read(page()).published is None


def test_headline_and_kicker_are_not_repeated_in_text() -> None:
    article = read(page(before="<span class='kicker'>با اعلام سازمان هواشناسی</span><h1>هشدار سیلاب در شمال کشور</h1>"))
    assert article.title == "هشدار سیلاب در شمال کشور"
    assert article.text.startswith("به گزارش خبرگزاری نمونه")


@pytest.mark.parametrize(
    "furniture",
    ["<p>انتهای پیام/</p>", "<p>/انتهای خبر/</p>", "<p>کد خبر: ۳۱۷۹۴۵۶</p>", "<p>چاپ | ارسال به دوستان | کپی شد</p>",
     "<p>لینک کوتاه: tn.ai/3179456</p>", "<p>برچسب ها: هواشناسی، سیل</p>", "<p>تعداد بازدید: 1532</p>",
     "<p>انتهای پیام/ر</p>", "<p>/ج</p>", "<p>۷۳۲۳/ ۱۸۰۸</p>", "<p>***</p>"],
)
def test_page_furniture_is_removed(furniture: str) -> None:
    text = read(page(after=furniture)).text
    assert text.endswith("خودداری کنند.")


def test_end_mark_glued_to_last_paragraph_is_removed() -> None:
    assert read(page(body=BODY.replace("کنند.</p>", "کنند. انتهای پیام/</p>"))).text.endswith("خودداری کنند.")


def test_dateline_with_tatweel_is_kept() -> None:
    body = BODY.replace("<p>به گزارش خبرگزاری نمونه،", "<p>تهران ـ ایرنا ـ")
    assert read(page(body=body)).text.startswith("تهران ـ ایرنا ـ سازمان هواشناسی")


@pytest.mark.parametrize(
    ("head", "title", "outlet"),
    [
        ("<title>هشدار سیلاب - خبرگزاری تسنیم | Tasnim</title><meta property='og:site_name' content='خبرگزاری تسنیم'>",
         "هشدار سیلاب", "خبرگزاری تسنیم"),
        ("<title>همشهری آنلاین - هشدار سیلاب</title>", "هشدار سیلاب", "همشهری آنلاین"),
        ('<title>هشدار سیلاب</title><script type="application/ld+json">{"publisher": {"name": "ایرنا"}}</script>',
         "هشدار سیلاب", "ایرنا"),
    ],
)
def test_outlet_is_not_glued_to_title(head: str, title: str, outlet: str) -> None:
    article = read(page(head=head))
    assert (article.title, article.outlet) == (title, outlet)


def test_author_that_is_the_outlet_is_dropped() -> None:
    head = "<meta property='og:site_name' content='خبرگزاری تسنیم'><meta name='author' content='خبرگزاری تسنیم'>"
    assert read(page(head=head)).author is None
    head = "<meta property='og:site_name' content='دنیای اقتصاد'><meta name='author' content='مریم احمدی'>"
    assert read(page(head=head)).author == "مریم احمدی"


def test_canonical_url_is_normalized() -> None:
    head = ("<link rel='canonical' href='https://www.isna.ir/news/1403/?utm_source=x#c'>"
            "<meta property='og:url' content='https://other.example/'>")
    assert read(page(head=head)).url == "https://www.isna.ir/news/1403/"


def test_relative_canonical_is_joined_with_the_page_url() -> None:
    html = page(head="<link rel='canonical' href='/news/12'>")
    assert read(html, url="https://www.irna.ir/x/y?utm_medium=a").url == "https://www.irna.ir/news/12"


def test_local_page_without_url_has_none() -> None:
    assert read(page()).url is None


def test_raw_html_is_kept() -> None:
    html = page()
    assert read(html).raw_html == html


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><nav><a href='/'>صفحه نخست</a><a href='/2'>آرشیو</a></nav><footer>تماس با ما</footer></body></html>",
        "<html><head><title>ورود</title></head><body><form><input name='u'><button>ورود</button></form></body></html>",
        "<html><body><div id='app'></div><script>render()</script></body></html>",
        "<html></html>",
        "   ",
    ],
)
def test_page_without_article_is_a_failure(html: str) -> None:
    result = extract(html, "p.html")
    assert isinstance(result, Failure)
    assert "no article" in result.reason or "empty" in result.reason


def test_garbage_markup_does_not_crash() -> None:
    result = extract("<<<>>><p <div =='' <<p>" * 1000, "junk.html")
    assert isinstance(result, (Failure, RawArticle))


@pytest.mark.parametrize(
    ("declared", "encoding"),
    [("<meta charset='windows-1256'>", "cp1256"),
     ("<meta http-equiv='Content-Type' content='text/html; charset=windows-1256'>", "cp1256"),
     ("<meta charset='utf-8'>", "utf-8"), ("", "utf-8"), ("<meta charset='iso-8859-1'>", "utf-8"),
     ("", "utf-16"), ("", "utf-16-le"), ("<meta charset='utf-8'>", "utf-8-sig")],
)
def test_html_charset_is_honoured(declared: str, encoding: str) -> None:
    html = page(head=declared).replace("<meta charset='utf-8'>", "", 1) if declared else page()
    if encoding == "cp1256":
        html = html.replace("ی", "ي")
    article = next(read_html(html.encode(encoding), "p.html"))
    assert isinstance(article, RawArticle)
    assert "هواشناسی" in article.text.replace("ي", "ی")


def test_cp1256_page_without_declaration_is_decoded() -> None:
    html = page().replace("<meta charset='utf-8'>", "").replace("ی", "ي")
    article = next(read_html(html.encode("cp1256"), "p.html"))
    assert isinstance(article, RawArticle) and "هواشناسي" in article.text


def test_undecodable_html_is_a_failure() -> None:
    german = "<html><body><p>Die Straße über den Fluß wird für Bürger geöffnet, sagte der Bürgermeister.</p></body></html>"
    result = next(read_html(german.encode("latin-1"), "p.html"))
    assert isinstance(result, Failure)


def test_sample_pages(samples: Path) -> None:
    articles = {Path(a.origin).name: a for a in read_sources([str(samples)]) if a.kind == "html"}  # type: ignore[union-attr]
    tasnim = articles["05-tasnim-moscow.html"]
    assert tasnim.published == "2024-10-14T18:40:00+03:30"
    assert tasnim.url == "https://www.tasnimnews.com/fa/news/1403/07/23/3179456/"
    assert (tasnim.outlet, tasnim.author) == ("خبرگزاری تسنیم", None)
    assert "انتهای پیام" not in tasnim.text and "اخبار مرتبط" not in tasnim.text
    hamshahri = articles["06-hamshahri-earthquake.html"]
    assert hamshahri.published == "2024-10-15T08:15:00+03:30"
    assert hamshahri.outlet == "همشهري آنلاين"
    assert "زرند" in hamshahri.text and "پربیننده" not in hamshahri.text
    donya = articles["10-donya-inflation.html"]
    assert (donya.published, donya.author) == ("2024-10-13T09:12:00+03:30", "مریم احمدی")
    assert not donya.text.startswith("در نشست خبری")  # the kicker


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<html><body>" + "<span>خبر</span>" * 40_000 + "</body></html>", "over 30,000 HTML elements"),
        ("<html><body><p>" + "خبر مهم امروز. " * 80_000 + "</p></body></html>", "characters of text: not one article"),
    ],
)
def test_oversized_page_is_refused_quickly(html: str, reason: str) -> None:
    result = extract(html, "big.html")
    assert isinstance(result, Failure) and reason in result.reason


def test_deeply_nested_page_does_not_crash() -> None:
    html = "<html><body>" + "<div>" * 100_000 + BODY + "</div>" * 100_000 + "</body></html>"
    assert isinstance(extract(html, "deep.html"), (Failure, RawArticle))


@pytest.mark.parametrize("zwnj", ["\u200c", "&zwnj;", "&#8204;", "&#x200C;"])
def test_zwnj_survives_extraction(zwnj: str) -> None:
    # trafilatura deletes characters str.isprintable() rejects, ZWNJ among them.
    body = BODY.replace("استان های", f"استان{zwnj}های").replace("می شود", f"می{zwnj}شود")
    article = read(page(head=f"<title>هشدار{zwnj}ها</title>", body=body))
    assert "استان\u200cهای" in article.text and "می\u200cشود" in article.text
    assert article.title == "هشدار\u200cها"
    assert "\u2e3b" not in article.text


def test_xhtml_page_with_xml_declaration() -> None:
    html = ('<?xml version="1.0" encoding="utf-8"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html xmlns="http://www.w3.org/1999/xhtml">'
            f"<head><title>هشدار</title></head><body><article>{BODY}</article></body></html>")
    assert read(html).text.startswith("به گزارش خبرگزاری نمونه")
    [article] = list(read_sources(["-"], stdin=__import__("io").BytesIO(html.encode())))
    assert isinstance(article, RawArticle) and article.kind == "html"


@pytest.mark.parametrize(
    ("dateline", "start"),
    [
        ("<p>تهران- ایرنا-</p>", "تهران- ایرنا- به گزارش"),  # own paragraph: joined to the lead
        ("<p><span>خبرگزاری مهر ـ</span></p>", "خبرگزاری مهر ـ به گزارش"),
        ("<div class='dateline'>مشهد - ایسنا</div>", "مشهد - ایسنا - به گزارش"),  # dropped by trafilatura: put back
        ("<p>کریدور شمال - جنوب</p>", "کریدور شمال - جنوب\nبه گزارش"),  # a subheading is not a dateline
    ],
)
def test_dateline_opens_the_lead(dateline: str, start: str) -> None:
    assert read(page(before=dateline)).text.startswith(start)
