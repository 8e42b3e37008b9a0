"""The whole pipe: ``source-sample read | destination-duckdb write``, then an incremental second sync
resumed from the states the destination echoed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import orjson
from source_runner import ROOT

SOURCE = ROOT / "sources" / "source-sample" / "main.py"
DESTINATION = ROOT / "destinations" / "destination-duckdb" / "main.py"
CATALOG = ROOT / "sources" / "source-sample" / "sample_files" / "configured_catalog.json"


def sync(tmp_path: Path, count: int, state: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """One sync; returns the STATE messages the destination echoed."""
    source_config, destination_config = tmp_path / "source.json", tmp_path / "destination.json"
    source_config.write_text(json.dumps({"count": count, "seed": 9, "records_per_slice": 1000}))
    destination_config.write_text(json.dumps({"destination_path": str(tmp_path / "shop.duckdb")}))
    read = [sys.executable, str(SOURCE), "read", "--config", str(source_config), "--catalog", str(CATALOG)]
    if state is not None:
        (tmp_path / "state.json").write_text(json.dumps(state))
        read += ["--state", str(tmp_path / "state.json")]
    write = [sys.executable, str(DESTINATION), "write", "--config", str(destination_config), "--catalog", str(CATALOG)]
    source = subprocess.Popen(read, stdout=subprocess.PIPE, cwd=ROOT)
    destination = subprocess.run(write, stdin=source.stdout, capture_output=True, cwd=ROOT, timeout=60)
    assert source.stdout is not None
    source.stdout.close()
    assert source.wait(timeout=60) == 0
    assert destination.returncode == 0, destination.stdout[-2000:]
    messages = [orjson.loads(line) for line in destination.stdout.splitlines()]
    return [m["state"] for m in messages if m["type"] == "STATE"]


def last_state_per_stream(states: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each stream's last echoed state (streams' states may interleave in any order; each keeps its own)."""
    return {s["stream"]["stream_descriptor"]["name"]: s for s in states}


def rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(tmp_path / "shop.duckdb"), read_only=True) as connection:
        return connection.sql(sql).fetchall()


def test_sample_source_into_duckdb_then_an_incremental_sync_from_the_echoed_state(tmp_path: Path) -> None:
    first = sync(tmp_path, 2500, None)
    # every state the source emitted comes back, with matching counts
    assert all(s["destinationStats"]["recordCount"] == s["sourceStats"]["recordCount"] for s in first)
    assert (
        sum(s["sourceStats"]["recordCount"] for s in first if s["stream"]["stream_descriptor"]["name"] == "users")
        == 2500
    )
    assert rows(tmp_path, "select count(*), count(distinct id), max(id) from main.users") == [(2500, 2500, 2500)]
    assert rows(tmp_path, "select count(*) from main.purchases") == [(2500,)]
    resumed_from = last_state_per_stream(first)
    assert set(resumed_from) == {"users", "purchases", "products"}

    second = sync(tmp_path, 3200, list(resumed_from.values()))
    new_users = sum(
        s["sourceStats"]["recordCount"] for s in second if s["stream"]["stream_descriptor"]["name"] == "users"
    )
    assert new_users == 700  # only ids 2501..3200 were read
    assert rows(tmp_path, "select count(*), count(distinct id), max(id) from main.users") == [(3200, 3200, 3200)]
    assert rows(tmp_path, "select count(*) from main.products") == [(240,)]
    final_users = last_state_per_stream(second)["users"]
    assert (
        final_users["stream"]["stream_state"]["updated_at"]
        == rows(tmp_path, "select strftime(max(updated_at) at time zone 'UTC', '%Y-%m-%dT%H:%M:%SZ') from main.users")[
            0
        ][0]
    )
