"""Stories: same-event articles from different outlets grouped; the thresholds that decide it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from khabar.archive.stories import StoryClusterer, content_words, shingles
from khabar.ingest import RawArticle, read_sources

SAMPLES = Path(__file__).resolve().parents[2] / "samples"

# Cases written after the thresholds were set (they were tuned on samples/ only).
FLOOD_A = ("به گزارش خبرگزاری صدا و سیما، بارش شدید باران از بامداد امروز در مازندران موجب طغیان رودخانه های "
           "بابل و تجن شد و آب به خانه های چند روستای اطراف ساری راه یافت. مدیرکل مدیریت بحران مازندران گفت: "
           "۴۰ خانوار از روستاهای حاشیه رودخانه تخلیه شده اند و نیروهای امدادی در منطقه مستقر هستند. "
           "جاده ساری - کیاسر نیز به دلیل ریزش کوه مسدود است.")
FLOOD_B = ("ساری - ایرنا - طغیان رودخانه تجن و بابل رود پس از بارش های سیل آسای امروز، روستاهای اطراف ساری را "
           "در آب فرو برد. به گفته مدیرکل مدیریت بحران استان مازندران، ۴۰ خانوار تخلیه شده و تیم های هلال احمر "
           "برای اسکان اضطراری آنها اعزام شده اند. محور ساری به کیاسر بر اثر ریزش کوه بسته شده است.")
FLOOD_OTHER = ("گرگان - ایرنا - بارش شدید باران در گلستان موجب طغیان رودخانه گرگانرود شد و آب به خانه های چند "
               "روستای اطراف آق قلا راه یافت. مدیرکل مدیریت بحران گلستان گفت: ۲۵ خانوار تخلیه شده اند و "
               "نیروهای امدادی هلال احمر در منطقه مستقر هستند.")
SMOG_A = ("به گزارش ایسنا، کمیته اضطرار آلودگی هوای استان تهران امروز اعلام کرد مدارس و دانشگاه های تهران "
          "فردا پنجشنبه به صورت غیرحضوری فعالیت می کنند. شاخص کیفیت هوا امروز در برخی ایستگاه ها به ۱۸۰ رسید "
          "و طرح زوج و فرد در تمام ساعات اجرا می شود.")
SMOG_B = ("تهران - ایرنا - با تداوم آلودگی هوا، آموزش در مدارس و دانشگاه های استان تهران روز پنجشنبه غیرحضوری "
          "شد. بر اساس تصمیم کمیته اضطرار آلودگی هوا، اجرای طرح زوج و فرد در همه ساعات الزامی است. "
          "شاخص کیفیت هوای تهران در ایستگاه های جنوبی از ۱۸۰ گذشت.")
MATCH = ("به گزارش ورزش سه، تیم ملی والیبال ایران در دیدار دوستانه با ژاپن سه بر یک پیروز شد. این مسابقه در سالن "
         "دوازده هزار نفری آزادی برگزار شد و سرمربی تیم ملی از عملکرد بازیکنان جوان ابراز رضایت کرد.")

DAY = dt.date(2024, 11, 20)


def _samples() -> list[RawArticle]:
    return [a for a in read_sources([str(SAMPLES)]) if isinstance(a, RawArticle)]


def test_samples_form_the_written_stories() -> None:
    clusterer = StoryClusterer()
    for a in _samples():
        clusterer.add(Path(a.origin).name, "\n".join(filter(None, [a.title, a.text])), a.published)
    groups = sorted(sorted(v) for v in clusterer.stories().values())
    assert groups == sorted([
        ["01-isna-economy.txt", "07-news-dump.jsonl#3", "10-donya-inflation.html"],
        ["02-mehr-diplomacy.txt", "04-irna-feed.xml#5", "05-tasnim-moscow.html"],
        ["03-jahan-culture.txt", "04-irna-feed.xml#3", "07-news-dump.jsonl#1"],
        ["04-irna-feed.xml#4", "06-hamshahri-earthquake.html", "07-news-dump.jsonl#2", "08-khabaronline-earthquake.txt"],
        ["07-news-dump.jsonl#4", "09-fars-derby.txt"],
        ["04-irna-feed.xml#1"], ["04-irna-feed.xml#2"], ["07-news-dump.jsonl#5"], ["07-news-dump.jsonl#6"],
    ])


@pytest.mark.parametrize(("first", "second"), [(FLOOD_A, FLOOD_B), (SMOG_A, SMOG_B)])
def test_rewrites_of_one_event_by_two_outlets_join(first: str, second: str) -> None:
    clusterer = StoryClusterer()
    clusterer.add("a", first, DAY)
    assignment = clusterer.assign("b", second, DAY + dt.timedelta(days=1))
    assert assignment.story_id == "a" and assignment.matched == "a"
    assert assignment.similarity >= clusterer.threshold and not assignment.near_duplicate


@pytest.mark.parametrize(("first", "second"), [(FLOOD_A, SMOG_A), (SMOG_B, MATCH), (FLOOD_B, MATCH)])
def test_different_events_stay_apart(first: str, second: str) -> None:
    clusterer = StoryClusterer()
    clusterer.add("a", first, DAY)
    assert clusterer.add("b", second, DAY) == "b"


# Entities as the pipeline's NER finds them in FLOOD_A, FLOOD_B and FLOOD_OTHER.
ENTITIES_A = ["صدا و سیما", "مازندران", "بابل", "روستای اطراف ساری", "ساری", "کیاسر"]
ENTITIES_B = ["ایرنا", "استان مازندران", "تیم‌های هلال‌احمر", "کیاسر"]
ENTITIES_OTHER = ["گرگان", "ایرنا", "گلستان", "آق قلا", "بحران گلستان", "امدادی هلال‌احمر"]


def test_one_template_two_events_are_told_apart_by_entities() -> None:
    clusterer = StoryClusterer()
    clusterer.add("mazandaran", FLOOD_A, DAY, entities=ENTITIES_A)
    assert clusterer.add("golestan", FLOOD_OTHER, DAY, entities=ENTITIES_OTHER) == "golestan"
    assert clusterer.add("mazandaran-2", FLOOD_B, DAY, entities=ENTITIES_B) == "mazandaran"


def test_entities_do_not_veto_near_duplicates() -> None:
    clusterer = StoryClusterer()
    clusterer.add("a", FLOOD_A, DAY, entities=["مازندران"])
    assert clusterer.add("b", FLOOD_A, DAY, entities=["ساری"]) == "a"


@pytest.mark.parametrize(("days", "same"), [(0, True), (3, True), (-3, True), (4, False), (-30, False)])
def test_date_window(days: int, same: bool) -> None:
    clusterer = StoryClusterer(window_days=3)
    clusterer.add("a", FLOOD_A, DAY)
    assert (clusterer.add("b", FLOOD_B, DAY + dt.timedelta(days=days)) == "a") is same


@pytest.mark.parametrize("published", ["2024-11-20", "2024-11-20T23:59:00+03:30", DAY, dt.datetime(2024, 11, 20, 8)])
def test_published_in_any_form(published: object) -> None:
    clusterer = StoryClusterer()
    clusterer.add("a", FLOOD_A, "2024-11-21")
    assert clusterer.add("b", FLOOD_B, published) == "a"


def test_undated_articles_need_more_similarity() -> None:
    dated = StoryClusterer(threshold=0.10, undated_threshold=0.99)
    dated.add("a", FLOOD_A, DAY)
    assert dated.add("b", FLOOD_B, DAY) == "a"
    undated = StoryClusterer(threshold=0.10, undated_threshold=0.99)
    undated.add("a", FLOOD_A, None)
    assert undated.add("b", FLOOD_B, None) == "b"
    assert undated.add("c", FLOOD_A + " انتهای خبر", "not a date") == "a"  # a repost is found even undated


def test_repost_with_other_credit_is_a_near_duplicate() -> None:
    clusterer = StoryClusterer()
    clusterer.add("a", FLOOD_A, DAY)
    repost = FLOOD_A.replace("به گزارش خبرگزاری صدا و سیما،", "به گزارش پایگاه خبری جهان نیوز،")
    assignment = clusterer.assign("b", repost.replace("می", "مي"), DAY)
    assert assignment.near_duplicate and assignment.similarity > 0.8


def test_summary_joins_its_full_article_by_containment() -> None:
    clusterer = StoryClusterer()
    clusterer.add("full", FLOOD_A + " " + FLOOD_B, DAY)
    summary = FLOOD_B.split(". ")[0] + ". " + FLOOD_B.split(". ")[1]
    assignment = clusterer.assign("summary", summary, DAY)
    assert assignment.story_id == "full" and assignment.containment >= clusterer.containment


def test_story_ids_never_change_and_stories_never_merge() -> None:
    clusterer = StoryClusterer()
    assert clusterer.add("smog", SMOG_A, DAY) == "smog"
    assert clusterer.add("flood", FLOOD_A, DAY) == "flood"
    assert clusterer.add("both", SMOG_B + " " + FLOOD_B, DAY) in {"smog", "flood"}
    assert (clusterer.story_of("smog"), clusterer.story_of("flood")) == ("smog", "flood")


def test_adding_an_id_again_returns_its_story() -> None:
    clusterer = StoryClusterer()
    clusterer.add(1, FLOOD_A, DAY)
    clusterer.add(2, SMOG_A, DAY)
    assert clusterer.add(2, FLOOD_B, DAY) == 2
    assert len(clusterer) == 2 and 2 in clusterer


def test_cluster_batch_is_deterministic() -> None:
    items = [(i, text, DAY) for i, text in enumerate([FLOOD_A, SMOG_A, FLOOD_B, MATCH, SMOG_B])]
    first = StoryClusterer().cluster(items)
    assert first == StoryClusterer().cluster(items) == {0: 0, 1: 1, 2: 0, 3: 3, 4: 1}
    mapped = StoryClusterer().cluster({"id": i, "text": t, "published": d} for i, t, d in items)
    assert mapped == first


@pytest.mark.parametrize("text", ["", "   ", "و در به از", "۱ و ۲", "!!!"])
def test_text_without_content_words_is_its_own_story(text: str) -> None:
    clusterer = StoryClusterer()
    clusterer.add("a", text, DAY)
    assert clusterer.add("b", text, DAY) == "b"


def test_text_must_be_str() -> None:
    with pytest.raises(TypeError, match="text must be str"):
        StoryClusterer().add("a", b"bytes", DAY)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{"threshold": 0}, {"undated_threshold": 1.5}, {"window_days": -1}])
def test_bad_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        StoryClusterer(**kwargs)  # type: ignore[arg-type]


def test_entities_are_shingles() -> None:
    assert len(shingles("دیدار در مسکو", ["سرگئی لاوروف"])) == len(shingles("دیدار در مسکو")) + 1


@pytest.mark.parametrize(
    ("a", "b"),
    [("زمین لرزه", "زمینلرزه"), ("همکاری ها", "همکاریها"), ("بین المللی", "بینالمللی"), ("كرمان", "کرمان"),
      ("۵ ریشتر", "5 ریشتر"), ("می رسد", "میرسد")],
)
def test_shingles_meet_across_spelling_variants(a: str, b: str) -> None:
    # Joined and spaced compounds meet through the space-less pair shingle.
    assert set(shingles(f"گزارش {a} امروز")) & set(shingles(f"گزارش {b} امروز")) - set(shingles("گزارش امروز"))


def test_content_words_take_a_precomputed_key() -> None:
    assert content_words("متن نادیده", key="زلزله در کرمان") == ["زلزله", "کرمان"]


def test_forget_before_keeps_story_ids() -> None:
    clusterer = StoryClusterer()
    clusterer.add("old", FLOOD_A, DAY)
    assert clusterer.forget_before(DAY + dt.timedelta(days=10)) == 1
    assert clusterer.story_of("old") == "old"
    assert clusterer.add("new", FLOOD_B, DAY) == "new"  # the forgotten article no longer matches


# Written after the thresholds were set: three events by two outlets each, and a recurring report.
PAIRS = {
 "bourse_a": ("شاخص کل بورس تهران رکورد زد", "به گزارش بورس نیوز، شاخص کل بورس تهران در معاملات امروز با رشد ۴۲ هزار واحدی به سطح ۲ میلیون و ۳۵۰ هزار واحد رسید و رکورد تاریخی خود را شکست. ارزش معاملات خرد نیز از ۱۲ هزار میلیارد تومان فراتر رفت و نمادهای بانکی و خودرویی بیشترین تقاضا را داشتند.", "2024-12-01"),
 "bourse_b": ("بورس در مدار صعود؛ شاخص از ۲.۳ میلیون واحد گذشت", "اقتصادنیوز - بازار سهام امروز یکشنبه نیز سبزپوش بود و شاخص کل با افزایش ۴۲ هزار واحد، برای نخستین بار از مرز ۲ میلیون و ۳۵۰ هزار واحد عبور کرد. کارشناسان بازار سرمایه افزایش تقاضا در گروه بانکی و خودرویی و رشد ارزش معاملات به بیش از ۱۲ هزار میلیارد تومان را نشانه ورود نقدینگی تازه می دانند.", "2024-12-01"),
 "football_a": ("ایران ۲ - قطر ۱؛ صعود یک قدمی شد", "به گزارش ایسنا، تیم ملی فوتبال ایران در هفته هفتم مقدماتی جام جهانی در ورزشگاه آزادی با نتیجه دو بر یک قطر را شکست داد. مهدی طارمی در دقیقه ۱۲ و سردار آزمون در دقیقه ۶۵ برای ایران گلزنی کردند و اکرم عفیف گل قطر را زد. ایران با این برد ۱۹ امتیازی شد.", "2024-11-14"),
 "football_b": ("پیروزی شاگردان قلعه نویی برابر قطر", "ورزش سه - ملی پوشان در ورزشگاه آزادی مقابل قطر به برتری ۲ بر یک رسیدند. گل های ایران را طارمی و آزمون به ثمر رساندند و عفیف برای قطر گل زد. سرمربی تیم ملی پس از بازی گفت: «بازیکنان با غیرت بازی کردند و سه امتیاز حساس را گرفتیم.» تیم ملی با ۱۹ امتیاز صدرنشین گروه است.", "2024-11-15"),
 "fuel_a": ("وزیر نفت: قیمت بنزین تغییر نمی کند", "به گزارش شانا، وزیر نفت امروز در حاشیه جلسه هیئت دولت گفت: هیچ تصمیمی برای افزایش قیمت بنزین در سال جاری گرفته نشده است و سهمیه کارت های سوخت خودروهای شخصی همچنان ۶۰ لیتر در ماه است. وی افزود مصرف روزانه بنزین به ۱۳۰ میلیون لیتر رسیده و واردات بنزین ادامه دارد.", "2024-12-04"),
 "fuel_b": ("تکذیب گرانی بنزین از سوی وزیر نفت", "به گزارش خبرگزاری تسنیم، وزیر نفت شایعه افزایش قیمت بنزین را رد کرد و گفت سهمیه ماهانه ۶۰ لیتری خودروهای شخصی تغییری نخواهد کرد. به گفته وی، مصرف بنزین کشور روزانه به حدود ۱۳۰ میلیون لیتر رسیده و دولت برای جبران کسری، بنزین وارد می کند.", "2024-12-04"),
 "gold_d1": ("قیمت سکه امروز ۱۲ آذر", "به گزارش ایسنا، قیمت سکه تمام بهار آزادی طرح جدید امروز دوشنبه در بازار تهران با ۳۰۰ هزار تومان افزایش به ۵۱ میلیون و ۲۰۰ هزار تومان رسید. نیم سکه ۲۸ میلیون و ربع سکه ۱۷ میلیون تومان معامله شد و هر گرم طلای ۱۸ عیار ۴ میلیون و ۸۰۰ هزار تومان قیمت خورد.", "2024-12-02"),
 "gold_d2": ("قیمت سکه امروز ۱۳ آذر", "به گزارش ایسنا، قیمت سکه تمام بهار آزادی طرح جدید امروز سه شنبه در بازار تهران با ۵۰۰ هزار تومان کاهش به ۵۰ میلیون و ۷۰۰ هزار تومان رسید. نیم سکه ۲۷ میلیون و ۶۰۰ هزار و ربع سکه ۱۶ میلیون و ۸۰۰ هزار تومان معامله شد و هر گرم طلای ۱۸ عیار ۴ میلیون و ۷۵۰ هزار تومان قیمت خورد.", "2024-12-03"),
}


@pytest.mark.parametrize("event", ["bourse", "football", "fuel"])
def test_held_out_rewrites_join(event: str) -> None:
    clusterer = StoryClusterer()
    for suffix in ("a", "b"):
        title, text, published = PAIRS[f"{event}_{suffix}"]
        clusterer.add(f"{event}_{suffix}", f"{title}\n{text}", published)
    assert clusterer.story_of(f"{event}_b") == f"{event}_a"


def test_all_held_out_articles_together() -> None:
    clusterer = StoryClusterer()
    found = clusterer.cluster((k, f"{t}\n{x}", d) for k, (t, x, d) in PAIRS.items())
    assert found == {"bourse_a": "bourse_a", "bourse_b": "bourse_a", "football_a": "football_a",
                     "football_b": "football_a", "fuel_a": "fuel_a", "fuel_b": "fuel_a", "gold_d1": "gold_d1",
                     "gold_d2": "gold_d2"}


def test_recurring_report_of_the_next_day_is_a_new_story() -> None:
    # One template, other figures: without the figures veto, daily price reports chain into one story.
    clusterer = StoryClusterer()
    title, text, published = PAIRS["gold_d1"]
    clusterer.add("d1", f"{title}\n{text}", published)
    title, text, published = PAIRS["gold_d2"]
    assignment = clusterer.assign("d2", f"{title}\n{text}", published)
    assert assignment.story_id == "d2"
    assert StoryClusterer(near_duplicate=0.3).cluster(
        [("d1", PAIRS["gold_d1"][1], "2024-12-02"), ("d2", PAIRS["gold_d2"][1], "2024-12-03")])["d2"] == "d1"


def test_bounded_cluster_forgets_old_days_and_gives_the_same_stories() -> None:
    items = [(f"{n}-{i}", text, DAY + dt.timedelta(days=7 * n))
             for n in range(12) for i, text in enumerate([FLOOD_A, SMOG_A, FLOOD_B])]
    bounded = StoryClusterer()
    assert bounded.cluster(items, bounded=True) == StoryClusterer().cluster(items)
    assert len(bounded._shingles) < len(items) / 3  # only the recent weeks are kept


def test_stories_known_story_is_replayed_and_new_articles_join_it() -> None:
    from khabar.archive.stories import StoryClusterer

    quake = "زمین لرزه ای به بزرگی ۵.۱ ریشتر بامداد سه شنبه زرند در استان کرمان را لرزاند و ۱۲ نفر مصدوم شدند."
    c = StoryClusterer()
    c.add_stored(40, quake, "2024-10-15", story_id=7)  # stored in story 7 by an earlier run
    again = "به گزارش ایلنا، زمینلرزه ۵.۱ ریشتری بامداد امروز زرند کرمان را لرزاند؛ ۱۲ نفر مصدوم شدند."
    assert c.add(41, again, "2024-10-15") == 7


def test_stories_forget_entirely_keeps_nothing_of_old_articles() -> None:
    from khabar.archive.stories import StoryClusterer

    c = StoryClusterer()
    for n in range(30):
        c.add(n, f"خبر شماره {n} درباره موضوع {n} در شهر {n}", f"2024-10-{1 + n % 28:02d}")
    c.forget_before("2024-10-20", entirely=True)
    assert len(c) < 15 and sum(len(v) for v in c.stories().values()) == len(c)
    assert c.add(100, "خبر تازه درباره بارش باران در شهر", "2024-10-28") == 100
