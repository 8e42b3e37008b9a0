"""JSON read without re-encoding: SQLite's JSON functions copy every number and string token as written.

DuckDB, orjson and the json module all turn numbers into doubles or integers and write them back in their
own spelling (``1.50`` → ``1.5``, ``123456789.123456789`` rounded). Where the kit must hand on JSON exactly
as a source or a server wrote it, it cuts the text out with SQLite's ``->`` operator (SQLite 3.38+).
"""

from __future__ import annotations

import sqlite3

from airbyte_dest_kit.errors import SystemFailure

MINIMUM_SQLITE = (3, 38, 0)


def exact_json_connection() -> sqlite3.Connection:
    """An in-memory SQLite connection for ``->`` extractions; one thread at a time may use it."""
    if sqlite3.sqlite_version_info < MINIMUM_SQLITE:
        raise SystemFailure(
            f"this Python's SQLite is {sqlite3.sqlite_version}; keeping JSON exactly as written needs SQLite "
            f"{'.'.join(map(str, MINIMUM_SQLITE))} or later (use a Python build that bundles a newer SQLite)"
        )
    return sqlite3.connect(":memory:", check_same_thread=False)
