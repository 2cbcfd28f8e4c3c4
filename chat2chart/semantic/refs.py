# SPDX-License-Identifier: MIT
"""References inside a model's SQL snippets, Cube style, and their parsing into sqlglot trees.

`{CUBE}` (or `${CUBE}`) is the cube itself, `{orders}` another cube, `{revenue}` a member of the same
cube and `{customers.segment}` a member of another. Snippets are parsed once with the references
swapped for placeholder identifiers; the caller then says what each reference becomes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from chat2chart.core.errors import QueryError
from chat2chart.sources import sqlfunctions

_REF = re.compile(r"\$?\{([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?\}")
_TABLE = "aisercube__"
_MEMBER = "aisermember__"


@dataclass(frozen=True)
class Ref:
    """A `{...}` reference: to a cube (`member` None) or to a member of `cube`."""

    cube: str
    member: str | None


def references(sql: str, cube: str, member_names: set[str]) -> list[Ref]:
    """Every reference in `sql`, written inside `cube` whose members are `member_names`."""
    found = []
    for match in _REF.finditer(sql):
        found.append(_classify(match, sql, cube, member_names))
    return found


def _classify(match: re.Match[str], sql: str, cube: str, member_names: set[str]) -> Ref:
    first, second = match.group(1), match.group(2)
    if second is not None:
        return Ref(cube if first == "CUBE" else first, second)
    if first == "CUBE":
        return Ref(cube, None)
    followed_by_dot = sql[match.end() : match.end() + 1] == "."
    if first in member_names and not followed_by_dot:
        return Ref(cube, first)
    return Ref(first, None)


def parse_snippet(
    sql: str,
    *,
    cube: str,
    member_names: set[str],
    dialect: str,
    table: Callable[[str], exp.Expr],
    member: Callable[[str, str], exp.Expr],
) -> exp.Expr:
    """Parse a SQL expression of `cube`; `table(name)` gives a cube's alias, `member(cube, name)` a
    member's expression. Unqualified columns belong to `cube`. Raises QueryError on bad SQL, on
    subqueries and on functions outside the read-only allow-list."""
    refs: dict[str, Ref] = {}

    def swap(match: re.Match[str]) -> str:
        ref = _classify(match, sql, cube, member_names)
        key = f"{_TABLE}{ref.cube}" if ref.member is None else f"{_MEMBER}{len(refs)}"
        refs[key] = ref
        return key

    text = _REF.sub(swap, sql)
    try:
        tree = sqlglot.parse_one(text, read=dialect)
    except SqlglotError as exc:
        raise QueryError(f"could not parse the SQL `{sql}`: {str(exc).splitlines()[0]}") from exc
    _refuse_unsafe(tree, sql, dialect)

    def resolve(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Column):
            return node
        if not node.table and node.name in refs and refs[node.name].member is not None:
            ref = refs[node.name]
            return exp.Paren(this=member(ref.cube, ref.member or ""))
        owner = refs[node.table].cube if node.table in refs else cube
        if node.table and node.table not in refs:
            raise QueryError(f"`{sql}` names the table '{node.table}'; refer to cubes as {{name}}")
        return exp.Column(this=node.this.copy(), table=table(owner))

    return tree.transform(resolve)


def _refuse_unsafe(tree: exp.Expr, sql: str, dialect: str) -> None:
    for node in tree.walk():
        if isinstance(node, exp.Query | exp.Table | exp.Placeholder | exp.Parameter):
            raise QueryError(f"`{sql}` must be a plain expression: no subqueries, tables or parameters")
        if isinstance(node, exp.Func) and not sqlfunctions.allowed(node, dialect):  # type: ignore[arg-type]
            name = sqlfunctions.called_name(node, dialect)  # type: ignore[arg-type]
            raise QueryError(f"the function {name}() is not allowed in `{sql}`")
