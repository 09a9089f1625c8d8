#!/usr/bin/env python3
"""Train khabar's NER model (a CRF) and write it to khabar/resources/ner/.

    nice .venv/bin/python scripts/train_ner.py [--data ../shared/data] [--out khabar/resources/ner]

Data (read from ``--data``, never copied into the repo):
  ner/parstwiner/train.txt                (ParsTwiNER tweets; dev.txt is never read here)
  ner/textmining-wiki/train.conll         (every 10th sentence, i % 10 == 9, is held out as dev)
  ner/multiconer/v1-train-subset.conll    (every 10th sentence held out as dev)
  ner/multiconer/v2-train10-coarse.conll  (all used; sentences also in the v1 dev slice dropped)
  gazetteers/persian-names, gazetteers/iran-provinces-cities
  zwnj/updt-train.txt                     (unlabeled text, only for the word clusters)

Tag mapping onto khabar's labels (anything else becomes O):
  PER, Person -> PER;  ORG, GRP, CORP, Group -> ORG;  LOC, Location -> LOC;  EVE -> EVE.
  ParsTwiNER NAT/POG, Text-Mining DAT, MultiCoNER CW/PROD/Product/CreativeWorks/Medical -> O.

Each sentence is joined with spaces and run through khabar's own normalizer, ZWNJ restorer and
tokenizer, and the gold tags are projected onto khabar's tokens, so the model sees exactly what
it will see in the pipeline. Sentences with ZWNJs get one more copy with them stripped or spaced.
Gazetteer features of the training sentences come from a lexicon built on the other folds
(jackknife), so the model does not learn to trust a lexicon that has seen its own labels.

Word clusters (off by default; ``--clusters 64,256,1024``): word2vec vectors trained on the
unlabeled UPDT text plus the words of the training sentences (never the dev slices), k-means'd at
a few granularities; the folded word -> cluster ids table then ships as clusters.tsv.gz and the
runtime reads only that table. Measured on the dev sets they did not help (see
khabar/resources/ner/README.md). They need, at build time only: pip install gensim scikit-learn.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from khabar.pipeline import Pipeline  # noqa: E402
from khabar.pipeline.entities import (  # noqa: E402
    CLUSTERS_FILE,
    CharModel,
    Featurizer,
    bio_spans,
    read_clusters,
    to_bilou,
)
from khabar.pipeline.normalize import Normalizer  # noqa: E402
from khabar.pipeline.tokens import Tokenizer  # noqa: E402
from khabar.pipeline.zwnj import ZwnjRestorer  # noqa: E402
from khabar.text.fold import fold_word  # noqa: E402

TAG_MAP = {"PER": "PER", "Person": "PER", "ORG": "ORG", "GRP": "ORG", "CORP": "ORG", "Group": "ORG",
           "LOC": "LOC", "Location": "LOC", "EVE": "EVE"}
ZWNJ = "\u200c"
Sentence = tuple[list[str], list[str]]


def read_conll(path: Path) -> list[Sentence]:
    """Sentences of (words, IOB2 tags mapped onto khabar's labels) from a CoNLL-style file."""
    sents: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("# id"):
            if words:
                sents.append((words, tags))
                words, tags = [], []
            continue
        parts = line.split()
        words.append(parts[0])
        tag = parts[-1]
        kind, _, lab = tag.partition("-")
        tags.append(f"{kind}-{TAG_MAP[lab]}" if lab in TAG_MAP else "O")
    if words:
        sents.append((words, tags))
    return sents


def splits(data: Path) -> dict[str, list[Sentence]]:
    """Train sentences per source and the held-out dev slices (deterministic: every 10th sentence)."""
    ner = data / "ner"
    wiki = read_conll(ner / "textmining-wiki" / "train.conll")
    mc1 = read_conll(ner / "multiconer" / "v1-train-subset.conll")
    mc2 = read_conll(ner / "multiconer" / "v2-train10-coarse.conll")
    mc_dev = [s for i, s in enumerate(mc1) if i % 10 == 9]
    dev_keys = {fold_word("".join(w)) for w, _ in mc_dev}
    return {
        "tweets": read_conll(ner / "parstwiner" / "train.txt"),
        "wiki": [s for i, s in enumerate(wiki) if i % 10 != 9],
        "multiconer": [s for i, s in enumerate(mc1) if i % 10 != 9],
        "multiconer2": [s for s in mc2 if fold_word("".join(s[0])) not in dev_keys],
        "wiki_dev": [s for i, s in enumerate(wiki) if i % 10 == 9],
        "multiconer_dev": mc_dev,
    }


# Administrative units written before a place name. Text-Mining and MultiCoNER put them inside the
# place (`استان تهران` is one LOC), ParsTwiNER mostly leaves them out. `--harmonize` makes the
# training data follow the first convention (the sources disagree on `شهر`, which is left as
# written); measured on the dev sets it did not help, so it is off by default.
ADMIN_UNITS = frozenset({"استان", "شهرستان", "بخش", "دهستان", "روستای"})


def harmonize(words: list[str], tags: list[str]) -> list[str]:
    """Tags with an administrative unit right before a place joined to that place."""
    out = list(tags)
    for s, _, lab in bio_spans(tags):
        if lab == "LOC" and s > 0 and out[s - 1] == "O" and words[s - 1] in ADMIN_UNITS:
            out[s - 1], out[s] = "B-LOC", "I-LOC"
    return out


# Words that Text-Mining's Wikipedia sample puts inside a name while ParsTwiNER and MultiCoNER both
# mostly leave them out (counted on the training files: `شهر` starts 63 wiki names, but is written
# right before a name 55 times in the tweets and 45 times in MultiCoNER, and starts 3 and 0 there).
# `--majority` trims them off the start of the wiki names, so the sources agree.
WIKI_ONLY_HEADS = frozenset({"شهر", "کشور", "ایالت", "منطقه", "شمال", "جنوب", "شرق", "غرب", "دکتر", "آقای",
                             "خانم", "آیت‌الله", "شهید", "سردار", "مهندس"})


def trim_heads(words: list[str], tags: list[str], heads: frozenset[str] = WIKI_ONLY_HEADS) -> list[str]:
    """Tags with a leading word from ``heads`` moved out of a multi-word name."""
    out = list(tags)
    for s, e, lab in bio_spans(tags):
        if e - s > 1 and words[s] in heads:
            out[s], out[s + 1] = "O", "B-" + lab
    return out


_PIPE = Pipeline([Normalizer(), ZwnjRestorer(), Tokenizer()])


def project(words: list[str], tags: list[str]) -> Sentence:
    """khabar's tokens of the space-joined sentence, with the gold spans projected onto them."""
    text = " ".join(words)
    offs, pos = [], 0
    for w in words:
        offs.append((pos, pos + len(w)))
        pos += len(w) + 1
    doc = _PIPE.analyze(text)
    gold = [(offs[s][0], offs[e - 1][1], lab) for s, e, lab in bio_spans(tags)]
    out_words, out_tags = [], []
    seen: set[int] = set()
    for t in doc.tokens:
        tag = "O"
        for k, (a, b, lab) in enumerate(gold):
            if t.raw_start < b and t.raw_end > a:
                tag = ("I-" if k in seen else "B-") + lab
                seen.add(k)
                break
        out_words.append(t.text)
        out_tags.append(tag)
    return out_words, out_tags


def variants(words: list[str], tags: list[str], rng: random.Random) -> Iterator[Sentence]:
    """The sentence, and where it has ZWNJs a copy with them stripped or turned into spaces."""
    yield words, tags
    if any(ZWNJ in w for w in words):
        sep = "" if rng.random() < 0.5 else " "
        new_w: list[str] = []
        new_t: list[str] = []
        for w, t in zip(words, tags, strict=True):
            parts = w.split(ZWNJ) if sep == " " else [w.replace(ZWNJ, "")]
            for j, p in enumerate(p for p in parts if p):
                new_w.append(p)
                new_t.append(t if j == 0 or t == "O" else "I-" + t[2:])
        yield new_w, new_t


def gazetteers(data: Path) -> dict[str, set[str]]:
    """Given names and places from ../shared/data/gazetteers, folded."""
    gz = data / "gazetteers"
    names: set[str] = set()
    for f in ("male_fa.txt", "female_fa.txt"):
        names |= {fold_word(x.strip()) for x in (gz / "persian-names" / f).read_text(encoding="utf-8").split("\n")
                  if x.strip()}
    places = {fold_word(x.strip()) for x in (gz / "persian-names" / "region_fa.txt").read_text(encoding="utf-8")
              .split("\n") if x.strip()}
    for prov in json.loads((gz / "iran-provinces-cities" / "province_city.json").read_text(encoding="utf-8")):
        places.add(fold_word(prov["province-fa"]))
        for c in prov["cities"]:
            name = c["city-fa"].strip()
            if " " not in name:
                places.add(fold_word(name))
    return {"fname": names, "place": places}


def world_places() -> set[str]:
    """Persian names of the world's countries, territories and time-zone cities, from the Unicode CLDR
    data that Babel ships (Babel comes with trafilatura, a core dependency)."""
    from babel import Locale

    fa = Locale("fa")
    names = set(fa.territories.values()) | {v["city"] for v in fa.time_zones.values() if v.get("city")}
    return {" ".join(fold_word(w) for w in n.split()) for n in names if n.strip()}


# Country names that are also common words: never counted or relabelled as places.
AMBIGUOUS_PLACES = frozenset({"قطر", "مالی", "چاد", "تو", "گینه", "کنگو", "جرسی", "ماکائو", "عمان", "ژرسی"})


def country_names() -> set[str]:
    """Folded one-word Persian country names (CLDR, via Babel), less those that are common words."""
    from babel import Locale

    return {fold_word(n) for code, n in Locale("fa").territories.items()
            if code.isalpha() and " " not in n} - AMBIGUOUS_PLACES


def repair(words: list[str], tags: list[str], countries: set[str]) -> list[str]:
    """Tags with a country name the annotators left untagged (outside any name) made a LOC."""
    out = list(tags)
    for i, w in enumerate(words):
        if out[i] == "O" and fold_word(w) in countries and (i + 1 == len(out) or not out[i + 1].startswith("I-")):
            out[i] = "B-LOC"
    return out


def build_lexicon(sents: list[Sentence], static: dict[str, set[str]], min_count: int = 2) -> dict[str, list[str]]:
    """Folded word -> classes: the label its entity occurrences mostly carry (hi/mid by ratio), plus
    gazetteer membership. Words seen fewer than ``min_count`` times inside entities are left out."""
    total: Counter[str] = Counter()
    inside: dict[str, Counter[str]] = defaultdict(Counter)
    for words, tags in sents:
        for w, t in zip(words, tags, strict=True):
            f = fold_word(w)
            total[f] += 1
            if t != "O":
                inside[f][t[2:]] += 1
    lex: dict[str, list[str]] = defaultdict(list)
    for f, c in inside.items():
        lab, n = c.most_common(1)[0]
        ratio = n / total[f]
        if n >= min_count and ratio >= 0.2:
            lex[f].append(f"{lab}:{'hi' if ratio >= 0.6 else 'mid'}")
    for cls, members in static.items():
        for f in members:
            lex[f].append(cls)
    return dict(lex)


def build_spans(sents: list[Sentence], min_count: int = 1) -> dict[str, str]:
    """Folded multi-word entity names -> their most frequent label (single words are in the lexicon)."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for words, tags in sents:
        for s, e, lab in bio_spans(tags):
            if 1 < e - s <= 6:
                seen[" ".join(fold_word(w) for w in words[s:e])][lab] += 1
    return {k: c.most_common(1)[0][0] for k, c in seen.items() if sum(c.values()) >= min_count}


def build_common(sents: list[Sentence], min_count: int = 5, max_alone: float = 0.25) -> list[str]:
    """Frequent words that are rarely a name by themselves (``مجلس``, ``گردشگری``): the linker never
    tags a lone repeat of one of them just because it was tagged once."""
    total: Counter[str] = Counter()
    alone: Counter[str] = Counter()
    for words, tags in sents:
        for w in words:
            total[fold_word(w)] += 1
        for s, e, _ in bio_spans(tags):
            if e - s == 1:
                alone[fold_word(words[s])] += 1
    return sorted(f for f, n in total.items() if n >= min_count and alone[f] <= max_alone * n)


def build_chars(sents: list[Sentence], min_count: int = 2) -> dict[str, dict[str, float]]:
    """Letter-trigram log probabilities per class over word types (a word's class: its usual label)."""
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for words, tags in sents:
        for w, t in zip(words, tags, strict=True):
            labels[fold_word(w)][t[2:] if t != "O" else "O"] += 1
    grams: dict[str, Counter[str]] = {c: Counter() for c in ("PER", "ORG", "LOC", "O")}
    for key, c in labels.items():
        cls = c.most_common(1)[0][0]
        if cls in grams and len(key) >= 3:
            grams[cls].update(CharModel.trigrams(key))
    vocab = {g for c in grams.values() for g in c}
    out: dict[str, dict[str, float]] = {}
    for cls, c in grams.items():
        total = sum(c.values()) + len(vocab) + 1
        table = {g: round(math.log((n + 1) / total), 3) for g, n in c.items() if n >= min_count}
        table[""] = round(math.log(1 / total), 3)
        out[cls] = table
    return out


def cluster_corpus(data: Path, train: list[Sentence]) -> list[list[str]]:
    """Folded sentences for the word vectors: UPDT's unlabeled text and the training sentences, each
    once. The ZWNJ variants and repeats are left out: counted twice, a name seen once in training
    would get clusters that no unseen name at run time has."""
    corpus: list[list[str]] = []
    seen: set[str] = set()
    for words, _ in train:
        folded = [fold_word(w) for w in words]
        key = "".join(folded)
        if key not in seen:
            seen.add(key)
            corpus.append(folded)
    for line in (data / "zwnj" / "updt-train.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            corpus.append([fold_word(t.text) for t in _PIPE.analyze(line).tokens])
    return corpus


def build_clusters(corpus: list[list[str]], sizes: tuple[int, ...] = (64, 256, 1024), *, dim: int = 100,
                   min_count: int = 2, epochs: int = 25, seed: int = 13) -> dict[str, tuple[str, ...]]:
    """Folded word -> its k-means cluster of skip-gram vectors at each size in ``sizes`` (seeded, one
    worker thread, so a rebuild gives the same table)."""
    import numpy as np
    from gensim.models import Word2Vec
    from sklearn.cluster import KMeans

    w2v = Word2Vec(corpus, vector_size=dim, window=5, min_count=min_count, sg=1, negative=10, epochs=epochs,
                   seed=seed, workers=1)
    words = list(w2v.wv.index_to_key)
    vecs = w2v.wv.vectors / np.maximum(np.linalg.norm(w2v.wv.vectors, axis=1, keepdims=True), 1e-9)
    ids = [KMeans(n_clusters=k, n_init=1, random_state=seed).fit_predict(vecs) for k in sizes]
    return {w: tuple(str(int(col[i])) for col in ids) for i, w in enumerate(words)}


# Sources that share annotation conventions share a domain under --augment.
AUGMENT_DOMAIN = {"multiconer2": "multiconer"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "khabar" / "resources" / "ner")
    ap.add_argument("--c1", type=float, default=0.1)
    ap.add_argument("--c2", type=float, default=0.01)
    ap.add_argument("--iterations", type=int, default=150)
    ap.add_argument("--minfreq", type=float, default=0, help="features seen fewer times are dropped before training")
    ap.add_argument("--algorithm", default="lbfgs", choices=("lbfgs", "ap", "pa", "arow", "l2sgd"),
                    help="crfsuite's training algorithm (c1/c2 apply to lbfgs only)")
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--sources", default="", help="comma-separated subset of tweets,wiki,multiconer,multiconer2")
    ap.add_argument("--repeat", default="", help="weight a source by repeating it, e.g. tweets=2")
    ap.add_argument("--harmonize", action="store_true",
                    help="join administrative units before places to the place in every source (tried: no gain)")
    ap.add_argument("--min-count", type=int, default=2, help="times a word must be seen in names to enter the lexicon")
    ap.add_argument("--no-v2", action="store_true", help="leave out MultiCoNER II (a skewed sample)")
    ap.add_argument("--majority", action="store_true",
                    help="trim the name-initial words only the wiki sample puts inside names (WIKI_ONLY_HEADS)")
    ap.add_argument("--bilou", action="store_true", help="train on BILOU tags (decoded back to IOB2)")
    ap.add_argument("--augment", default="",
                    help="comma-separated sources whose features get a per-source copy (domain adaptation; "
                         "'all' for every source); only the shared features fire at run time")
    ap.add_argument("--clusters", default="", help="k-means sizes of word clusters, e.g. 64,256,1024 (tried: no gain)")
    ap.add_argument("--cluster-min-count", type=int, default=3,
                    help="times a word must occur in the unlabeled text to get clusters")
    ap.add_argument("--cluster-context", type=int, default=2, choices=(0, 1, 2),
                    help="neighbours whose clusters are features: 0 none, 1 at distance 1, 2 up to distance 2")
    ap.add_argument("--cluster-updt-only", action="store_true",
                    help="word vectors from the unlabeled UPDT text alone (not the training sentences)")
    ap.add_argument("--world", action="store_true", help="add CLDR world place names as a gazetteer (tried: no gain)")
    ap.add_argument("--repair", action="store_true",
                    help="tag the country names the Wikipedia and MultiCoNER annotators left untagged (tried: no clear gain)")
    ap.add_argument("--clusters-from", type=Path, default=None,
                    help="reuse a clusters.tsv.gz built before instead of training word vectors again")
    args = ap.parse_args()
    import pycrfsuite

    t0 = time.time()
    parts = splits(args.data)
    rng = random.Random(13)
    train: list[Sentence] = []
    n_sent = 0
    origin: list[int] = []  # the source sentence of each sequence: its variants share a fold
    source_of: list[str] = []  # the source of each sequence (for --augment)
    sources = tuple(args.sources.split(",")) if args.sources else \
        ("tweets", "wiki", "multiconer") + (() if args.no_v2 else ("multiconer2",))
    augment = set(sources) if args.augment == "all" else set(filter(None, args.augment.split(",")))
    repeat = {k: int(v) for k, v in (x.split("=") for x in args.repeat.split(",") if x)}
    countries = country_names() if args.repair else set()
    for src in sources:
        # Repeated copies of a sentence keep its origin, so they fall in one jackknife fold.
        for idx, (words, tags0) in [*enumerate(parts[src])] * repeat.get(src, 1):
            tags = harmonize(words, tags0) if args.harmonize else tags0
            if args.majority and src == "wiki":
                tags = trim_heads(words, tags)
            if countries and src != "tweets":
                tags = repair(words, tags, countries)
            for w, t in variants(words, tags, rng):
                train.append(project(w, t))
                origin.append(n_sent + idx)
                source_of.append(src)
        n_sent += len(parts[src])
    print(f"{len(train)} training sequences, {sum(len(w) for w, _ in train)} tokens "
          f"({time.time() - t0:.0f}s)", flush=True)
    static = gazetteers(args.data)
    # With --world: one-word world places are a gazetteer class of their own, longer ones known LOC
    # names (below the training data's own multi-word names).
    world = world_places() if args.world else set()
    if world:
        static["world"] = {w for w in world if " " not in w}
    world_spans = {w: "LOC" for w in world if " " in w}
    args.out.mkdir(parents=True, exist_ok=True)
    clusters: dict[str, tuple[str, ...]] = {}
    if args.clusters_from is not None:
        with gzip.open(args.clusters_from, "rt", encoding="utf-8") as fh:
            clusters = read_clusters(fh)
    elif args.clusters:
        sizes = tuple(int(x) for x in args.clusters.split(","))
        clusters = build_clusters(cluster_corpus(args.data, [] if args.cluster_updt_only else train), sizes,
                                  min_count=args.cluster_min_count)
    (args.out / CLUSTERS_FILE).unlink(missing_ok=True)
    if clusters:
        # mtime=0: the same table gives the same bytes.
        with open(args.out / CLUSTERS_FILE, "wb") as raw, \
                gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            gz.write("".join(f"{w}\t" + "\t".join(c) + "\n" for w, c in sorted(clusters.items())).encode("utf-8"))
        print(f"{len(clusters)} words clustered ({time.time() - t0:.0f}s)", flush=True)
    trainer = pycrfsuite.Trainer(args.algorithm, verbose=False)
    for k in range(args.folds):
        rest = [s for s, o in zip(train, origin, strict=True) if o % args.folds != k]
        feat = Featurizer(build_lexicon(rest, static, args.min_count), {**world_spans, **build_spans(rest)},
                          chars=CharModel(build_chars(rest)), clusters=clusters,
                          cluster_context=args.cluster_context)
        for (words, tags), o, src in zip(train, origin, source_of, strict=True):
            if o % args.folds == k:
                feats = feat.sentence(words)
                if src in augment:
                    # Feature augmentation (Daume III, 2007): a per-source copy of each feature takes up
                    # what only one source's conventions need, the shared one keeps what they agree on;
                    # only the shared ones fire at run time.
                    dom = AUGMENT_DOMAIN.get(src, src) + "|"
                    feats = [[*f, *(dom + x for x in f)] for f in feats]
                trainer.append(feats, to_bilou(tags) if args.bilou else tags)
    print(f"features built ({time.time() - t0:.0f}s)", flush=True)
    params: dict[str, object] = {"max_iterations": args.iterations, "feature.possible_transitions": True,
                                 "feature.minfreq": args.minfreq}
    if args.algorithm == "lbfgs":
        params |= {"c1": args.c1, "c2": args.c2}
    trainer.set_params(params)
    trainer.train(str(args.out / "model.crfsuite"))
    lexicon = build_lexicon(train, static, args.min_count)
    spans = {**world_spans, **build_spans(train)}
    meta = {"trained_on": sources,
            "c1": args.c1, "c2": args.c2, "iterations": args.iterations, "min_count": args.min_count,
            "harmonize": args.harmonize, "repeat": args.repeat, "augment": args.augment, "bilou": args.bilou, "algorithm": args.algorithm, "minfreq": args.minfreq, "majority": args.majority, "world": args.world, "repair": args.repair,
            "cluster_context": args.cluster_context,
            "clusters": args.clusters if args.clusters_from is None else str(args.clusters_from.name),
            "sequences": len(train)}
    (args.out / "lexicon.json").write_text(json.dumps({"meta": meta, "words": lexicon, "spans": spans, "chars": build_chars(train),
                                                      "common": build_common(train)}, ensure_ascii=False,
                                                      separators=(",", ":"), sort_keys=True), encoding="utf-8")
    size = (args.out / "model.crfsuite").stat().st_size
    print(f"model {size / 1e6:.1f} MB, lexicon {len(lexicon)} words ({time.time() - t0:.0f}s)")


if __name__ == "__main__":
    main()
