"""Table and column names: kept as the source spells them, quoted, with one rule for what must change.

The rule, the same for every writer (each dialect supplies its length limit and case sensitivity):

1. A name is used exactly as the source spells it (unicode, spaces, reserved words and all); writers
   always quote identifiers.
2. A name longer than the dialect's limit (counted in UTF-8 bytes) keeps its first characters and ends
   in ``_`` + the first 8 hex digits of the SHA-256 of the full name, so two long names never collide.
3. Names that would collide once compared the way the database compares them (case-insensitively on
   DuckDB and MySQL; also against the ``_airbyte_*`` columns) are resolved in schema order: the first
   keeps its name, later ones get ``_1``, ``_2``, … (rule 2 applied again if that makes them too long).
4. An empty name becomes ``_``, and a NUL character (which no database keeps in a name: DuckDB cuts the
   name there, PostgreSQL refuses it) becomes ``_``, before rules 2 and 3.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def fit_name(name: str, max_bytes: int | None) -> str:
    """Rule 2: ``name`` itself if it fits, else a prefix plus a hash of the whole name."""
    if max_bytes is None or len(name.encode()) <= max_bytes:
        return name
    suffix = "_" + hashlib.sha256(name.encode()).hexdigest()[:8]
    keep = max_bytes - len(suffix)
    head = name.encode()[:keep].decode(errors="ignore")  # never cut a character in half
    return head + suffix


def unique_names(
    names: Iterable[str], *, max_bytes: int | None, case_sensitive: bool, taken: Iterable[str] = ()
) -> list[str]:
    """Apply the naming rule to ``names`` in order; ``taken`` are names already in use (meta columns)."""

    def canonical(name: str) -> str:
        return name if case_sensitive else name.casefold()

    used = {canonical(n) for n in taken}
    result = []
    for original in names:
        base = (original or "_").replace("\x00", "_")
        candidate = fit_name(base, max_bytes)
        counter = 0
        while canonical(candidate) in used:
            counter += 1
            candidate = fit_name(f"{base}_{counter}", max_bytes)
        used.add(canonical(candidate))
        result.append(candidate)
    return result
