"""The storage contract: every storage and search behaviour, run against every backend.

Each test takes ``backend`` (an address: an SQLite file, or a new PostgreSQL database on the
throwaway test cluster) and checks what any backend must do: exact round trips, dedup, identities,
reanalysis, stories, search (spelling variants, phrases, prefixes, boolean, hostile queries), facets
and date ranges in both calendars, counts, keyset pages, person pages, export, migrations,
concurrent writers, copies between backends, and the same answers on both backends.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khabar import analyze
from khabar.archive import Archive
from khabar.archive.models import NewArticle, Reanalysis, StoredArticle, Total
from khabar.archive.parser import parse_query
from khabar.archive.people import person_profile, statements
from khabar.archive.query import SearchQuery
from khabar.archive.runner import restore_pipeline
from khabar.archive.search import build_filter, search
from khabar.archive.storage import Storage, open_storage
from khabar.document import (
    DateMention,
    Document,
    Entity,
    Event,
    Mention,
    Quote,
    SourceCredit,
    Speaker,
    Token,
)
from khabar.errors import InvalidInput, NotFoundError
from khabar.ingest import RawArticle

BACKENDS = ["sqlite", "postgres"]


def _address(kind: str, request: pytest.FixtureRequest, folder: Path) -> str:
    if kind == "sqlite":
        return str(folder / f"archive-{random.randrange(1 << 30)}.db")
    cluster = request.getfixturevalue("pg_cluster")
    url = cluster.create_database()
    request.addfinalizer(lambda: cluster.drop_database(url))  # a few MB each: not kept to the end
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The address of a new, empty archive on each backend."""
    return _address(request.param, request, tmp_path)


@pytest.fixture
def store(backend: str):
    s = open_storage(backend)
    yield s
    s.close()


def _add(store: Storage, article: NewArticle) -> int | None:
    return store.write([article])[0]


def _get(store: Storage, article_id: int) -> StoredArticle:
    found = store.articles([article_id])
    if not found:
        raise NotFoundError(f"no article {article_id}")
    return found[0]


# -- documents ------------------------------------------------------------------------------------

ARTICLES = [
    "به گزارش ايسنا، وزير اقتصاد امروز گفت: «تورم تا پايان سال کاهش مي يابد.»",
    "علی رحیمی، رئیس اتاق بازرگانی تهران، در دیدار با سفیر چین در تهران گفت‌وگو کرد.",
    "شاخص بورس در معاملات روز يكشنبه ٢٣ مهر ١٤٠٣ با افزايش ١٢ هزار واحدي روبرو شد.",
    "",
    "سطر اول\r\n\r\nسطر دوم با\tفاصله و \u200c نیم‌فاصله‌ی اضافه\u200c",
    "emoji 👨\u200d👩\u200d👧 و 'quote' \\ backslash % _ در متن",
]


def rich_document() -> Document:
    """A document with every kind of result filled in, as later pipeline stages will."""
    doc = analyze("به گزارش مهر، وزیر خارجه در مسکو با لاوروف دیدار کرد و گفت: «روابط گسترش می یابد.»")
    text = doc.text
    ent_start = text.index("لاوروف")
    lav = Entity("per:lavrov", "سرگئی لاوروف", "PER", ("لاوروف",), ("وزیر خارجه روسیه",))
    moscow = Entity("loc:moscow", "مسکو", "LOC")
    doc.entities = [lav, moscow]
    doc.mentions = [doc.span(ent_start, ent_start + 6, Mention, label="PER", entity="per:lavrov"),
                    doc.span(text.index("مسکو"), text.index("مسکو") + 4, Mention, label="LOC", entity="loc:moscow")]
    q0 = text.index("«")
    doc.quotes = [Quote(doc.span(text.index("وزیر"), text.index("وزیر") + 9, Speaker, entity=None),
                        doc.span(text.index("گفت"), text.index("گفت") + 3), doc.span(q0 + 1, len(text) - 2), "direct")]
    doc.events = [Event("meeting", doc.span(text.index("دیدار"), text.index("دیدار") + 5), ("per:lavrov",),
                        "2024-10-14", "loc:moscow")]
    doc.dates = [doc.span(0, 2, DateMention, value="2024-10-14", calendar="relative", granularity="day")]
    doc.source = SourceCredit("مهر", doc.span(9, 12))
    doc.warnings.append("2 ZWNJs restored")
    doc.meta["published"] = "2024-10-14T10:00:00+03:30"
    return doc


@pytest.mark.parametrize("text", ARTICLES)
def test_contract_round_trips_a_document_exactly(store: Storage, text: str) -> None:
    doc = analyze(text)
    article_id = _add(store, NewArticle.from_document(doc, content_key="k", title=text[:30] or None))
    assert article_id is not None
    assert _get(store, article_id).doc == doc.to_dict()
    assert _get(store, article_id).document.to_dict() == doc.to_dict()


def test_contract_round_trips_every_result_kind(store: Storage) -> None:
    doc = rich_document()
    article_id = _add(store, NewArticle.from_document(doc, content_key="rich", title="دیدار", url="https://x.ir/1"))
    back = _get(store, article_id or 0)
    assert back.doc == doc.to_dict()
    assert back.document.quotes == doc.quotes and back.document.events == doc.events
    stats = store.stats()
    assert (stats["quotes"], stats["events"], stats["dates"], stats["mentions"]) == (1, 1, 1, 2)


def test_contract_stores_a_huge_article(store: Storage) -> None:
    doc = Document.from_raw("خبر فوری؛ " * 400_000)  # 4 MB of text (analysing it is the pipeline's test)
    doc.tokens = [doc.span(i, i + 3, Token) for i in range(0, 100_000, 10)]
    article_id = _add(store, NewArticle.from_document(doc, content_key="huge"))
    assert _get(store, article_id or 0).doc == doc.to_dict()
    assert [r.id for r in search(store, "فوری")] == [article_id]


@pytest.mark.parametrize("field", ["url", "content_key"])
def test_contract_refuses_a_duplicate(store: Storage, field: str) -> None:
    first = NewArticle.from_document(analyze("خبر اول"), content_key="a", url="https://x.ir/1")
    second = NewArticle.from_document(analyze("خبر دوم"), content_key="b", url="https://x.ir/2")
    setattr(second, field, getattr(first, field))
    assert _add(store, first) is not None
    assert _add(store, second) is None
    assert store.write([second, second]) == [None, None]
    assert store.stats()["articles"] == 1
    assert store.known(urls=["https://x.ir/1", "https://x.ir/9"], content_keys=["a", "z"]) == {"https://x.ir/1", "a"}


def test_contract_tells_what_was_stored_after_an_id(store: Storage) -> None:
    # What an ingest run stored itself, against what the archive held when it began (its mark).
    before = NewArticle.from_document(analyze("خبر قدیمی"), content_key="old", url="https://x.ir/old")
    assert store.size() == 0
    _add(store, before)
    mark = store.size()
    after = NewArticle.from_document(analyze("خبر تازه"), content_key="new", url="https://x.ir/new", origin="f#2")
    new_id = _add(store, after)
    assert new_id is not None and store.size() == new_id > mark
    found = store.stored_after(mark, urls=["https://x.ir/old", "https://x.ir/new", "https://x.ir/none"],
                               content_keys=["old", "new", "none"])
    assert found == {"https://x.ir/new": (new_id, "f#2"), "new": (new_id, "f#2")}
    assert store.stored_after(new_id, content_keys=["new"]) == {}


def test_contract_a_batch_keeps_the_first_of_its_own_duplicates(store: Storage) -> None:
    a = NewArticle.from_document(analyze("خبر اول"), content_key="same")
    b = NewArticle.from_document(analyze("خبر دوم"), content_key="same")
    c = NewArticle.from_document(analyze("خبر سوم"), content_key="other")
    ids = store.write([a, b, c])
    assert ids[1] is None and ids[0] is not None and ids[2] is not None
    assert _get(store, ids[0] or 0).doc["text"] == "خبر اول"


def test_contract_a_failing_batch_stores_nothing(store: Storage) -> None:
    good = NewArticle.from_document(rich_document(), content_key="a")
    bad = NewArticle.from_document(rich_document(), content_key="b")
    bad.doc = {"text": "no raw text"}  # a broken record
    with pytest.raises(Exception):  # noqa: B017 - whichever error the backend gives
        store.write([good, bad])
    assert store.stats()["articles"] == 0 and store.stats()["mentions"] == 0


def test_contract_unknown_ids_are_left_out(store: Storage) -> None:
    assert store.articles([42]) == [] and store.hits([42]) == []


def test_contract_entities_are_identities_across_articles(store: Storage) -> None:
    for i, (alias, title) in enumerate([("لاوروف", "وزیر خارجه روسیه"), ("سرگئی لاوروف", "دیپلمات ارشد")]):
        doc = analyze(f"{alias} امروز سخن گفت.")
        doc.entities = [Entity("per:lavrov", "سرگئی لاوروف", "PER", (alias,), (title,))]
        doc.mentions = [doc.span(0, len(alias), Mention, label="PER", entity="per:lavrov")]
        _add(store, NewArticle.from_document(doc, content_key=f"k{i}"))
    [ent] = store.entities(key="لاوروف")
    assert ent.titles == ("وزیر خارجه روسیه", "دیپلمات ارشد") and ent.aliases == ("لاوروف",)
    assert store.stats()["entities"] == 1
    assert store.profile(["per:lavrov"]).article_count == 2
    assert [e.articles for e in store.entities(ids=["per:lavrov"], with_counts=True)] == [2]
    assert [e.id for e in store.entities(key="سرگ", prefix=True)] == ["per:lavrov"]
    assert store.entities(key="سرگ") == []


# Short articles written for these tests (original text in the style of Persian news): one person
# under several forms, roles resolved across articles, two people sharing a surname.
IDENTITY_ARTICLES = [
    ("2025-08-27", "ایرنا", "آیت‌الله سید علی خامنه‌ای، رهبر انقلاب اسلامی، امروز در دیدار با مسعود پزشکیان، "
                            "رئیس‌جمهور، گفت: «دولت باید معیشت مردم را در اولویت قرار دهد.»"),
    ("2025-08-27", "ایسنا", "به گزارش ایسنا، رهبر انقلاب در دیدار با رئیس‌جمهور تأکید کردند که مشکلات اقتصادی "
                            "باید حل شود. آیت‌الله خامنه‌ای افزودند: «مردم صبورند.»"),
    ("2025-08-20", "ایسنا", "دکتر علی لاریجانی، دبیر شورای عالی امنیت ملی، امروز در بغداد با مقامات عراقی دیدار کرد."),
    ("2025-09-10", "مهر", "آیت‌الله صادق آملی لاریجانی، رئیس مجمع تشخیص مصلحت نظام، در جلسه امروز سخن گفت."),
    ("2025-05-02", "ایسنا", "شهردار شیراز از آغاز عملیات خط دوم قطار شهری خبر داد."),
    ("2025-06-03", "همشهری", "شهردار شیراز در جلسه شورای شهر از طرح جدید دفاع کرد."),
]


def _identity_archive(store: Storage) -> None:
    from khabar.archive.runner import ingest

    raws = [RawArticle(t, f"t{i}", "text", url=f"https://e.invalid/{i}", published=d, outlet=o)
            for i, (d, o, t) in enumerate(IDENTITY_ARTICLES)]
    assert ingest([], store, jobs=1, articles=raws).added == len(raws)


def _identity_of(store: Storage, article_id: int, text: str) -> str:
    links = store.article_links(article_id)
    for m in _get(store, article_id).doc["mentions"]:
        if m["text"] == text:
            return links.get(m["entity"], m["entity"])
    for r in store.article_roles(article_id):
        if r.text == text:
            return r.identity
    raise AssertionError(f"no {text!r} in article {article_id}")


def test_contract_identities_across_the_archive(store: Storage) -> None:
    _identity_archive(store)
    khamenei = _identity_of(store, 1, "سید علی خامنه‌ای")
    assert khamenei == _identity_of(store, 2, "خامنه‌ای") == _identity_of(store, 2, "رهبر انقلاب")
    assert _identity_of(store, 1, "مسعود پزشکیان") == _identity_of(store, 2, "رئیس‌جمهور")
    assert _identity_of(store, 3, "علی لاریجانی") != _identity_of(store, 4, "صادق آملی لاریجانی")
    # a role no one in the archive is named with stays in its article
    assert _identity_of(store, 5, "شهردار شیراز") == _identity_of(store, 6, "شهردار شیراز") == ""
    assert store.entities(key="شهردار", labels=("PER",)) == []
    forms, titles = store.identity_names([khamenei])
    assert {f.text for f in forms} == {"سید علی خامنه‌ای", "خامنه‌ای"}
    assert [(t.text, t.first, t.last, t.articles) for t in titles] == [("رهبر انقلاب اسلامی", "2025-08-27",
                                                                        "2025-08-27", 1)]
    assert store.profile([khamenei]).article_count == 2
    assert store.role_holders("رهبر|ایران") == [(khamenei, "2025-08-27", "2025-08-27", 1)]
    assert khamenei in store.identity_lookup(["s:خامنهای"])["s:خامنهای"]
    assert store.identity_exists(khamenei) and not store.identity_exists("per:کسینیست")
    links = store.article_identity(2)
    assert links is not None and links.ids and {r.identity for r in links.roles} >= {khamenei}


def test_contract_identities_merge_undo_split(store: Storage) -> None:
    from khabar.archive.people import entity_profile, merge, split
    from khabar.archive.runner import reanalyze

    _identity_archive(store)
    ali, sadegh = _identity_of(store, 3, "علی لاریجانی"), _identity_of(store, 4, "صادق آملی لاریجانی")
    log_id = merge(store, ali, sadegh, reason="a test")
    assert entity_profile(store, sadegh).ids == [ali] and entity_profile(store, ali).article_count == 2
    assert [(h.action, h.other, h.undone) for h in store.identity_history(ali)] == [("merge", sadegh, False)]
    assert split(store, ali, undo=log_id) == sadegh
    assert _identity_of(store, 4, "صادق آملی لاریجانی") == sadegh and entity_profile(store, ali).article_count == 1
    khamenei = _identity_of(store, 1, "سید علی خامنه‌ای")
    other = split(store, khamenei, articles=[2], reason="a test")
    reanalyze(store, everything=True, jobs=1)
    assert _identity_of(store, 2, "خامنه‌ای") == other and _identity_of(store, 1, "سید علی خامنه‌ای") == khamenei


def test_contract_identities_learned_names(store: Storage) -> None:
    from khabar.archive.runner import ingest

    texts = [("ایرنا", "سرگئی لاوروف، وزیر خارجه روسیه، به تهران آمد."),
             ("ایسنا", "سرگئی لاوروف در مسکو با خبرنگاران گفت‌وگو کرد."),
             ("مهر", "سرگئی لاوروف گفت که مذاکرات ادامه دارد.")]
    ingest([], store, jobs=1, articles=[RawArticle(t, f"t{i}", "text", url=f"https://e.invalid/{i}",
                                                  published="2025-05-01", outlet=o) for i, (o, t) in enumerate(texts)])
    assert ("سرگیی لاوروف", "PER") in store.learned_names()
    # A person known that well is known by the surname alone too.
    assert ("لاوروف", "PER") in store.learned_names()
    assert store.learned_names(min_outlets=4) == []


def test_contract_update_replaces_the_structure(store: Storage) -> None:
    plain = analyze("به گزارش مهر، وزیر خارجه در مسکو با لاوروف دیدار کرد و گفت: «روابط گسترش می یابد.»")
    article_id = _add(store, NewArticle.from_document(plain, content_key="a", analysis="restore")) or 0
    rich = rich_document()
    store.update([Reanalysis(article_id, rich.to_dict())])
    assert _get(store, article_id).analysis == "full"
    assert _get(store, article_id).doc == rich.to_dict()
    store.update([Reanalysis(article_id, rich.to_dict())])
    assert store.stats()["mentions"] == 2 and store.stats()["quotes"] == 1 and store.stats()["events"] == 1
    with pytest.raises(NotFoundError):
        store.update([Reanalysis(999, rich.to_dict())])


def test_contract_update_reindexes_a_changed_text(store: Storage) -> None:
    article_id = _add(store, NewArticle.from_document(analyze("متن قدیمی درباره بازار"), content_key="a")) or 0
    store.update([Reanalysis(article_id, analyze("متن تازه درباره بورس").to_dict())])
    assert [r.id for r in search(store, "بورس")] == [article_id]
    assert list(search(store, "قدیمی")) == []


def test_contract_stories_group_articles(store: Storage) -> None:
    ids = [_add(store, NewArticle.from_document(analyze(f"خبر شماره {i}"), content_key=str(i), outlet=o,
                                               published=f"2024-10-1{i}")) or 0
           for i, o in enumerate(["ایرنا", "ایسنا", "مهر", "ایرنا"])]
    assert store.stats()["unclustered"] == 4
    assert store.set_stories({ids[0]: ids[:2], ids[2]: ids[2:3]}) == 1  # a single article is not a story …
    [story] = store.stories()
    assert (story.id, story.size, story.outlets, story.first_published) == (ids[0], 2, 2, "2024-10-10")
    assert [a.id for a in story.articles] == ids[:2]
    assert _get(store, ids[2]).story_id == ids[2]  # … but it is clustered
    assert store.stats()["unclustered"] == 1
    assert [i.id for i in store.story_items(unclustered=True)] == [ids[3]]
    assert store.set_stories({ids[2]: [ids[3]]}, replace=False) == 1  # a new article joins a story
    assert [s.size for s in store.stories(story_id=ids[2])] == [2]
    assert [s.id for s in store.stories()] == [ids[2], ids[0]]  # across most outlets first, then newest


def test_contract_migrations_are_recorded_once(backend: str) -> None:
    with open_storage(backend) as s:
        first = s.applied_migrations()  # type: ignore[attr-defined]
    with open_storage(backend) as s:
        assert s.applied_migrations() == first and first  # type: ignore[attr-defined]
        assert s.migrate() == []  # type: ignore[attr-defined]


# -- search ---------------------------------------------------------------------------------------

# Each row: the ways one word is written in the wild. Every spelling is stored in its own article
# and every spelling is used as a query; all queries must find exactly the same articles.
VARIANTS = [
    pytest.param(["میکند", "می‌کند", "می کند", "ميكند"], id="zwnj-space-arabic"),
    pytest.param(["کتاب", "كتاب", "کِتاب", "كِتَاب"], id="arabic-kaf-and-vowel-marks"),
    pytest.param(["۱۴۰۳", "1403", "١٤٠٣"], id="digits"),
    pytest.param(["رئیس", "رئيس", "رئیـــس"], id="yeh-and-tatweel"),
    pytest.param(["نمایشگاه‌ها", "نمایشگاهها", "نمایشگاه ها"], id="plural-zwnj"),
    pytest.param(["مسئولیت", "مسئوليت", "مسئولیّت"], id="shadda"),
]


def _fill(store: Storage, texts: list[str]) -> list[int]:
    return [_add(store, NewArticle.from_document(analyze(t), content_key=f"k{i}", title=f"خبر {i}")) or 0
            for i, t in enumerate(texts)]


@pytest.mark.parametrize("spellings", VARIANTS)
def test_contract_spelling_variants_find_the_same_articles(store: Storage, spellings: list[str]) -> None:
    texts = [f"گزارشگر نوشت که این نهاد {w} و کار ادامه دارد." for w in spellings]
    ids = _fill(store, [*texts, "خبری بی‌ربط درباره هوای تهران."])
    found = [sorted(r.id for r in search(store, w, limit=50)) for w in spellings]
    assert found[0] == sorted(ids[: len(spellings)])
    assert all(f == found[0] for f in found)


def test_contract_highlights_the_original_spelling(store: Storage) -> None:
    [article_id] = _fill(store, ["او گفت كه دولت ماليات را كم مي كند."])
    [result] = search(store, "می‌کند").results
    assert result.id == article_id
    [(s, e)] = result.snippet.highlights
    assert result.snippet.text[s:e] == "مي كند"


SYNTAX = [
    ("تورم", {0, 1}), ("تورم بورس", {1}), ("تورم AND بورس", {1}), ("تورم OR سکه", {0, 1, 2}),
    ("تورم NOT بورس", {0}), ("NOT بورس تورم", {0}), ('"بانک مرکزی"', {0}), ('"مرکزی بانک"', set()),
    ("اقتصاد*", {0, 1, 2}), ("(سکه OR بورس) NOT تورم", {2}), ("", {0, 1, 2}), ("مرک*", {0}),
    ('"تورم بر"', {1}), ("آرام", {2}), ("ارام", {2}), ("خبر", {0, 1, 2}),  # a title word
    ('"خبر 0 بانک"', set()),  # no phrase from the title into the body
]


@pytest.mark.parametrize(("query", "expected"), SYNTAX)
def test_contract_query_syntax(store: Storage, query: str, expected: set[int]) -> None:
    ids = _fill(store, [
        "بانک مرکزی برای مهار تورم برنامه دارد و اقتصاددانان موافق هستند.",
        "تورم بر بازار بورس اثر گذاشت و فعالان اقتصادی نگران هستند.",
        "قیمت سکه در بازار کاهش یافت و اقتصاد آرام شد.",
    ])
    assert {ids.index(r.id) for r in search(store, query, limit=10)} == expected


HOSTILE = ['"', '""', '"""', "*", "**", ")", "(", "()", "NEAR", "NEAR(تورم بازار)", "NEAR(a b, 2)", "تورم NEAR/2 بازار",
           "title:تورم", "^تورم", "{title body}: تورم", "تورم:", "-تورم", "+تورم", "تورم'", "'; DROP TABLE articles; --",
           '"تورم', 'تورم"', "تورم )", "( تورم", "AND", "OR", "NOT", "تورم OR", "AND تورم", "تورم AND OR بازار",
           "NOT NOT", "تورم NOT", "* تورم *", "\x00", "\u200c", "ـــ", "\ufeff", "؟!،؛", "a" * 500, "تورم " * 60,
           "(((((((((((تورم)))))))))))", "تورم OR NOT بازار", "%", "_", "\\", "تورم*بازار", "*تورم", "a_b", "'", "!",
           "a:*", "<->", "a & b | !c", "تورم <-> بازار", "'تورم':*"]


@pytest.fixture(scope="module", params=BACKENDS)
def small_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    s = open_storage(_address(request.param, request, tmp_path_factory.mktemp("small")))
    _fill(s, ["تورم در بازار کاهش یافت.", "قیمت سکه و بورس", "ab and or not a_b"])
    yield s
    s.close()


@pytest.mark.parametrize("query", HOSTILE)
def test_contract_hostile_query_never_reaches_the_index_as_syntax(small_store: Storage, query: str) -> None:
    try:
        search(small_store, query)
    except InvalidInput as err:
        assert str(err) and "\n" not in str(err)  # a clear message instead of an index error
    assert small_store.stats()["articles"] == 3


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list('ab تورمی"*()^:-+ANDORTNE\u200cكي۱1&|!<>\'_')), max_size=30))
def test_contract_any_query_gives_results_or_a_clear_error(small_store: Storage, query: str) -> None:
    with contextlib.suppress(InvalidInput):
        search(small_store, query)


def test_contract_snippet_is_centered_on_a_match_in_a_long_article(store: Storage) -> None:
    _fill(store, ["مقدمه‌ای طولانی. " * 200 + "در پایان، بانک مرکزی نرخ سود را تغییر داد. " + "پایان. " * 50])
    [result] = search(store, '"بانک مرکزی"').results
    assert result.snippet.text.startswith("…") and result.snippet.text.endswith("…")
    assert [result.snippet.text[s:e] for s, e in result.snippet.highlights] == ["بانک", "مرکزی"]


def test_contract_empty_archive_finds_nothing(store: Storage) -> None:
    page = search(store, "تورم", count=True, facets=True)
    assert page.total == Total(0) and page.results == [] and page.next_cursor is None
    assert all(v == [] for v in page.facets.values())


# -- facets, dates in both calendars, counts, people ---------------------------------------------

def _article(store: Storage, text: str, key: str, *, outlet: str, published: str,
             people: tuple[str, ...] = (), places: tuple[str, ...] = (), quote_by: str | None = None) -> int:
    doc = analyze(text)
    # The fixture decides who is in each article, whatever the model finds.
    for found in (doc.entities, doc.mentions, doc.quotes, doc.events):
        found.clear()
    for name, label in [*((p, "PER") for p in people), *((p, "LOC") for p in places)]:
        eid = f"{label.lower()}:{name}"
        start = doc.text.index(name)
        doc.entities.append(Entity(eid, name, label, titles=("وزیر امور خارجه",) if name == "عراقچی" else ()))
        doc.mentions.append(doc.span(start, start + len(name), Mention, label=label, entity=eid))
    if quote_by:
        q0, q1 = doc.text.index("«"), doc.text.index("»")
        s = doc.text.index(quote_by)
        doc.quotes.append(Quote(doc.span(s, s + len(quote_by), Speaker, entity=f"per:{quote_by}"),
                                doc.span(q1 + 2, q1 + 5), doc.span(q0 + 1, q1), "direct"))
    if len(people) > 1:
        t = doc.text.index("دیدار")
        doc.events.append(Event("meeting", doc.span(t, t + 5), tuple(f"per:{p}" for p in people), published,
                                f"loc:{places[0]}" if places else None))
    return _add(store, NewArticle.from_document(doc, content_key=key, outlet=outlet, published=published,
                                                title=text[:20])) or 0


@pytest.fixture(scope="module", params=BACKENDS)
def news(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    store = open_storage(_address(request.param, request, tmp_path_factory.mktemp("news")))
    ids = {
        "moscow": _article(store, "عراقچی در مسکو با لاوروف دیدار کرد. «روابط اقتصادی گسترش می‌یابد» گفت.", "1",
                           outlet="خبرگزاری مهر", published="2024-10-14T10:00:00", people=("عراقچی", "لاوروف"),
                           places=("مسکو",), quote_by="عراقچی"),
        "tehran": _article(store, "عراقچی در تهران درباره تحریم سخن گفت. «تحریم‌ها اثری ندارد» گفت.", "2",
                           outlet="خبرگزاری ایسنا", published="2025-08-09T09:00:00", people=("عراقچی",),
                           places=("تهران",), quote_by="عراقچی"),
        "market": _article(store, "بازار تهران امروز آرام بود و قیمت سکه کاهش یافت.", "3",
                           outlet="خبرگزاری مهر", published="2025-08-20T12:00:00", places=("تهران",)),
    }
    yield store, ids
    store.close()


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"person": "عراقچی"}, {"moscow", "tehran"}),
    ({"person": "لاوروف"}, {"moscow"}),
    ({"person": "per:لاوروف"}, {"moscow"}),  # an entity id, as a facet gives it
    ({"person": "ناشناس"}, set()),
    ({"place": "تهران"}, {"tehran", "market"}),
    ({"source": "مهر"}, {"moscow", "market"}),
    ({"source": "خبرگزاری ايسنا"}, {"tehran"}),
    ({"source": ["مهر", "ایسنا"]}, {"moscow", "tehran", "market"}),
    ({"since": "1404-01-01"}, {"tehran", "market"}),                       # Jalali
    ({"since": "۱۸ مرداد ۱۴۰۴", "until": "۱۸ مرداد ۱۴۰۴"}, {"tehran"}),     # Jalali, written out
    ({"since": "مرداد ۱۴۰۴"}, {"tehran", "market"}),
    ({"until": "2024-12-31"}, {"moscow"}),                                 # Gregorian
    ({"since": "2025-08", "until": "2025-08"}, {"tehran", "market"}),
    ({"since": "2025-08-10", "until": "1404-05-29"}, {"market"}),          # both calendars together
    ({"has_quotes": True}, {"moscow", "tehran"}),
    ({"person": "عراقچی", "place": "تهران"}, {"tehran"}),
    ({"person": ["عراقچی", "لاوروف"]}, {"moscow"}),  # both mentioned
    ({"query": "تحریم", "person": "عراقچی"}, {"tehran"}),
    ({"query": "تهران", "source": "مهر"}, {"market"}),
])
def test_contract_facets_and_date_ranges(news: Any, kwargs: dict, expected: set[str]) -> None:
    store, ids = news
    kwargs = dict(kwargs)
    names = {v: k for k, v in ids.items()}
    found = {names[r.id] for r in search(store, kwargs.pop("query", ""), **kwargs)}
    assert found == expected


def test_contract_an_article_of_two_identities_of_one_name_is_one_match(store: Storage) -> None:
    # «تهران» names both the city and «بازار تهران»; an article mentioning both is found once.
    both = _article(store, "در تهران امروز بازار تهران آرام بود و قیمت سکه کاهش یافت.", "1",
                    outlet="خبرگزاری مهر", published="2025-08-20T12:00:00", places=("تهران", "بازار تهران"))
    one = _article(store, "باران در تهران بارید و قیمت سکه ثابت ماند.", "2",
                   outlet="خبرگزاری مهر", published="2025-08-19T12:00:00", places=("تهران",))
    for query in ("", "سکه"):
        for sort in ("newest", "oldest"):
            page = search(store, query, place="تهران", sort=sort, count=True, facets=True)
            assert [r.id for r in page] == ([both, one] if sort == "newest" else [one, both])
            assert page.total == Total(2)
            assert [(v.label, v.count) for v in page.facets["source"]] == [("خبرگزاری مهر", 2)]
        root = parse_query(query).root
        filters = build_filter(store, place="تهران").filters
        assert store.histogram(SearchQuery(root, filters)) == [("2025-08-19", 1), ("2025-08-20", 1)]


def test_contract_notes_why_a_facet_matched_nothing(news: Any) -> None:
    store, _ = news
    page = search(store, "", person="ناشناس", count=True)
    assert "no person named 'ناشناس'" in page.notes[0] and page.total == Total(0)


def test_contract_counts_and_facets(news: Any) -> None:
    store, _ids = news
    res = search(store, "", place="تهران", count=True, facets=True)
    assert res.total == Total(2)
    assert [(v.value, v.label, v.count, v.selected) for v in res.facets["place"]] == [("loc:تهران", "تهران", 2, True)]
    assert [(v.label, v.count) for v in res.facets["source"]] == [("خبرگزاری ایسنا", 1), ("خبرگزاری مهر", 1)]
    assert [(v.label, v.count) for v in res.facets["person"]] == [("عراقچی", 1)]


def test_contract_histogram_per_day(news: Any) -> None:
    store, _ = news
    from khabar.archive.query import SearchQuery

    assert store.histogram(SearchQuery()) == [("2024-10-14", 1), ("2025-08-09", 1), ("2025-08-20", 1)]


def test_contract_statements_by_a_person_about_a_term(news: Any) -> None:
    store, ids = news
    assert {s.article for s in statements(store, "عراقچی")} == {ids["moscow"], ids["tehran"]}
    [about] = statements(store, "عراقچی", "تحریم ها")
    assert about.article == ids["tehran"]


def test_contract_person_profile(news: Any) -> None:
    store, ids = news
    profile = person_profile(store, "عراقچی")
    assert profile.article_count == 2 and profile.titles == ["وزیر امور خارجه"]
    assert [a.id for a in profile.articles] == [ids["tehran"], ids["moscow"]]
    assert [m.with_ for m in profile.meetings] == ["لاوروف"] and profile.meetings[0].place == "مسکو"
    assert {c.name for c in profile.co_mentioned} >= {"لاوروف", "مسکو", "تهران"}
    assert [s.article for s in person_profile(store, "عراقچی", about="تحریم‌ها").statements] == [ids["tehran"]]
    with pytest.raises(NotFoundError, match="no person named"):
        person_profile(store, "ناشناس")


def test_contract_sources(news: Any) -> None:
    store, _ = news
    assert [(s.name, s.articles, s.first_published) for _, s in store.sources()] == [
        ("خبرگزاری مهر", 2, "2024-10-14T10:00:00"), ("خبرگزاری ایسنا", 1, "2025-08-09T09:00:00")]


def _people(store: Storage) -> None:
    rows = [("سرگئی لاوروف گفت و لاوروف افزود.", [("per:sl", "سرگئی لاوروف"), ("per:l", "لاوروف")]),
            ("علی رحیمی آمد.", [("per:ar", "علی رحیمی")]),
            ("علی رحیمی رفت.", [("per:ar", "علی رحیمی")]),
            ("زهرا رحیمی گفت.", [("per:zr", "زهرا رحیمی")])]
    for i, (text, people) in enumerate(rows):
        doc = restore_pipeline().analyze(text)  # entities written here only, not by the NER stage
        for eid, name in people:
            s = doc.text.index(name) if eid != "per:l" else doc.text.rindex(name)
            doc.entities.append(Entity(eid, name, "PER"))
            doc.mentions.append(doc.span(s, s + len(name), Mention, label="PER", entity=eid))
        store.write([NewArticle.from_document(doc, content_key=str(i))])


@pytest.mark.parametrize(("name", "chosen", "others"), [
    ("لاوروف", {"لاوروف", "سرگئی لاوروف"}, set()),            # exact, with the full name it stands for
    ("سرگئی لاوروف", {"سرگئی لاوروف"}, set()),
    ("رحیمی", {"علی رحیمی"}, {"زهرا رحیمی"}),               # a shared surname: the most mentioned
    ("زهرا رحیمی", {"زهرا رحیمی"}, set()),
])
def test_contract_person_profile_chooses_identities(store: Storage, name: str, chosen: set[str],
                                                    others: set[str]) -> None:
    _people(store)
    profile = person_profile(store, name)
    assert {m.name for m in profile.matches if m.chosen} == chosen
    assert {m.name for m in profile.matches if not m.chosen} == others


# -- query plans and keyset pages over a few hundred articles ---------------------------------------

_WORDS = ["تورم", "بازار", "سکه", "بورس", "مسکن"]


def _planned_docs() -> list[tuple[NewArticle, dict[str, Any]]]:
    rng = random.Random(3)
    out = []
    for i in range(400):
        chosen = [w for w in _WORDS if rng.random() < (0.8 if w == "تورم" else 0.1)]
        people = [p for p, share in (("کریمی", 0.02), ("رحیمی", 0.7)) if rng.random() < share]
        text = " ".join([*chosen, "گزارش", "روز", *people]) + "."
        doc = restore_pipeline().analyze(text)
        doc.entities = [Entity(f"per:{p}", p, "PER") for p in people]
        doc.mentions = [doc.span(doc.text.index(p), doc.text.index(p) + len(p), Mention, label="PER",
                                 entity=f"per:{p}") for p in people]
        published = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if rng.random() < 0.9 else None
        outlet = rng.choice(["ایرنا", "ایسنا", "مهر"])
        out.append((NewArticle.from_document(doc, content_key=str(i), outlet=outlet, published=published),
                    {"words": set(chosen), "people": set(people), "outlet": outlet, "published": published}))
    return out


@pytest.fixture(scope="module", params=BACKENDS)
def planned(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    store = open_storage(_address(request.param, request, tmp_path_factory.mktemp("planned")))
    docs = _planned_docs()
    ids = store.write([a for a, _ in docs])
    truth = [{"id": i, **t} for i, (_, t) in zip(ids, docs, strict=True)]
    yield store, truth
    store.close()


PLANS = [
    ("تورم", {"person": "کریمی"}),        # common word, rare person: the facet drives
    ("سکه", {"person": "رحیمی"}),         # rare word, common person: the text index drives
    ("تورم", {"person": "رحیمی"}),
    ("سکه بورس", {"person": "کریمی"}),
    ("تورم", {"source": "مهر"}),
    ("سکه", {"since": "2025-03-01", "until": "2025-06-30"}),
    ("", {"person": "کریمی"}),
    ("", {"until": "2025-02-15"}),
    ("تورم OR مسکن", {"person": "رحیمی", "source": "ایسنا", "since": "2025-05-01"}),
]


@pytest.mark.parametrize(("query", "kwargs"), PLANS)
def test_contract_every_plan_finds_exactly_the_matching_articles(planned: Any, query: str, kwargs: dict) -> None:
    store, truth = planned

    def ok(t: dict) -> bool:
        if query and not any(set(alt.split()) <= t["words"] for alt in query.split(" OR ")):
            return False
        if "person" in kwargs and kwargs["person"] not in t["people"]:
            return False
        if "source" in kwargs and t["outlet"] != kwargs["source"]:
            return False
        if ("since" in kwargs or "until" in kwargs) and not t["published"]:
            return False
        if "since" in kwargs and t["published"] < kwargs["since"]:
            return False
        return not ("until" in kwargs and t["published"] > kwargs["until"])

    expected = sorted((t for t in truth if ok(t)), key=lambda t: (t["published"] or "", t["id"]), reverse=True)
    found = search(store, query, limit=500, sort="newest", count=True, **kwargs)
    assert [r.id for r in found] == [t["id"] for t in expected]
    assert found.total == Total(len(expected))
    oldest = search(store, query, limit=500, sort="oldest", **kwargs)
    assert [r.id for r in oldest] == [t["id"] for t in reversed(expected)]
    assert {r.id for r in search(store, query, limit=500, sort="relevance", **kwargs)} == {t["id"] for t in expected}


@pytest.mark.parametrize("sort", ["newest", "oldest", "relevance"])
def test_contract_keyset_pages_give_every_match_once(planned: Any, sort: str) -> None:
    store, _ = planned
    whole = [r.id for r in search(store, "تورم OR سکه", sort=sort, limit=1000)]
    pages, cursor = [], None
    while True:
        page = search(store, "تورم OR سکه", sort=sort, limit=37, cursor=cursor)
        pages += [r.id for r in page]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == whole and len(whole) == len(set(whole)) > 300


def test_contract_total_relation_at_the_cap(planned: Any) -> None:
    store, _ = planned
    assert search(store, "تورم", count=True, count_cap=50).total == Total(50, "gte")


# Each backend plans from estimates: driven by the text index, by a facet, or by the date-ordered
# keys. These mixes put each of them in charge (a common word with a rare person or a narrow date
# range, a rare word with a common person, words that never meet, two facets at once, several
# outlets) and every page, count and per-day histogram must be exactly the articles that match.
MIXES = [
    ("تورم", {"person": "کریمی"}),                               # common word, rare person
    ("بورس", {"person": "رحیمی"}),                               # rare word, common person
    ('"مسکن تورم"', {"source": "مهر"}),                          # words never in that order: no match
    ('"مسکن تورم"', {}),
    ('"تورم بازار"', {"person": "رحیمی"}),                       # a phrase
    ("بو*", {"source": "ایرنا"}),                                # a prefix
    ("تورم", {"since": "2025-04-01", "until": "2025-04-20"}),    # common word, narrow date range
    ("سکه", {"since": "2025-01-01"}),
    ("تورم", {"person": "رحیمی", "source": "ایرنا"}),            # two facets
    ("سکه OR بورس", {"source": ["مهر", "ایسنا"]}),               # two outlets
    ("تورم NOT سکه", {"person": "رحیمی", "until": "2025-09-30"}),
    ("", {"source": ["مهر", "ایرنا"], "since": "2025-06-01"}),
]


def _mix_truth(truth: list[dict], query: str, kwargs: dict) -> list[dict]:
    def text_ok(words: set[str]) -> bool:
        if not query:
            return True
        if query.startswith('"'):  # the chosen words are written in _WORDS order
            a, b = query.strip('"').split()
            return a in words and b in words and _WORDS.index(b) == _WORDS.index(a) + 1
        if query.endswith("*"):
            return any(w.startswith(query[:-1]) for w in words)
        if " NOT " in query:
            yes, no = query.split(" NOT ")
            return yes in words and no not in words
        return any(alt in words for alt in query.split(" OR "))

    def ok(t: dict) -> bool:
        sources = kwargs.get("source")
        sources = [sources] if isinstance(sources, str) else sources
        dated = ("since" not in kwargs and "until" not in kwargs) or bool(t["published"])
        return (text_ok(t["words"]) and ("person" not in kwargs or kwargs["person"] in t["people"])
                and (sources is None or t["outlet"] in sources) and dated
                and ("since" not in kwargs or t["published"] >= kwargs["since"])
                and ("until" not in kwargs or t["published"] <= kwargs["until"]))

    return sorted((t for t in truth if ok(t)), key=lambda t: (t["published"] or "", t["id"]), reverse=True)


@pytest.mark.parametrize(("query", "kwargs"), MIXES)
def test_contract_every_mix_of_text_and_facets_finds_exactly_the_matches(planned: Any, query: str,
                                                                         kwargs: dict) -> None:
    store, truth = planned
    expected = _mix_truth(truth, query, kwargs)
    newest = search(store, query, limit=500, count=True, **kwargs)
    assert [r.id for r in newest] == [t["id"] for t in expected]
    assert newest.total == Total(len(expected))
    assert [r.id for r in search(store, query, limit=500, sort="oldest", **kwargs)] == \
        [t["id"] for t in reversed(expected)]
    first = search(store, query, limit=3, **kwargs)  # a short page stops early: the same first three
    assert [r.id for r in first] == [t["id"] for t in expected[:3]]
    assert (first.next_cursor is not None) == (len(expected) > 3)
    days: dict[str, int] = {}
    for t in expected:
        if t["published"]:
            days[t["published"]] = days.get(t["published"], 0) + 1
    filt = build_filter(store, **kwargs).filters
    assert filt is not None
    assert store.histogram(SearchQuery(parse_query(query).root, filt)) == sorted(days.items())
    if query:
        ranked = search(store, query, limit=500, sort="relevance", **kwargs)
        assert sorted(r.id for r in ranked) == sorted(t["id"] for t in expected)


# -- export, copies, the same answers, concurrent writers ------------------------------------------

def test_contract_export_round_trips(backend: str) -> None:
    with Archive.open(backend) as a:
        a.storage.write([NewArticle.from_document(rich_document(), content_key="r", title="عنوان")])
        out = io.StringIO()
        assert a.export(out) == 1
    line = json.loads(out.getvalue())
    assert Document.from_dict(line).to_dict() == rich_document().to_dict()
    assert line["article"]["title"] == "عنوان"


def _records(n: int, seed: int = 11) -> list[RawArticle]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = " ".join(rng.choice([*_WORDS, "دلار", "نفت", "بودجه"]) for _ in range(rng.randint(4, 12)))
        published = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if i % 7 else None
        out.append(RawArticle(f"گزارش {i}: {words} بانک مرکزی می کند.", f"r#{i}", "jsonl", title=f"عنوان {words[:15]}",
                              url=f"https://news.ir/{seed}/{i}", published=published, outlet=["ایرنا", "مهر"][i % 2]))
    return out


def test_contract_copy_to_the_other_backend_and_back(request: pytest.FixtureRequest, backend: str,
                                                     tmp_path: Path) -> None:
    other = "postgres" if backend.endswith(".db") else "sqlite"
    with Archive.open(backend) as a:
        a.ingest(records=_records(40), jobs=1, restore_only=True)
        a.storage.write([NewArticle.from_document(rich_document(), content_key="rich", title="دیدار")])
        a.cluster()
        with Archive.open(_address(other, request, tmp_path)) as b, Archive.open(_address(
                "sqlite" if other == "postgres" else "postgres", request, tmp_path)) as c:
            assert a.copy_to(b) == 41 and b.copy_to(c) == 41 and a.copy_to(b) == 0
            docs = [x.to_dict() for x in a.articles()]
            for x in (b, c):
                assert [y.to_dict() for y in x.articles()] == docs  # ids, metadata, Documents: exact
                assert [s.to_dict() for s in x.stories(cluster=False)] == [s.to_dict() for s in a.stories(cluster=False)]
                assert x.search("بانک", sort="relevance", count=True, facets=True).to_dict() == \
                    a.search("بانک", sort="relevance", count=True, facets=True).to_dict()


def test_contract_both_backends_give_the_same_answers(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    with Archive.open(_address("sqlite", request, tmp_path)) as a, \
            Archive.open(_address("postgres", request, tmp_path)) as b:
        for x in (a, b):
            x.ingest(records=_records(120, seed=5), jobs=1, restore_only=True)
        queries = ["تورم", "بانک مرکزی", '"بانک مرکزی"', "بو*", "تورم OR نفت", "(سکه OR بورس) NOT تورم", "می کند",
                   "عنوان", "دلار بودجه"]
        filters: list[dict[str, Any]] = [{}, {"source": "مهر"}, {"since": "1404-01-01"}, {"until": "2025-06-01"}]
        for q in queries:
            for f in filters:
                for sort in ("newest", "oldest", "relevance"):
                    pa = a.search(q, sort=sort, limit=15, count=True, facets=True, **f).to_dict()
                    pb = b.search(q, sort=sort, limit=15, count=True, facets=True, **f).to_dict()
                    assert pa == pb, (q, f, sort)
        assert a.counts("تورم", interval="month") == b.counts("تورم", interval="month")
        assert a.sources() == b.sources()


def test_contract_concurrent_writers_store_everything_once(backend: str) -> None:
    records = _records(120, seed=21)
    # Two writers, overlapping halves: each article once, whoever wrote it.
    halves = [records[:80], records[40:]]
    errors: list[BaseException] = []

    def run(part: list[RawArticle]) -> None:
        try:
            with Archive.open(backend, timeout=30) as arch:
                arch.ingest(records=part, jobs=1, restore_only=True, chunk=10)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(h,)) for h in halves]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Archive.open(backend) as arch:
        stored = list(arch.articles())
        assert len(stored) == 120 and len({a.stored.content_key for a in stored}) == 120
        assert arch.search("گزارش", count=True, count_cap=1000).total == Total(120)
