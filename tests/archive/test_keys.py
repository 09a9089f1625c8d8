"""Keys computed before storage: the search key and the content key meet across spelling variants."""

from __future__ import annotations

import pytest

from khabar.archive.keys import content_key, folded_key, search_key
from khabar.archive.runner import restore_pipeline
from khabar.text.fold import fold


@pytest.mark.parametrize(
    ("a", "b"),
    [("می کند", "ميكند"), ("می‌کند ۱۲", "میکند 12"), ("كتاب\u064eها", "کتابها"), ("  خبر  فوری ", "خبر فوری")],
)
def test_keys_content_key_is_the_same_for_spelling_variants(a: str, b: str) -> None:
    assert content_key(a) == content_key(b)


def test_keys_content_key_differs_for_different_text() -> None:
    assert content_key("زلزله در کرمان") != content_key("زلزله در کرمانشاه")
    assert len(content_key("خبر")) == 64



@pytest.mark.parametrize("text", ["می کند", "ميكند", "می‌کند"])
def test_keys_search_key_repairs_a_zwnj_written_as_a_space(text: str) -> None:
    assert search_key(text) == "میکند"


@pytest.mark.parametrize("text", ["وزیر اقتصاد امروز گفت تورم کاهش می یابد.", "كتاب هاي  جديد مي آيند",
                                  "۱۲ ميليون تومان\u200c", "", " \n "])
def test_keys_folded_key_of_the_restored_text_is_the_content_key(text: str) -> None:
    assert folded_key(fold(restore_pipeline().analyze(text).text)) == content_key(text)
