"""The winner rule of append_dedup, written once: which version of a primary key is kept.

Versions of one key are ranked by, in order:

1. the cursor, greater wins; a NULL cursor is older than any value (and two NULLs tie);
2. ``_airbyte_extracted_at``, later wins;
3. arrival, later wins (``_ab_line`` inside one batch; a batch always arrived after the rows a table
   already holds; in a concatenation of stored rows, the later position).

The winner with a non-null ``_ab_cdc_deleted_at`` is a deletion: the key disappears from the table and
the winner is kept as a tombstone, so a version ranked below it that arrives later still loses.

Three forms of the same :func:`ranking`: :func:`batch_order_sql` (the typer's in-batch reduction, a
window ``ORDER BY``), :func:`existing_wins_sql` (a SQL store's merge of a reduced batch into a table),
and :func:`reduce_arrow` (stores that are not databases merge in Arrow).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from airbyte_dest_kit.layout import EXTRACTED_AT, LINE_NUMBER, StreamSpec

_POSITION = "_ab_position"


@dataclass(frozen=True)
class Term:
    column: str
    nullable: bool  # NULL ranks below every value


def ranking(stream: StreamSpec) -> list[Term]:
    """The ranking terms of rule 1 and 2; arrival (rule 3) depends on the form."""
    terms = [Term(stream.cursor, nullable=True)] if stream.cursor else []
    return terms + [Term(EXTRACTED_AT, nullable=False)]


def batch_order_sql(stream: StreamSpec, quote: Callable[[str], str]) -> str:
    """``ORDER BY`` of a window whose first row is each key's winner within one batch (DuckDB SQL)."""
    terms = [f"{quote(t.column)} DESC" + (" NULLS LAST" if t.nullable else "") for t in ranking(stream)]
    return ", ".join(terms + [f"{quote(LINE_NUMBER)} DESC"])


def existing_wins_sql(
    stream: StreamSpec, quote: Callable[[str], str], null_safe_equal: str = "{a} IS NOT DISTINCT FROM {b}"
) -> str:
    """A condition over an existing row ``t`` and a batch row ``b`` of the same key: true when ``t`` ranks
    above ``b``. Never NULL (a NULL would read as "existing does not win" in one place and keep a loser in
    another); on a full tie the batch wins, as it arrived later."""
    condition = "1 = 0"
    for term in reversed(ranking(stream)):
        t, b = f"t.{quote(term.column)}", f"b.{quote(term.column)}"
        greater = f"COALESCE({t} > {b}, 1 = 0)"
        if term.nullable:
            greater += f" OR ({t} IS NOT NULL AND {b} IS NULL)"
        condition = f"{greater} OR ({null_safe_equal.format(a=t, b=b)} AND ({condition}))"
    return f"({condition})"


def reduce_arrow(stream: StreamSpec, rows: pa.Table) -> pa.Table:
    """One row per primary key (NULL keys are one key): each key's winner, with later rows of ``rows``
    counting as later arrivals. Rows keep their columns; the order of the result is unspecified."""
    if rows.num_rows == 0:
        return rows
    ranked = rows.append_column(_POSITION, pa.array(range(rows.num_rows), pa.int64()))
    order = []
    for index, term in enumerate(ranking(stream)):
        if term.nullable:  # a NULL ranks below every value: sort on "has a value" first
            flag = f"_ab_has_{index}"
            ranked = ranked.append_column(flag, pc.is_valid(ranked.column(term.column)))
            order.append((flag, "ascending"))
        order.append((term.column, "ascending"))
    ordered = rows.take(pc.sort_indices(ranked, sort_keys=[*order, (_POSITION, "ascending")]))
    ranked = ordered.append_column("_ab_rank", pa.array(range(ordered.num_rows), pa.int64()))
    keys = list(stream.primary_key)
    winners = ranked.select([*keys, "_ab_rank"]).group_by(keys, use_threads=False).aggregate([("_ab_rank", "max")])
    return ordered.take(winners.column("_ab_rank_max"))


def split_deletions(stream: StreamSpec, winners: pa.Table) -> tuple[pa.Table, pa.Table]:
    """``(live rows, tombstones)`` of reduced rows: a winner with ``_ab_cdc_deleted_at`` set is a deletion."""
    if stream.cdc_deleted_column is None:
        return winners, winners.slice(0, 0)
    deleted = pc.is_valid(winners.column(stream.cdc_deleted_column))
    return winners.filter(pc.invert(deleted)), winners.filter(deleted)


def merge_arrow(stream: StreamSpec, older: Sequence[pa.Table], newer: pa.Table) -> tuple[pa.Table, pa.Table]:
    """``(live rows, tombstones)`` after merging ``newer`` into what a store held (``older``: its rows and
    tombstones, in arrival order). All tables have ``stream.arrow_schema``'s columns."""
    schema = stream.arrow_schema
    combined = pa.concat_tables([t.select(schema.names).cast(schema) for t in (*older, newer)])
    return split_deletions(stream, reduce_arrow(stream, combined))
