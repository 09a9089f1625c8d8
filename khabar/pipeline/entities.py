"""Named entities: a CRF tags khabar's own tokens, then identities are linked within the article.

The model is a linear-chain CRF (python-crfsuite) trained by ``scripts/train_ner.py`` on ParsTwiNER,
Text-Mining/Persian-NER and MultiCoNER Farsi (their tag sets mapped onto ``PER ORG LOC EVE``; see
``khabar/resources/ner/README.md``). It ships in ``khabar/resources/ner/`` and loads offline.
Features are spelling-robust: every word is folded (ZWNJ, vowel marks and Arabic look-alikes
removed), so ``خامنه‌ای``, ``خامنه ای`` and ``خامنهای`` meet. Identity linking (honorifics, surnames,
apposition, roles) lives in :mod:`khabar.pipeline.identity`.

>>> import khabar
>>> doc = khabar.analyze("محمود عباس در رام‌الله با هیئتی از مصر دیدار کرد.")
>>> [(m.text, m.label) for m in doc.mentions]
[('محمود عباس', 'PER'), ('رام\u200cالله', 'LOC'), ('مصر', 'LOC')]
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from khabar.document import Document, Mention

if TYPE_CHECKING:
    from khabar.pipeline.identity import KnownNames
from khabar.errors import KhabarError
from khabar.text.fold import fold_word

LABELS = ("PER", "ORG", "LOC", "EVE")
RESOURCE_DIR = "resources/ner"
MODEL_FILE = "model.crfsuite"
LEXICON_FILE = "lexicon.json"
# Folded word -> its word-vector cluster at a few granularities (tab-separated ids), one word a line.
CLUSTERS_FILE = "clusters.tsv.gz"

_PERSIAN = re.compile("[\u0600-\u06ff]")
_LATIN = re.compile("[A-Za-z]")
_DIGIT = re.compile(r"\d")
# Plural and ezafe endings: ``سازمان‌های`` and ``سازمان`` share a stem feature.
_SUFFIX = re.compile("(?:ها|های|هایی|ان|ی|یی|ای)$")
# Feature strings for one word are capped so a 10k-character token costs no more than a short one.
_MAXLEN = 24


def _shape(word: str) -> str:
    if _PERSIAN.search(word):
        return "fa" if not _LATIN.search(word) else "mix"
    if _LATIN.search(word):
        return "Lat" if word[0].isupper() else "lat"
    if _DIGIT.search(word):
        return "num"
    return "p" + word[:1]


class CharModel:
    """Which label a word's letters suggest: a naive Bayes over letter trigrams of word types.

    It gives unseen names a hint (``ویلیامسون`` reads like a person, ``آبادان`` like a place).
    ``tables`` maps each class (``PER ORG LOC O``) to ``{"": log prob of an unseen trigram,
    trigram: log prob}``.

    >>> cm = CharModel({"PER": {"": -9.0, "^سو": -2.0}, "O": {"": -9.0, "^می": -2.0}})
    >>> cm.guess("سوزان")
    'PER'
    """

    def __init__(self, tables: dict[str, dict[str, float]], *, margin: float = 2.0) -> None:
        self.tables = tables
        self.margin = margin

    @staticmethod
    def trigrams(key: str) -> list[str]:
        w = f"^{key}$"
        return [w[i:i + 3] for i in range(len(w) - 2)]

    def guess(self, key: str) -> str:
        """The best class when it beats ``O`` by ``margin`` nats per trigram, else ``""``."""
        if len(key) < 3 or not _PERSIAN.search(key):
            return ""
        grams = self.trigrams(key)
        scores = {c: sum(t.get(g, t[""]) for g in grams) / len(grams) for c, t in self.tables.items()}
        best = max(scores, key=scores.__getitem__)
        if best == "O" or scores[best] - scores.get("O", -1e9) < self.margin / 4:
            return ""
        return best if scores[best] - scores.get("O", -1e9) < self.margin else best + ":hi"


class _Word(NamedTuple):
    key: str
    own: list[str]
    left1: list[str]
    right1: list[str]
    left2: list[str]
    right2: list[str]


class Featurizer:
    """Turns a sentence's words into CRF feature lists; word-level features are cached per word.

    ``lexicon`` maps a folded word to its gazetteer classes (learned from training spans, first
    names, places), e.g. ``{"تهران": ["LOC:hi", "place"]}``. ``clusters`` maps a folded word to
    its distributional cluster ids, coarse to fine (``{"تهران": ("12", "87", "903")}``): words
    used alike in unlabeled text share them, so a name seen only in that text still gets a hint.

    >>> f = Featurizer({"تهران": ["LOC:hi"]})
    >>> "gz=LOC:hi" in f.sentence(["به", "تهران", "رفت"])[1]
    True
    """

    def __init__(self, lexicon: dict[str, list[str]] | None = None, spans: dict[str, str] | None = None, *,
                 chars: CharModel | None = None,
                 clusters: dict[str, tuple[str, ...]] | None = None, cluster_context: int = 2,
                 cache_size: int = 200_000) -> None:
        self.lexicon = lexicon or {}
        self.clusters = clusters or {}
        # How far neighbours' clusters reach (0: the word's own only). Training chooses; at run time
        # the features the model has weights for decide (crfsuite ignores the rest), so the default
        # generates them all.
        self.cluster_context = cluster_context
        self.chars = chars
        # Multi-word names seen as entities in training (``احمدشاه مسعود`` → PER), by folded words.
        self.spans = spans or {}
        self._span_len = max((k.count(" ") + 1 for k in self.spans), default=0)
        self._span_first = {k.split(" ", 1)[0] for k in self.spans}
        self._cache: dict[str, _Word] = {}
        self._cache_size = cache_size

    def word(self, word: str) -> _Word:
        """(folded key, own features, features as left/right neighbour at distance 1 and 2) of one word."""
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        f = fold_word(word[:200])[:_MAXLEN]
        shape = _shape(word[:200])
        gz = self.lexicon.get(f, ())
        stem = _SUFFIX.sub("", f) if len(f) > 4 else f
        own = [
            "w=" + f, "st=" + stem, "sh=" + shape, "len=" + str(min(len(f), 9)),
            "p2=" + f[:2], "p3=" + f[:3], "s1=" + f[-1:], "s2=" + f[-2:], "s3=" + f[-3:], "s4=" + f[-4:],
        ]
        if "\u200c" in word:
            own.append("zw")
        if f.startswith("ال") and len(f) > 4:
            own.append("al")
        if self.chars is not None and not gz:
            guess = self.chars.guess(f)
            if guess:
                own.append("cm=" + guess)
        # A suffixed form missing from the cluster table borrows its stem's clusters.
        cl = self.clusters.get(f) or self.clusters.get(stem) or ()
        cls = [f"c{j}={c}" for j, c in enumerate(cl)]
        own.extend(cls)
        ctx_cls = cls if self.cluster_context >= 1 else []
        shared = ["sh=" + shape, "s2=" + f[-2:], "s3=" + f[-3:], "p3=" + f[:3], *ctx_cls, *("gz=" + g for g in gz)]
        own.extend("gz=" + g for g in gz)
        if stem != f:
            for g in self.lexicon.get(stem, ()):
                own.append("gzst=" + g)
        # At distance 2 only gazetteer classes and the two coarser clusters: finer ones are too sparse.
        gzs = [x for x in shared if x.startswith(("gz", "c0=", "c1=") if self.cluster_context >= 2 else "gz")]
        out = _Word(f, own, ["-1" + x for x in shared], ["+1" + x for x in shared], ["-2" + x for x in gzs],
                    ["+2" + x for x in gzs])
        if len(self._cache) < self._cache_size:
            self._cache[word] = out
        return out

    def sentence(self, words: Sequence[str]) -> list[list[str]]:
        """One feature list per word, with a ±2 window of neighbours' forms and classes."""
        info = [self.word(w) for w in words]
        n = len(info)
        keys = ["<s>", "<s>"] + [w.key for w in info] + ["</s>", "</s>"]
        out: list[list[str]] = []
        for i, w in enumerate(info):
            k = w.key
            ctx = ["w-1=" + keys[i + 1], "w+1=" + keys[i + 3], "w-2=" + keys[i], "w+2=" + keys[i + 4],
                   "w-1|w=" + keys[i + 1] + "|" + k, "w|w+1=" + k + "|" + keys[i + 3]]
            if i > 1:
                ctx.append("w-2|w-1=" + keys[i] + "|" + keys[i + 1])
            feats = ["b", *w.own, *ctx]
            if i > 0:
                feats.extend(info[i - 1].left1)
            else:
                feats.append("BOS")
            if i < n - 1:
                feats.extend(info[i + 1].right1)
            else:
                feats.append("EOS")
            if i > 1:
                feats.extend(info[i - 2].left2)
            if i < n - 2:
                feats.extend(info[i + 2].right2)
            out.append(feats)
        if self.spans:
            self._span_features(keys[2:-2], out)
        return out

    def _span_features(self, keys: list[str], out: list[list[str]]) -> None:
        """Marks the longest known multi-word name starting at each word (``sp=B-PER``, ``sp=I-PER``)."""
        n, i = len(keys), 0
        while i < n:
            if keys[i] in self._span_first:
                for ln in range(min(self._span_len, n - i), 1, -1):
                    lab = self.spans.get(" ".join(keys[i:i + ln]))
                    if lab:
                        out[i].append("sp=B-" + lab)
                        for j in range(i + 1, i + ln):
                            out[j].append("sp=I-" + lab)
                        i += ln - 1
                        break
            i += 1


def to_bilou(tags: Sequence[str]) -> list[str]:
    """IOB2 tags rewritten as BILOU (a name's last word ``L-``, a one-word name ``U-``).

    >>> to_bilou(["B-PER", "I-PER", "O", "B-LOC"])
    ['B-PER', 'L-PER', 'O', 'U-LOC']
    """
    out = ["O"] * len(tags)
    for s, e, lab in bio_spans(tags):
        if e - s == 1:
            out[s] = "U-" + lab
        else:
            out[s], out[e - 1] = "B-" + lab, "L-" + lab
            for i in range(s + 1, e - 1):
                out[i] = "I-" + lab
    return out


# A BILOU model's tags back to IOB2 (a BIO model's pass through unchanged).
_TO_BIO = {"L": "I", "U": "B"}


def to_bio(tags: Iterable[str]) -> list[str]:
    """BILOU (or IOB2) tags as IOB2.

    >>> to_bio(["B-PER", "L-PER", "O", "U-LOC", "I-ORG"])
    ['B-PER', 'I-PER', 'O', 'B-LOC', 'I-ORG']
    """
    return [_TO_BIO.get(t[:1], t[:1]) + t[1:] if t != "O" else t for t in tags]


def bio_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Entity spans ``(first, last + 1, label)`` from IOB2 tags; a stray ``I-`` opens a span.

    >>> bio_spans(["B-PER", "I-PER", "O", "I-LOC"])
    [(0, 2, 'PER'), (3, 4, 'LOC')]
    """
    out: list[tuple[int, int, str]] = []
    start, label = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        kind, _, lab = tag.partition("-")
        if start >= 0 and (kind != "I" or lab != label):
            out.append((start, i, label))
            start = -1
        if kind == "B" or (kind == "I" and start < 0):
            start, label = i, lab
    return out


@lru_cache(maxsize=2)
def load_model(directory: str = "") -> tuple[Any, dict[str, list[str]], dict[str, str], CharModel | None,
                                             dict[str, Any]]:
    """The shipped tagger, its lexicon and its metadata, loaded once (from ``directory`` if given)."""
    import pycrfsuite

    base = resources.files("khabar") / RESOURCE_DIR if not directory else None
    model_path = str(base / MODEL_FILE) if base is not None else f"{directory}/{MODEL_FILE}"
    lex_path = str(base / LEXICON_FILE) if base is not None else f"{directory}/{LEXICON_FILE}"
    tagger = pycrfsuite.Tagger()
    try:
        tagger.open(model_path)
        with open(lex_path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise KhabarError(f"the entities model cannot be loaded from {model_path} ({exc}); "
                          "rebuild it with scripts/train_ner.py") from exc
    chars = CharModel(data["chars"]) if data.get("chars") else None
    meta = {**data.get("meta", {}), "common": frozenset(data.get("common", ()))}
    return tagger, data["words"], data.get("spans", {}), chars, meta


def read_clusters(lines: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The cluster table from its lines (``word<TAB>id<TAB>id…``); malformed lines are skipped.

    >>> read_clusters(["تهران\\t3\\t17", "", "بد"])
    {'تهران': ('3', '17')}
    """
    out: dict[str, tuple[str, ...]] = {}
    for line in lines:
        word, *ids = line.rstrip("\n").split("\t")
        if word and ids:
            out[word] = tuple(ids)
    return out


@lru_cache(maxsize=2)
def load_clusters(directory: str = "") -> dict[str, tuple[str, ...]]:
    """The shipped word-cluster table (from ``directory`` if given); empty when the model has none."""
    path = str(resources.files("khabar") / RESOURCE_DIR / CLUSTERS_FILE) if not directory \
        else f"{directory}/{CLUSTERS_FILE}"
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return read_clusters(fh)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise KhabarError(f"the entities clusters cannot be read from {path} ({exc}); "
                          "rebuild them with scripts/train_ner.py") from exc


class EntityRecognizer:
    """Fills ``doc.mentions`` and ``doc.entities``: CRF mentions, then identities linked in the article.

    ``max_tokens`` bounds the work on one article: tokens past it are not tagged, and a warning
    says so. ``link=False`` keeps the raw model mentions (one entity each), as the benchmark needs
    nothing more.
    """

    name: ClassVar[str] = "entities"
    requires: ClassVar[tuple[str, ...]] = ("sentences", "tokens")
    assigns: ClassVar[tuple[str, ...]] = ("mentions", "entities")

    def __init__(self, *, model_dir: str = "", max_tokens: int = 300_000, max_sequence: int = 250,
                 link: bool = True) -> None:
        self.tagger, lexicon, spans, chars, self.meta = load_model(model_dir)
        self.featurizer = Featurizer(lexicon, spans, chars=chars, clusters=load_clusters(model_dir))
        self.max_tokens = max_tokens
        self.max_sequence = max_sequence
        self.link = link
        self.known: KnownNames | None = None

    def learn(self, names: Iterable[tuple[str, str]]) -> int:
        """Tag these names (``(text, label)``: what an archive has learned) wherever the model
        misses them, from now on; returns how many names are known. ``learn([])`` after
        :meth:`forget` starts again.

        >>> rec = EntityRecognizer()
        >>> rec.learn([("زاگرسیان", "PER")])
        1
        >>> rec.forget()
        """
        from khabar.pipeline.identity import KnownNames

        if self.known is None:
            self.known = KnownNames(common=self.meta["common"])
        self.known.add(names)
        return len(self.known)

    def forget(self) -> None:
        """Tag no learned names any more."""
        self.known = None

    def tag(self, words: Sequence[str]) -> list[str]:
        """IOB2 tags for one sentence's words.

        >>> EntityRecognizer().tag(["حسن", "روحانی", "به", "مشهد", "رفت"])
        ['B-PER', 'I-PER', 'O', 'B-LOC', 'O']
        """
        if not words:
            return []
        return to_bio(self.tagger.tag(self.featurizer.sentence(words)))

    def _sequences(self, doc: Document, n_tokens: int) -> Iterable[tuple[int, int]]:
        """Token index ranges to tag: sentences, cut into pieces of at most ``max_sequence`` tokens."""
        tokens = doc.tokens
        i = 0
        bounds = [(s.start, s.end) for s in doc.sentences] or [(0, len(doc.text))]
        for _, end in bounds:
            j = i
            while j < n_tokens and tokens[j].start < end:
                j += 1
            if j == i and i < n_tokens and not any(s <= tokens[i].start < e for s, e in bounds):
                j = i + 1  # a token outside every sentence still gets tagged
            for a in range(i, j, self.max_sequence):
                yield a, min(j, a + self.max_sequence)
            i = j
            if i >= n_tokens:
                return
        if i < n_tokens:
            for a in range(i, n_tokens, self.max_sequence):
                yield a, min(n_tokens, a + self.max_sequence)

    def find(self, doc: Document) -> list[tuple[int, int, str]]:
        """Mentions as token index ranges ``(first, last + 1, label)``."""
        n = min(len(doc.tokens), self.max_tokens)
        if len(doc.tokens) > n:
            doc.warnings.append(f"entities: only the first {n} of {len(doc.tokens)} tokens were tagged")
        out: list[tuple[int, int, str]] = []
        for a, b in self._sequences(doc, n):
            words = [t.text for t in doc.tokens[a:b]]
            out.extend((a + s, a + e, lab) for s, e, lab in bio_spans(self.tag(words)) if lab in LABELS)
        return out

    def __call__(self, doc: Document) -> Document:
        from khabar.pipeline.identity import IdentityLinker, entity_id

        found = self.find(doc)
        if self.link:
            doc.mentions, doc.entities = IdentityLinker(lexicon=self.featurizer.lexicon, common=self.meta["common"],
                                                        known=self.known).link(
                doc, found, self.max_tokens)
            return doc
        mentions = []
        for s, e, lab in found:
            start, end = doc.tokens[s].start, doc.tokens[e - 1].end
            mentions.append(doc.span(start, end, Mention, label=lab,
                                     entity=entity_id(doc.text[start:end], lab)))
        doc.mentions = mentions
        return doc
