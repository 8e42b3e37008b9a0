"""The read loop through the real command line: statuses, checkpoints, failures, state in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest
from source_fakes import FakeSource, Letters, Numbers, configured_catalog, write_spec

from airbyte_dest_kit.sources import Source
from airbyte_dest_kit.testing import Run, run_connector

CONFIG = {"api_key": "sk-live-123"}


def make(tmp_path: Path, *streams: Any) -> Source:
    return FakeSource(write_spec(tmp_path), lambda config: list(streams))


def read(source: Source, catalog: dict[str, Any], state: Any = None) -> Run:
    return run_connector(source, "read", config=CONFIG, catalog=catalog, state=state)


def test_checkpoint_after_every_slice_counts_the_records_since_the_previous_one(tmp_path: Path) -> None:
    run = read(make(tmp_path, Numbers("nums", 7, 3)), configured_catalog([("nums", "incremental")]))
    assert run.returncode == 0
    assert [(s["stream"]["stream_state"], s["sourceStats"]["recordCount"]) for s in run.states()] == [
        ({"last_id": 3}, 3.0),
        ({"last_id": 6}, 3.0),
        ({"last_id": 7}, 1.0),
    ]
    kinds = [m["type"] if m["type"] != "STATE" else "STATE" for m in run.messages]
    assert kinds == ["TRACE", "TRACE"] + ["RECORD"] * 3 + ["STATE"] + ["RECORD"] * 3 + [
        "STATE",
        "RECORD",
        "STATE",
        "TRACE",
    ]
    assert run.statuses("nums") == ["STARTED", "RUNNING", "COMPLETE"]


def test_checkpoint_interval_adds_states_inside_a_slice(tmp_path: Path) -> None:
    class EveryTwo(Numbers):
        checkpoint_interval: ClassVar[int | None] = 2

    run = read(make(tmp_path, EveryTwo("nums", 5, 5)), configured_catalog([("nums", "incremental")]))
    assert [(s["stream"]["stream_state"]["last_id"], s["sourceStats"]["recordCount"]) for s in run.states()] == [
        (2, 2.0),
        (4, 2.0),
        (5, 1.0),
    ]


def test_a_skipped_interval_checkpoint_is_due_again_an_interval_later_and_restarts_after_a_slice(
    tmp_path: Path,
) -> None:
    class NotBeforeThree(Numbers):
        checkpoint_interval: ClassVar[int | None] = 2

        def interval_checkpoint_due(self) -> bool:
            return bool(self.dump_state()) and self.dump_state()["last_id"] >= 3

    # slices of 5: the checkpoint due at record 2 is skipped, the next one comes at 4 covering 4 records;
    # the second slice counts from its start again (due at 7, then 9)
    run = read(make(tmp_path, NotBeforeThree("nums", 10, 5)), configured_catalog([("nums", "incremental")]))
    assert [(s["stream"]["stream_state"]["last_id"], s["sourceStats"]["recordCount"]) for s in run.states()] == [
        (4, 4.0),
        (5, 1.0),
        (7, 2.0),
        (9, 2.0),
        (10, 1.0),
    ]


def test_records_come_in_canonical_key_order_with_stream_first(tmp_path: Path) -> None:
    stream = Numbers("nums", 1, 1, namespace="crm")
    run = read(make(tmp_path, stream), configured_catalog([("nums", "full_refresh")], "crm"))
    record_line = next(line for line in run.lines if b'"RECORD"' in line)
    assert record_line.startswith(b'{"type":"RECORD","record":{"stream":"nums","namespace":"crm","emitted_at":')
    assert record_line.endswith(b',"data":{"id":1}}}')
    assert isinstance(orjson.loads(record_line)["record"]["emitted_at"], int)


def test_incremental_read_resumes_from_the_saved_state_and_full_refresh_ignores_it(tmp_path: Path) -> None:
    saved = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "nums"}, "stream_state": {"last_id": 5}}}]
    catalog_inc = configured_catalog([("nums", "incremental")])
    resumed = read(make(tmp_path, Numbers("nums", 7, 10)), catalog_inc, saved)
    assert [r["id"] for r in resumed.records("nums")] == [6, 7]
    full = read(make(tmp_path, Numbers("nums", 7, 10)), configured_catalog([("nums", "full_refresh")]), saved)
    assert [r["id"] for r in full.records("nums")] == list(range(1, 8))


def test_a_stream_with_nothing_new_still_ends_with_its_state(tmp_path: Path) -> None:
    saved = {"nums": {"last_id": 7}}  # legacy dict input
    run = read(make(tmp_path, Numbers("nums", 7, 3)), configured_catalog([("nums", "incremental")]), saved)
    assert run.records("nums") == []
    assert [(s["stream"]["stream_state"], s["sourceStats"]["recordCount"]) for s in run.states()] == [
        ({"last_id": 7}, 0.0)
    ]
    assert run.statuses("nums") == ["STARTED", "COMPLETE"]


def test_full_refresh_stream_checkpoints_an_empty_state(tmp_path: Path) -> None:
    run = read(make(tmp_path, Letters()), configured_catalog([("letters", "full_refresh")]))
    assert [s["stream"]["stream_state"] for s in run.states()] == [{}]
    assert run.states()[0]["sourceStats"] == {"recordCount": 3.0}


def test_a_failing_stream_is_incomplete_and_the_others_still_run(tmp_path: Path) -> None:
    streams = (Numbers("first", 4, 2, fail_at=3), Letters(), Numbers("last", 2, 5))
    catalog = configured_catalog([("first", "incremental"), ("letters", "full_refresh"), ("last", "incremental")])
    run = read(make(tmp_path, *streams), catalog)
    assert run.returncode == 1
    assert run.statuses("first") == ["STARTED", "RUNNING", "INCOMPLETE"]
    assert run.statuses("letters") == ["STARTED", "RUNNING", "COMPLETE"]
    assert run.statuses("last") == ["STARTED", "RUNNING", "COMPLETE"]
    assert [r["id"] for r in run.records("first")] == [1, 2]  # what came before the failure is kept
    stream_error, final_error = run.errors()
    assert stream_error["stream_descriptor"] == {"name": "first"}
    assert stream_error["failure_type"] == "system_error"
    assert "RuntimeError: boom at 3" in stream_error["message"]
    assert "first" in final_error["message"] and final_error["failure_type"] == "system_error"
    assert run.messages[-1]["type"] == "TRACE" and run.messages[-1]["trace"]["error"] is final_error


def test_a_stream_missing_from_the_source_is_a_config_error(tmp_path: Path) -> None:
    run = read(make(tmp_path, Letters()), configured_catalog([("ghost", "full_refresh"), ("letters", "full_refresh")]))
    assert run.returncode == 1
    assert run.statuses("ghost") == ["INCOMPLETE"]
    assert run.statuses("letters")[-1] == "COMPLETE"
    assert run.errors()[0]["failure_type"] == "config_error"
    assert run.errors()[-1]["failure_type"] == "config_error"


def test_incremental_sync_of_a_stream_without_cursor_fails_that_stream(tmp_path: Path) -> None:
    run = read(make(tmp_path, Letters()), configured_catalog([("letters", "incremental")]))
    assert run.returncode == 1
    assert "cannot be read incrementally" in run.errors()[0]["message"]
    assert run.records("letters") == []


def test_invalid_saved_state_names_the_stream(tmp_path: Path) -> None:
    run = read(
        make(tmp_path, Numbers("nums", 3, 3)), configured_catalog([("nums", "incremental")]), {"nums": {"last_id": "x"}}
    )
    assert run.returncode == 1
    assert "stream 'nums': saved state is invalid at last_id" in run.errors()[0]["message"]


def test_global_state_lists_every_stream_and_counts_across_streams(tmp_path: Path) -> None:
    class GlobalSource(FakeSource):
        state_type = "GLOBAL"

    saved = [
        {
            "type": "GLOBAL",
            "global": {
                "shared_state": {"lsn": 1},
                "stream_states": [
                    {"stream_descriptor": {"name": "other"}, "stream_state": {"kept": True}},
                    {"stream_descriptor": {"name": "b"}, "stream_state": {"last_id": 1}},
                ],
            },
        }
    ]
    streams = [Numbers("a", 3, 2, fail_at=3), Numbers("b", 3, 5)]
    source = GlobalSource(write_spec(tmp_path), lambda config: streams)
    run = read(source, configured_catalog([("a", "incremental"), ("b", "incremental")]), saved)
    assert run.returncode == 1
    states = run.states()
    assert all(s["type"] == "GLOBAL" and s["global"]["shared_state"] == {"lsn": 1} for s in states)
    # a: ids 1-2 then checkpoint; the slice with id 3 fails. b resumes after id 1 and reads 2-3.
    assert [s["sourceStats"]["recordCount"] for s in states] == [2.0, 2.0]
    final = {e["stream_descriptor"]["name"]: e["stream_state"] for e in states[-1]["global"]["stream_states"]}
    assert final == {"other": {"kept": True}, "b": {"last_id": 3}, "a": {"last_id": 2}}


def test_records_of_a_failed_stream_after_its_last_checkpoint_count_in_the_next_global_state(tmp_path: Path) -> None:
    class GlobalSource(FakeSource):
        state_type = "GLOBAL"

    streams = [Numbers("a", 5, 3, fail_at=5), Numbers("b", 1, 5)]
    source = GlobalSource(write_spec(tmp_path), lambda config: streams)
    run = read(source, configured_catalog([("a", "incremental"), ("b", "incremental")]))
    # a: 1-3, checkpoint (3); 4 emitted, then failure at 5; b: 1, checkpoint covers a's 4 and b's 1.
    assert [s["sourceStats"]["recordCount"] for s in run.states()] == [3.0, 2.0]
    assert sum(s["sourceStats"]["recordCount"] for s in run.states()) == len(run.of_type("RECORD"))


def test_discover_lists_streams_with_cursor_and_primary_key(tmp_path: Path) -> None:
    run = run_connector(make(tmp_path, Numbers("nums", 1, 1), Letters()), "discover", config=CONFIG)
    nums, letters = run.of_type("CATALOG")[0]["catalog"]["streams"]
    assert nums["supported_sync_modes"] == ["full_refresh", "incremental"]
    assert nums["default_cursor_field"] == ["id"] and nums["source_defined_cursor"] is True
    assert nums["source_defined_primary_key"] == [["id"]]
    assert letters["supported_sync_modes"] == ["full_refresh"]
    assert "default_cursor_field" not in letters


def test_duplicate_stream_names_in_a_source_are_refused(tmp_path: Path) -> None:
    run = run_connector(make(tmp_path, Letters(), Letters()), "discover", config=CONFIG)
    assert run.returncode == 1
    assert "defines stream 'letters' twice" in run.errors()[0]["message"]


@pytest.mark.parametrize("command", ["discover", "read"])
def test_config_is_validated_against_the_spec(tmp_path: Path, command: str) -> None:
    catalog = configured_catalog([("letters", "full_refresh")]) if command == "read" else None
    run = run_connector(make(tmp_path, Letters()), command, config={}, catalog=catalog)
    assert run.returncode == 1
    assert run.errors()[0]["failure_type"] == "config_error"
    assert "key 'api_key'" in run.errors()[0]["message"]
