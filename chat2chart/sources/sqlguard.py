# SPDX-License-Identifier: MIT
"""The gate in front of the SQL editor: one read-only SELECT over the source's own tables.

The user's text is parsed with sqlglot and checked node by node: statements that write, other
schemas' tables and every function not on the allow-list of `sqlfunctions` are refused. What
runs is SQL regenerated from the checked tree (comments dropped), never the text as typed. This
is a guard in front of the real boundaries (read-only transactions, database roles, a
locked-down DuckDB), not a replacement for them.
"""

from __future__ import annotations

import itertools

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from chat2chart.core.errors import QueryError
from chat2chart.sources import sqlfunctions
from chat2chart.sources.compiler import DIALECTS, Dialect

_WRITE_NODES: tuple[type[exp.Expr], ...] = (
    exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.Copy,
    exp.Command, exp.Set, exp.Pragma, exp.Attach, exp.Detach, exp.Install, exp.Use, exp.Transaction,
    exp.Commit, exp.Rollback, exp.LoadData, exp.TruncateTable, exp.Grant, exp.Revoke,
)  # fmt: skip
_LOCK_WORDS = frozenset({"UPDATE", "SHARE", "NO", "KEY"})
# Spark reads `parquet.`/any/path`` as a table: a "schema" named after a file format is a file read.
SPARK_FILE_FORMATS = frozenset(
    {"parquet", "csv", "json", "orc", "text", "avro", "delta", "binaryfile", "jdbc"}
)


def check_select(
    sql: str,
    dialect: Dialect,
    *,
    allowed_tables: set[str],
    schema: str | None = None,
    max_rows: int | None = None,
) -> str:
    """Return `sql` normalised if it is one read-only SELECT over `allowed_tables`, else refuse.

    Table names compare case-insensitively; a table may be qualified only with `schema` (the
    source's own schema or database). With `max_rows`, the result is capped at max_rows + 1 rows so
    the caller can tell a truncated answer. For postgres and mysql the text is in the drivers'
    pyformat style (a literal % is written %%): run it with an empty parameter list.
    """
    if dialect not in DIALECTS:
        raise QueryError(f"unknown SQL dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")
    _refuse_locking_reads(sql, dialect)
    tree = _parse_one(sql, dialect)
    _refuse_non_select(tree)
    _refuse_forbidden_nodes(tree, dialect)
    _refuse_foreign_tables(tree, {t.lower() for t in allowed_tables}, schema)
    if max_rows is not None:
        tree = _cap(tree, max_rows + 1)
    text = tree.sql(dialect=dialect, comments=False)
    return text.replace("%", "%%") if dialect in ("postgres", "mysql") else text


def require_read_only(sql: str, dialect: Dialect) -> None:
    """Refuse `sql` unless it is one SELECT that writes nothing and calls only allowed functions.

    For engines without read-only sessions (Spark): the last check before compiled SQL (which may
    hold `?` placeholders, unlike the editor's) or an editor's checked SQL runs. Raises QueryError.
    """
    _refuse_locking_reads(sql, dialect)
    tree = _parse_one(sql, dialect)
    _refuse_non_select(tree)
    for node in tree.walk():
        if isinstance(node, (*_WRITE_NODES, exp.Into)):
            raise QueryError(f"only read-only SELECT queries can run here; found {_describe(node)}")
        in_from = isinstance(node.parent, exp.Table)
        if isinstance(node, exp.Func) and not in_from and not sqlfunctions.allowed(node, dialect):
            raise QueryError(f"the function {sqlfunctions.called_name(node, dialect)}() is not allowed here")
        if isinstance(node, exp.Table) and dialect == "spark" and node.db.lower() in SPARK_FILE_FORMATS:
            raise QueryError(f"'{node.sql(dialect=dialect)}' reads files directly; query the source's tables")


def _parse_one(sql: str, dialect: str) -> exp.Expr:
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except SqlglotError as exc:
        raise QueryError(f"could not parse the SQL: {str(exc).splitlines()[0]}") from exc
    if not statements:
        raise QueryError("the SQL is empty; write one SELECT statement")
    if len(statements) > 1:
        raise QueryError(f"only one statement may run at a time; found {len(statements)}")
    return statements[0]


def _refuse_locking_reads(sql: str, dialect: str) -> None:
    # Some dialects' parsers drop FOR UPDATE with only a warning, so look at the tokens themselves.
    try:
        tokens = sqlglot.tokenize(sql, read=dialect)
    except SqlglotError as exc:
        raise QueryError(f"could not parse the SQL: {str(exc).splitlines()[0]}") from exc
    for token, following in itertools.pairwise(tokens):
        if token.token_type == TokenType.FOR and following.text.upper() in _LOCK_WORDS:
            raise QueryError("locking reads (FOR UPDATE / FOR SHARE) are not allowed; remove the FOR clause")


def _refuse_non_select(tree: exp.Expr) -> None:
    root = tree.this if isinstance(tree, exp.Subquery) else tree
    if isinstance(root, exp.Select | exp.SetOperation):
        return
    kind = type(root).__name__.upper()
    if isinstance(root, exp.Command):
        kind = str(root.this).upper()
    raise QueryError(f"only SELECT queries can run here; this is a {kind} statement")


def _refuse_forbidden_nodes(tree: exp.Expr, dialect: Dialect) -> None:
    for node in tree.walk():
        if isinstance(node, _WRITE_NODES):
            raise QueryError(f"only read-only SELECT queries can run here; found {_describe(node)}")
        if isinstance(node, exp.Into):
            raise QueryError("SELECT INTO writes a table; only plain SELECT queries can run here")
        if isinstance(node, exp.Lock):
            raise QueryError("locking reads (FOR UPDATE / FOR SHARE) are not allowed; remove the FOR clause")
        if isinstance(node, exp.Placeholder | exp.Parameter):
            raise QueryError("query parameters are not supported here; write the values into the SQL")
        if isinstance(node, exp.UDTF) and isinstance(node.parent, exp.From | exp.Join):
            raise QueryError(f"table functions such as {_describe(node)} are not allowed in FROM")
        # A function in FROM is a table function, refused with the tables below.
        in_from = isinstance(node.parent, exp.Table)
        if isinstance(node, exp.Func) and not in_from and not sqlfunctions.allowed(node, dialect):
            raise QueryError(
                f"the function {sqlfunctions.called_name(node, dialect)}() is not allowed here; use the "
                "built-in read-only functions (aggregate, math, text, date and time, conditional, cast "
                "and window functions)"
            )


def _refuse_foreign_tables(tree: exp.Expr, allowed: set[str], schema: str | None) -> None:
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise QueryError(f"table functions such as {_describe(table.this)} are not allowed in FROM")
        name = table.name
        if table.args.get("catalog") is not None or (
            table.db and (schema is None or table.db.lower() != schema.lower())
        ):
            raise QueryError(
                f"'{table.sql()}' refers to another schema or database; use the table name alone"
            )
        if not table.db and name in _ctes_in_scope(table):
            continue
        if name.lower() not in allowed:
            raise QueryError(f"table '{name}' is not part of this source; query one of its tables")


def _ctes_in_scope(node: exp.Expr) -> set[str]:
    """CTE names visible at `node`: a non-recursive CTE cannot see itself or later siblings."""
    names: set[str] = set()
    child, parent = node, node.parent
    while parent is not None:
        with_ = parent.args.get("with_") or parent.args.get("with")
        if isinstance(with_, exp.With):
            ctes = list(with_.expressions)
            if child is with_:
                inside = next((i for i, cte in enumerate(ctes) if _contains(cte, node)), len(ctes))
                visible = ctes[: inside + 1] if with_.args.get("recursive") else ctes[:inside]
            else:
                visible = ctes
            names.update(cte.alias for cte in visible)
        child, parent = parent, parent.parent
    return names


def _contains(ancestor: exp.Expr, node: exp.Expr) -> bool:
    current: exp.Expr | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent
    return False


def _cap(tree: exp.Expr, limit: int) -> exp.Expr:
    if isinstance(tree, exp.Query) and tree.args.get("limit") is None and tree.args.get("offset") is None:
        return tree.limit(limit, copy=True)
    # The query has its own LIMIT; keep it and cap the outside.
    return exp.select("*").from_(exp.alias_(exp.Subquery(this=tree), "aiser_capped")).limit(limit)


def _describe(node: exp.Expr) -> str:
    if isinstance(node, exp.Anonymous):
        return f"{node.name}()"
    if isinstance(node, exp.Func):
        return f"{node.sql_name().lower()}()"
    return type(node).__name__.upper()
