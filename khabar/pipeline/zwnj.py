"""ZWNJ restoration (U+200C, the half-space): the second restoration stage.

This first version only joins the verbal prefixes می/نمی written with a space; the lexicon- and
model-based restorer replaces it.
"""

from __future__ import annotations

from typing import ClassVar

from khabar.pipeline.base import Rule, TextStage

ZWNJ = "\u200c"


class ZwnjRestorer(TextStage):
    """Restores ZWNJs that were deleted (``میکند``) or turned into spaces (``می کند``)."""

    name: ClassVar[str] = "zwnj"

    def __init__(self) -> None:
        self.rules = [Rule(r"(?<![\w\u200c])(ن?می) (?=(?:کن|شو|دان|گوی|رو|آی|خواه|توان)\w*)", rf"\1{ZWNJ}",
                           "{n} ZWNJs restored")]
