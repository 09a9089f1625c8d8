"""The events stage: meetings, their participants, date and place."""

from __future__ import annotations

import pytest

import khabar
from khabar.document import Document


def names(doc: Document, ids: tuple[str, ...]) -> str:
    return " ".join((doc.entity(i).name if doc.entity(i) else i) for i in ids)  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "trigger", "people", "date", "place"), [
    ("عباس عراقچی امروز در تهران با سرگئی لاوروف دیدار کرد.", "دیدار کرد", ["عراقچی", "لاوروف"], "2025-08-09",
     "تهران"),
    ("مسعود پزشکیان در دیدار با رجب طیب اردوغان گفت که روابط خوب است.", "دیدار", ["پزشکیان", "اردوغان"], None,
     None),
    ("عباس عراقچی و سرگئی لاوروف دیروز رایزنی کردند.", "رایزنی کردند", ["عراقچی", "لاوروف"], "2025-08-08", None),
    ("رجب طیب اردوغان با ولادیمیر پوتین دیدار و گفت‌وگو کرد.", "دیدار و گفت‌وگو کرد", ["اردوغان", "پوتین"],
     None, None),
    ("ولادیمیر پوتین در گفت‌وگوی تلفنی با دونالد ترامپ گفت که آماده است.", "گفت‌وگوی تلفنی", ["پوتین", "ترامپ"],
     None, None),
    ("ولادیمیر پوتین در گفت‌وگویی تلفنی با دونالد ترامپ گفت که آماده است.", "گفت‌وگویی تلفنی", ["پوتین", "ترامپ"],
     None, None),
])
def test_events_meeting(text: str, trigger: str, people: list[str], date: str | None, place: str | None) -> None:
    doc = khabar.analyze(text, published="2025-08-09")
    assert [e.trigger.text for e in doc.events] == [trigger]
    ev = doc.events[0]
    assert ev.type == "meeting"
    who = names(doc, ev.participants)
    for p in people:
        assert p in who.replace("\u200c", ""), (p, who)
    assert ev.date == date
    if place is None:
        assert ev.place is None
    else:
        assert ev.place is not None and place in names(doc, (ev.place,))


@pytest.mark.parametrize("text", [
    "عباس عراقچی در این دیدار گفت که ایران آماده است.",  # refers back to a meeting already told
    "ادامه گفت‌وگوها ضروری است.",
    "وزیر گفت که فردا با همتای خود دیدار می‌کند.",  # a meeting inside a statement
    "دیدار تیم‌های فوتبال لغو شد.",
    "شرکت‌کنندگان از مرکز فرهنگی خرمشهر دیدار کردند.",  # a visit to a place
    "در آنجا می‌توان خریداران را ملاقات نمود.",
    "در دیدار پرسپولیس و استقلال، دو تیم با نتیجه مساوی از زمین خارج شدند.",  # a match
    "پرسپولیس در دیدار با استقلال به برتری رسید.",
    "تیم ملی فوتبال ایران امشب با ژاپن دیدار می‌کند.",
    "محمدجواد ظریف در گفت‌وگو با یک روزنامه گفته است که خسته نیست.",  # an interview
    "",
    "meeting " * 100,
])
def test_events_not_new_meetings(text: str) -> None:
    assert khabar.analyze(text).events == []


def test_events_one_per_sentence_verb_wins() -> None:
    doc = khabar.analyze("عباس عراقچی در دیدار با سرگئی لاوروف در مسکو ملاقات کرد.")
    assert [e.trigger.text for e in doc.events] == ["ملاقات کرد"]


def test_events_round_trip() -> None:
    doc = khabar.analyze("عباس عراقچی با سرگئی لاوروف دیدار کرد.")
    assert Document.from_dict(doc.to_dict()).events == doc.events


@pytest.mark.parametrize("text", ["دیدار " * 2000, "\x00دیدار کرد\x00", "در دیدار با", "با دیدار کرد"])
def test_events_hostile_input(text: str) -> None:
    doc = khabar.analyze(text)
    assert all(e.trigger.start < e.trigger.end for e in doc.events)
