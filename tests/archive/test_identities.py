"""Identities across the archive: names, roles, ids, learned names (khabar.archive.identities, roles)."""

from __future__ import annotations

from typing import Any

import pytest

from khabar import analyze
from khabar.archive.identities import compatible, name_tokens, same_token, skeleton
from khabar.archive.keys import search_key
from khabar.archive.roles import counterpart_country, find_roles, office_key
from khabar.archive.runner import ingest, reanalyze
from khabar.archive.storage import open_storage
from khabar.ingest import RawArticle

# Short articles written for these tests (original text in the style of Persian news), each with
# its date and outlet: the three articles, then more of the same people.
ARTICLES = [
    ("2025-08-27", "ایرنا", "آیت‌الله سید علی خامنه‌ای، رهبر انقلاب اسلامی، امروز در دیدار با مسعود پزشکیان، "
                            "رئیس‌جمهور، گفت: «دولت باید معیشت مردم را در اولویت قرار دهد.»"),
    ("2025-08-27", "ایسنا", "به گزارش ایسنا، رهبر انقلاب در دیدار با رئیس‌جمهور تأکید کردند که مشکلات اقتصادی "
                            "باید حل شود. آیت‌الله خامنه‌ای افزودند: «مردم صبورند.» مسعود پزشکیان نیز گفت دولت تلاش می‌کند."),
    ("2025-08-28", "تسنیم", "دکتر پزشکیان، رییس جمهوری اسلامی ایران امروز با همتای ترکیه‌ای خود رجب طیب اردوغان "
                            "دیدار کرد."),
    ("2024-03-09", "ایرنا", "سید ابراهیم رئیسی، رئیس‌جمهور، روز شنبه در سفر به مشهد گفت که طرح‌های نیمه‌تمام "
                            "تکمیل می‌شود."),
    ("2024-03-10", "مهر", "رئیس‌جمهور در سفر به خراسان رضوی گفت: «دولت از مردم فاصله نمی‌گیرد.»"),
    ("2025-09-01", "مهر", "رئیس‌جمهور در سفر به اصفهان گفت: «کم‌آبی مسئله اول کشور است.»"),
    ("2025-08-20", "ایسنا", "دکتر علی لاریجانی، دبیر شورای عالی امنیت ملی، امروز در بغداد با مقامات عراقی "
                            "دیدار کرد."),
    ("2025-09-10", "مهر", "آیت‌الله صادق آملی لاریجانی، رئیس مجمع تشخیص مصلحت نظام، در جلسه امروز این مجمع "
                          "سخن گفت."),
    ("2025-05-02", "ایسنا", "شهردار شیراز از آغاز عملیات خط دوم قطار شهری خبر داد."),
    ("2025-06-03", "همشهری", "شهردار شیراز در جلسه شورای شهر از طرح جدید دفاع کرد."),
]


_NEW: list[Any] = []


def _new() -> Any:
    """A new empty archive on the backend this module runs against now."""
    return _NEW[-1]()


@pytest.fixture(scope="module", params=["sqlite", "postgres"], autouse=True)
def backend(request: pytest.FixtureRequest) -> Any:
    """Every identity behaviour on every backend (PostgreSQL runs the SQL SQLite's code writes)."""
    if request.param == "sqlite":
        _NEW.append(lambda: open_storage(":memory:"))
    else:
        cluster = request.getfixturevalue("pg_cluster")
        _NEW.append(lambda: open_storage(cluster.create_database()))
    yield request.param
    _NEW.pop()


@pytest.fixture(scope="module")
def archive(backend: str) -> Any:
    store = _new()
    raws = [RawArticle(text, f"t{i}", "text", url=f"https://example.invalid/{i}", published=day, outlet=outlet)
            for i, (day, outlet, text) in enumerate(ARTICLES)]
    summary = ingest([], store, jobs=1, articles=raws)
    assert summary.added == len(ARTICLES) and not summary.failures
    yield store
    store.close()


def people(store: Any, name: str) -> list[str]:
    return sorted(e.id for e in store.entities(key=search_key(name), labels=("PER",)))


def identity_of(store: Any, article: int, text: str) -> str:
    """The identity stored for a mention (or a bare role) with this text in article ``article`` (1-based)."""
    links = store.article_links(article)
    for m in store.articles([article])[0].doc["mentions"]:
        if m["text"] == text:
            return links.get(m["entity"], m["entity"])
    for r in store.article_roles(article):
        if r.text == text:
            return r.identity
    raise AssertionError(f"no {text!r} in article {article}")


# -- names ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [
    ("آیت‌الله سید علی خامنه‌ای", "خامنه‌ای"),
    ("اسماعیل بقائی", "بقایی"),
    ("غلامحسین محسنی اژه‌ای", "اژه ای"),
    ("امیر عبداللهیان", "حسین امیرعبداللهیان"),
    ("دکتر مسعود پزشکیان", "مسعود پزشکیان"),
    ("حاج قاسم سلیمانی", "قاسم سلیمانی"),
])
def test_identities_names_compatible(a: str, b: str) -> None:
    assert compatible(name_tokens(a), name_tokens(b))


@pytest.mark.parametrize(("a", "b"), [
    ("علی لاریجانی", "صادق آملی لاریجانی"),
    ("مریم کریمی", "حسن کریمی"),
    ("علی رضایی", "محسن رضایی"),
])
def test_identities_names_incompatible(a: str, b: str) -> None:
    assert not compatible(name_tokens(a), name_tokens(b))


@pytest.mark.parametrize(("a", "b"), [("لاوروف", "لاورف"), ("زلنسکی", "زلینسکی"), ("ترامپ", "ترمپ"),
                                      ("گوترش", "گوترس"), ("ماکرون", "مکرون"), ("ویتکاف", "ویتکوف")])
def test_identities_transliterations_meet(a: str, b: str) -> None:
    assert skeleton(a) == skeleton(b)
    # one of the two spellings unknown to the lexicon: the same name
    assert same_token(name_tokens(a)[0], name_tokens(b)[0], lambda w: w == name_tokens(a)[0])


def test_identities_two_known_words_are_two_names() -> None:
    # `محمدی` and `محمودی` share their consonants, but both are names the lexicon knows
    assert not same_token("محمدی", "محمودی", lambda w: True)


@pytest.mark.parametrize(("a", "b"), [("فتحی", "فتاح"), ("کریمی", "کریم"), ("حسنی", "حسن")])
def test_identities_persian_ending_is_no_transliteration(a: str, b: str) -> None:
    # a surname's `ی` ending makes another name, though one spelling is unknown to the lexicon
    assert not same_token(a, b, lambda w: w == b)


# -- roles ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [
    ("رهبر معظم انقلاب اسلامی", "رهبر انقلاب"),
    ("وزیر امور خارجه کشورمان", "وزیر خارجه"),
    ("رئیس جمهوری اسلامی ایران", "رئیس‌جمهور"),
    ("رئیس دستگاه قضا", "رئیس قوه قضاییه"),
    ("سخنگوی دستگاه دیپلماسی", "سخنگوی وزارت امور خارجه"),
    ("فرمانده کل سپاه پاسداران انقلاب اسلامی", "فرمانده کل سپاه"),
])
def test_roles_one_office_many_words(a: str, b: str) -> None:
    assert office_key(a) == office_key(b)


def test_roles_country_makes_another_office() -> None:
    is_place = {"روسیه", "ایران"}.__contains__
    assert office_key("وزیر خارجه روسیه", is_place=is_place) != office_key("وزیر خارجه", is_place=is_place)


@pytest.mark.parametrize(("adjective", "country"), [("روسی", "روسیه"), ("ترکیه‌ای", "ترکیه"), ("چینی", "چین"),
                                                    ("فرانسوی", "فرانسه"), ("ترک", "ترکیه")])
def test_roles_counterpart_country(adjective: str, country: str) -> None:
    places = {"روسیه", "ترکیه", "چین", "فرانسه"}
    assert counterpart_country(adjective, places.__contains__) == country


@pytest.mark.parametrize(("text", "roles"), [
    ("رئیس‌جمهور امروز در نیویورک سخنرانی کرد.", ["رئیس‌جمهور"]),
    ("وزیر امور خارجه کشورمان با همتای روسی خود دیدار کرد.", ["وزیر امور خارجه کشورمان", "همتای روسی"]),
    # a title in apposition is a title, not a bare role
    ("مسعود پزشکیان، رئیس‌جمهور، به نیویورک رفت.", []),
    ("رئیس‌جمهور ترکیه، رجب طیب اردوغان، به تهران آمد.", []),
    # a role no one office names, and one told as what someone became
    ("وزیر گفت که قیمت‌ها کاهش می‌یابد.", []),
    ("یک مقام آمریکایی این خبر را تأیید کرد.", []),
    ("علی لاریجانی به عنوان دبیر شورای عالی امنیت ملی منصوب شد.", []),
])
def test_roles_bare_roles_found(text: str, roles: list[str]) -> None:
    assert [r["text"] for r in find_roles(analyze(text))] == roles


# -- across the archive ---------------------------------------------------------------------------

def test_identities_one_person_across_articles(archive: Any) -> None:
    # `سید علی خامنه‌ای` (article 1) and `خامنه‌ای` (article 2) are one identity, as are
    # `مسعود پزشکیان`, `پزشکیان` and `دکتر پزشکیان`
    assert identity_of(archive, 1, "سید علی خامنه‌ای") == identity_of(archive, 2, "خامنه‌ای")
    assert identity_of(archive, 1, "مسعود پزشکیان") == identity_of(archive, 2, "مسعود پزشکیان") \
        == identity_of(archive, 3, "پزشکیان")
    assert len(people(archive, "خامنه‌ای")) == 1


def test_identities_roles_resolve_across_articles(archive: Any) -> None:
    # article 2 names both men by their roles only; the archive knows them from article 1
    khamenei = identity_of(archive, 1, "سید علی خامنه‌ای")
    pezeshkian = identity_of(archive, 1, "مسعود پزشکیان")
    assert identity_of(archive, 2, "رهبر انقلاب") == khamenei
    assert identity_of(archive, 2, "رئیس‌جمهور") == pezeshkian
    # and so does the meeting it tells
    meetings = archive.profile([khamenei]).meetings
    assert any(m.article == 2 for m in meetings)


def test_identities_office_holder_at_the_article_date(archive: Any) -> None:
    raisi = identity_of(archive, 4, "سید ابراهیم رئیسی")
    pezeshkian = identity_of(archive, 1, "مسعود پزشکیان")
    assert identity_of(archive, 5, "رئیس‌جمهور") == raisi          # March 2024
    assert identity_of(archive, 6, "رئیس‌جمهور") == pezeshkian     # September 2025


def test_identities_shared_surname_two_people(archive: Any) -> None:
    assert identity_of(archive, 7, "علی لاریجانی") != identity_of(archive, 8, "صادق آملی لاریجانی")


def test_identities_unknown_role_holder_stays_in_its_article(archive: Any) -> None:
    # no article names Shiraz's mayor: each article's `شهردار شیراز` is its own, never one id
    # gathering every mayor
    first, second = identity_of(archive, 9, "شهردار شیراز"), identity_of(archive, 10, "شهردار شیراز")
    assert first == second == ""
    assert not archive.entities(key=search_key("شهردار"), labels=("PER",))


def test_identities_titles_and_forms_with_dates(archive: Any) -> None:
    pezeshkian = identity_of(archive, 1, "مسعود پزشکیان")
    forms, titles = archive.identity_names([pezeshkian])
    assert {f.text for f in forms} >= {"مسعود پزشکیان", "پزشکیان"}
    title = next(t for t in titles if t.text == "رئیس‌جمهور")
    assert title.first == title.last == "2025-08-27"


def test_identities_links_keep_their_reasons(archive: Any) -> None:
    rows = archive._query("SELECT reason FROM identity_links WHERE article_id = 2")
    assert rows and all(r[0] for r in rows)


def test_identities_ids_stable_across_reanalysis() -> None:
    store = _new()
    raws = [RawArticle(text, f"t{i}", "text", url=f"https://example.invalid/{i}", published=day, outlet=outlet)
            for i, (day, outlet, text) in enumerate(ARTICLES[:4])]
    ingest([], store, jobs=1, articles=raws)
    before = {i: store.article_links(i) for i in range(1, 5)}
    reanalyze(store, everything=True, jobs=1)
    assert {i: store.article_links(i) for i in range(1, 5)} == before
    # and ingesting the same articles again changes nothing
    assert ingest([], store, jobs=1, articles=raws).added == 0
    assert {i: store.article_links(i) for i in range(1, 5)} == before
    store.close()


def test_identities_archive_learns_names() -> None:
    # a name seen with one label in three articles from two outlets is learned
    store = _new()
    texts = [("ایرنا", "سرگئی لاوروف، وزیر خارجه روسیه، به تهران آمد."),
             ("ایسنا", "سرگئی لاوروف در مسکو با خبرنگاران گفت‌وگو کرد."),
             ("مهر", "سرگئی لاوروف گفت که مذاکرات ادامه دارد.")]
    ingest([], store, jobs=1, articles=[RawArticle(t, f"t{i}", "text", url=f"https://e.invalid/{i}",
                                                  published="2025-05-01", outlet=o) for i, (o, t) in enumerate(texts)])
    assert ("سرگیی لاوروف", "PER") in store.learned_names()
    assert not store.learned_names(min_outlets=4)
    store.close()


def test_identities_untagged_speaker_is_the_person_the_archive_knows() -> None:
    # the article B as written: `پزشکیان نیز گفت`, a surname alone heading its sentence,
    # which the model leaves untagged; the statement is still his, and a surname two people
    # share (`لاریجانی`) or no one has (`زاگرسیان`) is left to no one
    store = _new()
    texts = [("2025-08-27", "ایرنا", ARTICLES[0][2]),
             ("2025-08-27", "ایسنا", "به گزارش ایسنا، رهبر انقلاب در دیدار با رئیس‌جمهور تأکید کردند که مشکلات "
                                     "اقتصادی باید حل شود. پزشکیان نیز گفت دولت تلاش می‌کند."),
             ("2025-08-20", "ایسنا", ARTICLES[6][2]), ("2025-09-10", "مهر", ARTICLES[7][2]),
             ("2025-09-11", "مهر", "لاریجانی نیز گفت جلسه بعدی هفته آینده است. زاگرسیان گفت که موافق است.")]
    ingest([], store, jobs=1, articles=[RawArticle(t, f"t{i}", "text", url=f"https://e.invalid/{i}", published=d,
                                                  outlet=o) for i, (d, o, t) in enumerate(texts)])
    pezeshkian = identity_of(store, 1, "مسعود پزشکیان")
    said = [q for q in store.articles([2])[0].doc["quotes"] if q["speaker"] and q["speaker"]["text"] == "پزشکیان"]
    assert said and said[0]["speaker"]["entity"] is None       # the article's own reading is unchanged
    assert any(s.article == 2 and "تلاش" in s.content for s in store.profile([pezeshkian]).statements)
    assert identity_of(store, 2, "پزشکیان") == pezeshkian
    roles = {r.text: r.identity for r in store.article_roles(5)}
    assert not roles.get("لاریجانی") and not roles.get("زاگرسیان")
    store.close()


def test_identities_surname_opening_a_sentence() -> None:
    # `زاگرسیان پس از …`: a surname alone opening a sentence, which the model leaves untagged, is
    # the person the archive knows by a fuller name written so in two articles; a fuller name seen
    # once (perhaps a misreading) is not enough, and a common word never is
    store = _new()
    texts = [("2025-05-01", "ایرنا", "بهرام زاگرسیان، سفیر ایران در اسپانیا، امروز به تهران بازگشت."),
             ("2025-05-02", "ایسنا", "دیروز بهرام زاگرسیان در دیدار با وزیر خارجه اسپانیا شرکت کرد."),
             ("2025-05-03", "مهر", "هفته گذشته بهمن کوهساریان به مادرید رفت."),
             ("2025-05-04", "تسنیم", "زاگرسیان پس از بازگشت به تهران با خبرنگاران سخن گفت. کوهساریان نیز در این "
                                     "جلسه بود. امروز جلسه ادامه دارد.")]
    ingest([], store, jobs=1, articles=[RawArticle(t, f"t{i}", "text", url=f"https://e.invalid/{i}", published=d,
                                                  outlet=o) for i, (d, o, t) in enumerate(texts)])
    zagros = identity_of(store, 1, "بهرام زاگرسیان")
    roles = {r.text: r.identity for r in store.article_roles(4)}
    assert roles.get("زاگرسیان") == zagros
    assert not roles.get("کوهساریان") and not roles.get("امروز")
    assert any(a.id == 4 for a in store.profile([zagros]).articles)
    store.close()


def test_identities_role_and_name_in_turn_are_one_person() -> None:
    # news names one person by role and by name in turn, the second sentence going on from the
    # first (`در این بازدید`, `افزود`): the role is that person, and a later article's bare role
    # finds them; not where the second is someone else (`نیز`), where nothing says the sentences
    # go on, where the person is the one met in the role's own sentence, where the person
    # holds another office, or where the name is in someone's words
    store = _new()
    texts = [("2025-04-01", "ایسنا", "شهردار اصفهان در بازدید از خط دوم مترو گفت که این خط تا پایان سال افتتاح "
                                     "می‌شود. علی قاسم‌زاده در این بازدید از پیمانکاران خواست کار را سرعت دهند."),
             ("2025-04-20", "ایمنا", "شهردار اصفهان از افزایش ناوگان اتوبوسرانی این شهر خبر داد."),
             ("2025-04-02", "مهر", "شهردار یزد در جلسه شورای شهر از طرح جدید دفاع کرد. مهدی جمالی نیز در این "
                                   "جلسه سخن گفت."),
             ("2025-04-03", "فارس", "رئیس‌جمهور دیروز به کرمان رفت. حسن روحانی امروز در مصاحبه‌ای از دولت "
                                    "انتقاد کرد."),
             ("2025-04-04", "تسنیم", "استاندار فارس در دیدار با حسین احمدی گفت که طرح‌ها باید تکمیل شود. احمدی "
                                     "در این دیدار افزود که بودجه کم است."),
             ("2025-04-05", "ایرنا", "فاطمه مهاجرانی، سخنگوی دولت، از تصویب لایحه خبر داد. وزیر کشور در این "
                                     "نشست افزود که انتخابات به موقع برگزار می‌شود."),
             ("2025-04-06", "ورزش سه", "سرمربی ملوان در نشست خبری از بازیکنانش تشکر کرد و گفت: بازیکنان امروز خوب "
                                       "بودند. رضا احمدی شاگرد خود من در تیم جوانان بوده است. سرمربی ملوان در ادامه "
                                       "خاطرنشان کرد که تیم برای بازی بعدی آماده است.")]
    ingest([], store, jobs=1, articles=[RawArticle(t, f"t{i}", "text", url=f"https://e.invalid/{i}", published=d,
                                                  outlet=o) for i, (d, o, t) in enumerate(texts)])
    mayor = identity_of(store, 1, "علی قاسم‌زاده")
    assert identity_of(store, 1, "شهردار اصفهان") == mayor
    assert identity_of(store, 2, "شهردار اصفهان") == mayor
    assert identity_of(store, 3, "شهردار یزد") == ""
    assert identity_of(store, 4, "رئیس‌جمهور") == ""
    assert identity_of(store, 5, "استاندار فارس") == ""
    assert identity_of(store, 6, "وزیر کشور") == ""
    # a name inside the coach's own words is not the coach
    assert not any(r.identity for r in store.article_roles(7))
    store.close()


def test_identities_title_two_people_share_is_each_ones() -> None:
    # `A و B، وزیران خارجه ایران و ترکیه،`: each gets their own country's office, so a later bare
    # role of either finds the right one
    store = _new()
    texts = [("2025-03-01", "ایرنا", "عباس عراقچی و هاکان فیدان، وزیران خارجه ایران و ترکیه، امروز در آنکارا "
                                     "دیدار کردند."),
             ("2025-03-02", "مهر", "وزیر خارجه ترکیه در نشست خبری گفت که روابط دو کشور گسترش می‌یابد."),
             ("2025-03-02", "ایسنا", "وزیر امور خارجه کشورمان در بازگشت از آنکارا با خبرنگاران سخن گفت.")]
    ingest([], store, jobs=1, articles=[RawArticle(t, f"t{i}", "text", url=f"https://e.invalid/{i}", published=d,
                                                  outlet=o) for i, (d, o, t) in enumerate(texts)])
    assert identity_of(store, 2, "وزیر خارجه ترکیه") == identity_of(store, 1, "هاکان فیدان")
    assert identity_of(store, 3, "وزیر امور خارجه کشورمان") == identity_of(store, 1, "عباس عراقچی")
    store.close()


# -- merges and splits, by hand --------------------------------------------------------------------

def _small_archive() -> Any:
    store = _new()
    texts = [("2025-08-20", "ایسنا", "دکتر علی لاریجانی، دبیر شورای عالی امنیت ملی، امروز در بغداد با مقامات عراقی "
                                     "دیدار کرد."),
             ("2025-09-10", "مهر", "آیت‌الله صادق آملی لاریجانی، رئیس مجمع تشخیص مصلحت نظام، در جلسه امروز این مجمع "
                                   "سخن گفت."),
             ("2025-09-12", "فارس", "علی لاریجانی در سفر به بیروت با نبیه بری دیدار کرد.")]
    ingest([], store, jobs=1, articles=[RawArticle(t, f"t{i}", "text", url=f"https://e.invalid/{i}", published=d,
                                                  outlet=o) for i, (d, o, t) in enumerate(texts)])
    return store


def test_identities_merge_is_recorded_and_undone() -> None:
    from khabar.archive.people import entity_profile, merge, split

    store = _small_archive()
    ali, sadegh = identity_of(store, 1, "علی لاریجانی"), identity_of(store, 2, "صادق آملی لاریجانی")
    assert ali != sadegh
    log_id = merge(store, ali, sadegh, reason="a test of merging")
    profile = entity_profile(store, ali)
    assert profile.article_count == 3 and {f.text for f in profile.forms} >= {"صادق آملی لاریجانی"}
    assert [(h.action, h.other, h.reason) for h in profile.history] == [("merge", sadegh, "a test of merging")]
    # the merged id now stands for the one kept
    assert entity_profile(store, sadegh).ids == [ali]
    assert split(store, ali, undo=log_id) == sadegh
    assert entity_profile(store, ali).article_count == 2
    assert entity_profile(store, sadegh).article_count == 1
    assert identity_of(store, 2, "صادق آملی لاریجانی") == sadegh
    assert [h.undone for h in entity_profile(store, ali).history if h.action == "merge"] == [True]
    store.close()


def test_identities_merge_needs_a_reason_and_one_kind() -> None:
    from khabar.archive.people import merge
    from khabar.errors import InvalidInput

    store = _small_archive()
    ali = identity_of(store, 1, "علی لاریجانی")
    with pytest.raises(InvalidInput):
        merge(store, ali, identity_of(store, 2, "صادق آملی لاریجانی"), reason=" ")
    with pytest.raises(InvalidInput):
        merge(store, ali, identity_of(store, 1, "بغداد"), reason="not a person")
    store.close()


def test_identities_split_by_articles_survives_reanalysis() -> None:
    from khabar.archive.people import entity_profile, split

    store = _small_archive()
    ali = identity_of(store, 1, "علی لاریجانی")
    assert identity_of(store, 3, "علی لاریجانی") == ali
    new = split(store, ali, articles=[3], reason="another Ali Larijani")
    assert new != ali and identity_of(store, 3, "علی لاریجانی") == new
    assert entity_profile(store, new).article_count == 1
    reanalyze(store, everything=True, jobs=1)
    assert identity_of(store, 3, "علی لاریجانی") == new
    assert identity_of(store, 1, "علی لاریجانی") == ali
    store.close()


def test_identities_cli_entity_show_merge_split(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from khabar.cli import main

    db = str(tmp_path / "news.db")
    for i, (_day, _outlet, text) in enumerate(ARTICLES[:2]):
        (tmp_path / f"{i}.txt").write_text(text, encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(tmp_path / "0.txt"), str(tmp_path / "1.txt"), "--db", db, "-j", "1"]
                         ).exit_code == 0
    shown = runner.invoke(main, ["person", "خامنه‌ای", "--db", db])
    assert shown.exit_code == 0 and "سید علی خامنه‌ای" in shown.output and "written as" in shown.output
    ident = next(line.split(";")[-1].strip(" )") for line in shown.output.splitlines() if "PER, in 2" in line)
    other = runner.invoke(main, ["entity", "show", "per:مسعودپزشکیان", "--db", db, "--json"])
    assert other.exit_code == 0 and '"per:مسعودپزشکیان"' in other.output
    merged = runner.invoke(main, ["entity", "merge", ident, "per:مسعودپزشکیان", "--db", db, "--reason", "test"])
    assert merged.exit_code == 0 and "merge 1" in merged.output
    undone = runner.invoke(main, ["entity", "split", ident, "--undo", "1", "--db", db])
    assert undone.exit_code == 0 and "per:مسعودپزشکیان" in undone.output
    bad = runner.invoke(main, ["entity", "split", ident, "--articles", "x,y", "--db", db])
    assert bad.exit_code != 0 and "whole numbers" in bad.output


def test_identities_articles_show_their_identities() -> None:
    # what the archive shows of an article names its entities by their identities, so its
    # mentions, speakers and meetings lead to the identity's page
    from khabar.archive import Archive

    with Archive.open(":memory:") as archive:
        raws = [RawArticle(text, f"t{i}", "text", url=f"https://example.invalid/{i}", published=day, outlet=outlet)
                for i, (day, outlet, text) in enumerate(ARTICLES[:2])]
        archive.ingest(records=raws, jobs=1)
        doc = archive.article(1).to_dict()
        ids = {m["entity"] for m in doc["mentions"]}
        assert "per:علیخامنهای" in ids and "per:سیدعلیخامنهای" not in ids
        assert {e["id"] for e in doc["entities"]} >= ids
        assert archive.entity("per:علیخامنهای").article_count == 2


@pytest.mark.parametrize("bad", ["", " ", "x" * 301, "per:\udce0\udcff", "per:\x1b[31mx", "per:\x00"])
def test_identities_bad_entity_ids_are_refused(bad: str) -> None:
    from khabar.archive.people import entity_profile, merge, split
    from khabar.errors import InvalidInput

    store = _small_archive()
    with pytest.raises(InvalidInput):
        entity_profile(store, bad)
    with pytest.raises(InvalidInput):
        merge(store, bad, "per:x", reason="r")
    with pytest.raises(InvalidInput):
        split(store, bad, articles=[1])
    store.close()


@pytest.mark.parametrize("bad", ["", " \n", "x" * 2001, "\udcff", "a\x00b", "\x1b[2J"])
def test_identities_bad_merge_reasons_are_refused_and_nothing_changes(bad: str) -> None:
    from khabar.archive.people import merge, person_profile
    from khabar.errors import InvalidInput

    store = _small_archive()
    ali = person_profile(store, "علی لاریجانی").ids[0]
    sadegh = person_profile(store, "صادق آملی لاریجانی").ids[0]
    with pytest.raises(InvalidInput):
        merge(store, ali, sadegh, reason=bad)
    assert person_profile(store, "صادق آملی لاریجانی").ids == [sadegh]
    store.close()


@pytest.mark.parametrize("bad", ["", "   ", "،؛!", "x" * 201, "\udcff"])
def test_identities_bad_person_names_are_refused(bad: str) -> None:
    from khabar.archive.people import person_profile
    from khabar.errors import InvalidInput

    store = _small_archive()
    with pytest.raises(InvalidInput):
        person_profile(store, bad)
    store.close()


def test_identities_split_only_articles_that_mention_the_identity() -> None:
    from khabar.archive.people import split
    from khabar.errors import InvalidInput

    store = _small_archive()
    ali = identity_of(store, 1, "علی لاریجانی")
    with pytest.raises(InvalidInput, match="only articles that mention it"):
        split(store, ali, articles=[2, 999])
    assert store.identity_history(ali) == []
    store.close()


def test_identities_worker_resolver_catches_up_with_other_writers(tmp_path: Any, backend: str,
                                                                 request: pytest.FixtureRequest) -> None:
    """A worker keeps one resolver for its run: what another writer stored since is taken in, so
    what it remembers is what reading the archive afresh gives (records, lookups, office holders).
    PostgreSQL tells what is newer by its writers' batch numbers (identity_batches), not article ids."""
    from khabar.archive.identities import IdentityResolver

    address = str(tmp_path / "a.db") if backend == "sqlite" else request.getfixturevalue("pg_cluster").create_database()
    raws = [RawArticle(text, f"a{i}", "text", published=day, outlet=outlet)
            for i, (day, outlet, text) in enumerate(ARTICLES)]
    with open_storage(address) as other, open_storage(address) as mine:
        ingest([], other, jobs=1, articles=raws[:4])
        resolver = IdentityResolver(mine)
        resolver.catch_up()
        ids = [r[0] for r in mine._query("SELECT id FROM entities ORDER BY id")]
        keys = [r[0] for r in mine._query("SELECT DISTINCT key FROM identity_keys ORDER BY key")]
        offices = [r[0] for r in mine._query("SELECT DISTINCT key FROM identity_names WHERE kind = 'title'")]
        resolver._record(ids)
        resolver._lookup(keys)
        for office in offices:
            resolver._holders_of(office)
        ingest([], other, jobs=1, articles=raws[4:])  # another writer, meanwhile
        resolver.catch_up()
        fresh = IdentityResolver(mine)
        cached = {r.id: r for r in resolver._record(ids)}
        for rec in fresh._record(ids):
            got = cached[rec.id]
            assert (got.articles, got.forms, got.titles, sorted(got.honorifics), sorted(got.outlets)) == \
                   (rec.articles, rec.forms, rec.titles, sorted(rec.honorifics), sorted(rec.outlets)), rec.id
        assert {k: sorted(v) for k, v in resolver._lookup(keys).items()} == \
               {k: sorted(v) for k, v in fresh._lookup(keys).items()}
        assert any(r.articles > 1 for r in cached.values())  # the second writer did add to them
        for office in offices:
            assert sorted(resolver._holders_of(office)) == sorted(fresh._holders_of(office))


def _prepared(raws: list[RawArticle]) -> list[Any]:
    from khabar.archive.models import NewArticle
    from khabar.archive.work import Analyzer, prepare_batch

    analyzer = Analyzer()
    try:
        return [a for a in prepare_batch(analyzer, raws) if isinstance(a, NewArticle)]
    finally:
        analyzer.close()


def _counted(store: Any, calls: dict[str, int]) -> None:
    for name in ("identity_lookup", "identity_records", "identity_exists", "existing_identities"):
        method = getattr(store, name)

        def counting(*args: Any, _method: Any = method, _name: str = name, **kwargs: Any) -> Any:
            calls[_name] = calls.get(_name, 0) + 1
            return _method(*args, **kwargs)

        setattr(store, name, counting)


def test_identities_prefetch_links_as_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch's names are read at once before it is linked (IdentityResolver.prefetch): the links
    are those linking one entity at a time gives, from far fewer reads of the archive."""
    from khabar.archive.identities import IdentityResolver
    from khabar.archive.work import link_batch

    raws = [RawArticle(text, f"p{i}", "text", url=f"https://example.invalid/p{i}", published=day, outlet=outlet)
            for i, (day, outlet, text) in enumerate(ARTICLES)]
    store = _new()
    try:
        ingest([], store, jobs=1, articles=raws[::2])
        batch = _prepared(raws[1::2])
        links = {}
        calls: dict[str, dict[str, int]] = {"with": {}, "without": {}}
        for how in ("without", "with"):
            for art in batch:
                art.links = None
            resolver = IdentityResolver(store)
            if how == "without":
                monkeypatch.setattr(resolver, "prefetch", lambda articles: None)
            _counted(store, calls[how])
            link_batch(resolver, store, batch)
            monkeypatch.undo()
            for name in calls[how]:
                vars(store).pop(name, None)
            links[how] = [a.links for a in batch]
        assert links["with"] == links["without"]
        assert any(lk is not None and lk.ids and any(lk.ids.values()) for lk in links["with"])
        assert calls["with"]["existing_identities"] == 1
        reads = {how: sum(n for name, n in c.items() if name != "existing_identities") for how, c in calls.items()}
        assert reads["with"] < reads["without"] / 2, calls
    finally:
        store.close()


def test_identities_prefetch_that_misses_reads_nothing_again() -> None:
    """Names the archive does not know: the prefetch finds nothing, and linking asks nothing more
    of them (each becomes a new identity, its id known to be free)."""
    from khabar.archive.identities import IdentityResolver

    store = _new()
    try:
        batch = _prepared([RawArticle("بهرام کاوسی و نیلوفر آذرپاد در کرمانشاه با نمایندگان شرکت آبفا دیدار کردند.",
                                      "m0", "text", published="2025-10-01")])
        assert batch[0].doc["entities"], "the sample must name someone"
        resolver = IdentityResolver(store)
        calls: dict[str, int] = {}
        _counted(store, calls)
        resolver.prefetch(batch)
        assert calls["existing_identities"] == 1 and calls["identity_lookup"] == 1, calls  # one look-up for all
        calls.clear()
        links = resolver.link_article(batch[0])
        assert calls.get("identity_lookup", 0) == 0 and calls.get("identity_exists", 0) == 0, calls
        assert links.new and all(ident for ident, _, _ in links.new)
    finally:
        store.close()


def test_identities_co_mention_counts_are_those_read_one_by_one() -> None:
    """The company an identity keeps, counted up to a cap (PostgreSQL counts every identity in one
    query, without SQLite's DISTINCT): the counts SQLite's SQL, one identity at a time, gives, with
    the identity itself in the context, a cap that bites, an unknown id and an id twice."""
    from khabar.archive.storage.sqlite import SqliteStorage

    store = _new()
    try:
        raws = [RawArticle(text, f"r{i}", "text", published=day, outlet=outlet)
                for i, (day, outlet, text) in enumerate(ARTICLES)]
        ingest([], store, jobs=1, articles=raws)
        found = store.identity_lookup(["s:پزشکیان", "s:خامنهای", "s:اردوغان", "s:لاریجانی", "n:شیراز"])
        ids = [i for key in ("s:پزشکیان", "s:لاریجانی", "n:شیراز") for i in found.get(key, ())]
        context = [i for key in ("s:خامنهای", "s:اردوغان", "n:شیراز") for i in found.get(key, ())]
        assert len(ids) >= 3 and len(context) >= 3
        cases = [(ids, context, 20), ([*ids, "per:nobody", ids[0]], context, 20), (ids, [*context, ids[0]], 20),
                 (ids, [ids[0]], 1), (ids, [ids[0]], 2), (ids, context[:1], 20), (ids, ["per:nobody"], 20), ([], context, 20)]
        counts = [store.co_mention_counts(i, c, cap=cap) for i, c, cap in cases]
        assert counts == [SqliteStorage.co_mention_counts(store, i, c, cap=cap) for i, c, cap in cases]
        assert counts[0][ids[0]] >= 2 and counts[2][ids[0]] >= 3  # met, and met itself in every article
        assert counts[3][ids[0]] == 1 and counts[4][ids[0]] == 2  # the cap
        assert list(counts[1]) == [*ids, "per:nobody"] and counts[1]["per:nobody"] == 0
    finally:
        store.close()


def test_identities_records_read_by_sets_are_those_read_one_by_one() -> None:
    """What PostgreSQL reads of many identities at once (and the keys it looks up at once) is what
    the SQL SQLite runs, one identity at a time, reads on it."""
    from khabar.archive.storage.sqlite import SqliteStorage

    store = _new()
    try:
        raws = [RawArticle(text, f"r{i}", "text", published=day, outlet=outlet)
                for i, (day, outlet, text) in enumerate(ARTICLES)]
        ingest([], store, jobs=1, articles=raws)
        ids = [r.id for r in store.identity_records(
            [i for ids in store.identity_lookup(["s:پزشکیان", "s:لاریجانی", "n:شیراز"]).values() for i in ids])]
        ids += ["per:nobody"]
        keys = ["s:پزشکیان", "s:لاریجانی", "n:شیراز", "n:nothing"]
        one = SqliteStorage.identity_records(store, ids)
        assert len(one) == len(ids) - 1 >= 3
        assert [(r.id, r.label, r.name, r.articles, r.forms, r.titles, sorted(r.honorifics), sorted(r.outlets))
                for r in store.identity_records(ids)] == \
               [(r.id, r.label, r.name, r.articles, r.forms, r.titles, sorted(r.honorifics), sorted(r.outlets))
                for r in one]
        assert store.identity_lookup(keys) == SqliteStorage.identity_lookup(store, keys)
        found, records, existing = store.existing_identities(keys, have=ids[:1], also=["p:nothing"],
                                                             ids=[*ids, "per:free"])
        assert found == store.identity_lookup(keys) and sorted(r.id for r in records) == sorted(ids[1:-1])
        assert existing == set(ids[:-1])
    finally:
        store.close()
