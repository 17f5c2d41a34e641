"""Oracle's ROWNUM pseudocolumn for SuiteQL, translated to what the SQLite mirror runs.

SuiteQL takes Oracle syntax, and ``WHERE ROWNUM <= n`` is how SuiteQL users cap a result. Oracle
numbers each row as it passes the WHERE clause, before GROUP BY, DISTINCT and ORDER BY, so:

- ``ROWNUM <= n`` / ``ROWNUM < n`` / ``ROWNUM = 1`` (or the mirrored ``n >= ROWNUM``) keep the first
  rows and become ``LIMIT`` on that query block; ``ROWNUM = k`` (k > 1), ``ROWNUM > k`` (k >= 1) and
  ``ROWNUM >= k`` (k > 1) can never hold (the first candidate is always row 1) and keep no row;
  ``ROWNUM > 0`` and ``ROWNUM >= 1`` keep every row.
- ``ROWNUM`` in the select list numbers the rows: ``ROW_NUMBER() OVER ()``.

``LIMIT`` is only the same as Oracle's row cap when nothing in the block runs after it would in
Oracle (ORDER BY, GROUP BY, DISTINCT, aggregates, set operators); such blocks, ROWNUM under OR and
ROWNUM anywhere else are refused rather than answered differently from NetSuite. The usual top-N
form, ordering in a subquery and capping outside it, is a block without any of those.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|\s+|\w+|<=|>=|<>|!=|.""", re.DOTALL)
_CLAUSES = frozenset({"select", "from", "where", "group", "having", "order"})
_CAP_SPOILERS = frozenset({"order", "group", "having", "distinct", "union", "intersect", "except", "minus",
                           "limit", "offset", "fetch", "count", "sum", "min", "max", "avg", "listagg"})
_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}
TOP_N_HINT = ("Cap rows with ROWNUM in a block that has no ORDER BY, GROUP BY, DISTINCT or aggregate: "
              "SELECT * FROM (SELECT ... ORDER BY ...) WHERE ROWNUM <= n.")


class RownumError(ValueError):
    """A use of ROWNUM the simulator does not model; the caller answers NetSuite's invalid query."""


@dataclass
class _Block:
    """One query block: token indexes from ``start`` to ``end`` (exclusive) at paren depth ``depth``."""

    start: int
    end: int
    depth: int


def translate(sql: str) -> str:
    """``sql`` with every ROWNUM rewritten for SQLite; raises ``RownumError`` for unmodelled forms."""
    if "rownum" not in sql.lower():   # no ROWNUM token without the word: skip tokenizing the query
        return sql
    tokens = _TOKEN.findall(sql)
    if not any(token.lower() == "rownum" for token in tokens):
        return sql
    depths = _depths(tokens)
    limits: dict[int, int] = {}                  # block end index -> row cap
    for index, token in enumerate(tokens):
        if token.lower() != "rownum":
            continue
        block = _block(tokens, depths, index)
        clause = _clause(tokens, depths, block, index)
        if clause == "select":
            tokens[index] = "ROW_NUMBER() OVER ()" + ("" if _has_alias(tokens, depths, block, index) else " AS rownum")
        elif clause == "where":
            cap = _where_cap(tokens, depths, block, index)
            if cap is not None:
                limits[block.end] = min(cap, limits.get(block.end, cap))
        else:
            raise RownumError(f"ROWNUM in the {clause.upper() or 'FROM'} clause is not supported here. {TOP_N_HINT}")
    for end in sorted(limits, reverse=True):
        tokens.insert(end, f" LIMIT {limits[end]} ")
    return "".join(tokens)


def _depths(tokens: list[str]) -> list[int]:
    depths, depth = [], 0
    for token in tokens:
        if token == ")":
            depth -= 1
        depths.append(depth)
        if token == "(":
            depth += 1
    return depths


def _block(tokens: list[str], depths: list[int], index: int) -> _Block:
    depth = depths[index]
    start = index
    while start > 0 and not (depths[start - 1] == depth - 1 and tokens[start - 1] == "("):
        start -= 1
    end = index
    while end < len(tokens) and not (depths[end] == depth - 1 and tokens[end] == ")"):
        end += 1
    return _Block(start, end, depth)


def _level(tokens: list[str], depths: list[int], block: _Block, start: int, stop: int) -> list[tuple[int, str]]:
    """The significant tokens of ``block`` between ``start`` and ``stop``, lower-cased, at its own depth."""
    return [(i, tokens[i].lower()) for i in range(start, stop)
            if depths[i] == block.depth and tokens[i].strip() and not tokens[i].startswith(("--", "/*"))]


def _has_alias(tokens: list[str], depths: list[int], block: _Block, index: int) -> bool:
    following = _level(tokens, depths, block, index + 1, block.end)
    return bool(following) and following[0][1] not in (",", "from")


def _clause(tokens: list[str], depths: list[int], block: _Block, index: int) -> str:
    keywords = [word for _, word in _level(tokens, depths, block, block.start, index) if word in _CLAUSES]
    return keywords[-1] if keywords else ""


def _where_cap(tokens: list[str], depths: list[int], block: _Block, index: int) -> int | None:
    """Blank out the ``ROWNUM <op> n`` conjunct at ``index``; -> the row cap, or None for no cap."""
    level = _level(tokens, depths, block, block.start, block.end)
    position = next(k for k, (i, _) in enumerate(level) if i == index)
    window = [word for _, word in level]
    if position + 2 < len(window) and window[position + 1] in _MIRRORED and window[position + 2].isdigit():
        first, last, op, bound = position, position + 2, window[position + 1], int(window[position + 2])
    elif position >= 2 and window[position - 1] in _MIRRORED and window[position - 2].isdigit():
        first, last, op, bound = position - 2, position, _MIRRORED[window[position - 1]], int(window[position - 2])
    else:
        raise RownumError(f"Only ROWNUM compared with a whole number (ROWNUM <= n) is supported here. {TOP_N_HINT}")
    before = window[first - 1] if first else ""
    after = window[last + 1] if last + 1 < len(window) else ""
    if before not in ("where", "and") or after not in ("", "and", "order", "group", "having"):
        raise RownumError(f"ROWNUM must be a condition of its own, joined with AND. {TOP_N_HINT}")
    spoilers = sorted({word for word in window if word in _CAP_SPOILERS})
    if spoilers:
        raise RownumError(f"ROWNUM with {', '.join(w.upper() for w in spoilers)} in the same query "
                          f"is not supported here. {TOP_N_HINT}")
    keep_all = "1 = 1"
    for i, _ in level[first:last + 1]:
        tokens[i] = ""
    tokens[level[first][0]] = keep_all
    return _cap(op, bound)


def _cap(op: str, bound: int) -> int | None:
    """How many rows Oracle keeps for ``ROWNUM <op> bound`` (None: all of them)."""
    if op == "<=":
        return max(bound, 0)
    if op == "<":
        return max(bound - 1, 0)
    if op == "=":
        return 1 if bound == 1 else 0
    if op == ">":
        return None if bound < 1 else 0
    return None if bound <= 1 else 0           # >=
