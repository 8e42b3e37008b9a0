"""Raw RECORD lines → one typed Arrow table per batch, in a single generated DuckDB query.

Why DuckDB: the hot path never parses a RECORD line in Python. Lines arrive here as an Arrow string
column; DuckDB's JSON reader (native, multi-threaded) parses each line once with ``json_transform``,
keeping every declared field as raw JSON text, and the generated SQL casts each value to its column type.

Casting rules (a value that does not fit becomes NULL plus a ``NULLED`` change in ``_airbyte_meta``; a
JSON ``null`` or a missing field is NULL with no change; a record is never dropped for its values):

- integer: JSON integers in int64; integral numbers (``5.0``) and integer strings (``"12"``) are accepted;
  an integer beyond 64 bits → ``DESTINATION_FIELD_SIZE_LIMITATION``; anything else → typecast error.
- number: any finite JSON number or numeric string, as float64.
- boolean: JSON booleans and the strings ``"true"`` / ``"false"``.
- date / timestamps / time: strings DuckDB parses (RFC 3339 and the common variants); timestamps with a
  zone are normalised to UTC; a zone on a timestamp *without* zone is ignored (wall-clock time kept).
- string: strings as they are; any other JSON value is stored as its JSON text, with no change entry.
- json (objects, arrays, unions, schemaless): the JSON text exactly as the source wrote it.

Protocol problems found here (a line that is not JSON, a RECORD without an object ``data`` or without
``emitted_at``) raise :class:`InputError` with the first bad line's number.
"""

from __future__ import annotations

from collections import Counter

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from airbyte_dest_kit.errors import InputError
from airbyte_dest_kit.schema import ColumnType
from airbyte_dest_kit.writer import (
    ADDITIONAL_PROPERTIES,
    EXTRACTED_AT,
    GENERATION_ID,
    META,
    RAW_ID,
    StreamSpec,
)

LINE_NUMBER = "_ab_line"
_INVALID = "_ab_invalid"


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _text(v: str) -> str:
    """The value of a JSON string, or the JSON text of any other value."""
    return f"({v} ->> '$')"


def _cast_expressions(v: str, column_type: ColumnType) -> tuple[str, str | None]:
    """``(value, size_limited)`` SQL for raw JSON text ``v``; ``size_limited`` marks too-large integers."""
    kind = f"json_type({v})"
    if column_type is ColumnType.STRING or column_type is ColumnType.JSON:
        return (_text(v) if column_type is ColumnType.STRING else f"CAST({v} AS VARCHAR)"), None
    if column_type is ColumnType.INTEGER:
        value = (
            f"CASE {kind} WHEN 'BIGINT' THEN CAST({v} AS BIGINT) WHEN 'UBIGINT' THEN TRY_CAST({v} AS BIGINT) "
            f"WHEN 'DOUBLE' THEN CASE WHEN CAST({v} AS DOUBLE) = floor(CAST({v} AS DOUBLE)) "
            f"AND abs(CAST({v} AS DOUBLE)) < 9.2e18 THEN CAST(CAST({v} AS DOUBLE) AS BIGINT) END "
            f"WHEN 'VARCHAR' THEN CASE WHEN regexp_full_match({_text(v)}, '\\s*[-+]?[0-9]+\\s*') "
            f"THEN TRY_CAST(trim({_text(v)}) AS BIGINT) END END"
        )
        too_big = (
            f"({kind} IN ('UBIGINT', 'DOUBLE', 'VARCHAR') AND regexp_full_match({_text(v)}, '\\s*[-+]?[0-9]+\\s*'))"
        )
        return value, too_big
    if column_type is ColumnType.NUMBER:
        as_double = (
            f"CASE WHEN {kind} IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN CAST({v} AS DOUBLE) "
            f"WHEN {kind} = 'VARCHAR' THEN TRY_CAST({_text(v)} AS DOUBLE) END"
        )
        return f"CASE WHEN isfinite({as_double}) THEN {as_double} END", None
    if column_type is ColumnType.BOOLEAN:
        return (
            f"CASE WHEN {kind} = 'BOOLEAN' THEN CAST({v} AS BOOLEAN) WHEN {kind} = 'VARCHAR' "
            f"AND lower({_text(v)}) IN ('true', 'false') THEN lower({_text(v)}) = 'true' END"
        ), None
    if column_type is ColumnType.TIME_TZ:
        return f"CASE WHEN TRY_CAST({_text(v)} AS TIMETZ) IS NOT NULL THEN {_text(v)} END", None
    sql_type = {
        ColumnType.DATE: "DATE",
        ColumnType.TIMESTAMP_TZ: "TIMESTAMPTZ",
        ColumnType.TIMESTAMP: "TIMESTAMP",
        ColumnType.TIME: "TIME",
    }[column_type]
    return f"CASE WHEN {kind} = 'VARCHAR' THEN TRY_CAST({_text(v)} AS {sql_type}) END", None


def _pointer_token(name: str) -> str:
    """``name`` as one JSON pointer (RFC 6901) reference token."""
    return name.replace("~", "~0").replace("/", "~1")


def _change(field: str, reason: str) -> str:
    return f"{{'field': {literal(field)}, 'change': 'NULLED', 'reason': '{reason}'}}"


def build_typing_sql(stream: StreamSpec, batch_table: str = "batch", *, strip_nul: bool = False) -> str:
    """The query that turns ``batch_table(line, _ab_line)`` into ``stream.arrow_schema`` + ``_ab_line``."""
    # json_transform matches keys exactly but refuses a structure with two keys that differ only in case
    # ("Foo" and "foo"): those properties are read with case-sensitive JSON pointers instead.
    folded = Counter(c.source_name.casefold() for c in stream.columns)
    by_pointer = [c for c in stream.columns if folded[c.source_name.casefold()] > 1]
    record: dict[str, object] = {"emitted_at": "JSON", "meta": {"changes": "JSON"}}
    transformed = {c.source_name: "JSON" for c in stream.columns if c not in by_pointer}
    if transformed:  # DuckDB rejects an empty structure (a stream with no declared properties)
        record["data"] = transformed
    structure = {"record": record}
    pointers = "[" + ", ".join(literal("/record/data/" + _pointer_token(c.source_name)) for c in by_pointer) + "]"
    parsed = (
        f"SELECT {LINE_NUMBER}, json_transform(line, {literal(orjson.dumps(structure).decode())}) AS r, "
        f"json_keys(line, '$.record.data') AS k, "
        f"{f'json_extract(line, {pointers})' if by_pointer else 'NULL'} AS by_pointer, line FROM {batch_table}"
    )
    casts, selects, changes = [], [], []
    for index, column in enumerate(stream.columns):
        raw = f"raw{index}"  # the field's JSON text, NULL when missing or JSON null
        value, too_big = _cast_expressions(raw, column.type)
        if strip_nul and column.type in (ColumnType.STRING, ColumnType.JSON, ColumnType.TIME_TZ):
            value = f"replace({value}, chr(0), '')"
            changes.append(
                f"CASE WHEN contains(CAST({raw} AS VARCHAR), '\\u0000') "
                f"THEN {_change(column.source_name, 'DESTINATION_SERIALIZATION_ERROR')} END"
            )
        if column in by_pointer:
            found = f"by_pointer[{by_pointer.index(column) + 1}]"
            casts.append(f"CASE WHEN json_type({found}) <> 'NULL' THEN {found} END AS {raw}")
        else:
            casts.append(f"r.record.data[{literal(column.source_name)}] AS {raw}")
        selects.append(f"{value} AS v{index}")  # internal names: a property may be called 'line'
        if column.type in (ColumnType.STRING, ColumnType.JSON):
            continue
        failed = f"{raw} IS NOT NULL AND v{index} IS NULL"
        reason = literal("DESTINATION_TYPECAST_ERROR")
        if too_big:
            # A whole number that does not fit is a size limitation; anything else a typecast error.
            reason = f"CASE WHEN {too_big} THEN 'DESTINATION_FIELD_SIZE_LIMITATION' ELSE {reason} END"
        changes.append(
            f"CASE WHEN {failed} THEN {{'field': {literal(column.source_name)}, 'change': 'NULLED', "
            f"'reason': {reason}}} END"
        )

    declared = "[" + ", ".join(literal(c.source_name) for c in stream.columns) + "]"
    removal = literal(orjson.dumps({c.source_name: None for c in stream.columns}).decode())
    present = " + ".join(f"CAST(raw{i} IS NOT NULL AS INTEGER)" for i in range(len(stream.columns))) or "0"
    additional = (
        f"CASE WHEN len(k) > ({present}) AND len(list_filter(k, lambda x: NOT list_contains({declared}, x))) > 0 "
        f"THEN CAST(json_merge_patch(json_extract(line, '$.record.data'), {removal}) AS VARCHAR) END"
    )
    own_changes = "list_filter([" + ", ".join(changes) + "], lambda x: x IS NOT NULL)" if changes else "[]"
    plain_meta = literal(orjson.dumps({"sync_id": stream.sync_id, "changes": []}).decode())
    meta = (
        f"CASE WHEN upstream IS NULL AND len(own) = 0 THEN {plain_meta} ELSE CAST(to_json({{'sync_id': "
        f"{stream.sync_id}, 'changes': list_concat(COALESCE(CAST(upstream AS JSON[]), []), "
        f"list_transform(own, lambda x: to_json(x)))}}) AS VARCHAR) END"
    )
    invalid = (
        "(emitted IS NULL OR k IS NULL OR (len(k) = 0 AND json_type(line, '$.record.data') IS DISTINCT FROM 'OBJECT'))"
    )
    extracted = (
        f"SELECT {', '.join(casts + [''])}TRY_CAST(r.record.emitted_at AS BIGINT) AS emitted, "
        f"r.record.meta.changes AS upstream, k, line, {LINE_NUMBER} FROM parsed"
    )
    valued = f"SELECT *, {', '.join(selects + [''])}{additional} AS additional FROM extracted"
    columns = "".join(f"v{i} AS {quote(c.name)}, " for i, c in enumerate(stream.columns))
    final = (
        f"SELECT {columns}CAST(uuid() AS VARCHAR) AS {RAW_ID}, "
        f"CAST(make_timestamp(emitted * 1000) AS TIMESTAMPTZ) AS {EXTRACTED_AT}, "
        f"{meta} AS {META}, CAST({stream.generation_id} AS BIGINT) AS {GENERATION_ID}, "
        f"additional AS {ADDITIONAL_PROPERTIES}, {LINE_NUMBER}, {invalid} AS {_INVALID} "
        f"FROM (SELECT *, {own_changes} AS own FROM valued)"
    )
    order = f"ORDER BY {LINE_NUMBER}"
    if stream.dedup:
        keys = ", ".join(quote(k) for k in stream.primary_key)
        ranking = (f"{quote(stream.cursor)} DESC NULLS LAST, " if stream.cursor else "") + (
            f"{EXTRACTED_AT} DESC, {LINE_NUMBER} DESC"
        )
        # Invalid rows must survive dedup so that they are reported, not silently outranked.
        final = (
            f"SELECT * FROM ({final}) QUALIFY {_INVALID} OR "
            f"row_number() OVER (PARTITION BY {keys} ORDER BY {ranking}) = 1"
        )
    return f"WITH parsed AS ({parsed}), extracted AS ({extracted}), valued AS ({valued}) {final} {order}"


class RecordTyper:
    """Types batches of raw record lines for the streams of one sync (one in-memory DuckDB)."""

    def __init__(self, *, threads: int | None = None, strip_nul: bool = False) -> None:
        self._con = duckdb.connect(":memory:")
        self._con.execute("SET TimeZone = 'UTC'")
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")
        self._strip_nul = strip_nul
        self._sql: dict[tuple[str | None, str], str] = {}

    def type_batch(self, stream: StreamSpec, lines: pa.ChunkedArray, line_numbers: pa.ChunkedArray) -> pa.Table:
        sql = self._sql.get(stream.key)
        if sql is None:
            sql = self._sql[stream.key] = build_typing_sql(stream, strip_nul=self._strip_nul)
        batch = pa.table({"line": lines, LINE_NUMBER: line_numbers})
        self._con.register("batch", batch)
        try:
            typed = self._con.sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            bad = self._first_line(f"SELECT min({LINE_NUMBER}) FROM batch WHERE NOT json_valid(line)")
            if bad is not None:
                raise InputError("not valid JSON; every stdin line must be one AirbyteMessage", line=bad) from None
            raise RuntimeError(f"typing records of stream {stream.label!r} failed: {exc}") from exc
        finally:
            self._con.unregister("batch")
        invalid = typed.column(_INVALID)
        if pc.any(invalid).as_py():
            first = pc.min(pc.filter(typed.column(LINE_NUMBER), invalid)).as_py()
            raise InputError(
                "RECORD needs an object 'data' and an integer 'emitted_at'", line=first, stream=stream.label
            )
        return typed.drop_columns([_INVALID]).cast(_with_line(stream.arrow_schema))

    def _first_line(self, sql: str) -> int | None:
        value: int | None = self._con.sql(sql).fetchall()[0][0]
        return value

    def close(self) -> None:
        self._con.close()


def _with_line(schema: pa.Schema) -> pa.Schema:
    return schema.append(pa.field(LINE_NUMBER, pa.int64()))
