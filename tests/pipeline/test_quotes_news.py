"""Statements as crawled news writes them (issue 11's real-news gold): each test holds sentences
written for it, in the shapes the misses on real articles showed."""

from __future__ import annotations

import khabar


def _said(text: str) -> list[tuple[str, str | None, str | None, str]]:
    doc = khabar.analyze(text)
    out = []
    for q in doc.quotes:
        ent = doc.entity(q.speaker.entity) if q.speaker is not None and q.speaker.entity else None
        out.append((q.cue.text, q.speaker.text if q.speaker else None, ent.name if ent else None, q.content.text))
    return out


def test_a_colon_closes_the_clause_before_the_subject() -> None:
    # `را` before the colon belongs to the clause the colon closes, not to `خبر داد`.
    found = _said("این پایگاه هر روز گزارش‌ها را منتشر می‌کند:بهرام سپهری نژاد معاون استاندار از آغاز "
                  "ثبت‌نام داوطلبان خبر داد.")
    assert len(found) == 1
    cue, speaker, _, content = found[0]
    assert cue == "خبر داد" and speaker is not None and "سپهری" in speaker
    assert content.startswith("آغاز ثبت‌نام")


def test_a_name_the_model_missed_then_the_role_it_holds() -> None:
    found = _said("تیم میزبان دیروز شکست خورد. تیرو وانکلیف یکی دیگر از بازیکنان این تیم گفت: "
                  "«ما بد بازی کردیم.»")
    assert [s for _, s, _, _ in found] == ["تیرو وانکلیف"]


def test_words_of_time_before_a_role_are_no_name() -> None:
    found = _said("هفته گذشته سخنگوی وزارت نیرو گفت: «برق قطع نمی‌شود.»")
    assert found[0][1] is not None and found[0][1].startswith("سخنگوی")


def test_a_role_naming_its_body_is_the_unlinked_name_just_quoted() -> None:
    # The model leaves the name untagged; the role a paragraph later names the club, not a person.
    text = ("گلاره‌وندی در مورد این بازی گفت: تیم ما خوب بود.\n"
            "او ادامه داد: بازیکنان جوان تلاش کردند.\n"
            "سرمربی جوانان پرسپولیس درباره بازی بعدی گفت: برای برد می‌رویم.")
    found = _said(text)
    assert len(found) == 3
    assert all(s is not None and "گلاره" in (s + (e or "")) for _, s, e, _ in found[::2])


def test_a_role_is_not_a_group_quoted_before_it() -> None:
    found = _said("مقام‌های ژاپن اعلام کردند که همکاری ادامه دارد.\n"
                  "وزیر خارجه نروژ تصریح کرد که این همکاری سودمند است.")
    assert found[-1][1] == "وزیر خارجه نروژ"


def test_a_pronoun_after_a_sentence_naming_one_person_in_an_adverbial() -> None:
    text = ("طرح جدید از سوی نمایندگانی از جمله مهرداد کیانی، نسرین صدری و دیگران مطرح شد.\n"
            "در جلسه امروز این سخن به گوش رسید با صدای بلند مهرداد کیانی از طراحان این طرح.\n"
            "او گفت: ما منتظر نمی‌مانیم.")
    found = _said(text)
    assert found[0][2] == "مهرداد کیانی"


def test_a_foreign_name_with_its_latin_gloss() -> None:
    doc = khabar.analyze('"یورگن مولر"(Jürgen Müller) از مرکز پژوهش‌های دریایی گفت: آب گرم‌تر شده است.')
    assert [(m.text, m.label) for m in doc.mentions if m.label == "PER"] == [("یورگن مولر", "PER")]
    assert doc.quotes[0].speaker is not None and doc.quotes[0].speaker.text == "یورگن مولر"


def test_glossed_names_rule() -> None:
    from khabar.pipeline.entities_news import glossed_names

    words = ["«", "یورگن", "مولر", "»", "(", "Jürgen", "Müller", ")", "گفت"]
    assert glossed_names(words, [(5, 7, "PER")], lambda w: False) == [(1, 3, "PER")]
    # Unquoted, a person's gloss takes as many Persian words as it has; an organization's needs quotes.
    words = ["سازمان", "ملل", "متحد", "(", "United", "Nations", ")"]
    assert glossed_names(words, [(4, 6, "ORG")], lambda w: False) == [(4, 6, "ORG")]
    # A gloss whose Persian name is already tagged goes.
    assert glossed_names(["جان", "اسمیت", "(", "John", "Smith", ")"], [(0, 2, "PER"), (3, 5, "PER")],
                         lambda w: False) == [(0, 2, "PER")]


def test_a_compound_surname_written_apart_after_given_names() -> None:
    doc = khabar.analyze("به گزارش ایسنا، دکتر علی رضا کوزه ساز در این نامه از آغاز طرح خبر داد.")
    assert ("علی رضا کوزه ساز", "PER") in [(m.text, m.label) for m in doc.mentions]
    assert doc.quotes[0].speaker is not None and "کوزه ساز" in doc.quotes[0].speaker.text


def test_a_source_credited_before_the_clause_is_no_subject() -> None:
    found = _said("دکتر علی رضا کوزه ساز در این نامه از آغاز طرح خبر داد.\n"
                  "بنابر اعلام روابط عمومی، کوزه ساز ضمن تاکید بر این موضوع درخواست کرده است همه مراکز "
                  "این اطلاعیه را منتشر کنند.")
    assert [(c, e) for c, _, e, _ in found] == [("خبر داد", "علی رضا کوزه ساز"),
                                                 ("درخواست کرده است", "علی رضا کوزه ساز")]


def test_named_as_one_of() -> None:
    found = _said("مدیر این مؤسسه برگزاری کلاس‌های تابستانی را از جمله برنامه‌های امسال عنوان کرد.")
    assert [(c, s) for c, s, _, _ in found] == [("عنوان کرد", "مدیر این مؤسسه")]
    assert found[0][3].startswith("برگزاری کلاس")


def test_a_promise_in_the_indicative() -> None:
    found = _said("کمیته به باشگاه وعده داد در صورت پرداخت بدهی، محرومیت را لغو می‌کند.")
    assert [(c, s) for c, s, _, _ in found] == [("وعده داد", "کمیته")]


def test_a_request_followed_by_its_reason() -> None:
    found = _said("مدیر بیمارستان از مردم خواست این توصیه‌ها را جدی بگیرند زیرا «بیماری هنوز هست».")
    assert [c for c, *_ in found] == ["خواست"]
    assert found[0][3] == "این توصیه‌ها را جدی بگیرند"


def test_a_request_needs_what_is_asked() -> None:
    # Without a subjunctive clause there is nothing asked, reason or not.
    assert _said("او از مردم خواست زیرا دیر شده بود.") == []


def test_a_verb_opening_someone_s_words_is_no_speaker() -> None:
    found = _said("کریم باقری درباره تعطیلات لیگ نیز گفت: نمی‌توان گفت تعطیلات به ضرر کدام تیم است.\n"
                  "وی افزود: تیم ما آماده است.")
    assert all(e == "کریم باقری" for _, _, e, _ in found)
