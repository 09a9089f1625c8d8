"""Full text on PostgreSQL: the same tokens as SQLite's index, as a ``tsvector``; query trees as ``tsquery``.

PostgreSQL has no Persian text-search configuration, and its parser (even under ``simple``) reads
Persian by the database's character locale. So the lexemes are made here, from the same folded
search key the SQLite index gets, split where SQLite's ``unicode61`` tokenizer splits (runs of
letters and digits), and written as a ``tsvector`` literal with their positions: the title's
weighted ``A``, the body's ``D``, one position apart so no phrase runs from title into body. A query
tree compiles to a ``tsquery`` of quoted lexemes: phrases with ``<->``, prefixes with ``:*``,
``&``, ``|`` and ``& !``. Both backends therefore find exactly the same articles.

>>> tsvector_literal("سفر وزیر", "وزیر به مسکو رفت")
"'به':5 'رفت':7 'سفر':1A 'مسکو':6 'وزیر':2A,4"
>>> to_tsquery(And((Term(("بانک", "مرکزی")), Not(Term(("تورم",), prefix=True)))))
"('بانک' <-> 'مرکزی') & !'تورم':*"
"""

from __future__ import annotations

import re
from itertools import chain, repeat

from khabar.archive.query import And, Node, Not, Or, Term

__all__ = ["MAX_POSITION", "fts_tokens", "to_tsquery", "tsvector_literal"]

# A token: a run of letters and digits (Unicode L* and N*), as FTS5's unicode61 tokenizer reads
# the folded key (which has no marks or joiners left).
_TOKEN = re.compile(r"[^\W_]+")
# PostgreSQL keeps positions up to this; later words share it (phrases that far into a very long
# article are not found, where SQLite would find them).
MAX_POSITION = 16383


def fts_tokens(key: str) -> list[str]:
    """The index tokens of a folded key.

    >>> fts_tokens("a_b ۵.۱ ریشتر")
    ['a', 'b', '۵', '۱', 'ریشتر']
    """
    return _TOKEN.findall(key)


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(title_key: str, body_key: str) -> str:
    """The ``tsvector`` of an article's folded title and text: title words at positions 1, 2, …
    (weight A), a gap, then the text's words; positions past :data:`MAX_POSITION` share it.

    >>> tsvector_literal("بازار امروز", "بازار سکه")
    "'امروز':2A 'بازار':1A,4 'سکه':5"
    """
    positions: dict[str, list[str]] = {}
    title = fts_tokens(title_key)
    body = fts_tokens(body_key)
    nt = min(len(title), MAX_POSITION)
    nb = max(0, min(len(body), MAX_POSITION - nt - 1))  # text words below the last position
    # Position labels in the order the words come, then grouped by word.
    labels = chain(map("{}A".format, range(1, nt + 1)), repeat(f"{MAX_POSITION}A", len(title) - nt),
                   map(str, range(nt + 2, nt + 2 + nb)), repeat(str(MAX_POSITION), len(body) - nb))
    for tok, label in zip(chain(title, body), labels, strict=True):
        got = positions.get(tok)
        if got is None:
            positions[tok] = [label]
        else:
            got.append(label)
    # Lexemes are letters and digits only (fts_tokens): quoted as they are, nothing to escape.
    return " ".join([f"'{lex}':{','.join(p)}" for lex, p in sorted(positions.items())])


def to_tsquery(node: Node) -> str:
    """The ``tsquery`` of a query tree, every lexeme quoted (nothing a user typed runs as syntax)."""
    if isinstance(node, Term):
        lexemes = [lex for tok in node.tokens for lex in fts_tokens(tok)]
        if not lexemes:  # query_tokens never gives such a term
            raise ValueError(f"a term without letters or digits: {node.tokens!r}")
        parts = [_quote(lex) for lex in lexemes]
        if node.prefix:
            parts[-1] += ":*"
        return parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"
    if isinstance(node, And):
        pos = [c for c in node.children if not isinstance(c, Not)]
        neg = [c.child for c in node.children if isinstance(c, Not)]
        out = " & ".join(_group(c) for c in pos)
        return out + "".join(f" & !{_group(c)}" for c in neg)
    if isinstance(node, Or):
        return " | ".join(_group(c) for c in node.children)
    raise ValueError("a NOT stands only beside words to exclude from (validate the tree first)")


def _group(node: Node) -> str:
    text = to_tsquery(node)
    return f"({text})" if isinstance(node, (And, Or)) and len(node.children) > 1 else text
