"""The public API is what khabar/__init__.py exports; this pins it."""

from __future__ import annotations

import khabar


def test_api_exports_are_pinned() -> None:
    assert sorted(khabar.__all__) == sorted([
        "DecodeError", "Document", "Entity", "Event", "InvalidInput", "KhabarError", "Mention",
        "NotFoundError", "Pipeline", "Quote", "SourceCredit", "Span", "StorageError", "Token",
        "__version__", "analyze", "decode", "restore",
    ])
    for name in khabar.__all__:
        assert hasattr(khabar, name)


def test_api_pipeline_checks_stage_order() -> None:
    import pytest

    from khabar.pipeline.sentences import SentenceSplitter

    class NeedsTokens:
        name = "needs"
        requires = ("tokens",)
        assigns = ("x",)

        def __call__(self, doc: khabar.Document) -> khabar.Document:
            return doc

    with pytest.raises(ValueError, match="needs tokens"):
        khabar.Pipeline([SentenceSplitter(), NeedsTokens()])
