"""Bad input on stdin: what came before is committed and acknowledged, nothing after it, then a TRACE ERROR."""

from __future__ import annotations

import pytest

from airbyte_dest_kit.testing.builders import catalog, echoed, message_line, record, stdin_lines, stream_state
from integration_tests.duckdb.harness import INT_SCHEMA, configured_stream, expected_states, scenario

TWO_STREAMS = catalog(configured_stream("a", {"id": INT_SCHEMA}), configured_stream("b", {"id": INT_SCHEMA}))


def ids(dest, table: str) -> list[int]:
    return [r["id"] for r in dest.data(table, order_by="id")]


@pytest.mark.parametrize(
    "bad_line",
    [
        None,  # the scenario's own line 7: a RECORD cut off mid-JSON (it looks like a record to a fast router)
        "this is not json",
        '{"type":"STATE","state":{"type":"STREAM",',
        "[1, 2, 3]",  # JSON, but not a message object
    ],
)
def test_malformed_json_line(dest, bad_line):
    lines = scenario("test_malformed_json_line")
    if bad_line is not None:
        lines[6] = bad_line
    run = dest.write(TWO_STREAMS, lines)
    error = run.assert_failed()
    assert error["failure_type"] == "system_error"
    assert "line 7" in error["message"]
    assert run.of_type("STATE") == expected_states("test_malformed_json_line")
    assert ids(dest, "a") == [1, 2, 3]  # record 3 came before the bad line: committed, though no state covers it
    assert ids(dest, "b") == [1]


def test_malformed_line_with_small_batches_still_commits_what_came_before(dest):
    # With max_rows=1 and input arriving line by line, earlier records are written in earlier batches.
    lines = scenario("test_malformed_json_line")
    run = dest.write_in_pieces(TWO_STREAMS, lines, piece=1, pause=0.1, config={"buffering": {"max_rows": 1}})
    run.assert_failed()
    assert run.of_type("STATE") == expected_states("test_malformed_json_line")
    assert ids(dest, "a") == [1, 2, 3]
    assert ids(dest, "b") == [1]


def test_record_for_unknown_stream(dest):
    run = dest.write(TWO_STREAMS, scenario("test_record_for_unknown_stream"))
    error = run.assert_failed()
    assert "line 4" in error["message"] and "ghost" in error["message"]
    assert run.of_type("STATE") == expected_states("test_record_for_unknown_stream")
    assert ids(dest, "a") == [1, 2]
    assert ("main", "ghost") not in dest.tables()


def test_skips_unknown_messages(dest):
    run = dest.write(TWO_STREAMS, scenario("test_skips_unknown_messages")).assert_ok()
    assert run.of_type("STATE") == expected_states("test_skips_unknown_messages")
    assert ids(dest, "a") == [1, 2]
    assert ids(dest, "b") == []


@pytest.mark.parametrize(
    "bad_record",
    [
        record("a", [1, 2]),
        record("a", "text"),
        record("a", None),
        '{"type":"RECORD","record":{"stream":"a","emitted_at":1}}',  # no data at all
        '{"record":{"data":[1],"stream":"a","emitted_at":1},"type":"RECORD"}',  # same, another key order
    ],
)
def test_record_data_that_is_not_an_object(dest, bad_record):
    first = stream_state("a", {"a": 1}, id=1)
    run = dest.write(
        TWO_STREAMS,
        [
            record("a", {"id": 1}),
            first,
            record("a", {"id": 2}),
            bad_record,
            record("a", {"id": 3}),
            stream_state("a", {"a": 3}, id=2),
        ],
    )
    error = run.assert_failed()
    assert "line 4" in error["message"]
    assert run.of_type("STATE") == [echoed(first, 1)]
    assert ids(dest, "a") == [1, 2]


def test_complete_last_line_without_newline_is_processed(dest):
    state = stream_state("a", {"a": 1}, id=1)
    data = stdin_lines([record("a", {"id": 1})]) + message_line(state)  # no newline at the end
    run = dest.write(TWO_STREAMS, data).assert_ok()
    assert run.of_type("STATE") == [echoed(state, 1)]
    data = stdin_lines([state]) + message_line(record("a", {"id": 2}))
    dest.write(TWO_STREAMS, data).assert_ok()
    assert ids(dest, "a") == [1, 2]


def test_truncated_last_line_fails_after_committing_what_came_before(dest):
    state = stream_state("a", {"a": 1}, id=1)
    cut = message_line(record("a", {"id": 3}))[:30]
    data = stdin_lines([record("a", {"id": 1}), state, record("a", {"id": 2})]) + cut
    run = dest.write(TWO_STREAMS, data)
    error = run.assert_failed()
    assert "line 4" in error["message"]
    assert run.of_type("STATE") == [echoed(state, 1)]
    assert ids(dest, "a") == [1, 2]
