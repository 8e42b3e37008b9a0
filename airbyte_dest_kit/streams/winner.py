"""The winner rule of append_dedup, written once: which version of a primary key is kept.

Versions of one key are ranked by, in order:

1. the cursor, greater wins; a NULL cursor is older than any value (and two NULLs tie);
2. ``_airbyte_extracted_at``, later wins;
3. arrival, later wins (``_ab_line`` inside one batch; a batch always arrived after the rows a table
   already holds; in a concatenation of stored rows, the later position).

The winner with a non-null ``_ab_cdc_deleted_at`` is a deletion: the key disappears from the table and
the winner is kept as a tombstone, so a version ranked below it that arrives later still loses.

Forms of the same :func:`ranking`: :func:`batch_order_sql` (the typer's in-batch reduction, a window
``ORDER BY``), :func:`existing_wins_sql` (a SQL store's merge of a reduced batch into a table),
:func:`reduce_arrow` (stores that are not databases merge in Arrow), and :func:`reduce_on_disk` (the
window of the first form over a whole stream, in a DuckDB database on disk, for stores that rewrite).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from airbyte_dest_kit.streams.spec import EXTRACTED_AT, GENERATION_ID, LINE_NUMBER, StreamSpec

_POSITION = "_ab_position"
# reduce_on_disk: rows per batch (stores scan in batches of this size too), and what DuckDB may hold in
# memory before it spills to disk.
BATCH_ROWS = 50_000
REDUCE_MEMORY_LIMIT = "256MB"


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


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """``batch`` with exactly ``schema``'s columns: cast by name, missing ones NULL (rows older than a column)."""
    names = batch.schema.names
    columns = [
        batch.column(names.index(f.name)).cast(f.type) if f.name in names else pa.nulls(batch.num_rows, f.type)
        for f in schema
    ]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


@contextlib.contextmanager
def reduce_on_disk(
    stream: StreamSpec,
    sources: Iterable[Iterable[pa.RecordBatch]],
    *,
    minimum_generation: int = 0,
    temp_directory: str | None = None,
) -> Iterator[tuple[Iterator[pa.RecordBatch], Iterator[pa.RecordBatch]]]:
    """``(live rows, tombstones)`` of every key's winner among ``sources`` (earlier sources and rows arrived
    earlier), live rows without generations below ``minimum_generation``; each as batches of at most
    :data:`BATCH_ROWS` rows, read while the context is open.

    The rows pass through a DuckDB database in a folder created in ``temp_directory`` (None: the system's
    temp folder) and removed with the context, one source batch at a time; DuckDB spills next to its
    database beyond :data:`REDUCE_MEMORY_LIMIT`: memory stays flat as the stream grows, the folder does not."""
    import duckdb  # only stores that rewrite need it

    from airbyte_dest_kit.streams.sql_text import quote  # imports this module: not at the top

    schema = stream.batch_schema
    with (
        tempfile.TemporaryDirectory(prefix="airbyte-reduce-", dir=temp_directory) as folder,
        duckdb.connect(f"{folder}/rows.db") as con,
    ):
        con.execute(f"SET memory_limit = '{REDUCE_MEMORY_LIMIT}'")
        con.execute("SET TimeZone = 'UTC'")
        con.register("_airbyte_batch", schema.empty_table())
        con.execute("CREATE TABLE all_rows AS SELECT * FROM _airbyte_batch")
        arrived = 0
        for batch in (b for source in sources for b in source):
            rows = conform(batch, stream.arrow_schema)
            position = pa.array(range(arrived, arrived + rows.num_rows), pa.int64())
            con.register("_airbyte_batch", pa.RecordBatch.from_arrays([*rows.columns, position], schema=schema))
            con.execute("INSERT INTO all_rows SELECT * FROM _airbyte_batch")
            arrived += rows.num_rows
        con.unregister("_airbyte_batch")
        keys = ", ".join(quote(k) for k in stream.primary_key)
        con.execute(
            f"CREATE TABLE winners AS SELECT * EXCLUDE ({quote(LINE_NUMBER)}) FROM all_rows "
            f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {batch_order_sql(stream, quote)}) = 1"
        )
        con.execute("DROP TABLE all_rows")
        deleted = f"{quote(stream.cdc_deleted_column)} IS NOT NULL" if stream.cdc_deleted_column else "false"
        generations = f"coalesce({quote(GENERATION_ID)}, -1) >= {int(minimum_generation)}"
        live = f"NOT ({deleted})" + (f" AND {generations}" if minimum_generation > 0 else "")

        def batches(condition: str) -> Iterator[pa.RecordBatch]:
            cursor = con.cursor()  # its own result: the live rows may be read while the tombstones are not yet
            for batch in cursor.sql(f"SELECT * FROM winners WHERE {condition}").to_arrow_reader(BATCH_ROWS):
                yield conform(batch, stream.arrow_schema)  # DuckDB names the time zone differently, for one

        yield batches(live), batches(deleted)
