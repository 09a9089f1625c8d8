"""Scrape damage for synthetic benchmark text: what Persian news sites do to their articles."""

from __future__ import annotations

import random


def scrape_damage(text: str, rng: random.Random) -> str:
    """ZWNJs deleted (40%) or turned into spaces (30%), and Arabic ي/ك for ی/ک (30%)."""
    choice = rng.random()
    if choice < 0.4:
        text = text.replace("\u200c", "")
    elif choice < 0.7:
        text = text.replace("\u200c", " ")
    if rng.random() < 0.3:
        text = text.replace("ی", "ي").replace("ک", "ك")
    return text
