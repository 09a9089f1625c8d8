"""Search: spelling variants meet, query syntax, hostile queries, dates, facets, snippets, people."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from khabar import analyze
from khabar.archive.models import NewArticle, Total
from khabar.archive.parser import parse_query
from khabar.archive.people import person_profile, statements
from khabar.archive.search import date_range, parse_date, search
from khabar.archive.storage import open_storage
from khabar.document import Entity, Event, Mention, Quote, Span, Speaker
from khabar.errors import InvalidInput, NotFoundError

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


def _add(store, article: NewArticle) -> int | None:
    return store.write([article])[0]


def _store_with(texts: list[str]):
    store = open_storage(":memory:")
    ids = []
    for i, text in enumerate(texts):
        ids.append(_add(store, NewArticle.from_document(analyze(text), content_key=f"k{i}", title=f"خبر {i}")))
    return store, ids


@pytest.mark.parametrize("spellings", VARIANTS)
def test_search_spelling_variants_find_the_same_articles(spellings: list[str]) -> None:
    texts = [f"گزارشگر نوشت که این نهاد {w} و کار ادامه دارد." for w in spellings]
    store, ids = _store_with([*texts, "خبری بی‌ربط درباره هوای تهران."])
    found = [sorted(r.id for r in search(store, w, limit=50)) for w in spellings]
    assert found[0] == sorted(ids[: len(spellings)])
    assert all(f == found[0] for f in found)


def test_search_highlights_the_original_spelling() -> None:
    store, [article_id] = _store_with(["او گفت كه دولت ماليات را كم مي كند."])
    [result] = search(store, "می‌کند").results
    assert result.id == article_id
    [(s, e)] = result.snippet.highlights
    assert result.snippet.text[s:e] == "مي كند"


@pytest.mark.parametrize(("query", "expected"), [
    ("تورم", {0, 1}),
    ("تورم بورس", {1}),
    ("تورم AND بورس", {1}),
    ("تورم OR سکه", {0, 1, 2}),
    ("تورم NOT بورس", {0}),
    ("NOT بورس تورم", {0}),
    ('"بانک مرکزی"', {0}),
    ('"مرکزی بانک"', set()),
    ("اقتصاد*", {0, 1, 2}),
    ("(سکه OR بورس) NOT تورم", {2}),
    ("", {0, 1, 2}),
])
def test_search_query_syntax(query: str, expected: set[int]) -> None:
    store, ids = _store_with([
        "بانک مرکزی برای مهار تورم برنامه دارد و اقتصاددانان موافق هستند.",
        "تورم بر بازار بورس اثر گذاشت و فعالان اقتصادی نگران هستند.",
        "قیمت سکه در بازار کاهش یافت و اقتصاد آرام شد.",
    ])
    found = {ids.index(r.id) for r in search(store, query, limit=10)}
    assert found == expected


HOSTILE = ['"', '""', '"""', "*", "**", ")", "(", "()", "NEAR", "NEAR(تورم بازار)", "NEAR(a b, 2)", "تورم NEAR/2 بازار",
           "title:تورم", "^تورم", "{title body}: تورم", "تورم:", "-تورم", "+تورم", "تورم'", "'; DROP TABLE articles; --",
           '"تورم', 'تورم"', "تورم )", "( تورم", "AND", "OR", "NOT", "تورم OR", "AND تورم", "تورم AND OR بازار",
           "NOT NOT", "تورم NOT", "* تورم *", "\x00", "\u200c", "ـــ", "\ufeff", "؟!،؛", "a" * 500, "تورم " * 100,
           "(((((((((((تورم)))))))))))", "تورم OR NOT بازار", "%", "_", "\\", "تورم*بازار", "*تورم"]


@pytest.mark.parametrize("query", HOSTILE)
def test_search_hostile_query_never_reaches_fts_as_syntax(query: str) -> None:
    store, _ = _store_with(["تورم در بازار کاهش یافت.", "قیمت سکه و بورس"])
    try:
        search(store, query)
    except InvalidInput as err:
        assert str(err)  # a clear message instead of an FTS error
    assert store.stats()["articles"] == 2


@pytest.mark.parametrize(("query", "message"), [
    (")", "unbalanced parenthesis"), ("( تورم", "never closed"), ("تورم OR", "ends with OR"),
    ("AND تورم", "needs a word on each side"), ("NOT بازار", "needs words to exclude from"),
    ("x" * 2000, "limit is"),
])
def test_search_refuses_unreadable_queries_with_the_reason(query: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_query(query)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab تورمی"*()^:-+ANDORTNE\u200cكي۱1')), max_size=30))
def test_search_any_query_gives_results_or_a_clear_error(query: str) -> None:
    store = _FUZZ_STORE
    try:
        search(store, query)
    except InvalidInput:
        pass
    except sqlite3.Error as err:  # pragma: no cover - this is the failure being looked for
        pytest.fail(f"FTS error for {query!r}: {err}")


_FUZZ_STORE = _store_with(["تورم در بازار کاهش یافت.", "ab and or not"])[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("1404-05-18", ("2025-08-09", "2025-08-10")),
    ("۱۴۰۴/۰۵/۱۸", ("2025-08-09", "2025-08-10")),
    ("۱۸ مرداد ۱۴۰۴", ("2025-08-09", "2025-08-10")),
    ("18 مرداد 1404", ("2025-08-09", "2025-08-10")),
    ("مرداد ۱۴۰۴", ("2025-07-23", "2025-08-23")),
    ("اسفند 1403", ("2025-02-19", "2025-03-21")),
    ("1404", ("2025-03-21", "2026-03-21")),
    ("2025-08-09", ("2025-08-09", "2025-08-10")),
    ("2024-02", ("2024-02-01", "2024-03-01")),
    ("2025-08-09T10:30:00+03:30", ("2025-08-09", "2025-08-10")),
])
def test_search_date_range_reads_jalali_and_gregorian(text: str, expected: tuple[str, str]) -> None:
    assert date_range(text) == expected


@pytest.mark.parametrize("text", ["", "دیروز", "1404-13-01", "1404-12-31", "32 مرداد 1404", "مرداد 2025", "abc"])
def test_search_date_refuses_what_is_not_a_date(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_date(text)


def _article(store, text: str, key: str, *, outlet: str, published: str,
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
                                              title=text[:20]))


@pytest.fixture(scope="module")
def archive():
    store = open_storage(":memory:")
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
    ({"person": "ناشناس"}, set()),
    ({"place": "تهران"}, {"tehran", "market"}),
    ({"source": "مهر"}, {"moscow", "market"}),
    ({"source": "خبرگزاری ايسنا"}, {"tehran"}),
    ({"since": "1404-01-01"}, {"tehran", "market"}),
    ({"since": "۱۸ مرداد ۱۴۰۴", "until": "۱۸ مرداد ۱۴۰۴"}, {"tehran"}),
    ({"until": "2024-12-31"}, {"moscow"}),
    ({"has_quotes": True}, {"moscow", "tehran"}),
    ({"person": "عراقچی", "place": "تهران"}, {"tehran"}),
    ({"query": "تحریم", "person": "عراقچی"}, {"tehran"}),
    ({"query": "تهران", "source": "مهر"}, {"market"}),
])
def test_search_filters_by_facets(archive, kwargs: dict, expected: set[str]) -> None:
    store, ids = archive
    kwargs = dict(kwargs)
    names = {v: k for k, v in ids.items()}
    found = {names[r.id] for r in search(store, kwargs.pop("query", ""), **kwargs)}
    assert found == expected


def test_search_notes_why_a_facet_matched_nothing(archive) -> None:
    store, _ = archive
    assert "no person named 'ناشناس'" in search(store, "", person="ناشناس").notes[0]


def test_search_counts_and_facets(archive) -> None:
    store, _ = archive
    res = search(store, "", place="تهران", count=True, facets=True)
    assert res.total is not None and res.total.to_dict() == {"value": 2, "relation": "eq"}
    assert [(v.label, v.count) for v in res.facets["place"]] == [("تهران", 2)]


def test_search_statements_by_a_person_about_a_term(archive) -> None:
    store, ids = archive
    assert {s.article for s in statements(store, "عراقچی")} == {ids["moscow"], ids["tehran"]}
    [about] = statements(store, "عراقچی", "تحریم ها")
    assert about.article == ids["tehran"]


def test_search_person_profile(archive) -> None:
    store, _ids = archive
    profile = person_profile(store, "عراقچی")
    assert profile.article_count == 2
    assert profile.titles == ["وزیر امور خارجه"]
    assert [m.with_ for m in profile.meetings] == ["لاوروف"]
    assert {c.name for c in profile.co_mentioned} >= {"لاوروف", "مسکو", "تهران"}


def test_search_person_profile_statements_about_a_term(archive) -> None:
    store, ids = archive
    profile = person_profile(store, "عراقچی", about="تحریم‌ها")
    assert [s.article for s in profile.statements] == [ids["tehran"]]


def test_search_person_profile_unknown_raises(archive) -> None:
    with pytest.raises(NotFoundError, match="no person named"):
        person_profile(archive[0], "ناشناس")


def test_search_snippet_is_centered_on_a_match_in_a_long_article() -> None:
    store, _ = _store_with(["مقدمه‌ای طولانی. " * 200 + "در پایان، بانک مرکزی نرخ سود را تغییر داد. " + "پایان. " * 50])
    [result] = search(store, '"بانک مرکزی"').results
    assert result.snippet.text.startswith("…") and result.snippet.text.endswith("…")
    assert [result.snippet.text[s:e] for s, e in result.snippet.highlights] == ["بانک", "مرکزی"]
    assert len(result.snippet.text) < 220


def test_search_json_shape() -> None:
    store, [_i] = _store_with(["تورم کاهش یافت."])
    hit = search(store, "تورم").results[0].to_dict()
    assert set(hit) == {"id", "title", "source", "published", "url", "snippet"}
    assert set(hit["snippet"]) == {"text", "highlights"}


def test_search_empty_archive_returns_nothing() -> None:
    assert search(open_storage(":memory:"), "تورم", count=True).total == Total(0)


def test_search_refuses_a_bad_limit() -> None:
    with pytest.raises(InvalidInput, match="limit"):
        search(open_storage(":memory:"), "تورم", limit=0)


def test_search_text_span_is_plain_span() -> None:
    # A guard for the fixtures above: the core's Span still carries raw offsets.
    assert {"raw_start", "raw_end"} <= set(Span("a", 0, 1, 0, 1).to_dict())


def _planned_archive():
    """400 articles with known words, people, outlets and dates, for checking query plans."""
    import random

    rng = random.Random(3)
    store = open_storage(":memory:")
    truth = []
    words = ["تورم", "بازار", "سکه", "بورس", "مسکن"]
    for i in range(400):
        chosen = [w for w in words if rng.random() < (0.8 if w == "تورم" else 0.1)]
        people = [p for p, share in (("کریمی", 0.02), ("رحیمی", 0.7)) if rng.random() < share]
        text = " ".join([*chosen, "گزارش", "روز", *people]) + "."
        doc = analyze(text)
        doc.entities = [Entity(f"per:{p}", p, "PER") for p in people]
        doc.mentions = [doc.span(doc.text.index(p), doc.text.index(p) + len(p), Mention, label="PER",
                                 entity=f"per:{p}") for p in people]
        published = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if rng.random() < 0.9 else None
        outlet = rng.choice(["ایرنا", "ایسنا", "مهر"])
        article_id = _add(store, NewArticle.from_document(doc, content_key=str(i), outlet=outlet, published=published))
        truth.append({"id": article_id, "words": set(chosen), "people": set(people), "outlet": outlet,
                      "published": published})
    return store, truth


@pytest.mark.parametrize(("query", "kwargs"), [
    ("تورم", {"person": "کریمی"}),        # common word, rare person: the facet drives
    ("سکه", {"person": "رحیمی"}),         # rare word, common person: the text index drives
    ("تورم", {"person": "رحیمی"}),
    ("سکه بورس", {"person": "کریمی"}),
    ("تورم", {"source": "مهر"}),
    ("سکه", {"since": "2025-03-01", "until": "2025-06-30"}),
    ("", {"person": "کریمی"}),
    ("", {"until": "2025-02-15"}),
    ("تورم OR مسکن", {"person": "رحیمی", "source": "ایسنا", "since": "2025-05-01"}),
])
def test_search_every_plan_finds_exactly_the_matching_articles_newest_first(query: str, kwargs: dict) -> None:
    store, truth = _PLANNED

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
    assert {r.id for r in search(store, query, limit=500, sort="relevance", **kwargs)} == {t["id"] for t in expected}


_PLANNED = _planned_archive()


def _people_archive():
    from khabar.archive.runner import restore_pipeline

    store = open_storage(":memory:")
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
        store.write([NewArticle.from_document(doc, content_key=str(i))])[0]
    return store


@pytest.mark.parametrize(("name", "chosen", "others"), [
    ("لاوروف", {"لاوروف", "سرگئی لاوروف"}, set()),            # exact, with the full name it stands for
    ("سرگئی لاوروف", {"سرگئی لاوروف"}, set()),
    ("رحیمی", {"علی رحیمی"}, {"زهرا رحیمی"}),               # a shared surname: the most mentioned
    ("زهرا رحیمی", {"زهرا رحیمی"}, set()),
])
def test_search_person_profile_chooses_identities(name: str, chosen: set[str], others: set[str]) -> None:
    profile = person_profile(_people_archive(), name)
    assert {m.name for m in profile.matches if m.chosen} == chosen
    assert {m.name for m in profile.matches if not m.chosen} == others
