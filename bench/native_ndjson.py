"""The native ceiling of `make bench`: DuckDB's own JSON reader loads the messages file in one pass.

    python bench/native_ndjson.py MESSAGES CATALOG DATABASE_PATH [--airbyte-columns]

One ``read_ndjson`` reads every RECORD line with the catalog's typed columns (bench/typed_columns.py) into a
temporary table; then each stream becomes a table of its own columns. It does less than a destination must
(no ``_airbyte_*`` columns, no validation of values, no states), which is what makes it a ceiling.

``--airbyte-columns`` adds what every row of a destination's table carries beside its data (a UUID version 7
raw id, the extraction time, a constant meta, the generation): the ceiling with Airbyte's row layout, to tell
the cost of the layout from the cost of the pipeline.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
from typed_columns import quoted, records_table_sql, stream_columns

AIRBYTE_COLUMNS = (
    "CAST(uuidv7() AS VARCHAR) AS _airbyte_raw_id, CAST(make_timestamp(emitted_at * 1000) AS TIMESTAMPTZ) "
    """AS _airbyte_extracted_at, '{"sync_id": 0, "changes": []}' AS _airbyte_meta, 0 AS _airbyte_generation_id"""
)


def main() -> None:
    messages, catalog, database = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    extra = f", {AIRBYTE_COLUMNS}" if "--airbyte-columns" in sys.argv[4:] else ""
    columns = stream_columns(catalog)
    db = duckdb.connect(database)
    db.execute("SET preserve_insertion_order = false")
    db.execute("SET TimeZone = 'UTC'")
    db.execute(records_table_sql(columns), [messages])
    for stream, properties in columns.items():
        selected = ", ".join(f"data.{quoted(name)} AS {quoted(name)}" for name in properties)
        db.execute(f"CREATE TABLE {quoted(stream)} AS SELECT {selected}{extra} FROM records WHERE stream = ?", [stream])
    db.close()


if __name__ == "__main__":
    main()
