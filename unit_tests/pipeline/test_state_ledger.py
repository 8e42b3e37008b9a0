"""StateLedger: per-stream watermarks, GLOBAL/LEGACY cover everything, arrival order, counts."""

from __future__ import annotations

import copy

from airbyte_dest_kit.destination.pipeline.ledger import StateLedger
from airbyte_dest_kit.testing.builders import global_state, legacy_state, stream_state

A = (None, "a")
B = (None, "b")


def released_payloads(ledger: StateLedger) -> list[object]:
    return [m["state"] for m in ledger.release()]


def test_stream_state_waits_only_for_its_own_stream() -> None:
    ledger = StateLedger()
    ledger.hold(stream_state("a", {"cursor": 1}), 3, {A: 2, B: 1}, 0.0)
    ledger.committed(B, 1)
    assert ledger.release() == []  # b's commit does not release a's state
    ledger.committed(A, 2)
    (state,) = ledger.release()
    assert state["state"]["stream"]["stream_state"] == {"cursor": 1}
    assert state["state"]["destinationStats"] == {"recordCount": 2.0}


def test_a_stream_state_never_waits_for_another_streams_records_or_states() -> None:
    ledger = StateLedger()
    ledger.hold(stream_state("a", {"n": 1}), 2, {A: 1, B: 0}, 0.0)
    ledger.hold(stream_state("b", {"n": 1}), 4, {A: 1, B: 1}, 0.0)
    ledger.hold(stream_state("a", {"n": 2}), 6, {A: 2, B: 1}, 0.0)
    ledger.committed(B, 1)
    # b's state is covered: a's earlier, uncovered state does not hold it back (protocol: STREAM states are
    # persisted per stream, so only a stream's own order matters)
    out = ledger.release()
    assert [(m["state"]["stream"]["stream_descriptor"]["name"], m["state"]["stream"]["stream_state"]) for m in out] == [
        ("b", {"n": 1})
    ]
    ledger.committed(A, 2)
    out = ledger.release()
    assert [m["state"]["stream"]["stream_state"] for m in out] == [{"n": 1}, {"n": 2}]  # a's own order kept
    assert [m["state"]["destinationStats"]["recordCount"] for m in out] == [1.0, 1.0]
    assert ledger.released == 3


def test_a_stream_state_keeps_its_own_streams_order() -> None:
    ledger = StateLedger()
    ledger.hold(stream_state("a", {"n": 1}), 3, {A: 2}, 0.0)
    ledger.hold(stream_state("a", {"n": 2}), 4, {A: 2}, 0.0)  # no new record: covered as soon as the first
    assert ledger.release() == []
    ledger.committed(A, 2)
    assert [m["state"]["stream"]["stream_state"] for m in ledger.release()] == [{"n": 1}, {"n": 2}]


def test_global_state_waits_for_every_earlier_state_and_holds_back_every_later_one() -> None:
    ledger = StateLedger()
    ledger.hold(stream_state("a", {"n": 1}), 2, {A: 1, B: 0}, 0.0)
    ledger.hold(global_state({"lsn": 1}), 4, {A: 1, B: 1}, 0.0)
    ledger.hold(stream_state("b", {"n": 2}), 5, {A: 1, B: 1}, 0.0)
    ledger.committed(B, 1)
    assert ledger.release() == []  # the GLOBAL waits for a; b's later state waits for the GLOBAL
    ledger.committed(A, 1)
    out = ledger.release()
    assert [m["state"].get("type") for m in out] == ["STREAM", "GLOBAL", "STREAM"]


def test_oldest_waits_names_the_streams_a_held_state_waits_for() -> None:
    ledger = StateLedger()
    ledger.hold(stream_state("a", {"n": 1}), 2, {A: 5, B: 0}, 10.0)
    ledger.hold(stream_state("a", {"n": 2}), 3, {A: 9, B: 0}, 11.0)
    ledger.hold(global_state({"lsn": 1}), 4, {A: 9, B: 3}, 12.0)
    assert ledger.oldest_waits() == {A: (10.0, 5), B: (12.0, 3)}
    ledger.committed(A, 5)
    ledger.release()
    assert ledger.oldest_waits() == {A: (11.0, 9), B: (12.0, 3)}


def test_global_and_legacy_states_wait_for_every_stream() -> None:
    ledger = StateLedger()
    ledger.hold(global_state({"lsn": 10}), 4, {A: 2, B: 1}, 0.0)
    ledger.hold(legacy_state({"cursor": "x"}), 6, {A: 3, B: 1}, 0.0)
    ledger.committed(A, 3)
    assert ledger.release() == []
    ledger.committed(B, 1)
    out = ledger.release()
    assert [m["state"].get("type") for m in out] == ["GLOBAL", None]
    assert [m["state"]["destinationStats"]["recordCount"] for m in out] == [3.0, 1.0]


def test_state_before_any_record_is_released_at_once_with_zero_count() -> None:
    ledger = StateLedger()
    ledger.hold(stream_state("a", {}), 1, {A: 0}, 0.0)
    (state,) = ledger.release()
    assert state["state"]["destinationStats"]["recordCount"] == 0.0


def test_state_is_echoed_verbatim_with_unknown_keys_and_existing_stats() -> None:
    message = stream_state("a", {"c": 1}, id=17, sourceStats={"recordCount": 2.0})
    message["state"]["destinationStats"] = {"rejectedRecordCount": 0.0}
    message["extra_envelope_key"] = "kept"
    expected = copy.deepcopy(message)
    ledger = StateLedger()
    ledger.hold(message, 3, {A: 2}, 0.0)
    ledger.committed(A, 2)
    (out,) = ledger.release()
    expected["state"]["destinationStats"] = {"rejectedRecordCount": 0.0, "recordCount": 2.0}
    assert out == expected


def test_null_and_empty_namespace_are_the_same_stream() -> None:
    ledger = StateLedger()
    ledger.hold(stream_state("a", {}, namespace=""), 2, {A: 1}, 0.0)
    assert ledger.release() == []
    ledger.committed(A, 1)
    assert len(ledger.release()) == 1


def test_discard_after_drops_states_past_a_bad_line() -> None:
    ledger = StateLedger()
    ledger.hold(stream_state("a", {"n": 1}), 2, {A: 1}, 0.0)
    ledger.hold(stream_state("b", {"n": 1}), 9, {B: 0}, 0.0)  # covered, but after the bad line 5
    ledger.discard_after(5)
    ledger.committed(A, 1)
    assert [m["state"]["stream"]["stream_descriptor"]["name"] for m in ledger.release()] == ["a"]
    assert ledger.pending == 0
