"""The one fold: each part folds one class of variation, and only that."""

from __future__ import annotations

import pytest

from khabar.text.chars import ZWNJ
from khabar.text.fold import Fold, fold, fold_word
from khabar.text.words import words


@pytest.mark.parametrize(("a", "b"), [
    ("میکند", "ميكند"), ("می\u200cکند", "میکند"), ("۱۴۰۳", "1403"), ("١٤٠٣", "1403"), ("کِتاب", "کتاب"),
    ("رئیـــس", "رئیس"), ("مسئول", "مسيول"), ("آب", "اب"), ("Tehran", "tehran"), ("ﻛﺘﺎﺏ", "کتاب"), ("  دو   کلمه ", "دو کلمه"),
])
def test_fold_search_key_variants_meet(a: str, b: str) -> None:
    assert fold(a) == fold(b)


@pytest.mark.parametrize(("part", "off", "text"), [
    ("digits", {"digits": False}, "۱۲"),
    ("zwnj", {"zwnj": "keep"}, f"می{ZWNJ}کند"),
    ("marks", {"marks": False}, "کِتاب"),
    ("tatweel", {"tatweel": False}, "بـا"),
    ("letters", {"letters": "keep"}, "ي"),
    ("lower", {"lower": False}, "A"),
])
def test_fold_each_part_can_be_left_out(part: str, off: dict, text: str) -> None:
    full = dict(fold.parts)
    assert Fold(**{**full, **off})(text) == text, part
    assert fold(text) != text


def test_fold_zwnj_as_space_and_spaces_dropped() -> None:
    assert Fold(zwnj="space")(f"می{ZWNJ}کند") == "می کند"
    assert Fold(spaces="drop", zwnj="drop")(f"رئیس {ZWNJ}جمهور\n") == "رییسجمهور"


def test_fold_shapes_keep_spelling_variants() -> None:
    shapes = Fold(letters="shapes")
    assert shapes("يك") == "یک" and shapes("مسئول") == "مسئول"


def test_fold_word_is_the_search_fold_on_one_word() -> None:
    for word in ["خامنه‌اي", "كِتابـها", "۱۲۳", "Reuters"]:
        assert fold_word(word) == fold(word)


@pytest.mark.parametrize("kwargs", [{"letters": "all"}, {"zwnj": "join"}, {"spaces": "squash"}])
def test_fold_refuses_an_unknown_part_value(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Fold(**kwargs)


def test_words_lists_are_read_from_resources() -> None:
    assert "رئیس" in words("role_heads") and "حجت‌الاسلام" in words("honorifics")
    assert not any(w.startswith("#") for name in ("role_heads", "honorifics", "stopwords") for w in words(name))
    with pytest.raises(ValueError, match="no word list"):
        words("../etc/passwd")


def test_fold_remembers_words_within_a_bound_and_gives_the_same_folds() -> None:
    from khabar.text import fold as fold_module

    f = Fold(letters="spelling", digits=True, zwnj="drop", lower=True)
    words = ["كتاب‌ها", "Tehran", "۱۲۳", "مي‌روم"]
    first = [f(w) for w in words]
    assert [f(w) for w in words] == first == [f._fold(w) for w in words]
    assert first[0] == "کتابها" and first[1] == "tehran"
    long_text = "كتاب " * fold_module._SEEN_LEN
    assert f(long_text) == f._fold(long_text) and long_text not in f._seen
    for i in range(fold_module._SEEN_MAX + 10):
        f(f"و{i}")
    assert 0 < len(f._seen) <= fold_module._SEEN_MAX
