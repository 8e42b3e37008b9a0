"""sources/source-sample/main.py as a subprocess: spec, check, discover, read, determinism, incremental."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from source_runner import ROOT, RunSource

SAMPLE_FILES = ROOT / "sources" / "source-sample" / "sample_files"
CATALOG = json.loads((SAMPLE_FILES / "configured_catalog.json").read_text())


def test_spec_and_check(sample_source: RunSource) -> None:
    spec = sample_source("spec")
    assert spec.returncode == 0
    properties = spec.of_type("SPEC")[0]["spec"]["connectionSpecification"]["properties"]
    assert {"count", "seed", "records_per_slice", "emitted_at_ms"} <= properties.keys()
    assert sample_source("check", {"count": 10}).of_type("CONNECTION_STATUS")[0]["connectionStatus"] == {
        "status": "SUCCEEDED"
    }
    failed = sample_source("check", {"count": "many"})
    assert failed.returncode == 0
    status = failed.of_type("CONNECTION_STATUS")[0]["connectionStatus"]
    assert status["status"] == "FAILED" and "key 'count'" in status["message"]


def test_discover_lists_the_three_streams_with_keys_and_cursor(sample_source: RunSource) -> None:
    run = sample_source("discover", SAMPLE_FILES / "config.json")
    streams = {s["name"]: s for s in run.of_type("CATALOG")[0]["catalog"]["streams"]}
    assert set(streams) == {"users", "purchases", "products"}
    for stream in streams.values():
        assert stream["source_defined_primary_key"] == [["id"]]
        assert stream["default_cursor_field"] == ["updated_at"]
        assert stream["json_schema"]["properties"]["updated_at"]["format"] == "date-time"
    users = streams["users"]["json_schema"]["properties"]
    assert "object" in users["address"]["type"] and "array" in users["tags"]["type"]


def test_read_emits_every_record_with_a_state_per_slice(sample_source: RunSource) -> None:
    run = sample_source("read", {"count": 2600, "seed": 3, "records_per_slice": 1000}, CATALOG)
    assert run.returncode == 0, run.stderr
    users = run.records("users")
    assert [u["id"] for u in users] == list(range(1, 2601))
    assert len(run.records("purchases")) == 2600 and len(run.records("products")) > 100
    counts = [s["sourceStats"]["recordCount"] for s in run.states("users")]
    assert counts == [1000.0, 1000.0, 600.0]
    assert run.states("users")[-1]["stream"]["stream_state"] == {"updated_at": users[-1]["updated_at"]}
    assert all(run.statuses(name) == ["STARTED", "RUNNING", "COMPLETE"] for name in ("users", "purchases", "products"))
    assert {"street_name", "city", "country_code"} <= users[0]["address"].keys() and isinstance(users[0]["tags"], list)
    assert all(u["created_at"] <= u["updated_at"] for u in users)
    assert len({u["email"] for u in users}) == len(users)
    purchases = run.records("purchases")
    assert all(1 <= p["user_id"] <= p["id"] for p in purchases)
    record_lines = [line for line in run.lines if line.startswith(b'{"type":"RECORD"')]
    assert all(line.startswith(b'{"type":"RECORD","record":{"stream":"') for line in record_lines)
    user_lines = [line for line in record_lines if b'"stream":"users"' in line]
    average = sum(len(line) for line in user_lines) / len(user_lines)
    assert 380 <= average <= 560, average  # ~400 bytes of data per main-stream record


def test_same_seed_same_bytes_other_seed_other_data(sample_source: RunSource) -> None:
    config: dict[str, Any] = {"count": 3000, "seed": 11, "records_per_slice": 700, "emitted_at_ms": 1_700_000_000_000}
    first, second = sample_source("read", config, CATALOG), sample_source("read", config, CATALOG)

    def data_lines(lines: list[bytes]) -> list[bytes]:
        return [line for line in lines if not line.startswith(b'{"type":"TRACE"')]

    assert data_lines(first.lines) == data_lines(second.lines)
    assert all(m["record"]["emitted_at"] == 1_700_000_000_000 for m in first.of_type("RECORD"))
    other = sample_source("read", {**config, "seed": 12}, CATALOG)
    assert other.records("users") != first.records("users")
    assert [u["id"] for u in other.records("users")] == [u["id"] for u in first.records("users")]


def test_second_read_from_the_final_state_returns_only_new_records(sample_source: RunSource, tmp_path: Path) -> None:
    first = sample_source("read", {"count": 1500, "seed": 5, "records_per_slice": 400}, CATALOG)
    final_states = [first.states(name)[-1] for name in ("users", "purchases", "products")]
    grown = sample_source("read", {"count": 2100, "seed": 5, "records_per_slice": 400}, CATALOG, final_states)
    assert grown.returncode == 0, grown.stderr
    assert [u["id"] for u in grown.records("users")] == list(range(1501, 2101))
    assert [p["id"] for p in grown.records("purchases")] == list(range(1501, 2101))
    assert grown.records("products") == []
    # the new records are the ones a single read of 2100 would have produced
    full = sample_source("read", {"count": 2100, "seed": 5, "records_per_slice": 400}, CATALOG)
    assert grown.records("users") == full.records("users")[1500:]
    assert [s["sourceStats"]["recordCount"] for s in grown.states("users")] == [400.0, 200.0]
    unchanged = sample_source("read", {"count": 2100, "seed": 5}, CATALOG, [grown.states("users")[-1]])
    assert unchanged.records("users") == [] and len(unchanged.records("purchases")) == 2100
    assert (
        unchanged.states("users")[-1]["stream"]["stream_state"] == grown.states("users")[-1]["stream"]["stream_state"]
    )
