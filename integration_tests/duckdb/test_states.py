"""STATE echo rules: exact lines (scenario files), per-stream holding, GLOBAL / LEGACY scope."""

from __future__ import annotations

import pytest

from airbyte_dest_kit.testing import LiveWrite
from airbyte_dest_kit.testing.builders import catalog, echoed, global_state, record, stream_state
from integration_tests.duckdb.harness import INT_SCHEMA, configured_stream, expected_states, scenario

TWO_STREAMS = catalog(configured_stream("a", {"id": INT_SCHEMA}), configured_stream("b", {"id": INT_SCHEMA}))


@pytest.mark.parametrize(
    ("name", "table_ids"),
    [
        ("test_stream_states_interleaved", {"a": [1, 2, 3], "b": [1, 2, 3, 4]}),
        ("test_global_states", {"a": [1, 2, 3], "b": [1, 2, 3]}),
        ("test_legacy_states", {"a": [1, 2], "b": [1, 2]}),
    ],
)
def test_exact_state_lines(dest, name, table_ids):
    run = dest.write(TWO_STREAMS, scenario(name)).assert_ok()
    assert run.of_type("STATE") == expected_states(name)
    for table, ids in table_ids.items():
        assert [r["id"] for r in dest.data(table, order_by="id")] == ids


def test_state_lines_are_flushed_and_unchanged_in_key_order(dest):
    # The echo is the received object plus destinationStats: same keys, same order, a float count.
    line = (
        '{"type":"STATE","state":{"id":5,"type":"STREAM","sourceStats":{"recordCount":1.0},'
        '"stream":{"stream_descriptor":{"name":"a","namespace":null},"stream_state":{"z":1,"a":[1,{"b":null}]}}}}'
    )
    run = dest.write(TWO_STREAMS, [record("a", {"id": 1}), line]).assert_ok()
    (printed,) = [raw for raw in run.stdout.splitlines() if '"STATE"' in raw]
    assert printed == line[:-2] + ',"destinationStats":{"recordCount":1.0}}}'


def _live(dest) -> LiveWrite:
    # Batches of 2 rows; nothing is flushed for age, nor for a waiting state, during the test.
    buffering = {"max_rows": 2, "max_age_seconds": 600, "max_state_wait_seconds": 600}
    return dest.start_write(TWO_STREAMS, {"buffering": buffering})


def test_stream_state_waits_only_for_its_own_streams_records(dest):
    live = _live(dest)
    state_a = stream_state("a", {"a": 2}, id=1)
    state_b = stream_state("b", {"b": 1}, id=2)
    live.send([record("a", {"id": 1}), record("a", {"id": 2}), state_a])
    # a's two records fill a batch: its state is echoed while stdin is still open.
    assert live.next_state(timeout=20) == echoed(state_a, 2)
    live.send([record("b", {"id": 1}), state_b])
    # b's single record sits in its buffer (1 < max_rows): b's state must wait for it.
    assert live.next_state(timeout=2.5) is None
    run = live.finish()
    assert run.returncode == 0
    assert run.of_type("STATE") == [echoed(state_a, 2), echoed(state_b, 1)]


def test_global_state_waits_for_every_stream(dest):
    live = _live(dest)
    state = global_state({"lsn": 1}, streams={"a": {"id": 2}, "b": {"id": 1}}, id=3)
    live.send([record("a", {"id": 1}), record("a", {"id": 2}), record("b", {"id": 1}), state])
    # Stream a is flushed (a full batch), b is not: the GLOBAL state covers b too and must wait.
    assert live.next_state(timeout=2.5) is None
    run = live.finish()
    assert run.returncode == 0
    assert run.of_type("STATE") == [echoed(state, 3)]


def test_state_with_namespace_matches_records_with_that_namespace(dest):
    cat = catalog(configured_stream("a", {"id": INT_SCHEMA}, namespace="crm"))
    first = stream_state("a", {"n": 1}, namespace="crm")
    # A null and an empty namespace are one stream for the platform; so the catalog's own namespace must match.
    run = dest.write(cat, [record("a", {"id": 1}, namespace="crm"), first]).assert_ok()
    assert run.of_type("STATE") == [echoed(first, 1)]
    assert dest.data("a", schema="crm") == [{"id": 1}]
