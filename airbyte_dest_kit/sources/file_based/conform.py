"""Records checked against the stream's schema and coerced to it (the rules are in :mod:`.schema`), batch by
batch: a column whose values all fit is converted by Arrow kernels; a batch with any column that does not
is taken row by row, and each row that does not match goes by the validation policy:

- ``Emit Record``: emitted as the file holds it (the values that do fit are still coerced);
- ``Skip Record``: left out;
- ``Wait for Discover``: the stream stops, with an error saying which file, row and column, and that the
  schema needs discovering again.

Either way the rows that did not match are counted and reported per file, with the first few named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.sources.file_based.config import POLICY_LABELS, ValidationPolicy
from airbyte_dest_kit.sources.file_based.encode import dumps, record_lines
from airbyte_dest_kit.sources.file_based.schema import Mismatch, coerce, describe, main_type
from airbyte_dest_kit.sources.output import RECORD_SUFFIX
from airbyte_dest_kit.sources.stream import RecordLines

EXAMPLES_PER_FILE = 5


@dataclass
class FileReport:
    """The problems of one file: rows that did not match the schema, rows with the wrong field count."""

    uri: str
    mismatched: int = 0
    malformed: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, problem: str, *, malformed: bool = False) -> None:
        if malformed:
            self.malformed += 1
        else:
            self.mismatched += 1
        if len(self.examples) < EXAMPLES_PER_FILE:
            self.examples.append(problem)

    def summary(self, policy: ValidationPolicy) -> str | None:
        parts = []
        if self.mismatched:
            fate = "emitted as they are" if policy == "emit_record" else "skipped"
            parts.append(f"{self.mismatched} row(s) did not match the schema ({fate})")
        if self.malformed:
            parts.append(f"{self.malformed} row(s) had the wrong number of fields")
        if not parts:
            return None
        return f"file {self.uri!r}: {'; '.join(parts)}; first: {'; '.join(self.examples)}"


class Conformer:
    """Checks and coerces the records of one file of one stream; ``types`` maps columns to JSON types (no
    entry, or ``types`` None: anything goes)."""

    def __init__(
        self,
        stream: str,
        uri: str,
        properties: Mapping[str, Any] | None,
        policy: ValidationPolicy,
        booleans: tuple[frozenset[str], frozenset[str]],
    ) -> None:
        self.stream, self.uri, self.policy, self.booleans = stream, uri, policy, booleans
        self.types = {name: main_type(schema) for name, schema in (properties or {}).items()}
        self.checked = properties is not None
        self.report = FileReport(uri)

    # -- problems --------------------------------------------------------------------------------------

    def problem(self, where: str, text: str, *, malformed: bool = False) -> None:
        """A row that does not fit: reported, and with ``Wait for Discover`` the end of the stream."""
        if self.policy == "wait_for_discover":
            label = POLICY_LABELS[self.policy]
            raise ConfigError(
                f"stream {self.stream!r}: file {self.uri!r}, {where}: {text}; the files no longer match the "
                f"stream's schema: run discover again (refresh the schema) and reset the stream, or change the "
                f"stream's validation_policy from {label!r}",
                stream=self.stream,
            )
        self.report.add(f"{where}: {text}", malformed=malformed)

    # -- Arrow batches ---------------------------------------------------------------------------------

    def batch_lines(
        self, batch: pa.RecordBatch, prefix: bytes, constant: Mapping[str, Any], wrap: str | None, first_row: int
    ) -> RecordLines:
        """The batch's RECORD lines; ``first_row`` numbers its first row in the file (for reports)."""
        columns = []
        for name, values in zip(batch.schema.names, batch.columns, strict=True):
            conformed = conform_array(values, self.types.get(name), self.booleans) if self.checked else values
            if conformed is None:
                return self.rows_lines(batch.to_pylist(), prefix, constant, wrap, first_row, "row")
            columns.append((name, conformed))
        return record_lines(prefix, columns, constant, batch.num_rows, wrap)

    # -- rows, one at a time ---------------------------------------------------------------------------

    def rows_lines(
        self,
        rows: list[dict[str, Any]],
        prefix: bytes,
        constant: Mapping[str, Any],
        wrap: str | None,
        first_row: int,
        unit: str,
    ) -> RecordLines:
        """RECORD lines of rows given as dicts; ``unit`` says what a row is called in reports (row, line)."""
        lines = []
        for number, row in enumerate(rows, first_row):
            record = self.conform_row(row, f"{unit} {number}")
            if record is None:
                continue
            data = {wrap: record} if wrap else record
            lines.append(prefix + dumps({**data, **constant}) + RECORD_SUFFIX)
        return RecordLines(b"".join(lines), len(lines))

    def conform_row(self, row: dict[str, Any], where: str) -> dict[str, Any] | None:
        """The row coerced to the schema, or ``None`` when the policy leaves it out."""
        if not self.checked:
            return row
        coerced, problem = dict(row), None
        for name, value in row.items():
            try:
                coerced[name] = coerce(value, self.types.get(name), self.booleans)
            except Mismatch:
                if problem is None:
                    problem = f"column {name!r} holds {describe(value)}, the schema says {self.types[name]}"
        if problem is None:
            return coerced
        self.problem(where, problem)
        return coerced if self.policy == "emit_record" else None


def conform_array(
    values: pa.Array, kind: str | None, booleans: tuple[frozenset[str], frozenset[str]]
) -> pa.Array | None:
    """``values`` coerced to the JSON type ``kind`` by Arrow kernels, or ``None`` when some value needs a
    row-by-row look (it may not fit)."""
    t = values.type
    if pa.types.is_dictionary(t):
        values = values.dictionary_decode()
        t = values.type
    if kind is None or pa.types.is_null(t):
        return values
    is_text = pa.types.is_string(t) or pa.types.is_large_string(t)
    temporal = pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_time(t)
    numeric = pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
    if kind == "string":
        if is_text or temporal or pa.types.is_binary(t) or pa.types.is_large_binary(t):
            return values
        if pa.types.is_boolean(t):
            return pc.if_else(values, "true", "false")
        if numeric:
            finite = pc.is_finite(values) if pa.types.is_floating(t) else None
            text = pc.cast(values, pa.string())
            return text if finite is None else pc.if_else(finite, text, pa.scalar(None, pa.string()))
        return None
    if kind in ("integer", "number"):
        if pa.types.is_integer(t) or (kind == "number" and numeric):
            return values
        if pa.types.is_floating(t) or pa.types.is_decimal(t):  # kind integer: whole numbers only
            whole = pc.equal(pc.floor(values.cast(pa.float64())), values.cast(pa.float64()))
            return values.cast(pa.int64()) if pc.all(whole).as_py() is not False else None
        if is_text:
            return _parsed_numbers(values, kind)
        return None
    if kind == "boolean":
        if pa.types.is_boolean(t):
            return values
        if is_text:
            trues, falses = (pa.array(sorted(s), pa.string()) for s in booleans)
            present = _blank_as_null(values)
            known = pc.or_(pc.is_in(present, value_set=trues), pc.is_in(present, value_set=falses))
            if pc.all(pc.or_(known, pc.is_null(present))).as_py() is False:
                return None
            return pc.if_else(pc.is_null(present), pa.scalar(None, pa.bool_()), pc.is_in(present, value_set=trues))
        return None
    if kind == "object":
        return values if pa.types.is_struct(t) or pa.types.is_map(t) else None
    if kind == "array":
        return values if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) else None
    return values


def _blank_as_null(values: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, values.type), trimmed)


def _parsed_numbers(values: pa.Array, kind: str) -> pa.Array | None:
    present = _blank_as_null(values)
    try:
        return pc.cast(present, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    try:
        numbers = pc.cast(present, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if kind == "integer":
        return None  # a fraction in an integer column: row by row, to name it
    return numbers
