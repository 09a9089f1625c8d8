"""The events stage: meetings, their participants, date and place."""

from __future__ import annotations

from types import ModuleType
from typing import Any

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


# Participants the entity model misses or cuts short; roles, groups and counterparts; places it does not tag.
@pytest.mark.parametrize(("text", "people", "place"), [
    # a name the model cuts short, completed by the word after it
    ("عباس عراقچی روز یکشنبه در دیدار با هاکان فیدان گفت که روابط دو کشور خوب است.", ["عراقچی", "هاکان فیدان"],
     None),
    # untagged names: opening the clause, after `و`, after `با`, before a role in apposition
    ("پاپ لئو چهاردهم روز شنبه در واتیکان با ولودیمیر زلنسکی دیدار کرد.", ["لئو", "زلنسکی"], "واتیکان"),
    ("محمد اسلامی، رئیس سازمان انرژی اتمی، و رافائل گروسی دیروز با یکدیگر دیدار کردند.", ["اسلامی", "گروسی"],
     None),
    ("کایا کالاس، مسئول سیاست خارجی اتحادیه، در گفت‌وگوی تلفنی با عباس عراقچی خواستار آرامش شد.",
     ["کالاس", "عراقچی"], None),
    ("علی لاریجانی روز شنبه وارد بغداد شد و با محمد شیاع السودانی، نخست‌وزیر عراق، دیدار کرد.",
     ["لاریجانی", "السودانی"], "بغداد"),
    ("کیر استارمر و امانوئل مکرون روز جمعه در لندن با یکدیگر دیدار کردند.", ["استارمر", "مکرون"], "لندن"),
    # the subject of the sentence before (`سپس`, a pronoun)
    ("علی لاریجانی وارد بیروت شد. او سپس با نبیه بری، رئیس پارلمان لبنان، دیدار کرد.", ["لاریجانی", "بری"], None),
    # a role with no name in the article stays a role; one held by someone named is that person
    ("وزیر امور خارجه ایران امروز در مسقط با سلطان عمان دیدار کرد.", ["وزیر امور خارجه ایران", "سلطان عمان"],
     "مسقط"),
    ("سرگئی لاوروف، وزیر امور خارجه روسیه، وارد تهران شد. عباس عراقچی امروز با همتای روسی خود دیدار کرد.",
     ["عراقچی", "لاوروف"], None),
    ("وزیر کشور عراق امروز در بغداد با همتای ایرانی خود ملاقات کرد.", ["وزیر کشور عراق", "همتای ایرانی"], "بغداد"),
    # groups
    ("رهبران حماس صبح امروز با آیت‌الله خامنه‌ای دیدار کردند.", ["حماس", "خامنه"], None),
    # (a group of a body the article names is that body, as رهبران حماس is حماس)
    ("هیئتی از طالبان امروز در کابل با نماینده ویژه چین دیدار کرد.", ["طالبان", "نماینده ویژه چین"], "کابل"),
    ("رئیس قوه قضاییه صبح امروز با خانواده‌های شهدا دیدار کرد.", ["رئیس قوه قضاییه", "خانواده‌های شهدا"], None),
    # several on the other side; a counterpart named in apposition; countries acting together
    ("عباس عراقچی در دیدار با هاکان فیدان و بدر البوسعیدی گفت که منطقه به آرامش نیاز دارد.",
     ["عراقچی", "فیدان", "البوسعیدی"], None),
    ("مسعود پزشکیان با رجب طیب اردوغان و ولادیمیر پوتین دیدار کرد.", ["پزشکیان", "اردوغان", "پوتین"], None),
    ("ولادیمیر پوتین امروز در مسکو با همتای ایرانی خود، مسعود پزشکیان، دیدار کرد.", ["پوتین", "پزشکیان"], "مسکو"),
    ("مقامات ایران و عربستان روز گذشته در پکن با یکدیگر دیدار کردند.", ["ایران", "عربستان"], "پکن"),
    # `در دیدار X با Y`: both sides after the noun; an adjective between noun and `با` is no one
    ("در دیدار عباس عراقچی با سرگئی لاوروف در مسکو بر گسترش همکاری‌ها تأکید شد.", ["عراقچی", "لاوروف"], "مسکو"),
    ("عباس عراقچی در دیداری دوجانبه با سرگئی لاوروف گفت که روابط خوب است.", ["عراقچی", "لاوروف"], None),
    # `دو وزیر`, `دو طرف`: the sides of the meeting told before
    ("سرگئی لاوروف روز دوشنبه وارد تهران شد و با عباس عراقچی رایزنی کرد. دو وزیر روز سه‌شنبه نیز در مشهد دیدار "
     "کردند.", ["لاوروف", "عراقچی"], "مشهد"),
    # a building is the place; a word no list knows right before `با` stands where the place does
    ("ولادیمیر پوتین امروز در کاخ کرملین با مسعود پزشکیان دیدار کرد.", ["پوتین", "پزشکیان"], "کاخ کرملین"),
    ("مسعود پزشکیان روز دوشنبه در حاشیه اجلاس در شیان با شی جین‌پینگ دیدار کرد.", ["پزشکیان", "جین"], "شیان"),
    # places after `در سفر به`
    ("عباس عراقچی روز سه‌شنبه در سفر به مسکو با سرگئی لاوروف رایزنی کرد.", ["عراقچی", "لاوروف"], "مسکو"),
])
def test_events_participants_beyond_the_entity_model(text: str, people: list[str], place: str | None) -> None:
    doc = khabar.analyze(text, published="2025-08-09")
    ev = doc.events[-1]
    who = names(doc, ev.participants).replace("\u200c", "")
    for p in people:
        assert p.replace("\u200c", "") in who, (p, who)
    if place is None:
        assert ev.place is None
    else:
        assert ev.place is not None and place in names(doc, (ev.place,))


@pytest.mark.parametrize("text", [
    "وزیر کشور عراق امروز در بغداد با همتای ایرانی خود ملاقات کرد.",
    "مهندس مهدی چمران، رئیس شورای شهر تهران، با شهردار دیدار کرد.",
    # nor is the adjective of a counterpart a surname to find elsewhere
    "آنتونی بلینکن با همتای اردنی خود در امان دیدار کرد.",
])
def test_events_participant_known_by_a_role_is_no_name_mention(text: str) -> None:
    # The role is a participant (an entity, so the event names it) but not a person's name: the
    # entities stage's mentions stay names only.
    doc = khabar.analyze(text)
    roles = [p for p in doc.events[-1].participants if doc.entity(p).name.split()[0] in ("همتای", "شهردار")]
    assert roles
    assert not any(m.entity in roles for m in doc.mentions)
    # and its id is a role's, which the archive resolves or keeps to the article, never a name's
    assert all(p.startswith("role:") for p in roles)


def test_events_participant_found_here_is_linked_across_the_article() -> None:
    # A credit line before the subject, `گفتگو` spelled without و, a foreign name followed by its
    # role: the name is a participant with that title, and its later surname and the statement
    # made under it are the same person's.
    doc = khabar.analyze(
        "به گزارش خبرگزاری ایسنا، عباس عراقچی وزیر امور خارجه صبح امروز در تهران با رافائل گروسی "
        "مدیرکل آژانس بین‌المللی انرژی اتمی دیدار و گفتگو کرد. گروسی گفت که بازرسان هفته آینده به ایران می‌آیند.")
    ev = doc.events[0]
    people = [doc.entity(p) for p in ev.participants]
    grossi = next(e for e in people if e is not None and e.name == "رافائل گروسی")
    assert any(t.startswith("مدیرکل آژانس") for t in grossi.titles)
    assert "per:عباسعراقچی" in ev.participants
    assert [q.speaker.entity for q in doc.quotes if q.speaker] == [grossi.id]
    assert [m.text for m in doc.mentions if m.entity == grossi.id] == ["رافائل گروسی", "گروسی"]


def test_events_host_and_guest_meet() -> None:
    doc = khabar.analyze("ولادیمیر پوتین روز پنجشنبه در کاخ کرملین میزبان رجب طیب اردوغان بود.")
    assert [set(e.participants) for e in doc.events] == [{"per:ولادیمیرپوتین", "per:رجبطیباردوغان"}]


@pytest.mark.parametrize("text", ["تهران امسال میزبان مسابقات جهانی کشتی خواهد بود.",
                                  "ایران میزبان اجلاس سران کشورهای اسلامی خواهد بود."])
def test_events_place_hosting_an_event_is_no_meeting(text: str) -> None:
    assert khabar.analyze(text).events == []


def test_events_bare_role_statement_goes_to_the_participant_holding_it() -> None:
    doc = khabar.analyze("علی لاریجانی امروز در بغداد با محمد شیاع السودانی، نخست‌وزیر عراق، دیدار کرد. "
                         "نخست‌وزیر عراق نیز در این دیدار گفت که روابط دو کشور خوب است.")
    holder = next(e for e in doc.entities if e.label == "PER" and "نخست‌وزیر عراق" in e.titles)
    assert holder.name == "محمد شیاع السودانی" and holder.id in doc.events[0].participants
    assert [q.speaker.entity for q in doc.quotes if q.speaker] == [holder.id]


@pytest.mark.parametrize(("text", "name", "short"), [
    # the model tags the surname alone, the first name opens the clause
    ("سرگئی لاوروف امروز در مسکو با عباس عراقچی دیدار کرد. لاوروف گفت که روابط خوب است.", "سرگئی لاوروف", "لاوروف"),
    # the model tags the first name alone, after `با`
    ("عباس عراقچی روز یکشنبه در دیدار با هاکان فیدان گفت که روابط خوب است.", "هاکان فیدان", "هاکان"),
])
def test_events_name_cut_short_is_one_person(text: str, name: str, short: str) -> None:
    doc = khabar.analyze(text)
    people = [e for e in doc.entities if e.label == "PER"]
    full = next(e for e in people if e.name == name)
    assert full.id in doc.events[0].participants
    assert not any(e.name == short for e in people)  # no second person under the short form
    assert all(m.entity == full.id for m in doc.mentions if short in m.text)


@pytest.mark.parametrize(("text", "holder"), [
    # the holder is named after the meeting sentence, with the role in apposition
    ("رئیس و اعضای هیئت مدیره باشگاه استقلال صبح امروز با وزیر ورزش دیدار کردند. در این دیدار، "
     "علی فتح‌الله‌زاده، رئیس هیئت مدیره باشگاه استقلال، گفت که باشگاه به حمایت دولت نیاز دارد.",
     "per:علیفتحاللهزاده"),
    # no one in the article holds the role: the body takes part, and no person named `رئیس`
    ("رئیس و اعضای شورای شهر کرمان با استاندار دیدار کردند.", None),
])
def test_events_head_and_members_of_a_body(text: str, holder: str | None) -> None:
    doc = khabar.analyze(text)
    parts = doc.events[0].participants
    assert any(p.startswith("org:") for p in parts)
    assert (holder in parts) if holder else not any(doc.entity(p).name == "رئیس" for p in parts)  # type: ignore[union-attr]


@pytest.mark.parametrize("text", [
    "پاپ لئو چهاردهم روز شنبه با ولودیمیر زلنسکی دیدار کرد.",
    "وزیر کشور عراق امروز در بغداد با همتای ایرانی خود ملاقات کرد.",
    "هیئتی از طالبان امروز در کابل با نماینده ویژه چین دیدار کرد.",
    "عباس عراقچی روز یکشنبه در دیدار با هاکان فیدان گفت که روابط خوب است.",
])
def test_events_every_participant_and_place_is_an_entity(text: str) -> None:
    doc = khabar.analyze(text)
    ev = doc.events[0]
    for eid in (*ev.participants, *([ev.place] if ev.place else [])):
        assert doc.entity(eid) is not None, eid
    assert len({e.id for e in doc.entities}) == len(doc.entities)
    # Mentions stay in text order and valid.
    assert [m.start for m in doc.mentions] == sorted(m.start for m in doc.mentions)
    assert all(doc.text[m.start:m.end] == m.text for m in doc.mentions)
    assert Document.from_dict(doc.to_dict()).entities == doc.entities


@pytest.mark.parametrize("text", [
    "پاپ لئو چهاردهم روز شنبه با ولودیمیر زلنسکی دیدار کرد.",
    "کایا کالاس، مسئول سیاست خارجی اتحادیه، در گفت‌وگوی تلفنی با عباس عراقچی خواستار آرامش شد.",
])
def test_events_name_the_model_missed_is_mentioned(text: str) -> None:
    doc = khabar.analyze(text)
    missed = doc.events[0].participants[0]
    assert [m.text for m in doc.mentions if m.entity == missed] == [doc.entity(missed).name]  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "date"), [
    ("عباس عراقچی امروز با سرگئی لاوروف دیدار کرد.", "2025-08-09"),
    ("عباس عراقچی روز دوشنبه ۱۸ مرداد ۱۴۰۴ با سرگئی لاوروف دیدار کرد.", "2025-08-09"),
    ("عباس عراقچی با سرگئی لاوروف دیدار کرد.", None),
    # the date nearest before the trigger, not one of a clause about something else
    ("عباس عراقچی، که دیروز وارد مسکو شد، امروز با سرگئی لاوروف دیدار کرد.", "2025-08-09"),
    ("عباس عراقچی با سرگئی لاوروف روز دوشنبه دیدار کرد.", "2025-08-04"),
    # a date inside what was said is not the meeting's
    ("عباس عراقچی با سرگئی لاوروف دیدار کرد و گفت که فردا به تهران بازمی‌گردد.", None),
])
def test_events_date(text: str, date: str | None) -> None:
    assert khabar.analyze(text, published="2025-08-09").events[0].date == date


@pytest.mark.parametrize("text", [
    "دیدار کردند.",  # a trigger at the start, nobody named
    "با یکدیگر دیدار کردند",  # no subject, a reciprocal
    "امروز در تهران با",  # `با` with nothing after it
    "عباس عراقچی گفت که با",
    "در دیدار با",  # a trigger at the end
    "سرگئی لاوروف دیدار",
    "«با» ، ، و و با دیدار کرد",
    "\u200c\u200cدیدار\u200c کرد",
    "۱۲۳ با ۴۵۶ دیدار کرد.",
    "abc با xyz دیدار کرد.",
])
def test_events_bad_input_gives_valid_events(text: str) -> None:
    doc = khabar.analyze(text, published="2025-08-09")
    for ev in doc.events:
        assert doc.text[ev.trigger.start:ev.trigger.end] == ev.trigger.text
        assert all(doc.entity(p) is not None for p in ev.participants)


def test_events_long_text_one_meeting_per_sentence() -> None:
    sentence = "عباس عراقچی امروز در تهران با هاکان فیدان و رافائل گروسی دیدار کرد. "
    doc = khabar.analyze(sentence * 50, published="2025-08-09")
    # The same meeting told fifty times is one meeting.
    assert len(doc.events) == 1
    who = names(doc, doc.events[0].participants)
    assert "عراقچی" in who and "فیدان" in who and "گروسی" in who
    varied = " ".join(f"شخص{i} نام{i} روز شنبه با فرد{i} خانواده{i} دیدار کرد." for i in range(50))
    assert len(khabar.analyze(varied).events) == 50



def test_events_seed_meeting(seed_statement_figures: dict[str, Any]) -> None:
    figures = seed_statement_figures
    assert figures["event_recall"] == 1.0 and figures["event_accuracy"] == 1.0


# Floors pinned from `bench/statements.py` (tune 1.0 on 16 meetings, dev 0.667 on 6; one miss of slack on
# tune while the entity model is still changing). They only move up.
EVENT_FLOORS = {"tune": {"event_recall": 0.95, "event_precision": 0.95, "event_accuracy": 0.93},
                "dev": {"event_recall": 0.95, "event_precision": 0.95, "event_accuracy": 0.66},
                "dev4": {"event_accuracy": 0.99}}


def test_events_quality_gate(statements_bench: ModuleType) -> None:
    bench = statements_bench
    docs = [d for d in bench.load(bench.GOLD) if d["split"] in EVENT_FLOORS and d.get("events")]
    figures = bench.score(docs, set())
    for split, floors in EVENT_FLOORS.items():
        for name, floor in floors.items():
            assert figures[split][name] >= floor, (split, name, figures[split][name])


def test_events_role_named_participant_lends_no_surname() -> None:
    # A participant named by a role (`سفیر لسوتو`) must not turn every later `لسوتو` into a person.
    from khabar.document import Entity
    from khabar.pipeline.events import EventExtractor

    doc = khabar.analyze("روابط با لسوتو گسترش می‌یابد.")
    doc.mentions = [m for m in doc.mentions if "لسوتو" not in m.text]
    doc.entities.append(Entity("per:سفیرلسوتو", "سفیر لسوتو", "PER"))
    EventExtractor._link_added(doc, ["per:سفیرلسوتو"], frozenset())
    assert not any(m.entity == "per:سفیرلسوتو" for m in doc.mentions)


@pytest.mark.parametrize(("text", "meets"), [
    ("علی لاریجانی وارد بیروت شد. لاریجانی قرار است فردا با جوزف عون دیدار کند.", True),
    ("عباس عراقچی به مسکو رفت تا با سرگئی لاوروف دیدار کند.", True),
    ("او می‌تواند با وزیر دیدار کند.", False),
    ("بهتر است با مردم گفتگو کنند.", False),
])
def test_events_planned_meeting_in_the_subjunctive(text: str, meets: bool) -> None:
    assert bool(khabar.analyze(text).events) is meets


def test_events_meeting_during_a_trip_told_before_is_new() -> None:
    # `این سفر` refers back to the trip, not to a meeting: the meeting in it is news.
    doc = khabar.analyze("وزیر امور خارجه امروز به بیرجند سفر کرد. حسین امیرعبداللهیان که در این سفر "
                         "همراه رئیس‌جمهور است، در دیدار با استاندار خراسان جنوبی بر توسعه روابط تأکید کرد.")
    assert len(doc.events) == 1 and "per:حسینامیرعبداللهیان" in doc.events[0].participants
