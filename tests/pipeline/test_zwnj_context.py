"""The two readings of a word in ``های`` after a stem in ``ه``, decided by its neighbours."""

from __future__ import annotations

import pytest

from khabar.pipeline.zwnj_context import Readings, context_class, log_odds, prefers_plural

# Neighbour classes as a plural and an ‌ای word have them (the shape of the shipped counts).
CONTEXT = {("PL", "next", "W"): 900, ("PL", "next", "که"): 2, ("PL", "next", "PERSON"): 30,
           ("EH", "next", "W"): 400, ("EH", "next", "که"): 90, ("EH", "next", "PERSON"): 5,
           ("PL", "prev", "DEM"): 1, ("EH", "prev", "DEM"): 50, ("PL", "prev", "W"): 500, ("EH", "prev", "W"): 500}


@pytest.mark.parametrize(("key", "before", "cls"), [
    ("", False, "END"), ("که", False, "که"), ("را", False, "را"), ("یک", True, "DEM"), ("یک", False, "F"),
    ("این", True, "THIS"), ("او", False, "PERSON"), ("است", False, "V"), ("میگوید", False, "V"), ("کتاب", False, "W"),
])
def test_context_class(key: str, before: bool, cls: str) -> None:
    assert context_class(key, {"گوید"}, before=before) == cls


@pytest.mark.parametrize(("prev", "nxt", "plural"), [
    ("", "که", False),  # an ‌ای word before a relative clause
    ("یک", "", False),  # after an indefinite determiner
    ("", "او", True),  # a plural before its possessor
])
def test_context_decides_between_even_readings(prev: str, nxt: str, plural: bool) -> None:
    assert prefers_plural(Readings((3,), (4,), 0.0), prev, nxt, CONTEXT, set()) is plural


def test_context_prior_outweighs_a_plain_neighbour() -> None:
    # A reading written ten times as often wins beside a neighbour that says little.
    odds = log_odds({"news": 1}, {"news": 20})
    assert odds is not None
    assert prefers_plural(Readings((3,), (4,), odds), "", "کتاب", CONTEXT, set()) is False


def test_context_log_odds_from_first_source_with_evidence() -> None:
    assert log_odds({"news": 0, "updt": 4}, {"news": 0, "updt": 0}) == pytest.approx(2.197, abs=1e-3)
    assert log_odds({"news": 0}, {"news": 0}) is None
