"""The crawled real news of ``../shared/data/news/``, read one way and split one way for every script.

Each article gets a part from a hash of its URL (so both copies of a duplicated URL fall together):

* ``train`` (12 of 20 buckets): the only articles whose words and word pairs may become evidence
  for the ZWNJ restorer (``scripts/build_zwnj.py --news``);
* ``dev`` (4 of 20): the ZWNJ dev set is drawn from these (see :func:`zwnj_consistent`);
* ``heldout`` (3 of 20): scored once at the end, never looked into while working;
* ``gold`` (1 of 20): the pool the hand-annotated gold articles (``bench/gold/real_news.json``) are
  drawn from; never read by any build.

An article of another part whose text is also in ``train`` (the same story under two URLs) is
marked ``leaked`` and left out of the dev and held-out figures.

The data's licences (see ``../shared/data/README.md``) allow benchmarks and evaluation: its text is
read from ``../shared`` at run time and never copied into the repo.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NEWS = REPO.parent / "shared" / "data" / "news"
FILES = {"irnews-dev.jsonl": "date", "fars-varzesh3.jsonl": "date_jalali"}
ZWNJ = "\u200c"
PARTS = ("train", "dev", "heldout", "gold")


@dataclass(frozen=True)
class Article:
    file: str
    line: int  # 1-based line of the JSONL file
    outlet: str
    url: str
    published: str | None
    title: str
    text: str

    @property
    def part(self) -> str:
        return part_of(self.url)


def part_of(url: str) -> str:
    """The split an article's URL falls in (stable across runs and machines).

    >>> part_of("https://example.com/1") in PARTS
    True
    """
    b = int(hashlib.sha256(url.encode("utf-8")).hexdigest(), 16) % 20
    return "train" if b < 12 else "dev" if b < 16 else "heldout" if b < 19 else "gold"


def articles(folder: Path = NEWS) -> Iterator[Article]:
    """Every record of the two crawl files, in file order (duplicates included)."""
    for name, date_key in FILES.items():
        path = folder / name
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                r = json.loads(line)
                yield Article(name, n, r.get("outlet") or "", r.get("url") or "", r.get(date_key),
                              r.get("title") or "", r.get("text") or "")


def text_key(text: str) -> str:
    """A key equal for the same text whatever its spacing, ZWNJs and Arabic letters."""
    folded = re.sub(rf"[\s{ZWNJ}]+", "", text.translate(str.maketrans("يك", "یک")))
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def split(folder: Path = NEWS) -> dict[str, list[Article]]:
    """Articles by part, one per URL (the first record), with ``leaked`` for texts also in train."""
    seen: set[str] = set()
    out: dict[str, list[Article]] = {p: [] for p in (*PARTS, "leaked")}
    for a in articles(folder):
        if a.url in seen:
            continue
        seen.add(a.url)
        out[a.part].append(a)
    train_keys = {text_key(a.text) for a in out["train"]}
    for p in ("dev", "heldout", "gold"):
        keep = []
        for a in out[p]:
            (out["leaked"] if text_key(a.text) in train_keys else keep).append(a)
        out[p] = keep
    return out


# A ZWNJ where it changes nothing on screen (after a letter that never joins, doubled, at a word's
# edge) is the crawler's or the editor's noise: an article with several is no ZWNJ gold.
_NOISE = re.compile(f"[اآأإدذرزژوؤ]{ZWNJ}|{ZWNJ}{ZWNJ}|{ZWNJ}(?=[\\s.,،؛:!?؟»«()\"-]|$)|(?<![\\w]){ZWNJ}")
# Where the modern standard takes a ZWNJ and careless text writes a space or nothing.
_SPACED_MI = re.compile(r"(?<![\w\u200c])ن?می (?=\w)")
_JOINED_MI = re.compile(r"(?<![\w\u200c])ن?می(?:کن|شو|گو|دان|توان|خواه|رو|آی|ده|گیر|رس|زن|بین|دار)")
_MI_ZWNJ = re.compile(rf"(?<![\w{ZWNJ}])ن?می{ZWNJ}")
_SPACED_HA = re.compile(r"\w ها(?:ی|یی)?(?![\w\u200c])")
_HA_ZWNJ = re.compile(rf"\w{ZWNJ}ها")


def zwnj_consistent(text: str) -> bool:
    """Whether an article writes ZWNJs the way the tolerant scorer can take as gold: it uses them
    (the verbal prefix and the plural with ZWNJ), never writes the prefix or plural spaced, joins the
    prefix at most rarely, and has no ZWNJ noise.

    >>> zwnj_consistent("آن‌ها می‌گویند که کتاب‌ها رسید و می‌روند و دانشجویان می‌آیند.")
    True
    >>> zwnj_consistent("آن‌ها می گویند که کتاب‌ها رسید و می‌روند.")
    False
    """
    if _NOISE.search(text):
        return False
    mi = len(_MI_ZWNJ.findall(text))
    ha = len(_HA_ZWNJ.findall(text))
    if mi + ha < 3 or _SPACED_MI.search(text) or _SPACED_HA.search(text):
        return False
    return len(_JOINED_MI.findall(text)) * 10 <= mi
