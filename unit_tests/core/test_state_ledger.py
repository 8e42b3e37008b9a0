"""StateLedger: per-stream watermarks, GLOBAL/LEGACY cover everything, arrival order, counts."""

from __future__ import annotations

import copy

from airbyte_dest_kit.pipeline.ledger import StateLedger
from airbyte_dest_kit.testing.builders import global_state, legacy_state, stream_state

A = (None, "a")
B = (None, "b")


def released_payloads(ledger: StateLedger) -> list[object]:
    return [m["state"] for m in ledger.release()]


def test_stream_state_waits_only_for_its_own_stream() -> None:
    ledger = StateLedger()
    ledger.hold(stream_state("a", {"cursor": 1}), 3, {A: 2, B: 1})
    ledger.committed(B, 1)
    assert ledger.release() == []  # b's commit does not release a's state
    ledger.committed(A, 2)
    (state,) = ledger.release()
    assert state["state"]["stream"]["stream_state"] == {"cursor": 1}
    assert state["state"]["destinationStats"] == {"recordCount": 2.0}


def test_two_interleaved_streams_release_in_arrival_order() -> None:
    ledger = StateLedger()
    ledger.hold(stream_state("a", {"n": 1}), 2, {A: 1, B: 0})
    ledger.hold(stream_state("b", {"n": 1}), 4, {A: 1, B: 1})
    ledger.hold(stream_state("a", {"n": 2}), 6, {A: 2, B: 1})
    ledger.committed(B, 1)
    # b's state is covered but must not overtake a's earlier, uncovered one
    assert ledger.release() == []
    ledger.committed(A, 1)
    out = ledger.release()
    assert [(m["state"]["stream"]["stream_descriptor"]["name"], m["state"]["stream"]["stream_state"]) for m in out] == [
        ("a", {"n": 1}),
        ("b", {"n": 1}),
    ]
    assert [m["state"]["destinationStats"]["recordCount"] for m in out] == [1.0, 1.0]
    ledger.committed(A, 2)
    (last,) = ledger.release()
    assert last["state"]["destinationStats"]["recordCount"] == 1.0  # records of a since a's previous state
    assert ledger.released == 3


def test_global_and_legacy_states_wait_for_every_stream() -> None:
    ledger = StateLedger()
    ledger.hold(global_state({"lsn": 10}), 4, {A: 2, B: 1})
    ledger.hold(legacy_state({"cursor": "x"}), 6, {A: 3, B: 1})
    ledger.committed(A, 3)
    assert ledger.release() == []
    ledger.committed(B, 1)
    out = ledger.release()
    assert [m["state"].get("type") for m in out] == ["GLOBAL", None]
    assert [m["state"]["destinationStats"]["recordCount"] for m in out] == [3.0, 1.0]


def test_state_before_any_record_is_released_at_once_with_zero_count() -> None:
    ledger = StateLedger()
    ledger.hold(stream_state("a", {}), 1, {A: 0})
    (state,) = ledger.release()
    assert state["state"]["destinationStats"]["recordCount"] == 0.0


def test_state_is_echoed_verbatim_with_unknown_keys_and_existing_stats() -> None:
    message = stream_state("a", {"c": 1}, id=17, sourceStats={"recordCount": 2.0})
    message["state"]["destinationStats"] = {"rejectedRecordCount": 0.0}
    message["extra_envelope_key"] = "kept"
    expected = copy.deepcopy(message)
    ledger = StateLedger()
    ledger.hold(message, 3, {A: 2})
    ledger.committed(A, 2)
    (out,) = ledger.release()
    expected["state"]["destinationStats"] = {"rejectedRecordCount": 0.0, "recordCount": 2.0}
    assert out == expected


def test_null_and_empty_namespace_are_the_same_stream() -> None:
    ledger = StateLedger()
    ledger.hold(stream_state("a", {}, namespace=""), 2, {A: 1})
    assert ledger.release() == []
    ledger.committed(A, 1)
    assert len(ledger.release()) == 1


def test_discard_after_drops_states_past_a_bad_line() -> None:
    ledger = StateLedger()
    ledger.hold(stream_state("a", {"n": 1}), 2, {A: 1})
    ledger.hold(stream_state("b", {"n": 1}), 9, {B: 0})  # covered, but after the bad line 5
    ledger.discard_after(5)
    ledger.committed(A, 1)
    assert [m["state"]["stream"]["stream_descriptor"]["name"] for m in ledger.release()] == ["a"]
    assert ledger.pending == 0
