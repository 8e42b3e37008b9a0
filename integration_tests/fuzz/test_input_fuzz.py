"""Property test of the input layer: one line of a valid sync mutated, on DuckDB and PostgreSQL.

A valid message stream (two interleaved streams, one append and one append_dedup, STREAM and GLOBAL states
with the platform's ``id``, stream statuses, odd unicode in values) gets exactly one line mutated: cut
short, a character replaced or inserted (quotes, braces, backslashes, raw control characters, escapes of
NUL and of lone surrogates), an invalid UTF-8 byte, or, in the parsed message, a value at any depth of any
message type replaced by one of the wrong JSON type, removed, or written twice. Whatever the mutation:

- the sync ends cleanly or with an :class:`InputError` naming exactly the mutated line; never any other
  error (an "Unexpected error", a writer refusing a value);
- every record before the mutated line is committed, and every state before it echoed; every echoed state
  is covered (the records of its scope before it are committed);
- after a failing line nothing of its stream is committed and no state covering its stream is echoed (a
  bad RECORD found only when its batch is typed may come after other streams' batches and their own
  STREAM states were committed: those are covered, so echoing them is safe); a bad line of any other kind
  stops everything at once.

Examples per target: ``FUZZ_EXAMPLES`` (default 40; CI runs that bounded number with a fixed seed).
"""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airbyte_dest_kit.destination.pipeline.runner import Pipeline
from airbyte_dest_kit.destination.plan import build_stream_specs
from airbyte_dest_kit.destination.writer import Writer
from airbyte_dest_kit.errors import InputError
from airbyte_dest_kit.protocol.codec import MessageWriter
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteStream
from airbyte_dest_kit.testing.builders import configured_stream, global_state, record, stream_state, stream_status
from airbyte_dest_kit.writers.duckdb import DuckDBWriter
from airbyte_dest_kit.writers.sql import create_sql_writer
from integration_tests.sql.sqltargets import POSTGRES_URL, fresh_postgres_schema

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("CI") == "true",  # CI: the same bounded set every run
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
PROPERTIES = {
    "uid": {"type": "integer"},
    "name": {"type": "string"},
    "at": {"type": "string", "format": "date-time"},
    "n": {"type": "number"},
    "tags": {"type": "array"},
}
CATALOG = [
    configured_stream("a", PROPERTIES),
    configured_stream("b", PROPERTIES, mode="append_dedup", primary_key=["uid"], cursor="n"),
]
ODD_TEXT = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Z", "Cc", "Cf", "Co", "M"]), max_size=12
)
WRONG_VALUES = [None, 0, -1, 2**70, 1.5, "", "x", "\u0000", True, [], [1, "a"], {}, {"k": None}]
INSERTED = ['"', "{", "}", "[", ",", ":", "\\", "\x00", "\x01", "\u2028", "\\u0000", "\\ud800", "\\udc00", "é", " "]


@st.composite
def valid_sync(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Records of a and b interleaved, a state (with ``id``) after some, statuses at the end."""
    messages: list[dict[str, Any]] = []
    uid = 0
    for _ in range(draw(st.integers(3, 12))):
        stream = draw(st.sampled_from(["a", "b"]))
        uid += 1
        data = {"uid": uid, "name": draw(ODD_TEXT), "at": "2024-05-01T10:00:00Z", "n": uid * 1.5, "tags": [uid]}
        messages.append(record(stream, data))
        kind = draw(st.sampled_from(["none", "none", "stream", "global"]))
        if kind == "stream":
            messages.append(stream_state(stream, {"uid": uid}, id=len(messages)))
        elif kind == "global":
            messages.append(global_state({"uid": uid}, id=len(messages)))
    messages += [stream_status("a", "COMPLETE"), stream_status("b", "COMPLETE")]
    return messages


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _replace(value: Any, path: tuple[Any, ...], new: Any, *, delete: bool = False) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if not rest and delete:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k != head}
        return [v for i, v in enumerate(value) if i != head]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replace(value[head], rest, new, delete=delete)
    return copy


@st.composite
def mutated_line(draw: st.DrawFn, message: dict[str, Any]) -> bytes:
    text = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
    how = draw(st.sampled_from(["cut", "replace", "insert", "bad utf-8", "wrong type", "delete", "twice"]))
    at = draw(st.integers(0, len(text)))
    if how == "cut":
        return text[:at].encode()
    if how in ("replace", "insert"):
        char = draw(st.sampled_from(INSERTED))
        return (text[:at] + char + text[at + (how == "replace") :]).encode()
    if how == "bad utf-8":
        return text[:at].encode() + b"\xff" + text[at:].encode()
    paths = [p for p in _paths(message) if p]
    path = draw(st.sampled_from(paths))
    if how == "wrong type":
        return json.dumps(_replace(message, path, draw(st.sampled_from(WRONG_VALUES)))).encode()
    if how == "delete":
        return json.dumps(_replace(message, path, None, delete=True)).encode()
    # a key twice: the value again right after the last key of its object, in the raw text
    parent, key = path[:-1], path[-1]
    owner = message
    for step in parent:
        owner = owner[step]
    if not isinstance(owner, dict):
        return json.dumps(message).encode()
    twice = (
        json.dumps(owner, separators=(",", ":"))[:-1]
        + f",{json.dumps(key)}:{json.dumps(draw(st.sampled_from(WRONG_VALUES)))}}}"
    )
    placeholder = {"__TWICE__": 1}
    whole = json.dumps(_replace(message, parent, placeholder), separators=(",", ":"))
    return whole.replace(json.dumps(placeholder, separators=(",", ":")), twice).encode()


def with_one_line_mutated(data: st.DataObject, messages: list[dict[str, Any]]) -> tuple[int, list[bytes]]:
    """The sync's lines with one of them (its index is returned) mutated."""
    index = data.draw(st.integers(0, len(messages) - 1), label="mutated line")
    lines = [json.dumps(m, separators=(",", ":"), ensure_ascii=False).encode() for m in messages]
    lines[index] = data.draw(mutated_line(messages[index]), label="mutation")
    return index, lines


def run_sync(writer: Writer, schema: str, lines: list[bytes]) -> tuple[BaseException | None, list[dict[str, Any]]]:
    specs = build_stream_specs(
        [ConfiguredAirbyteStream.model_validate(c) for c in CATALOG], schema, writer.capabilities
    )
    out = io.BytesIO()
    error: BaseException | None = None
    try:
        Pipeline(writer, specs, MessageWriter(out)).run(io.BytesIO(b"".join(line + b"\n" for line in lines)))
    except BaseException as exc:  # noqa: BLE001 - the property below decides which errors are allowed
        error = exc
    states = [json.loads(x) for x in out.getvalue().splitlines() if x.startswith(b'{"type":"STATE"')]
    return error, states


def check_invariants(
    messages: list[dict[str, Any]],
    index: int,
    error: BaseException | None,
    echoed: list[dict[str, Any]],
    uids: set[int],
) -> None:
    """``index`` is the mutated line (0-based); ``uids`` the records found in the two tables."""
    line = index + 1
    if error is not None:
        assert isinstance(error, InputError), f"{type(error).__name__}: {error}"
        assert error.line == line, f"error names line {error.line}, the mutated line is {line}: {error}"
    end = index if error is not None else len(messages)
    untouched = {i: m for i, m in enumerate(messages) if i != index}
    by_id = {json.dumps(m["state"]["id"]): i for i, m in untouched.items() if m["type"] == "STATE"}
    found = [by_id.get(json.dumps(s["state"].get("id"))) for s in echoed]  # None: the mutated state itself
    assert found.count(None) <= (1 if error is None else 0)
    echoed_at = [at for at in found if at is not None]

    def uid(i: int) -> int:
        return int(untouched[i]["record"]["data"]["uid"])

    records = [i for i, m in untouched.items() if m["type"] == "RECORD"]
    # Everything before the end is committed, and every state before it echoed.
    assert {uid(i) for i in records if i < end} <= uids
    assert {i for i in by_id.values() if i < end} <= set(echoed_at), f"states before line {line} not echoed"
    # Every echoed state is covered: the records of its scope before it are committed.
    for at in echoed_at:
        state = untouched[at]["state"]
        scope = state["stream"]["stream_descriptor"]["name"] if state["type"] == "STREAM" else None
        assert {uid(i) for i in records if i < at and scope in (None, untouched[i]["record"]["stream"])} <= uids
    if error is None:
        return
    # After a bad line: nothing of its stream, and no state covering its stream. (A bad RECORD found only when
    # its batch is typed may come after other streams' batches were committed, with their own states.)
    bad = messages[index]
    bad_stream = bad["record"]["stream"] if bad["type"] == "RECORD" else None
    for at in echoed_at:
        state = untouched[at]["state"]
        if at > index:
            assert state["type"] == "STREAM", f"a {state['type']} state after the bad line {line} was echoed"
            assert bad_stream not in (None, state["stream"]["stream_descriptor"]["name"]), at
    after = [i for i in records if i > index and bad_stream in (None, untouched[i]["record"]["stream"])]
    assert not {uid(i) for i in after} & uids


def read_uids_duckdb(path: Path) -> set[int]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return {uid for table in ("a", "b") for (uid,) in con.execute(f'SELECT uid FROM main."{table}"').fetchall()}
    finally:
        con.close()


@FUZZ
@given(data=st.data(), messages=valid_sync())
def test_one_mutated_line_on_duckdb(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, messages: list[dict[str, Any]]
) -> None:
    index, lines = with_one_line_mutated(data, messages)
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.duckdb"
    error, echoed = run_sync(DuckDBWriter(str(path)), "main", lines)
    check_invariants(messages, index, error, echoed, read_uids_duckdb(path))


@pytest.fixture(scope="module")
def pg_engine() -> Iterator[sa.Engine]:
    with fresh_postgres_schema() as (engine, _):
        yield engine


@FUZZ
@given(data=st.data(), messages=valid_sync())
def test_one_mutated_line_on_postgres(
    pg_engine: sa.Engine, data: st.DataObject, messages: list[dict[str, Any]]
) -> None:
    index, lines = with_one_line_mutated(data, messages)
    schema = f"fuzz_{uuid.uuid4().hex[:10]}"
    try:
        error, echoed = run_sync(create_sql_writer(POSTGRES_URL, schema=schema), schema, lines)
        with pg_engine.connect() as conn:
            uids = {
                uid
                for table in ("a", "b")
                for (uid,) in conn.exec_driver_sql(f'SELECT uid FROM "{schema}"."{table}"').fetchall()
            }
        check_invariants(messages, index, error, echoed, uids)
    finally:
        with pg_engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
