"""Reading what a user types into a query tree (:mod:`khabar.archive.query`).

A query is words (``تورم``), phrases (``"بانک مرکزی"``), prefixes (``اقتصاد*``), ``AND`` / ``OR`` /
``NOT`` and parentheses; words side by side must all appear. Every word and phrase goes through
:func:`khabar.archive.keys.search_key` — the one folding the index was built with — so ``می کند``,
``میکند``, ``می‌کند`` and ``ميكند`` give the same terms. A query that cannot be read (a stray ``)``,
a dangling ``OR``) raises :class:`~khabar.errors.InvalidInput` saying where.

>>> parse_query('"بانک مرکزی" OR تورم*').root
Or(children=(Term(tokens=('بانک', 'مرکزی'), prefix=False), Term(tokens=('تورم',), prefix=True)))
>>> parse_query("می کند").root == parse_query("ميكند").root
True
"""

from __future__ import annotations

import re

from khabar.archive.keys import query_tokens
from khabar.archive.query import And, Node, Not, Or, ParsedQuery, Term, validate
from khabar.errors import InvalidInput

__all__ = ["MAX_QUERY_CHARS", "MAX_TERMS", "parse_query"]

MAX_QUERY_CHARS = 1000
MAX_TERMS = 64
# Parentheses and NOTs nest at most this deep (each level is a recursion of the parser: 330 nested
# parentheses once ended in a RecursionError).
MAX_DEPTH = 32
_LEX = re.compile(r'\s+|"[^"]*"?|\(|\)|[^\s"()]+')
_OPERATORS = ("AND", "OR", "NOT")


def parse_query(text: str) -> ParsedQuery:
    """Parse a search query; raises :class:`InvalidInput` (with the position) for one that cannot be read.

    >>> parse_query("تورم NOT بورس").root
    And(children=(Term(tokens=('تورم',), prefix=False), Not(child=Term(tokens=('بورس',), prefix=False))))
    >>> parse_query('NEAR "بانک').root
    And(children=(Term(tokens=('near',), prefix=False), Term(tokens=('بانک',), prefix=False)))
    >>> parse_query("تورم OR")
    Traceback (most recent call last):
    ...
    khabar.errors.InvalidInput: the query ends with OR: put a word after it, or write "OR" in quotes to search for it
    """
    if not isinstance(text, str):
        raise TypeError(f"query must be str, not {type(text).__name__}")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"the query is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}")
    parser = _Parser(text)
    root = parser.parse()
    if len(parser.terms) > MAX_TERMS:
        raise InvalidInput(f"the query has {len(parser.terms)} terms; the limit is {MAX_TERMS}")
    if root is not None:
        validate(root)  # refuse now (with a message) what no backend could run
    return ParsedQuery(text, root, tuple(parser.terms))


class _Parser:
    """Recursive descent over ``OR`` > implicit/explicit ``AND`` > ``NOT`` > atoms."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[tuple[str, str, int]] = []  # (kind, value, position)
        self.pos = 0
        self.depth = 0
        self.terms: list[Term] = []
        for m in _LEX.finditer(text):
            value = m.group()
            if value.isspace():
                continue
            if value.startswith('"'):
                self.items.append(("phrase", value.strip('"'), m.start()))
            elif value in "()":
                self.items.append((value, value, m.start()))
            elif value in _OPERATORS:
                self.items.append(("op", value, m.start()))
            else:
                self.items.append(("word", value, m.start()))

    def peek(self) -> tuple[str, str, int] | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def parse(self) -> Node | None:
        if not self.items:
            return None
        node = self.parse_or()
        item = self.peek()
        if item is not None:
            raise InvalidInput(f"unbalanced parenthesis: the ')' at position {item[2] + 1} has no '(' before it "
                               "(remove it, or put the text in quotes)")
        return node

    def parse_or(self) -> Node | None:
        children = [self.parse_and()]
        while (item := self.peek()) and item[:2] == ("op", "OR"):
            self.pos += 1
            if self.peek() is None or self.peek()[0] == ")":  # type: ignore[index]
                raise InvalidInput('the query ends with OR: put a word after it, or write "OR" in quotes to search for it')
            children.append(self.parse_and())
        kept = [c for c in children if c is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Or(tuple(kept))

    def parse_and(self) -> Node | None:
        children: list[Node] = []
        while (item := self.peek()) is not None:
            kind, value, at = item
            if kind == ")" or (kind == "op" and value == "OR"):
                break
            if kind == "op" and value == "AND":
                self.pos += 1
                nxt = self.peek()
                if not children or nxt is None or nxt[0] == ")" or nxt[:2] == ("op", "OR"):
                    raise InvalidInput(f'AND at position {at + 1} needs a word on each side (write "AND" in quotes '
                                       "to search for it)")
                continue
            node = self.parse_unary()
            if node is not None:
                children.extend(node.children if isinstance(node, And) else (node,))
        if not children:
            return None
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self) -> Node | None:
        kind, value, at = self.items[self.pos]
        if kind == "(" or (kind == "op" and value == "NOT"):
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    raise InvalidInput(f"the query nests parentheses or NOTs more than {MAX_DEPTH} deep (at position "
                                       f"{at + 1}); write it flatter")
                return self._nested(kind, value, at)
            finally:
                self.depth -= 1
        return self._atom(kind, value)

    def _nested(self, kind: str, value: str, at: int) -> Node | None:
        if kind == "op" and value == "NOT":
            self.pos += 1
            nxt = self.peek()
            if nxt is None or nxt[0] == ")" or (nxt[0] == "op" and nxt[1] != "NOT"):
                raise InvalidInput(f'NOT at position {at + 1} needs a word after it (write "NOT" in quotes to search '
                                   "for it)")
            child = self.parse_unary()
            if isinstance(child, And) and self.items[self.pos - 1][0] == "word":
                # NOT binds to one word of a run of plain words: «NOT بورس تورم» excludes بورس only.
                return And((Not(child.children[0]), *child.children[1:]))
            return Not(child) if child is not None else None
        if kind == "(":
            self.pos += 1
            node = self.parse_or()
            if self.peek() is None:
                raise InvalidInput(f"unbalanced parenthesis: the '(' at position {at + 1} is never closed "
                                   "(add a ')', or put the text in quotes)")
            self.pos += 1  # the ")"
            return node
        return None  # pragma: no cover - only called for "(" and NOT

    def _atom(self, kind: str, value: str) -> Node | None:
        if kind == "phrase":
            self.pos += 1
            return self._term(value, phrase=True)
        # Consecutive plain words are folded together, so a ZWNJ written as a space (می کند) is
        # repaired by the same restoration the index went through.
        words = []
        while (item := self.peek()) is not None and item[0] == "word":
            words.append(item[1])
            self.pos += 1
            if item[1].endswith("*"):
                break
        prefix = words[-1].endswith("*")
        text = " ".join(words).rstrip("*")
        tokens = query_tokens(text)
        if not tokens:
            return None
        terms = [Term((tok,)) for tok in tokens[:-1]] + [Term((tokens[-1],), prefix=prefix)]
        self.terms.extend(terms)
        return terms[0] if len(terms) == 1 else And(tuple(terms))

    def _term(self, text: str, *, phrase: bool) -> Node | None:
        tokens = query_tokens(text)
        if not tokens:
            return None
        term = Term(tuple(tokens))
        self.terms.append(term)
        return term
