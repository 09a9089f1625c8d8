"""The quotes stage: speaker — cue — content, direct and indirect, and what is not a statement."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import khabar
from khabar.document import Document, Quote
from khabar.pipeline.quotes_lexicon import CUE, cue_class, is_plural

FOLD = str.maketrans({"\u200c": None, " ": None, "ي": "ی", "ك": "ک", "ة": "ه"})


def _f(s: str) -> str:
    return s.translate(FOLD)


def speaker_names(doc: Document, q: Quote) -> list[str]:
    if q.speaker is None:
        return []
    e = doc.entity(q.speaker.entity) if q.speaker.entity else None
    return [q.speaker.text] + ([e.name, *e.aliases] if e else [])


def said_by(doc: Document, q: Quote, key: str) -> bool:
    return any(_f(key) in _f(n) for n in speaker_names(doc, q))


# (text, [(speaker key, cue, content, kind)])
CASES = [
    ("عباس عراقچی، وزیر امور خارجه، گفت: «ایران آماده است.»",
     [("عراقچی", "گفت", "ایران آماده است.", "direct")]),
    ("عباس عراقچی گفت: «ایران آماده است.» وی افزود: «ما صبوریم.»",
     [("عراقچی", "گفت", "ایران آماده است.", "direct"), ("عراقچی", "افزود", "ما صبوریم.", "direct")]),
    ("محمدرضا عارف تأکید کرد که دولت از تولید حمایت می‌کند.",
     [("عارف", "تأکید کرد", "دولت از تولید حمایت می‌کند", "indirect")]),
    ("محمدرضا عارف تأکید کرد که دولت حامی تولید است و افزود که تورم کاهش می‌یابد.",
     [("عارف", "تأکید کرد", "دولت حامی تولید است", "indirect"), ("عارف", "افزود", "تورم کاهش می‌یابد", "indirect")]),
    ("محمدباقر قالیباف اظهار داشت: مجلس از دولت حمایت می‌کند.",
     [("قالیباف", "اظهار داشت", "مجلس از دولت حمایت می‌کند", "direct")]),
    ("منابع آگاه به رویترز گفتند که مذاکرات ادامه دارد.",
     [("منابع آگاه", "گفتند", "مذاکرات ادامه دارد", "indirect")]),
    ("کارشناسان سازمان هواشناسی پیش‌بینی کرده‌اند که دما بالا می‌رود.",
     [("کارشناسان سازمان هواشناسی", "پیش‌بینی کرده‌اند", "دما بالا می‌رود", "indirect")]),
    ("فعالان بازار کاهش قیمت دلار را عامل اصلی افت قیمت سکه می‌دانند.",
     [("فعالان بازار", "می‌دانند", "کاهش قیمت دلار را عامل اصلی افت قیمت سکه", "indirect")]),
    ("رهبران حماس در بیانیه‌ای اعلام کردند که به توافق پایبندند.",
     [("حماس", "اعلام کردند", "به توافق پایبندند", "indirect")]),
    ("علی لاریجانی این توافق را پیروزی بزرگی دانست.",
     [("لاریجانی", "دانست", "این توافق را پیروزی بزرگی", "indirect")]),
    ("«هیچ بخشی از خاک کشور معامله‌پذیر نیست»؛ عبدالرحیم موسوی این را گفت.",
     [("موسوی", "گفت", "هیچ بخشی از خاک کشور معامله‌پذیر نیست", "direct")]),
    ("به گفته غلامحسین محسنی، پرونده‌ها به‌زودی بسته می‌شوند.",
     [("محسنی", "به گفته", "پرونده‌ها به‌زودی بسته می‌شوند", "indirect")]),
    ("پلیس اعلام کرد سه نفر در این حادثه بازداشت شدند.",
     [("پلیس", "اعلام کرد", "سه نفر در این حادثه بازداشت شدند", "indirect")]),
    # A dateline is not the subject; a body named with a place is.
    ("تهران - ایرنا - استانداری تهران اعلام کرد مدارس ابتدایی روز چهارشنبه تعطیل است.",
     [("استانداری تهران", "اعلام کرد", "مدارس ابتدایی روز چهارشنبه تعطیل است", "indirect")]),
    # What was announced, after `از`; `به گفته وی` refers to the role that opened the sentence before.
    ("دنیای اقتصاد ـ وزیر امور اقتصادی و دارایی روز یکشنبه از اجرای برنامه‌های جدید دولت خبر داد. "
     "به گفته وی، تورم کاهش می‌یابد.",
     [("وزیر امور اقتصادی و دارایی", "خبر داد", "اجرای برنامه‌های جدید دولت", "indirect"),
      ("وزیر امور اقتصادی و دارایی", "به گفته", "تورم کاهش می‌یابد", "indirect")]),
    ("وزیر آموزش و پرورش گفت که مدارس باز است.",
     [("وزیر آموزش و پرورش", "گفت", "مدارس باز است", "indirect")]),
    # A role, then the object of an evaluative verb.
    ("رهبر انقلاب اسلامی ایمان را سلاح اصلی دانستند.",
     [("رهبر انقلاب اسلامی", "دانستند", "ایمان را سلاح اصلی", "indirect")]),
    ("سخنگوی دولت این اقدام را غیرقانونی اعلام کرد.",
     [("سخنگوی دولت", "اعلام کرد", "این اقدام را غیرقانونی", "indirect")]),
    # A subject marked by the adverb after it.
    ("رافائل گروسی اما دسترسی بازرسان را «ناکافی» توصیف کرد.",
     [("گروسی", "توصیف کرد", "دسترسی بازرسان را «ناکافی»", "indirect")]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_quotes_found(text: str, expected: list[tuple[str, str, str, str]]) -> None:
    doc = khabar.analyze(text)
    got = [(q.cue.text, q.content.text, q.kind) for q in doc.quotes]
    assert got == [(cue, content, kind) for _, cue, content, kind in expected]
    for q, (key, *_rest) in zip(doc.quotes, expected, strict=True):
        assert said_by(doc, q, key), (key, speaker_names(doc, q))


@pytest.mark.parametrize(("text", "key"), [
    # A pronoun refers to the last person who spoke.
    ("خلیل لحیة این پیروزی را مشترک دانست. او تأکید کرد که مقاومت پیروز است.", "لحیة"),
    # The honorific `ایشان` with a plural verb.
    ("آیت‌الله علی سیستانی در دیدار با نمایندگان سخنرانی کردند. ایشان تأکید کردند که وحدت ضروری است.", "سیستانی"),
    # A clause without a subject keeps the speaker of the clause it is joined to.
    ("مسعود پزشکیان دستاوردها را بزرگ خواند و تأکید کرد که کار ادامه دارد.", "پزشکیان"),
    # A role held by someone named earlier in the article.
    ("اسماعیل بقائی، سخنگوی وزارت امور خارجه، به خبرنگاران پاسخ داد. سخنگوی وزارت امور خارجه گفت که سفر لغو شد.",
     "بقائی"),
    # An adverbial without a comma before the subject.
    ("محمد اسماعیل درویش به تهران آمد. در این دیدار عباس عراقچی گفت که ایران آماده است.", "عراقچی"),
    ("در ادامه عباس عراقچی گفت که ایران آماده است.", "عراقچی"),
    # A name after an adverbial that names someone else.
    ("با اشاره به سخنان عراقچی، سرگئی لاوروف گفت که آماده‌ایم.", "لاوروف"),
    # A dateline inside the text, then the outlet that wrote.
    ("لندن - ایرنا: هفته‌نامه اقتصادی میدل‌ایست اکونومیک چاپ لندن نوشت: قراردادها به‌زودی اعلام می‌شود.",
     "هفته‌نامه"),
    # A country speaks.
    ("چین اعلام کرد که با تحریم‌ها مخالف است.", "چین"),
    # A conjunction before a name the entity model may not know.
    ("اما ماریو مونتی ضمن رد این نگرانی‌ها گفت: پیشنهاد فیشر مهم است.", "مونتی"),
    # Honorifics before a name are not the speaker, even when tagged as a person.
    ("حجت‌الاسلام والمسلمین محسن قمی، معاون بین‌الملل دفتر رهبر انقلاب، گفت: «وحدت لازم است.»", "قمی"),
    # A name split in two by the entity model.
    ("حسین کرمانپور گفت: «بیش از ۶۰ درصد موارد بستری است.»", "کرمانپور"),
    # `این را` before the speaker of a quotation.
    ("«ما از حقوق خود عقب‌نشینی نمی‌کنیم»؛ این را مسعود پزشکیان روز شنبه در جلسه هیئت دولت گفت.", "پزشکیان"),
    # `به اعتقاد X،` attributes an opinion.
    ("ناصر کنعانی در یادداشتی نوشت: دیپلماسی مهم است. به اعتقاد او، همسایگان شرکای ایران هستند.", "کنعانی"),
    # A sentence with no subject after a question of the narrative.
    ("فاطمه مهاجرانی در پاسخ به این پرسش که آیا کابینه ترمیم می‌شود؟ گفت: هنوز تصمیمی گرفته نشده است.", "مهاجرانی"),
])
def test_quotes_speaker_resolution(text: str, key: str) -> None:
    doc = khabar.analyze(text)
    assert doc.quotes, text
    assert said_by(doc, doc.quotes[-1], key), speaker_names(doc, doc.quotes[-1])


@pytest.mark.parametrize("text", [
    "مردم با شهدای خود وداع گفتند.",
    "وزیر با همتای خود گفت‌وگو کرد.",
    "وزیر با همتای خود گفت و گو کرد.",
    "آیا وزیر گفت که استعفا می‌دهد؟",
    "اگر حرفی برای گفتن نداری، سکوت کن.",
    "او کتاب را خواند.",
    "وزیر در جمع خبرنگاران سخن گفت.",
    "وزیر با اشاره به مشکلات، از مردم تقدیر کرد.",
    "وزیر اشاره کرد.",
    "آنچه رئیس‌جمهور گفت مورد استقبال قرار گرفت.",  # what was said, not a statement
    "او کتاب را در کتابخانه خواند.",  # reading
    "خداوند سخنان خویش را این چنین بیان می‌کند، تا شما در آنها تعقل کنید.",  # a clause joined by تا
    "سرانجام «دوست‌نماها» به موجودیت اسرائیل اعتراف می‌کنند.",  # a quoted term, not speech
    "خداوند امر به معروف را جهت اصلاح جامعه واجب فرمود.",  # an honorific light verb
    "وزارت کشور نتایج انتخابات را روز شنبه اعلام کرد.",  # announcing, judging nothing
    "وزیر به سخنانی که لاوروف گفت واکنش نشان داد.",
])
def test_quotes_not_statements(text: str) -> None:
    assert khabar.analyze(text).quotes == []


def test_quotes_multi_sentence_colon_keeps_speaker() -> None:
    doc = khabar.analyze("محسن اسلامی گفت: ثبت‌نام از فردا آغاز می‌شود. داوطلبان باید مدارک را بفرستند.")
    assert len(doc.quotes) == 1
    assert doc.quotes[0].content.text.endswith("داوطلبان باید مدارک را بفرستند.")


def test_quotes_nested_quotation_is_one_statement() -> None:
    doc = khabar.analyze("وزیر بهداشت گفت: «کسانی که می‌گویند «دارو نیست» آمار را نمی‌بینند.»")
    assert [(q.cue.text, q.content.text) for q in doc.quotes] == [
        ("گفت", "کسانی که می‌گویند «دارو نیست» آمار را نمی‌بینند.")]


def test_quotes_raw_offsets_show_the_original() -> None:
    raw = "وزير گفت: «ما آماده‌ايم.»"
    doc = khabar.analyze(raw)
    q = doc.quotes[0]
    assert raw[q.cue.raw_start:q.cue.raw_end] == "گفت"
    assert raw[q.content.raw_start:q.content.raw_end] == "ما آماده‌ايم."


def test_quotes_serialize_round_trip() -> None:
    doc = khabar.analyze("عباس عراقچی گفت: «ایران آماده است.»")
    again = Document.from_dict(json.loads(json.dumps(doc.to_dict(), ensure_ascii=False)))
    assert again.quotes == doc.quotes


@pytest.mark.parametrize("text", [
    "وزیر گفت: «ما آماده‌ایم.",  # unbalanced «
    "وزیر گفت: ما آماده‌ایم.» و رفت.",  # unbalanced »
    "وزیر گفت:",  # a colon with nothing after it
    "گفت: «آماده‌ایم.»",  # a cue at the very start
    "ما آماده‌ایم؛ وزیر گفت",  # a cue at the very end
    "وزیر گفت: «" + "این جمله‌ای طولانی است. " * 50 + "»",  # a 50-sentence quotation
    "وزیر گفت: «او گفت: «من گفتم: «نه»»»",  # quotations nested three deep
    "The minister said: «we are ready».",  # no Persian
    "",
    "«»«»«»::::",
    "گفت " * 3000,
    "\x00\x01\x02 ﷽ \ufffd",
    "وزیر گفت: «ما آماده‌ایم.»".encode().decode("cp1252", errors="replace"),  # wrongly decoded
    "وزیر گفت: «ما آماده‌ایم.»".encode("cp1256", errors="replace").decode("latin-1"),
])
def test_quotes_bad_input_gives_a_valid_document(text: str) -> None:
    doc = khabar.analyze(text)
    d = doc.to_dict()
    for q in d["quotes"]:
        assert q["content"]["start"] < q["content"]["end"]
        assert doc.text[q["cue"]["start"]:q["cue"]["end"]] == q["cue"]["text"]
    assert Document.from_dict(d).quotes == doc.quotes


def test_quotes_fifty_sentence_quotation_is_one_statement() -> None:
    body = "این جمله‌ای طولانی است. " * 50
    doc = khabar.analyze("وزیر گفت: «" + body + "» سپس رفت.")
    assert len(doc.quotes) == 1
    assert doc.quotes[0].content.text.count("جمله") == 50


@pytest.mark.parametrize(("cue", "cls", "plural"), [
    ("گفت", "strong", False), ("گفتند", "strong", True), ("گفته‌اند", "strong", True),
    ("تأکید کردند", "strong", True), ("اظهار داشت", "strong", False), ("یادآور شد", "strong", False),
    ("اشاره کرد", "weak", False), ("دانستند", "evaluative", True), ("خواند", "evaluative", False),
    ("می‌گوید", "strong", False), ("ابراز امیدواری کرد", "strong", False),
    ("خاطرنشان ساخت", "strong", False), ("پیشنهاد داد", "weak", False), ("تأکید نمودند", "strong", True),
    ("اظهار داشته است", "strong", False), ("می‌افزاید", "strong", False),
])
def test_quotes_lexicon(cue: str, cls: str, plural: bool) -> None:
    assert CUE.fullmatch(cue)
    assert cue_class(cue) == cls
    assert is_plural(cue) == plural


# -- the seed article and the gold passages ------------------------------------------------------


def test_quotes_seed_all_fifteen_attributed(seed_statement_figures: dict[str, Any]) -> None:
    figures = seed_statement_figures
    assert figures["statements"] == 15
    assert figures["cue_recall"] == 1.0
    assert figures["speaker_accuracy"] == 1.0


# Floors pinned from bench/statements.py (measured; they only move up).
FLOORS = {
    "tune": {"cue_recall": 0.95, "cue_precision": 0.95, "speaker_accuracy": 0.95, "content_overlap": 0.9,
             "date_accuracy": 0.95, "event_recall": 0.9, "event_precision": 0.9, "event_accuracy": 0.45,
             "source_accuracy": 0.95},
    "dev": {"cue_recall": 0.95, "cue_precision": 0.95, "speaker_accuracy": 0.9, "content_overlap": 0.9,
            "date_accuracy": 0.9, "event_recall": 0.9},
    "dev4": {"cue_recall": 0.9, "cue_precision": 0.95, "speaker_accuracy": 0.9, "content_overlap": 0.9,
             "date_accuracy": 0.9},
}


def test_quotes_quality_gate(statements_bench: ModuleType) -> None:
    bench = statements_bench
    docs = [d for d in bench.load(bench.GOLD) if d["split"] in FLOORS]
    figures = bench.score(docs, set())
    for split, floors in FLOORS.items():
        for name, floor in floors.items():
            assert figures[split][name] >= floor, (split, name, figures[split][name])


def test_quotes_time_grows_linearly() -> None:
    import time

    from khabar.pipeline import default_pipeline

    unit = ("عباس عراقچی گفت: «ما آماده‌ایم.» وی این توافق را مهم دانست و افزود که کار ادامه دارد. "
            "«این پایان نیست»؛ لاوروف این را گفت. به گفته وی، روسیه آماده است.\n")
    stage = next(s for s in default_pipeline().stages if s.name == "quotes")
    docs = {}
    for n in (20, 200):
        doc = khabar.analyze(unit * n)
        # CPU time, best of three: wall time on a busy machine stretches a long run (preempted many
        # times) far more than a short one (done within one time slice), and measures the machine.
        runs = []
        for _ in range(3):
            start = time.thread_time()
            stage(doc)
            runs.append(time.thread_time() - start)
        docs[n] = min(runs)
    # Ten times the text may take up to ~30 times as long on a busy machine, not a hundred.
    assert docs[200] < 30 * docs[20] + 0.05, docs


def test_quotes_readable_output() -> None:
    import io

    from rich.console import Console

    from khabar.render import render_document

    doc = khabar.analyze("به گزارش ایلنا، عباس عراقچی امروز با سرگئی لاوروف دیدار کرد. او گفت: «ما آماده‌ایم.»",
                         published="2025-08-09")
    out = io.StringIO()
    render_document(doc, Console(file=out, width=200, highlight=False, soft_wrap=True))
    text = out.getvalue()
    assert "عباس عراقچی (او) — گفت — «ما آماده·ایم.»" in text
    assert "meeting: عباس عراقچی · " in text and "on 2025-08-09" in text
    assert "امروز → 2025-08-09" in text
    assert "ایلنا (به گزارش ایلنا)" in text


def test_quotes_stray_open_quote_hides_nothing_after_its_line() -> None:
    doc = khabar.analyze("وزیر گفت: «ما آماده‌ایم.\nعباس عراقچی تأکید کرد که ایران صبور است.")
    assert [q.cue.text for q in doc.quotes] == ["گفت", "تأکید کرد"]
    assert doc.quotes[0].content.text == "ما آماده‌ایم."


_PIECES = ["وزیر", "گفت", "افزود", "تأکید کرد", "که", ":", "«", "»", "،", ".", "؟", "\n", "او", "ایشان", "را",
           "دانست", "به گفته", "دیدار کرد", "با", "در", "امروز", "۱۸ مرداد ۱۴۰۴", "عباس عراقچی", "رهبران حماس",
           "و", "نیز", "این", "x", " "]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40))
def test_quotes_any_mix_gives_valid_spans(pieces: list[str]) -> None:
    doc = khabar.analyze(" ".join(pieces), published="2025-08-09")
    for q in doc.quotes:
        for span in (q.cue, q.content, q.speaker):
            if span is not None:
                assert doc.text[span.start:span.end] == span.text
                assert 0 <= span.raw_start <= span.raw_end <= len(doc.raw_text)
        assert q.kind in ("direct", "indirect")
    for e in doc.events:
        assert doc.text[e.trigger.start:e.trigger.end] == e.trigger.text
    for d in doc.dates:
        assert doc.text[d.start:d.end] == d.text


@pytest.mark.parametrize("adverb", ["پیشتر", "قبلاً", "اخیرا"])
def test_quotes_time_adverb_ends_the_speaker_phrase(adverb: str) -> None:
    doc = khabar.analyze(f"سخنگوی کرملین {adverb} گفته بود که دو طرف درباره تجارت رایزنی خواهند کرد.")
    assert [q.speaker.text for q in doc.quotes if q.speaker] == ["سخنگوی کرملین"]


def test_quotes_role_with_also_is_not_the_last_speaker() -> None:
    # `X نیز …`: X is the other side, not the person just quoted.
    doc = khabar.analyze("سید عباس عراقچی در این تماس گفت: ایران از هر ابتکاری استقبال می‌کند. "
                         "وزیر خارجه عمان نیز ابراز امیدواری کرد که مذاکرات به زودی برگزار شود.")
    first, second = doc.quotes
    assert first.speaker is not None and first.speaker.entity == "per:سیدعباسعراقچی"
    assert second.speaker is not None and second.speaker.entity != first.speaker.entity


def test_quotes_role_spelled_apart_is_whole() -> None:
    # `نخست وزیر` with a space is the same role as `نخست‌وزیر`.
    doc = khabar.analyze("نخست وزیر عراق گفت که روابط دو کشور خوب است.")
    assert [q.speaker.text for q in doc.quotes if q.speaker] == ["نخست وزیر عراق"]


def test_quotes_credit_later_in_the_article_leaves_earlier_subjects_alone() -> None:
    # `به گزارش رویترز` in the last paragraph is no dateline of the first ones.
    doc = khabar.analyze("محمدرضا فرزین در گفت‌وگو با خبرنگاران گفت: سیاست‌های پولی ادامه خواهد یافت.\n"
                         "به گزارش رویترز، قیمت نفت برنت روز جمعه به ۸۲ دلار رسید.")
    assert [q.speaker.text for q in doc.quotes if q.speaker] == ["محمدرضا فرزین"]


def test_quotes_role_then_name_in_apposition() -> None:
    # `ROLE، NAME، … گفت`: the name in apposition holds the role and said it.
    doc = khabar.analyze("دبیر جشنواره، مهدی آذرپندار، در نشست خبری گفت: امسال پنج هزار اثر رسیده است.")
    people = {e.id: e for e in doc.entities if e.label == "PER"}
    speaker = doc.quotes[0].speaker
    assert speaker is not None and speaker.entity in people
    assert people[speaker.entity].name == "مهدی آذرپندار"
    assert "دبیر جشنواره" in people[speaker.entity].titles


# -- as crawled news writes statements (sentences written for these tests) ----------------------

def _speakers(text: str) -> list[tuple[str, str | None, str | None]]:
    doc = khabar.analyze(text)
    return [(q.cue.text, q.speaker.text if q.speaker else None, q.speaker.entity if q.speaker else None)
            for q in doc.quotes]


def test_quotes_lead_role_is_the_person_named_in_the_body() -> None:
    found = _speakers("رئیس دانشگاه تبریز گفت: «پژوهش باید به صنعت برسد.»\n"
                      "به گزارش ایسنا، مهدی کریمی در همایشی در تبریز گفت: «دانشجویان آینده کشورند.»\n"
                      "رئیس دانشگاه تبریز ادامه داد: «بودجه پژوهش کم است.»")
    assert [e for _, _, e in found] == ["per:مهدیکریمی"] * 3


def test_quotes_role_naming_its_body_is_the_untitled_person_just_quoted() -> None:
    found = _speakers("سعید رضایی در جمع خبرنگاران اظهار کرد: «مسابقات در اردبیل برگزار می‌شود.»\n"
                      "مدیرکل تربیت بدنی وزارت آموزش و پرورش گفت: «تیم‌ها آماده‌اند.»")
    assert found[1][2] == "per:سعیدرضایی"


def test_quotes_subject_before_a_question_in_the_frame() -> None:
    found = _speakers("مهدی کریمی در همایشی سخن گفت. وی در پاسخ به این پرسش که برنامه دانشگاه چیست؟ "
                      "اظهار داشت: «توسعه پژوهش.»")
    assert found == [("اظهار داشت", "وی", "per:مهدیکریمی")]


def test_quotes_short_form_of_a_role_finds_its_holder() -> None:
    found = _speakers("ملانی جولی، وزیر امور خارجه کانادا، به ایران سفر کرد.\n"
                      "وزیر خارجه کانادا تصریح کرد که گفت‌وگوها ادامه دارد.")
    assert found == [("تصریح کرد", "وزیر خارجه کانادا", "per:ملانیجولی")]


@pytest.mark.parametrize(("text", "cue"), [
    ("به نوشته رویترز، قیمت نفت امروز افزایش یافت.", "به نوشته"),
    ("برخی کارشناسان معتقدند قیمت مسکن کاهش می‌یابد.", "معتقدند"),
    ("در بیانیه وزارت خارجه آمده است: «این اقدام غیرقانونی است.»", "آمده است"),
    # a request followed by what is asked, in the subjunctive
    ("نماینده مجلس از دولت درخواست کرد این طرح را هر چه زودتر اجرا کند.", "درخواست کرد"),
    ("استاندار از مردم درخواست کرد تا در روزهای تعطیل از سفر پرهیز کنند.", "درخواست کرد"),
    # asked of someone: the simple verb with از
    ("سخنگوی اتحادیه از همه اعضا خواست که در جلسه فردا شرکت کنند.", "خواست"),
    # the perfect without its copula, as news writes it
    ("شهرداری اعلام کرده در صورت بارش برف مدارس تعطیل خواهد شد.", "اعلام کرده"),
    ("روزنامه محلی فاش کرده که این بازیکن به تیم دیگری می‌رود.", "فاش کرده"),
    ("وزیر گفته که بودجه پژوهش افزایش می‌یابد.", "گفته"),
    ("طبق اعلام اداره هواشناسی، دمای هوا از فردا کاهش می‌یابد.", "طبق اعلام"),
])
def test_quotes_news_cues(text: str, cue: str) -> None:
    assert [c for c, _, _ in _speakers(text)] == [cue]


@pytest.mark.parametrize("text", [
    "در ادامه فهرست بازیکنان آمده است: علی، رضا و حسن.",  # a list, not what a document says
    "وزیر درخواست کرد.",  # a request with nothing asked
    "او می خواست که به خانه برود.",  # wanted, not asked
    "او خواست که به خانه برود.",  # wanted: asked of no one
    "این گفته که بودجه کم است درست نیست.",  # the noun
    "طرحی که دولت اعلام کرده، در مجلس تصویب شد و اجرا خواهد شد.",  # a relative clause
])
def test_quotes_not_news_cues(text: str) -> None:
    assert _speakers(text) == []


@pytest.mark.parametrize(("text", "speaker"), [
    ("سه تن از این دیپلمات‌ها اظهار کردند که مذاکرات شکست خورد.", "سه تن از این دیپلمات‌ها"),
    ("برخی از نمایندگان گفتند که طرح تصویب می‌شود.", "برخی از نمایندگان"),
    # after a subordinate opener, and in a clause joined by و after a verb
    ("پس از این که متخصصان بهداشت اعلام کردند که آب آلوده است، مدارس تعطیل شد.", "متخصصان بهداشت"),
    ("بحث تعطیلی مدارس در شهر به موضوع روز تبدیل شده و برخی کارشناسان معتقدند این کار لازم نیست.",
     "برخی کارشناسان"),
    # people named by what they are in the story
    ("مادر که نگران بود به مدرسه رفت، معلم علت را جویا شد و پدر در پاسخ گفت: «صبر کنید.»", "پدر"),
    ("این دو مرد با ابراز پشیمانی ادعا کردند که قصد سرقت نداشتند.", "دو مرد"),
    # a body named by its kind alone
    ("این کشور از فهرست خارج شده بود و کارگروه به دولت وعده داد که نام آن را حذف کند.", "کارگروه"),
])
def test_quotes_some_of_a_group_speak(text: str, speaker: str) -> None:
    assert [s for _, s, _ in _speakers(text)] == [speaker]


def test_quotes_a_source_credited_for_a_report_is_no_speaker() -> None:
    found = _speakers("به گزارش ایرنا و بنابر اعلام روابط عمومی دانشگاه، مهدی کریمی از آغاز ثبت‌نام خبر داد.")
    assert [(c, s) for c, s, _ in found] == [("خبر داد", "مهدی کریمی")]


def test_quotes_bare_role_a_few_sentences_on_is_the_person_interviewed() -> None:
    # The person quoted, two sentences of story, then the role the article never gave anyone else.
    found = _speakers("حسن کرمانی در گفت و گو با ایسنا افزود: تیم ما آماده است.\n"
                      "بازیکنان در اردو تمرین کردند. همه چیز خوب پیش رفت.\n"
                      "مدیر تیم‌های ملی کشتی در ادامه اعلام کرد: رقابت‌ها سخت است.")
    assert [e for _, _, e in found] == ["per:حسنکرمانی"] * 2


def test_quotes_bare_role_after_another_person_is_not_the_first() -> None:
    found = _speakers("حسن کرمانی در گفت و گو با ایسنا افزود: تیم ما آماده است.\n"
                      "علی رضایی نیز در این مراسم حضور داشت. همه چیز خوب پیش رفت.\n"
                      "مدیر تیم‌های ملی کشتی در ادامه اعلام کرد: رقابت‌ها سخت است.")
    assert found[-1][2] != "per:حسنکرمانی"
