"""Input that used to break a sync: every shape of every message the kit reads, odd JSON, odd names.

Each case must end the way docs/guarantees.md promises: a record is never dropped for its values; a protocol
error commits what came before it, echoes the states that covers, and is one TRACE ERROR naming the line.
"""

from __future__ import annotations

import json
import resource
import subprocess

import pytest

from airbyte_dest_kit.testing import LiveWrite
from airbyte_dest_kit.testing.builders import catalog, echoed, record, stream_state, stream_status
from airbyte_dest_kit.testing.harness import command_line
from integration_tests.duckdb.harness import CLI, ENV, INT_SCHEMA, STR_SCHEMA, configured_stream

ONE_STREAM = catalog(configured_stream("a", {"id": INT_SCHEMA, "name": STR_SCHEMA}))


def ids(dest, table: str = "a") -> list[int]:
    return [r["id"] for r in dest.data(table, order_by="id")]


BROKEN_SHAPES = {
    "state.stream is a string": '{"type":"STATE","state":{"type":"STREAM","stream":"nope"}}',
    "stream_descriptor is a list": '{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":[]}}}',
    "descriptor name is a number": (
        '{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":5}}}}'
    ),
    "unknown state type": '{"type":"STATE","state":{"type":"PER_STREAM","data":{}}}',
    "state is a list": '{"type":"STATE","state":[]}',
    "global is a string": '{"type":"STATE","state":{"type":"GLOBAL","global":"x"}}',
    "destinationStats is a list": '{"type":"STATE","state":{"type":"LEGACY","data":{},"destinationStats":[]}}',
    "stream_status is a string": '{"type":"TRACE","trace":{"type":"STREAM_STATUS","stream_status":"done"}}',
    "stream_status without descriptor": (
        '{"type":"TRACE","trace":{"type":"STREAM_STATUS","stream_status":{"status":"COMPLETE"}}}'
    ),
    "unknown stream status": (
        '{"type":"TRACE","trace":{"type":"STREAM_STATUS","stream_status":'
        '{"stream_descriptor":{"name":"a"},"status":"DONE"}}}'
    ),
    "trace is a number": '{"type":"TRACE","trace":7}',
    "record namespace is a number (slow path)": (
        '{"type":"RECORD","record":{"namespace":5,"stream":"a","emitted_at":1,"data":{"id":9}}}'
    ),
    "record is a string": '{"type":"RECORD","record":"a"}',
    "meta.changes is an object (fast path)": (
        '{"type":"RECORD","record":{"stream":"a","emitted_at":1,"data":{"id":9},"meta":{"changes":{}}}}'
    ),
}


@pytest.mark.parametrize("bad_line", BROKEN_SHAPES.values(), ids=BROKEN_SHAPES.keys())
def test_a_message_of_the_wrong_shape_is_a_protocol_error_naming_its_line(dest, bad_line):
    first_state = stream_state("a", {"n": 1})
    lines = [
        record("a", {"id": 1}),
        first_state,
        record("a", {"id": 2}),
        bad_line,
        record("a", {"id": 3}),
        stream_state("a", {"n": 2}),
    ]
    run = dest.write(ONE_STREAM, lines)
    error = run.assert_failed()
    assert error["failure_type"] == "system_error"
    assert error["message"].startswith("line 4: "), error
    assert "Unexpected" not in error["message"]
    assert run.of_type("STATE") == [echoed(first_state, 1)]
    assert ids(dest) == [1, 2]  # everything before the bad line is committed, nothing after it


@pytest.mark.parametrize("name", ["a\u0000b", "tab\there", "bell\u0007", "new\nline", 'quo"te', "back\\slash"])
def test_declared_property_names_with_control_characters(dest, name):
    cat = catalog(configured_stream("a", {"id": INT_SCHEMA, name: STR_SCHEMA}))
    dest.write(cat, [record("a", {"id": 1, name: "x"}), record("a", {"id": 2})]).assert_ok()
    rows = dest.data("a", order_by="id")
    assert [row["id"] for row in rows] == [1, 2]
    (column,) = (c for c in rows[0] if c != "id")
    assert [row[column] for row in rows] == ["x", None]


def test_a_lone_surrogate_is_stored_replaced_with_a_change_and_a_state_holding_one_is_echoed(dest):
    # Valid JSON text (some databases and sources produce it) that no UTF-8 store can hold.
    cat = catalog(configured_stream("a", {"id": INT_SCHEMA, "name": STR_SCHEMA}))
    state_line = (
        '{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"a"},'
        '"stream_state":{"c":"\\udc00"}}}}'
    )
    lines = [
        '{"type":"RECORD","record":{"stream":"a","emitted_at":1,"data":{"id":1,"name":"x\\ud800y"}}}',
        '{"type":"RECORD","record":{"stream":"a","emitted_at":1,"data":{"id":2,"k\\ud83d":1}}}',
        record("a", {"id": 3, "name": "ok"}),
        state_line,
    ]
    run = dest.write(cat, lines).assert_ok()
    (echo,) = run.of_type("STATE")
    assert echo["state"]["stream"]["stream_state"] == {"c": "\udc00"}  # verbatim: the escape goes out again
    assert echo["state"]["destinationStats"] == {"recordCount": 3.0}
    rows = {row["id"]: row for row in dest.rows("a")}
    assert rows[1]["name"] == "x\ufffdy"
    assert json.loads(rows[2]["_airbyte_additional_properties"]) == {"k\ufffd": 1}

    def replaced(field: str) -> dict[str, str]:
        return {"field": field, "change": "TRUNCATED", "reason": "DESTINATION_SERIALIZATION_ERROR"}

    assert json.loads(rows[1]["_airbyte_meta"])["changes"] == [replaced("name")]
    assert json.loads(rows[2]["_airbyte_meta"])["changes"] == [replaced("k\ufffd")]
    assert json.loads(rows[3]["_airbyte_meta"])["changes"] == []


@pytest.mark.parametrize("mode", ["append", "append_dedup"])
def test_a_key_twice_in_one_object_keeps_the_last_value_like_every_json_parser_sources_use(dest, mode):
    options = {"primary_key": ["id"], "cursor": "v"} if mode == "append_dedup" else {}
    cat = catalog(configured_stream("a", {"id": INT_SCHEMA, "v": INT_SCHEMA}, mode=mode, **options))
    lines = [
        '{"type":"RECORD","record":{"stream":"a","emitted_at":1,"data":{"id":1,"v":1,"v":5,"x":1,"x":2}}}',
        '{"type":"RECORD","record":{"stream":"a","emitted_at":2,"data":{"id":1,"v":3}}}',
        '{"type":"RECORD","record":{"stream":"a","emitted_at":1,"data":{"id":2,"v":1}}}',
    ]
    dest.write(cat, lines).assert_ok()
    rows = dest.rows("a", order_by="id, v")
    got = [(r["id"], r["v"], r["_airbyte_additional_properties"]) for r in rows]
    if mode == "append":
        assert got == [(1, 3, None), (1, 5, '{"x":2}'), (2, 1, None)]
    else:  # v=5 (the last of the two) is the greatest cursor: it wins over the later v=3
        assert got == [(1, 5, '{"x":2}'), (2, 1, None)]


def test_schema_named_like_the_database_file(tmp_path):
    from integration_tests.duckdb.harness import Destination

    dest = Destination(tmp_path)
    dest.path = tmp_path / "airbyte.duckdb"
    dest.config = {"destination_path": str(dest.path), "schema": "airbyte"}
    check = dest.check()
    assert check.status()["status"] == "SUCCEEDED", check.stdout
    state = stream_state("a", {"n": 1})
    run = dest.write(ONE_STREAM, [record("a", {"id": 1}), state]).assert_ok()
    assert run.of_type("STATE") == [echoed(state, 1)]
    assert dest.query('SELECT id FROM "airbyte"."airbyte"."a"') == [{"id": 1}]


def test_disk_full_reports_what_happened_and_keeps_every_echoed_state_covered(dest):
    """The file may not grow past a few MB (RLIMIT_FSIZE: writes fail like on a full disk). The error must
    say so, not that a ROLLBACK failed, and every state echoed before it must be covered."""
    limit = 4 * 1024 * 1024

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    cat = catalog(configured_stream("a", {"id": INT_SCHEMA, "name": STR_SCHEMA}))
    config = dest.with_config({"buffering": {"max_rows": 5_000}})
    argv = command_line("write", dest.tmp_path, config=config, catalog=cat)
    proc = subprocess.Popen(
        [*CLI.command, *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=ENV,
        preexec_fn=small_disk,
    )
    live = LiveWrite(proc)
    filler = "x" * 200
    for block in range(60):
        batch = [record("a", {"id": block * 5_000 + i, "name": filler}) for i in range(5_000)]
        try:
            live.send([*batch, stream_state("a", {"block": block})])
        except BrokenPipeError:
            break
    run = live.finish()
    assert run.returncode != 0
    errors = [m["trace"]["error"] for m in run.of_type("TRACE")]
    assert len(errors) == 1, errors
    message = errors[0]["message"]
    assert "disk is full" in message and "destination_path" in message, message
    assert "rollback" not in message.lower()
    echoed_blocks = [m["state"]["stream"]["stream_state"]["block"] for m in run.of_type("STATE")]
    assert echoed_blocks, "nothing was acknowledged before the disk filled up"
    committed = set(ids(dest))
    assert all(i in committed for i in range((echoed_blocks[-1] + 1) * 5_000))


def test_states_are_acknowledged_while_the_input_is_still_open(dest):
    """A finished stream is written at once, a state waiting on another stream's records does not wait for
    them, and a state waiting on its own buffered records waits ``max_state_wait_seconds`` at most, not the
    age bound (set far away here so only those rules can release anything)."""
    cat = catalog(
        configured_stream("products", {"id": INT_SCHEMA}),
        configured_stream("users", {"id": INT_SCHEMA}),
    )
    live = dest.start_write(cat, {"buffering": {"max_age_seconds": 600, "max_state_wait_seconds": 1}})
    products_state = stream_state("products", {"done": True})
    live.send([record("products", {"id": 1}), record("users", {"id": 1}), products_state])
    live.send([stream_status("products", "COMPLETE")])
    assert live.next_state(timeout=30) == echoed(products_state, 1)
    users_state = stream_state("users", {"n": 2})
    live.send([record("users", {"id": 2}), users_state])
    assert live.next_state(timeout=30) == echoed(users_state, 2)
    run = live.finish()
    assert run.returncode == 0 and run.of_type("STATE") == [echoed(products_state, 1), echoed(users_state, 2)]
