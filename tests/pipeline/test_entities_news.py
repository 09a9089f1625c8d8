"""Entity spans as crawled news writes them (issue 11's real-news gold): sentences written for these
tests, in the shapes the misses on real articles showed."""

from __future__ import annotations

import khabar
from khabar.pipeline.entities_news import (
    bodies_after_departments,
    compass_points,
    desks_and_joined_credits,
    is_sports,
    settlements,
    sports_clubs,
    whole_bodies,
)


def _ents(text: str) -> list[tuple[str, str]]:
    return [(m.text, m.label) for m in khabar.analyze(text).mentions]


SPORT = "سرمربی تیم در نشست خبری پیش از بازی لیگ برتر گفت که بازیکنان آماده‌اند. "


def test_clubs_named_by_common_words_in_an_article_about_sport() -> None:
    found = _ents(SPORT + "تیم ما هفته آینده با پدیده و سپس با پاس همدان بازی دارد و تراکتور هم حریف بعدی است.")
    assert ("پدیده", "ORG") in found
    assert ("پاس همدان", "ORG") in found
    assert ("تراکتور", "ORG") in found
    assert ("همدان", "LOC") not in found


def test_clubs_are_common_words_outside_sport_and_after_their_determiners() -> None:
    found = _ents("قیمت نفت در بازارهای جهانی بالا رفت و این پدیده نگرانی‌ها را بیشتر کرد.")
    assert not any(lab == "ORG" for _, lab in found)
    keys = ["تیم", "لیگ", "بازی", "این", "پدیده", "را", "دید"]
    assert sports_clubs(keys, []) == []
    assert not is_sports(["قیمت", "نفت", "بالا", "رفت"])


def test_club_after_baashgaah_is_one_organization() -> None:
    keys = ["تیم", "لیگ", "بازی", "نامه", "باشگاه", "نفت", "رسید"]
    assert sports_clubs(keys, []) == [(4, 6, "ORG")]
    # A span that already reaches past the name stays as it is.
    assert sports_clubs(keys, [(4, 6, "ORG")]) == [(4, 6, "ORG")]


def test_desks_and_joined_credits() -> None:
    found = _ents("به گزارش گروه ورزشی خبرگزاری مهر، کاروان ایران به توکیو رسید.")
    assert ("خبرگزاری مهر", "ORG") in found
    assert not any(t.startswith("گروه") for t, _ in found)
    found = _ents("به گزارش ایرنا و بنابر اعلام وبدا، داروی تازه به بازار آمد.")
    assert ("ایرنا", "ORG") in found and ("وبدا", "ORG") in found
    assert desks_and_joined_credits(["گروه", "سلامت"], [(0, 2, "ORG")]) == []
    assert desks_and_joined_credits(["گروه", "صنعتی", "مپنا"], [(0, 3, "ORG")]) == [(0, 3, "ORG")]


def test_a_department_before_its_ministry() -> None:
    keys = ["مدیرکل", "اموزش", "ابتدایی", "وزارت", "اموزش", "و", "پرورش", "گفت"]
    common = {"اموزش", "ابتدایی"}.__contains__
    assert bodies_after_departments(keys, [(1, 7, "ORG")], common) == [(3, 7, "ORG")]
    # A name opening with a body's own head stays whole.
    assert bodies_after_departments(["سازمان", "اموزش", "فنی", "وزارت"], [(0, 4, "ORG")], common) == [(0, 4, "ORG")]


def test_bodies_named_in_pieces() -> None:
    assert whole_bodies(["مرکز", "مطالعات", "مجمع", "تشخیص"], [(0, 2, "ORG"), (2, 4, "ORG")]) == [(0, 4, "ORG")]
    assert whole_bodies(["در", "مجلس", "هشتم", "گفت"], [(1, 3, "ORG")]) == [(1, 2, "ORG")]
    assert whole_bodies(["در", "ستاد", "انتخابات", "وزارت", "کشور"], [(3, 5, "ORG")]) == [(1, 5, "ORG")]
    # (`و` between is two bodies, not one.)
    assert whole_bodies(["معاونت", "و", "سازمان", "بهزیستی"], [(2, 4, "ORG")]) == [(2, 4, "ORG")]


def test_places_after_settlements_and_compass_points() -> None:
    tokens = ["در", "شهر", "«", "چانگ", "وون", "»", "و", "سپس", "شهر", "چانگ", "وون", "رفتیم"]
    keys = ["در", "شهر", "«", "چانگ", "وون", "»", "و", "سپس", "شهر", "چانگ", "وون", "رفتیم"]
    assert settlements(keys, tokens, [], lambda k: k in {"چانگ", "وون"}) == [(3, 5, "LOC"), (9, 11, "LOC")]
    assert compass_points(["به", "خراسان", "جنوبی", "رفت"], [(1, 2, "LOC")]) == [(1, 3, "LOC")]


def test_a_known_place_before_a_verb() -> None:
    assert ("مسکو", "LOC") in _ents("سرمربی تیم ملی کاراته امشب راهی مسکو می‌شود.")


def test_a_surname_that_is_a_common_word_where_a_subject_stands() -> None:
    found = _ents("جیمز رایان مدیر برنامه‌های اضطراری گفت که خطر جدی است.\n"
                  "رایان همچنین از کشورها خواست مرزها را نبندند.")
    assert sum(1 for t, lab in found if lab == "PER" and t.endswith("رایان")) == 2


def test_a_common_word_before_a_surname_named_in_full() -> None:
    found = _ents("برایان هوک نماینده آمریکا بود.\nوزارت خارجه گفت اظهارات هوک پایه ندارد.")
    assert ("اظهارات هوک", "LOC") not in found and ("اظهارات هوک", "PER") not in found


def test_a_list_of_people_with_one_untagged() -> None:
    from khabar.pipeline.entities_news import listed_persons

    keys = ["از", "جمله", "علی", "کریمی", "،", "مینا", "صدری", "،", "رضا", "نوری", "و", "دیگران"]
    found = [(2, 4, "PER"), (8, 10, "PER")]
    assert listed_persons(keys, keys, found, lambda k: True) == [(2, 4, "PER"), (5, 7, "PER"), (8, 10, "PER")]
    # Not at a list's end, and not where the neighbours are no persons.
    assert listed_persons(keys, keys, [(2, 4, "PER")], lambda k: True) == [(2, 4, "PER")]


def test_a_club_named_in_full_then_by_its_first_word() -> None:
    found = _ents(SPORT + "تیم ما برابر لینفیلد روورز بازی کرد و لینفیلد در این بازی شکست خورد.")
    assert ("لینفیلد روورز", "ORG") in found and ("لینفیلد", "ORG") in found
    # A common first word is no name alone (`درخشان` is bright).
    found = _ents(SPORT + "تیم ما برابر درخشان ریورز بازی کرد و بازی درخشان بود.")
    assert ("درخشان", "ORG") not in found


def test_well_known_organizations_by_acronym() -> None:
    assert ("FATF", "ORG") in _ents("ایران هنوز به FATF نپیوسته است.")
