#!/usr/bin/env python3
"""Cross-document identity: B-cubed of the archive's entities and role resolution on written gold.

    .venv/bin/python bench/identity.py [--gold FILE ...] [--show] [--jobs N]

Each gold file (``bench/gold/identity.txt``, ``identity_fresh.txt``, ``identity_fresh2.txt``; format
at the head of the first) is ingested on its own into a fresh archive, as a user would ingest news: one article per
``===`` block, with its date and outlet. Then every gold mention is matched to what khabar stored
for that article at the same place (a mention, a statement's speaker, a meeting participant or a
resolved role), one to one, the closest overlap first (so a place inside a role phrase matches the
place, and the role the role). A gold mention khabar did not find counts as an entity of its own.

- **B-cubed** (Bagga and Baldwin 1998) over the gold mentions: for each mention, precision is the
  share of the mentions in its khabar entity that are in its gold entity, recall the share of its
  gold entity that is in its khabar entity; averaged over mentions, F1 of the two averages. Printed
  for persons (names and roles), organizations, places and all.
- **Role resolution**: a bare role whose holder the set names is right when khabar's entity for it
  is the entity most of that person's named mentions got; a role marked ``?`` (never named in the
  set) is right when its entity is not shared with any mention outside its article.
- **Stray references**: bare roles, untagged speakers and sentence-opening surnames the archive
  resolved to a person where the gold marks nothing (B-cubed over gold mentions cannot see them).
- **NER in the archive**: strict P/R/F1 of the stored mentions against the gold names (roles apart),
  over PER/ORG/LOC, as bench/ner_news.py scores sentences.

Prints one block per gold file; ``--show`` lists every wrong link and role.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from khabar.ingest import RawArticle  # noqa: E402

GOLDS = [REPO / "bench" / "gold" / "identity.txt"]
LABELS = {"p": "PER", "o": "ORG", "l": "LOC"}


@dataclass
class GoldMention:
    start: int
    end: int
    key: str          # archive entity key; article-scoped for `?`
    label: str
    role: bool
    text: str


@dataclass
class GoldArticle:
    id: str
    published: str
    outlet: str
    text: str
    mentions: list[GoldMention] = field(default_factory=list)


def parse_marked(marked: str) -> tuple[str, list[tuple[int, int, list[str]]]]:
    """Plain text and ``(start, end, fields)`` of every ``[[text|field|…]]`` mark; marks nest.

    >>> parse_marked("[[وزیر خارجه [[ایران|l.iran]]|p.x|r]] گفت")
    ('وزیر خارجه ایران گفت', [(11, 16, ['l.iran']), (0, 16, ['p.x', 'r'])])
    """
    out: list[str] = []
    n = 0
    stack: list[list[Any]] = []  # [start in plain text, fields buffer or None while in the text part]
    marks: list[tuple[int, int, list[str]]] = []
    i = 0
    while i < len(marked):
        two = marked[i:i + 2]
        if two == "[[":
            stack.append([n, None, n])
            i += 2
            continue
        if two == "]]" and stack:
            start, fields, end = stack.pop()
            if fields is None:
                raise ValueError(f"a mark without a key at {marked[max(0, i - 30):i + 2]!r}")
            marks.append((start, end, "".join(fields).split("|")))
            i += 2
            continue
        ch = marked[i]
        if ch == "|" and stack and stack[-1][1] is None:
            stack[-1][1] = []
            stack[-1][2] = n
        elif stack and stack[-1][1] is not None:
            stack[-1][1].append(ch)
        else:
            out.append(ch)
            n += 1
        i += 1
    if stack:
        raise ValueError("an unclosed mark")
    return "".join(out), marks


def load(path: Path) -> list[GoldArticle]:
    """The articles of a gold file."""
    articles: list[GoldArticle] = []
    body: list[str] = []

    def close() -> None:
        if articles and body:
            text, marks = parse_marked("\n".join(body).strip())
            art = articles[-1]
            art.text = text
            for s, e, fields in marks:
                key, role = fields[0], len(fields) > 1 and fields[1] == "r"
                if key == "?":
                    key = f"?{art.id}:{text[s:e]}"
                    label = "PER"
                else:
                    label = LABELS[key.split(".", 1)[0]]
                art.mentions.append(GoldMention(s, e, key, label, role, text[s:e]))
        body.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("=== "):
            close()
            _, aid, published, *outlet = line.split()
            articles.append(GoldArticle(aid, published, " ".join(outlet), ""))
        elif articles:
            body.append(line)
    close()
    return articles


# -- what khabar stored ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SysRef:
    start: int
    end: int
    entity: str
    kind: str   # mention | speaker | participant | role
    label: str


def ingest(articles: list[GoldArticle], db: str, jobs: int) -> tuple[Any, dict[str, int]]:
    """Ingest the gold articles into a fresh archive at ``db``; returns the archive and gold id → article id."""
    from khabar.archive.runner import ingest as run
    from khabar.archive.storage import open_storage

    store = open_storage(db)
    raws = [RawArticle(a.text, f"gold:{a.id}", "text", url=f"https://gold.khabar.invalid/{a.id}",
                       published=a.published, outlet=a.outlet) for a in articles]
    summary = run([], store, jobs=jobs, articles=raws)
    if summary.failed:
        raise SystemExit(f"ingest failed: {[f.reason for f in summary.failures]}")
    ids = {}
    from khabar.archive.storage import iter_articles

    for stored in iter_articles(store):
        ids[stored.url.rsplit("/", 1)[1]] = stored.id
    return store, ids


def system_refs(store: Any, article_id: int) -> list[SysRef]:
    """Everything khabar stored for one article that names an entity, at raw-text offsets, under
    the archive identity it was stored as."""
    doc = store.articles([article_id])[0].doc
    links = store.article_links(article_id)

    def ident(local: str) -> str:
        return links.get(local, local)

    refs: list[SysRef] = []
    seen: set[tuple[int, int]] = set()
    for m in doc.get("mentions") or ():
        if m.get("entity"):
            refs.append(SysRef(m["raw_start"], m["raw_end"], ident(m["entity"]), "mention", m.get("label", "")))
            seen.add((m["raw_start"], m["raw_end"]))
    for r in store.article_roles(article_id):
        if r.raw_start is not None and (r.raw_start, r.raw_end) not in seen:
            refs.append(SysRef(r.raw_start, r.raw_end, r.identity or f"<role {article_id}:{r.start}>", "role", "PER"))
            seen.add((r.raw_start, r.raw_end))
    for q in doc.get("quotes") or ():
        sp = q.get("speaker")
        if sp and sp.get("entity") and (sp["raw_start"], sp["raw_end"]) not in seen:
            refs.append(SysRef(sp["raw_start"], sp["raw_end"], ident(sp["entity"]), "speaker", "PER"))
            seen.add((sp["raw_start"], sp["raw_end"]))
    # Meeting participants with no mention (a role-only participant, `همتای روسی`): where its name stands.
    with_mention = {m.get("entity") for m in doc.get("mentions") or ()}
    names = {e["id"]: e["name"] for e in doc.get("entities") or ()}
    raw = doc["raw_text"]
    for ev in doc.get("events") or ():
        for p in ev.get("participants") or ():
            if p in with_mention or p not in names:
                continue
            at = raw.find(names[p])
            if at >= 0 and not any(a < at + len(names[p]) and at < b for a, b in seen):
                refs.append(SysRef(at, at + len(names[p]), ident(p), "participant", "PER"))
                seen.add((at, at + len(names[p])))
    return refs


def match(gold: list[GoldMention], refs: list[SysRef]) -> dict[int, SysRef]:
    """Gold mention index → the system reference at the same place (one to one, closest overlap first)."""
    pairs = []
    for gi, g in enumerate(gold):
        for r in refs:
            inter = min(g.end, r.end) - max(g.start, r.start)
            if inter <= 0:
                continue
            union = max(g.end, r.end) - min(g.start, r.start)
            pairs.append((inter / union, -abs(g.start - r.start), gi, r))
    pairs.sort(key=lambda x: (-x[0], -x[1]))
    out: dict[int, SysRef] = {}
    used: set[SysRef] = set()
    for _, _, gi, r in pairs:
        if gi not in out and r not in used:
            out[gi] = r
            used.add(r)
    return out


# -- scores ---------------------------------------------------------------------------------------

def bcubed(items: list[tuple[str, str]]) -> tuple[float, float, float]:
    """B-cubed P, R, F1 of (gold cluster, system cluster) pairs, one per mention.

    >>> bcubed([("a", "1"), ("a", "1"), ("b", "2")])
    (1.0, 1.0, 1.0)
    >>> [round(x, 3) for x in bcubed([("a", "1"), ("a", "2"), ("b", "2")])]
    [0.667, 0.667, 0.667]
    """
    if not items:
        return 0.0, 0.0, 0.0
    by_gold: dict[str, Counter[str]] = defaultdict(Counter)
    by_sys: dict[str, Counter[str]] = defaultdict(Counter)
    for g, s in items:
        by_gold[g][s] += 1
        by_sys[s][g] += 1
    p = sum(by_sys[s][g] / sum(by_sys[s].values()) for g, s in items) / len(items)
    r = sum(by_gold[g][s] / sum(by_gold[g].values()) for g, s in items) / len(items)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(path: Path, *, jobs: int = 1, show: bool = False, reanalyze: bool = False) -> list[dict[str, Any]]:
    """Scores after ingesting the gold file into a fresh archive, and (``reanalyze``) again after
    ``khabar reanalyze --all``, which reads every article with the names the archive has learned."""
    from khabar.archive.runner import reanalyze as rerun

    articles = load(path)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        store, ids = ingest(articles, str(Path(tmp) / "gold.db"), jobs)
        seconds = time.perf_counter() - started
        out.append({"pass": "ingest", "ingest_s": round(seconds, 2),
                    **score(store, articles, ids, show=show and not reanalyze)})
        if reanalyze:
            learned = len(store.learned_names())
            rerun(store, everything=True, jobs=jobs)
            out.append({"pass": f"reanalyze ({learned} names learned)", "ingest_s": 0.0,
                        **score(store, articles, ids, show=show)})
        store.close()
    return out


def score(store: Any, articles: list[GoldArticle], ids: dict[str, int], *, show: bool = False) -> dict[str, Any]:
    rows: list[tuple[GoldArticle, GoldMention, SysRef | None]] = []
    ner: Counter[str] = Counter()
    stray: list[str] = []
    for art in articles:
        refs = system_refs(store, ids[art.id])
        found = match(art.mentions, refs)
        # A bare role or untagged name the archive resolved to a person where the gold has no
        # mention at all: a link B-cubed over the gold mentions cannot see, counted apart.
        stray += [f"{art.id} {art.text[r.start:r.end]!r} → {r.entity}" for r in refs
                  if r.kind == "role" and not r.entity.startswith("<")
                  and not any(g.start < r.end and r.start < g.end for g in art.mentions)]
        for gi, g in enumerate(art.mentions):
            rows.append((art, g, found.get(gi)))
        # NER: stored mentions against gold names; mentions on a gold role are not names.
        doc = store.articles([ids[art.id]])[0].doc
        gold_names = {(g.start, g.end, g.label) for g in art.mentions if not g.role}
        roles = [(g.start, g.end) for g in art.mentions if g.role]
        pred = {(m["raw_start"], m["raw_end"], m["label"]) for m in doc.get("mentions") or ()
                if m.get("label") in ("PER", "ORG", "LOC")
                and not any(a <= m["raw_start"] and m["raw_end"] <= b for a, b in roles)}
        ner.update(tp=len(gold_names & pred), fp=len(pred - gold_names), fn=len(gold_names - pred))
    sys_of = [(r.entity if r is not None else f"<unfound {i}>") for i, (_, _, r) in enumerate(rows)]
    out: dict[str, Any] = {"articles": len(articles), "mentions": len(rows),
                           "found": sum(r is not None for _, _, r in rows), "stray": len(stray)}
    for name, keep in (("PER", lambda g: g.label == "PER"), ("ORG", lambda g: g.label == "ORG"),
                       ("LOC", lambda g: g.label == "LOC"), ("all", lambda g: True)):
        items = [(g.key, s) for (_, g, _), s in zip(rows, sys_of, strict=True) if keep(g)]
        out[f"bcubed {name}"] = bcubed(items)
    # The system entity of each gold person: the one most of its named mentions got.
    named: dict[str, Counter[str]] = defaultdict(Counter)
    for (_, g, r), s in zip(rows, sys_of, strict=True):
        if not g.role and r is not None:
            named[g.key][s] += 1
    target = {k: c.most_common(1)[0][0] for k, c in named.items()}
    articles_of: dict[str, set[str]] = defaultdict(set)
    for (art, _, r), s in zip(rows, sys_of, strict=True):
        if r is not None:
            articles_of[s].add(art.id)
    right: Counter[tuple[str, bool]] = Counter()
    wrong: list[str] = []
    for (art, g, r), s in zip(rows, sys_of, strict=True):
        if not g.role:
            continue
        kind = "open" if g.key.startswith("?") else "held"
        ok = (articles_of.get(s, {art.id}) <= {art.id}) if kind == "open" else (r is not None and target.get(g.key) == s)
        right[kind, ok] += 1
        if not ok:
            wrong.append(f"{art.id} role {g.text!r} → {s} (gold {g.key}, expected {target.get(g.key, 'its own')})")
    held = right["held", True] + right["held", False]
    opened = right["open", True] + right["open", False]
    out["roles held"] = (right["held", True], held)
    out["roles open"] = (right["open", True], opened)
    out["role accuracy"] = (right["held", True] + right["open", True]) / max(1, held + opened)
    out["ner"] = prf(ner["tp"], ner["fp"], ner["fn"])
    if show:
        by_key: dict[str, Counter[str]] = defaultdict(Counter)
        for (_, g, _), s in zip(rows, sys_of, strict=True):
            by_key[g.key][s] += 1
        for key, c in sorted(by_key.items()):
            if len(c) > 1:
                print(f"  split   {key}: {dict(c)}")
        by_sys: dict[str, Counter[str]] = defaultdict(Counter)
        for (_, g, _), s in zip(rows, sys_of, strict=True):
            by_sys[s][g.key] += 1
        for s, c in sorted(by_sys.items()):
            if len(c) > 1:
                print(f"  merged  {s}: {dict(c)}")
        for line in wrong:
            print(f"  {line}")
        for line in stray:
            print(f"  stray   {line}")
        for art, g, r in rows:
            if r is None:
                doc = store.articles([ids[art.id]])[0].doc
                near = [f"{m['text']}/{m.get('label')}" for m in doc.get("mentions") or ()
                        if m["raw_start"] < g.end and g.start < m["raw_end"]]
                print(f"  unfound {art.id} {g.text!r} ({g.key}{', role' if g.role else ''})"
                      + (f"; khabar there: {', '.join(near)}" if near else ""))
    return out


def report(path: Path, res: dict[str, Any]) -> None:
    print(f"== {path.name}, {res['pass']}: {res['articles']} articles, {res['mentions']} gold mentions, "
          f"{res['found']} found by khabar" + (f"; ingest {res['ingest_s']} s" if res["ingest_s"] else ""))
    print(f"{'':18}{'P':>7}{'R':>7}{'F1':>7}")
    for k in ("bcubed PER", "bcubed ORG", "bcubed LOC", "bcubed all", "ner"):
        p, r, f = res[k]
        print(f"{k:18}{p:7.3f}{r:7.3f}{f:7.3f}")
    (hr, hn), (orr, on) = res["roles held"], res["roles open"]
    print(f"role resolution   {res['role accuracy']:.3f}  (holder named in the set {hr}/{hn}, "
          f"never named {orr}/{on})")
    print(f"resolved references on no gold mention (roles, untagged speakers and surnames): {res['stray']}")


def list_references(path: Path, n: int, jobs: int) -> None:
    """Real news has no identity gold: what the archive resolved beyond the model's names (untagged
    speakers, sentence-opening surnames), each with its sentence, for a reader to judge."""
    import json

    from khabar.archive.runner import ingest as run
    from khabar.archive.storage import open_storage

    raws = []
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= n:
                break
            rec = json.loads(line)
            raws.append(RawArticle(rec["text"], f"{path.name}:{i}", "text", url=rec.get("url") or f"https://x.invalid/{i}",
                                   published=(rec.get("date") or "")[:10] or None, outlet=rec.get("outlet")))
    with tempfile.TemporaryDirectory() as tmp:
        store = open_storage(str(Path(tmp) / "real.db"))
        summary = run([], store, jobs=jobs, articles=raws)
        rows = store._query("SELECT article_id, start, \"end\", text, identity_id, reason FROM role_mentions "
                            "WHERE office = '' AND identity_id != '' ORDER BY reason, article_id, start")
        for article_id, start, end, text, ident, reason in rows:
            doc = store.articles([article_id])[0].doc
            body = doc["text"]
            a, b = body.rfind(".", 0, start) + 1, body.find(".", end)
            print(f"{article_id:6} {text} → {ident}  [{reason.split(',')[0]}]\n         {body[a:b if b > 0 else None].strip()[:160]}")
        print(f"{len(rows)} references resolved beyond the model's names in {summary.added} articles")
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, nargs="+", default=GOLDS)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--show", action="store_true")
    ap.add_argument("--reanalyze", action="store_true",
                    help="score again after `khabar reanalyze --all` (the names the archive learned)")
    ap.add_argument("--references", type=Path, metavar="JSONL",
                    help="instead: ingest the first --n articles of a crawl (../shared/data/news/*.jsonl) and list "
                         "every untagged speaker and sentence-opening surname the archive resolved, to read by hand")
    ap.add_argument("--n", type=int, default=1500)
    args = ap.parse_args()
    if args.references:
        list_references(args.references, args.n, args.jobs)
        return
    for path in args.gold:
        for res in evaluate(path, jobs=args.jobs, show=args.show, reanalyze=args.reanalyze):
            report(path, res)


if __name__ == "__main__":
    main()
