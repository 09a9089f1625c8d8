"""ZWNJ restoration: Persian case tables, properties, the seed article and a quick quality gate."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import khabar
from khabar.pipeline.normalize import Normalizer
from khabar.pipeline.zwnj import ZwnjRestorer
from khabar.pipeline.zwnj_lexicon import Lexicon
from khabar.pipeline.zwnj_model import BoundaryModel, boundary_features, train

Z = "\u200c"
SHARED = Path(__file__).resolve().parents[2].parent / "shared"


@pytest.fixture(scope="module")
def restorer() -> ZwnjRestorer:
    return ZwnjRestorer()


# -- deleted ZWNJs ------------------------------------------------------------------------------

DELETED = [
    # verbal prefixes
    ("میکند", f"می{Z}کند"),
    ("نمیشود", f"نمی{Z}شود"),
    ("میخواهند", f"می{Z}خواهند"),
    # plural suffixes
    ("کتابها", f"کتاب{Z}ها"),
    ("گروههای", f"گروه{Z}های"),
    ("دانشگاهها", f"دانشگاه{Z}ها"),
    ("آنها", f"آن{Z}ها"),
    # pronoun / copula endings after the silent ه
    ("کردهاند", f"کرده{Z}اند"),
    ("شدهاند", f"شده{Z}اند"),
    ("خانهای", f"خانه{Z}ای"),
    # comparative and superlative
    ("بزرگترین", f"بزرگ{Z}ترین"),
    # compounds
    ("آیتالله", f"آیت{Z}الله"),
    ("برنامهریزی", f"برنامه{Z}ریزی"),
    ("مذاکرهکنندگان", f"مذاکره{Z}کنندگان"),
    ("موافقتنامه", f"موافقت{Z}نامه"),
    ("هماکنون", f"هم{Z}اکنون"),
    ("بینالمللی", f"بین{Z}المللی"),
    ("سهشنبه", f"سه{Z}شنبه"),
    ("سرمایهگذاری", f"سرمایه{Z}گذاری"),
    ("تصمیمگیری", f"تصمیم{Z}گیری"),
    # prefix + compound + suffix in one word
    ("برنامهریزیها", f"برنامه{Z}ریزی{Z}ها"),
    # a compound whose plural needs no ZWNJ after the non-joining و
    ("گفتوگوها", f"گفت{Z}وگوها"),
]


@pytest.mark.parametrize(("text", "expected"), DELETED)
def test_zwnj_restores_deleted(text: str, expected: str) -> None:
    assert khabar.restore(text) == expected


# What the crawled news taught (sentences written for these tests; the evidence is the shipped
# lexicon's news counts, see scripts/build_zwnj.py).
NEWS = [
    # compound surnames: a known first part and a second part the news writes after many names with a ZWNJ
    ("صادقینژاد گفت", f"صادقی{Z}نژاد گفت"),
    ("مرادیفر آمد", f"مرادی{Z}فر آمد"),
    ("کاظمیپور و عباسیزاده", f"کاظمی{Z}پور و عباسی{Z}زاده"),
    # the ezafe written ‌ی after a silent ه, joined or spaced; never after a pronounced ه
    ("ارائهی گزارش", f"ارائه{Z}ی گزارش"),
    ("نتیجه ی بازی", f"نتیجه{Z}ی بازی"),
    ("همه ی مردم", f"همه{Z}ی مردم"),
    ("او در کار کوتاهی نکرد", "او در کار کوتاهی نکرد"),
    ("راهی سفر شد", "راهی سفر شد"),
    # no split at a look-alike part: the web writes the word joined, the news writes the part joined
    ("کولبری در مرز", "کولبری در مرز"),
    ("شهرستان فرخشهر", "شهرستان فرخشهر"),
    # a function word takes no pronoun ending (`بهای` is the price of, never به + ای)
    ("بهای نفت افزایش یافت", "بهای نفت افزایش یافت"),
    # a word that reads two ways, by its neighbours
    ("تیم حرفهای", f"تیم حرفه{Z}ای"),
    ("زمینهای کشاورزی", f"زمین{Z}های کشاورزی"),
    ("هیچ زمینهای ندارد", f"هیچ زمینه{Z}ای ندارد"),
    ("نامهای که دیروز نوشت", f"نامه{Z}ای که دیروز نوشت"),
    ("کردهای سوریه", "کردهای سوریه"),
    # names the news writes one way
    ("قالیباف گفت", "قالیباف گفت"),
]


@pytest.mark.parametrize(("text", "expected"), NEWS)
def test_zwnj_restores_as_news_writes(text: str, expected: str) -> None:
    assert khabar.restore(text) == expected


def test_zwnj_spaced_compound_surname_is_joined() -> None:
    # In a document whose ZWNJs became spaces: a name in ی and a second part correct text never
    # writes alone (فر, پور) is a compound surname; a part that stands alone (نژاد: race) is left apart.
    out = khabar.restore("مربی تیم ها، علی مرادی فر و حسن کاظمی پور، می گویند که نژاد اسب ها مهم است.")
    assert f"مرادی{Z}فر" in out and f"کاظمی{Z}پور" in out and "که نژاد" in out


SPACED = [
    ("می کند", f"می{Z}کند"),
    ("نمی شود", f"نمی{Z}شود"),
    ("کتاب ها", f"کتاب{Z}ها"),
    ("گروه های", f"گروه{Z}های"),
    ("کرده اند", f"کرده{Z}اند"),
    ("بزرگ ترین", f"بزرگ{Z}ترین"),
    ("آیت الله", f"آیت{Z}الله"),
    ("برنامه ریزی ها", f"برنامه{Z}ریزی{Z}ها"),
    ("سه شنبه", f"سه{Z}شنبه"),
    ("بین المللی", f"بین{Z}المللی"),
    # a second part that never stands alone in treebank text, in a pair the lists write with ZWNJ
    ("پول شویی", f"پول{Z}شویی"),
    ("حجت الاسلام", f"حجت{Z}الاسلام"),
    ("سرمایه گذاری", f"سرمایه{Z}گذاری"),
]


@pytest.mark.parametrize(("text", "expected"), SPACED)
def test_zwnj_restores_spaced(text: str, expected: str) -> None:
    # In a document whose ZWNJs became spaces (`می گویند` shows it).
    assert khabar.restore(f"{text} می گویند") == f"{expected} می{Z}گویند"


@pytest.mark.parametrize("text", ["حقوق بشر", "نفت خام", "این که",
                                  # a first part joined to what follows in `حجت‌الاسلام`, `سرمایه‌گذاری`
                                  # takes no verb or free word after it; a function word joins nothing
                                  "اتمام حجت کردم", "افزایش سرمایه دولت", "سه شاخه را", "این نامه را"])
def test_zwnj_spaced_document_keeps_free_word_pairs(text: str) -> None:
    # Two free words stay two words even where the document's ZWNJs became spaces.
    assert khabar.restore(f"{text} می گویند") == f"{text} می{Z}گویند"


@pytest.mark.parametrize("text", ["آیت الله", "سه شنبه", "رئیس جمهور"])
def test_zwnj_keeps_spaces_without_sign_of_spaced_zwnjs(text: str) -> None:
    assert khabar.restore(text) == text


# -- what must be left alone --------------------------------------------------------------------

UNTOUCHED = [
    # words that look like prefix/suffix forms but are words of their own
    "تنها", "بیشتر", "بهتر", "کمتر", "میز", "میان", "میلیون", "همه", "نامه", "تهران", "منهای",
    # pairs that correct text writes with a space: a matter of style or of syntax
    "این که", "آن که", "به عنوان", "تأمین شده", "دیده شده",
    # a plural after a letter that does not join needs no ZWNJ
    "کشورها", "کارهایم",
    # names in میر are not می + a verb; the verbs in ر are listed
    "میرسلیم", "میرکاظمی", "میرعمرانی",
    # a word in تر that is no comparative (a noun, a name) keeps its ending: not دف + ‌تری
    "کار دفتری", "زلزله ۵ ریشتری", "پوستری", "بیشتری",
    # hundreds and their ordinals are one word: `نه` here is nine, not a negation
    "نهصدمین سالگرد", "ششصد نفر", "هفتصدم",
    # a verb form of its own is no stem + ending (`گری` + `اند`)
    "او را گریاند", "کودک را خنداند",
]


@pytest.mark.parametrize("text", UNTOUCHED)
def test_zwnj_leaves_words_alone(text: str) -> None:
    assert khabar.restore(text) == text


CORRECT = [
    f"رئیس{Z}جمهور در نشست خبری گفت که دولت این طرح را اجرا می{Z}کند.",
    f"گروه{Z}های مذاکره{Z}کننده روز سه{Z}شنبه به تهران رسیده{Z}اند.",
    f"آیت{Z}الله خامنه{Z}ای در دیدار با مسئولان قوه قضائیه سخن گفت.",
    f"بزرگ{Z}ترین برنامه{Z}ریزی سال در حال انجام است و کارها پیش می{Z}رود.",
]


@pytest.mark.parametrize("text", CORRECT)
def test_zwnj_leaves_correct_text_unchanged(text: str) -> None:
    assert khabar.restore(text) == text


STYLE_IN_ZWNJ_DOCUMENT = [
    # The author uses ZWNJs (می‌گوید) and spaces these pairs by choice: kept.
    f"او می{Z}گوید این که رئیس جمهور به نیویورک رفت درست است.",
    f"سخنگو می{Z}گوید رئیس جمهوری هم اکنون در سفر است.",
]


@pytest.mark.parametrize("text", STYLE_IN_ZWNJ_DOCUMENT)
def test_zwnj_keeps_the_authors_spacing(text: str) -> None:
    assert khabar.restore(text) == text


# An article written for these tests, in the style of the news; ZWNJs as the modern standard has them.
ARTICLE = (
    f"به گزارش خبرگزاری{Z}ها، وزیر امور خارجه روز سه{Z}شنبه در نشست خبری گفت که گروه{Z}های "
    f"مذاکره{Z}کننده به توافق نزدیک شده{Z}اند و برنامه{Z}ریزی{Z}ها برای دور بعدی گفت{Z}وگوها انجام شده است.\n"
    f"او افزود: «ما همواره از راه{Z}حل{Z}های سیاسی حمایت کرده{Z}ایم و نمی{Z}خواهیم این فرصت از دست برود.» "
    f"سخنگوی دولت نیز هم{Z}اکنون در حال بررسی پیشنهادهای تازه است.\n"
    f"کارشناسان می{Z}گویند بزرگ{Z}ترین چالش پیش روی دو طرف، بی{Z}اعتمادی است که طی سال{Z}های گذشته "
    f"شکل گرفته و برطرف کردن آن زمان می{Z}برد.\n"
    f"رئیس{Z}جمهور پیش{Z}تر اعلام کرده بود که دولت از هر اقدامی که به کاهش تنش{Z}ها بینجامد استقبال می{Z}کند."
)


def test_zwnj_article_correct_is_unchanged() -> None:
    assert khabar.restore(ARTICLE) == ARTICLE


@pytest.mark.parametrize("damage", [" ", ""], ids=["spaced", "stripped"])
def test_zwnj_article_damaged_is_restored(damage: str) -> None:
    out = khabar.restore(ARTICLE.replace(Z, damage))
    gold, got = _boundaries(ARTICLE), _boundaries(out)
    assert len(gold) == len(got)
    wrong = [i for i, (g, o) in enumerate(zip(gold, got, strict=True)) if g != o]
    # All but the first boundary of `راه‌حل‌های` (hazm and the web disagree on راه‌حل).
    assert len(wrong) <= 1


def _boundaries(text: str) -> list[str]:
    """After each visible character: 'z' (ZWNJ), 's' (whitespace) or '' (nothing)."""
    out: list[str] = []
    for ch in text:
        if ch == Z or ch.isspace():
            if out:
                out[-1] = "z" if ch == Z else "s"
        else:
            out.append("")
    return out


def test_zwnj_conservative_document_fixes_forms_it_writes_elsewhere() -> None:
    text = f"گروه{Z}های سیاسی و گروههای مدنی می{Z}گویند"
    assert khabar.restore(text) == f"گروه{Z}های سیاسی و گروه{Z}های مدنی می{Z}گویند"


def test_zwnj_full_document_restores_everything() -> None:
    text = "دولت میگوید گروههای مذاکرهکننده به توافق رسیدهاند"
    assert khabar.restore(text) == f"دولت می{Z}گوید گروه{Z}های مذاکره{Z}کننده به توافق رسیده{Z}اند"


def test_zwnj_keeps_vowel_marks(restorer: ZwnjRestorer) -> None:
    assert restorer.apply("میشُوَد") == f"می{Z}شُوَد"
    assert restorer.apply("می شُدْ") == f"می{Z}شُدْ"


def test_zwnj_mode_is_checked() -> None:
    with pytest.raises(ValueError, match="mode"):
        ZwnjRestorer(mode="sometimes")


@pytest.mark.parametrize(("mode", "expected"), [("full", f"گروه{Z}ها"), ("conservative", "گروهها")])
def test_zwnj_mode_can_be_forced(mode: str, expected: str) -> None:
    assert ZwnjRestorer(mode=mode).apply("گروهها") == expected


# -- the Document path ---------------------------------------------------------------------------


def test_zwnj_edits_record_insertions_and_joins(restorer: ZwnjRestorer) -> None:
    assert restorer.edits("میکند کتاب ها") == [(2, 2, Z), (10, 11, Z)]


def test_zwnj_analyze_notes_restored_count() -> None:
    doc = khabar.analyze("گروههای مذاکرهکننده میگویند")
    assert "zwnj: 3 ZWNJs restored (3 inserted, 0 in place of a space)" in doc.warnings


@pytest.mark.parametrize(("text", "mode"), [
    ("دولت میگوید گروههای مذاکرهکننده رفتهاند", "deleted"),
    ("دولت می گوید گروه های مذاکره کننده رفته اند", "spaced"),
    (f"دولت می{Z}گوید گروه{Z}های مذاکره{Z}کننده رفته{Z}اند", "conservative"),
    ("دولت گفت", "deleted"),
    ("دولت میگوید و وزیر می گوید", "full"),
])
def test_zwnj_reads_how_the_document_lost_its_zwnjs(restorer: ZwnjRestorer, text: str, mode: str) -> None:
    assert restorer.mode_of(text) == mode


def test_zwnj_spaced_document_keeps_joined_compounds() -> None:
    # Where lost ZWNJs became spaces, a compound written joined is the author's spelling.
    assert khabar.restore("گرامیداشت روز ملی می گویند") == f"گرامیداشت روز ملی می{Z}گویند"


def test_zwnj_deleted_document_keeps_spaced_compounds() -> None:
    # Where ZWNJs were deleted, the author's spaces are real: `رئیس جمهور` stays, `میگوید` is fixed.
    assert khabar.restore("رئیس جمهور میگوید") == f"رئیس جمهور می{Z}گوید"


def test_zwnj_analyze_maps_inserted_zwnj_to_raw() -> None:
    raw = "آنها میگویند"
    doc = khabar.analyze(raw)
    assert doc.text == f"آن{Z}ها می{Z}گویند"
    for tok in doc.to_dict()["tokens"]:
        assert raw[tok["raw_start"]:tok["raw_end"]] == tok["text"].replace(Z, "")


# -- bad input -----------------------------------------------------------------------------------


def test_zwnj_empty(restorer: ZwnjRestorer) -> None:
    assert restorer.apply("") == ""
    assert restorer.edits("") == []
    assert khabar.analyze("").text == ""


def test_zwnj_non_str_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        khabar.restore(b"\xd9\x85\xdb\x8c\xda\xa9\xd9\x86\xd8\xaf")  # type: ignore[arg-type]


def test_zwnj_hostile_long_word(restorer: ZwnjRestorer) -> None:
    # One "word" of 200k letters built of suffixes must not recurse or hang.
    text = "ها" * 100_000
    assert restorer.apply(text) == text


def test_zwnj_huge_input() -> None:
    text = "گروههای مذاکرهکننده میگویند که برنامهریزیها انجام شدهاند. " * 20_000  # ~1.2 MB
    out = khabar.restore(text)
    assert out.count(Z) == 6 * 20_000


def test_zwnj_garbage_and_mojibake(restorer: ZwnjRestorer) -> None:
    # UTF-8 Persian wrongly decoded as Latin-1, control characters, a lone surrogate.
    junk = "Ù…ÛŒÚ©Ù†Ø¯\x00\x07\ud800 \ufffd" + "".join(chr(c) for c in range(0x600, 0x700))
    out = restorer.apply(junk)
    assert out.replace(Z, "") == junk


# -- properties ------------------------------------------------------------------------------------

PIECES = [*"ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیآئ ‌.،؟«»\nيك\u064e", "می", "ها", "های", "ای", "اند", "کتاب", "گروه", " "]
PERSIAN = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
ANY = st.text(max_size=80)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY)
def test_zwnj_restore_never_raises(text: str) -> None:
    assert isinstance(khabar.restore(text), str)


@pytest.mark.parametrize("text", ["میمی ضلانمی", "ط.میمی غتژبئمی آاند", "کتابها ها", "برنامه ریزی ها شده اند"])
def test_zwnj_restore_is_idempotent_on_found_cases(text: str) -> None:
    # Cases a random search once found: a restored word must pair with the next as before.
    once = khabar.restore(text)
    assert khabar.restore(once) == once


@settings(max_examples=300, deadline=None)
@given(st.one_of(PERSIAN, ANY))
def test_zwnj_restore_is_idempotent(text: str) -> None:
    once = khabar.restore(text)
    assert khabar.restore(once) == once


# Words as news writes them, each occurrence damaged its own way (ZWNJ kept, deleted or spaced): a
# document mixes forms, so its restored text can read as another kind of document than its input.
NEWS_WORDS = ["سرمایه‌گذاری", "برنامه‌ریزی", "می‌کنند", "نمی‌شود", "گروه‌ها", "کتاب‌های", "شده‌اند", "بزرگ‌ترین",
              "حرفه‌ای", "حرف‌های", "زمینه‌ای", "زمین‌های", "نامه‌ای", "همه‌ی", "صادقی‌نژاد",
              "رئیس‌جمهور", "گفت‌وگو", "خانه‌ای", "در", "بورس", "مسکن", "و", "که", "این", "با", "دولت", "مردم",
              "گفت", "است", "بود", "امروز", "تهران", "آن‌ها", "هم‌چنین", "پیش‌بینی", "ها", "ای", "می"]
NEWS_TEXT = st.lists(
    st.tuples(st.sampled_from(NEWS_WORDS), st.sampled_from([Z, "", " "]), st.sampled_from([" ", " ", " ", ". ", "، "])),
    min_size=1, max_size=150,
).map(lambda ws: "".join(w.replace(Z, damage) + sep for w, damage, sep in ws))


@pytest.mark.parametrize("text", [
    "سرمایه گذاری در بورس. سرمایهگذاری در مسکن.",
    # a run of more than 64 words is restored in pieces; the pair across a cut is decided as any other
    " ".join(["واژه"] * 63 + ["شاخصه", "ها", "و", "شرکت", "ها"]),
])
def test_zwnj_restore_is_idempotent_on_mixed_documents(text: str) -> None:
    once = khabar.restore(text)
    assert khabar.restore(once) == once


def test_zwnj_pair_across_a_long_run_cut_is_joined() -> None:
    words = ["واژه"] * 63 + ["شاخصه", "ها"]
    assert khabar.restore(" ".join(words)).endswith(f"شاخصه{Z}ها")


@settings(max_examples=300, deadline=None)
@given(NEWS_TEXT)
def test_zwnj_restore_is_idempotent_on_damaged_news(text: str) -> None:
    once = khabar.restore(text)
    assert khabar.restore(once) == once
    assert khabar.analyze(text).text == once


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), max_codepoint=0x5FF), max_size=80))
def test_zwnj_leaves_non_persian_text_alone(text: str) -> None:
    assert ZwnjRestorer().apply(text) == text


@settings(max_examples=300, deadline=None)
@given(st.one_of(PERSIAN, ANY))
def test_zwnj_edits_agree_with_fast_path(text: str) -> None:
    assert khabar.analyze(text).text == khabar.restore(text)


@settings(max_examples=200, deadline=None)
@given(PERSIAN)
def test_zwnj_token_raw_offsets_point_at_their_characters(text: str) -> None:
    doc = khabar.analyze(text)
    for tok in doc.to_dict()["tokens"]:
        # The raw characters, unified as the normalizer does (ي → ی), are the token's letters.
        raw = Normalizer().apply(doc.raw_text[tok["raw_start"]:tok["raw_end"]])
        assert raw.replace(Z, "").replace(" ", "") == tok["text"].replace(Z, "").replace(" ", "")


# -- the seed article and a quick quality gate ---------------------------------------------------


def _seed() -> tuple[str, str]:
    raw, gold = SHARED / "data" / "seed" / "article.txt", SHARED / "data" / "seed" / "article.zwnj-gold.txt"
    if not raw.is_file() or not gold.is_file():
        pytest.skip("the seed article is not in ../shared/data")
    return raw.read_text(encoding="utf-8"), gold.read_text(encoding="utf-8")


def _marks(text: str) -> list[bool]:
    marks: list[bool] = []
    for ch in text:
        if ch == Z:
            if marks:
                marks[-1] = True
        else:
            marks.append(False)
    return marks


def test_zwnj_seed_changes_nothing_but_zwnjs() -> None:
    raw, gold = _seed()
    out = khabar.restore(raw)
    want = Normalizer().apply(gold)
    assert out.replace(Z, "") == want.replace(Z, "")
    wrong = [i for i, (o, g) in enumerate(zip(_marks(out), _marks(want), strict=True)) if o and not g]
    assert wrong == []


def test_zwnj_seed_restores_at_least_28_of_29() -> None:
    raw, gold = _seed()
    out = khabar.restore(raw)
    want = Normalizer().apply(gold)
    restored = sum(o and g for o, g in zip(_marks(out), _marks(want), strict=True))
    assert gold.count(Z) == 29
    assert restored >= 28


@pytest.mark.xfail(reason="`گرامیداشت`: UPDT and hazm write it joined; only the seed's gold has the ZWNJ",
                   strict=True)
def test_zwnj_seed_restores_all_29() -> None:
    raw, gold = _seed()
    assert khabar.restore(raw) == Normalizer().apply(gold)


def _scorer() -> ModuleType:
    path = SHARED / "tools" / "zwnj_score.py"
    if not path.is_file():
        pytest.skip("the scorer is not in ../shared/tools")
    spec = importlib.util.spec_from_file_location("zwnj_score", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# Floors pinned from `bench/restore.py --lines 400` (the first 400 sentences of each dev file),
# measured minus a small margin. A floor moves down only for a change that gains more elsewhere:
# seraji stripped P .979 -> .972 (two compounds it writes joined) for perdt stripped and held-out UPDT.
GATE = [
    ("seraji", "stripped", 0.97, 0.89),
    ("seraji", "spaced", 0.97, 0.815),
    ("seraji", "clean", 0.995, 1.0),
    ("perdt", "stripped", 0.975, 0.94),
    ("perdt", "spaced", 0.97, 0.91),
    ("perdt", "clean", 0.995, 1.0),
]


@pytest.mark.parametrize(("name", "variant", "p_floor", "r_floor"), GATE)
def test_zwnj_quality_gate(name: str, variant: str, p_floor: float, r_floor: float) -> None:
    zs = _scorer()
    path = SHARED / "data" / "zwnj" / f"{name}-dev.conllu"
    if not path.is_file():
        pytest.skip(f"{path.name} is not in ../shared/data")
    gold = "\n".join(zs.load_gold(str(path)).split("\n")[:400])
    r = zs.score(gold, khabar.restore(zs.variant(gold, variant)))
    assert r["P"] >= p_floor
    assert r["R"] >= r_floor
    if variant == "clean":
        # The bar: at most 1 wrong change per 2,000 words of correct text.
        assert r["fp"] * 2000 <= len(gold.split())


# -- the boundary model (words no list holds) -----------------------------------------------------

# Unseen compounds: no word list holds them, the model splits them at a productive part.
MODEL_SPLITS = [
    ("کرهشکل", f"کره{Z}شکل"),
    ("عدالتمحور", f"عدالت{Z}محور"),
]


@pytest.mark.parametrize(("given", "want"), MODEL_SPLITS)
def test_zwnj_model_splits_unseen_compound(restorer: ZwnjRestorer, given: str, want: str) -> None:
    assert restorer.apply(given) == want


@pytest.mark.parametrize("given", [g for g, _ in MODEL_SPLITS])
def test_zwnj_without_model_leaves_unseen_compound(given: str) -> None:
    assert ZwnjRestorer(model=BoundaryModel()).apply(given) == given


# Numbers, function words and the verbal prefix never start a compound the model proposes.
MODEL_NEVER = ["دهدشت", "سهشاخه", "بیانجامد"]


@pytest.mark.parametrize("given", MODEL_NEVER)
def test_zwnj_model_not_after_number_or_prefix(restorer: ZwnjRestorer, given: str) -> None:
    assert restorer.apply(given) == given


@pytest.mark.parametrize("key", ["", "ک", "کت", "کتا"])
def test_zwnj_model_short_keys_no_cut(key: str) -> None:
    # A model that would cut everywhere still needs two letters on each side.
    assert BoundaryModel(weights={"b": 100.0}, threshold=0.0).cuts(key, Lexicon.load()) == ()


@pytest.mark.parametrize("given", ["م" * 500, "کرهشکل" * 20, "\x00\ufffdکرهشکل\x00"])
def test_zwnj_model_hostile_words(restorer: ZwnjRestorer, given: str) -> None:
    # Overlong runs are junk: never taken apart; garbage around a word leaves it a word.
    out = restorer.apply(given)
    assert out.replace(Z, "") == given and (len(given) < 40 or Z not in out)


def test_zwnj_model_missing_file_never_fires(tmp_path: Path) -> None:
    model = BoundaryModel.load(tmp_path / "absent.tsv.gz")
    assert model.cuts("کرهشکل", Lexicon.load()) == ()


def test_zwnj_model_save_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "m.tsv.gz"
    BoundaryModel({"R3=شکل": 12.5, "b": -1.0}, threshold=3.0).save(path)
    loaded = BoundaryModel.load(path)
    assert (loaded.weights, loaded.threshold) == ({"R3=شکل": 12.5, "b": -1.0}, 3.0)


def test_zwnj_model_features_name_both_sides() -> None:
    feats = boundary_features("بیضیشکل", 4, Lexicon.load())
    assert "L2=ضی" in feats and "R2=شک" in feats


def test_zwnj_perceptron_learns_separable_data() -> None:
    w = train([(["b", "R3=شکل"], 1), (["b", "R3=ستا"], -1)] * 5)
    assert w["R3=شکل"] > 0 > w["R3=ستا"]


@pytest.mark.parametrize("key", ["بیضیشکل", "کرهشکل", "برنامهریزیها", "مستعمرهنشینان", "گفتوگو", "میخیساند"])
def test_zwnj_model_score_is_sum_of_features(key: str) -> None:
    # The scorer sums cached per-part weights: it must equal summing boundary_features, which the
    # model was trained on, at every boundary, on a first look and from the cache.
    model, lex = BoundaryModel.load(), Lexicon.load()
    for _ in range(2):
        for i in range(2, len(key) - 1):
            slow = sum(model.weights.get(f, 0.0) for f in boundary_features(key, i, lex))
            assert model.score(key, i, lex) == pytest.approx(slow, abs=1e-9)


def test_zwnj_mode_signs_count_whole_words() -> None:
    # The damage signs look behind after matching: `می` inside a word (`تمامی`) is no prefix.
    r = ZwnjRestorer()
    assert r.mode_of("تمامی کشورها و نمی گویند و نمی گویند") == "spaced"
    assert r.mode_of("تمامی کشورها و تمامی مردم") == "deleted"
    assert r.mode_of("آنها نمیگویند و رفتهاند") == "deleted"


def test_zwnj_compiled_lexicon_is_the_shipped_text_parsed(tmp_path: Path) -> None:
    # The fast-loading pickle must say exactly what the text lexicon says, and a text lexicon
    # changed after it was compiled is parsed instead of trusting the stale pickle.
    from khabar.pipeline import zwnj_lexicon as zl

    assert zl.compiled_path(zl.RESOURCE).exists()
    assert zl._load.__wrapped__(zl.RESOURCE) == zl._parse(zl.RESOURCE)
    src = tmp_path / "lexicon.tsv.gz"
    src.write_bytes(zl.RESOURCE.read_bytes())
    zl.compile_lexicon(src)
    assert zl.compiled_path(src).read_bytes() == zl.compiled_path(zl.RESOURCE).read_bytes()
    with gzip.open(src, "wt", encoding="utf-8") as f:
        f.write("P\tکتابخانه\t1\t2\t3\n")
    assert zl._load.__wrapped__(src).plain == {"کتابخانه": (1, 2, 3)}
