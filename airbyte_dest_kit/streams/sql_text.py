"""Names and strings spelled for SQL (DuckDB's, and the standard's): every query the kit generates uses these."""

from __future__ import annotations


def quote(identifier: str) -> str:
    """``identifier`` as a quoted SQL identifier, whatever characters it holds."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
