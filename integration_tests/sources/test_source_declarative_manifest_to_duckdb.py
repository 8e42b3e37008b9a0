"""``source-declarative-manifest read | destination-duckdb write`` over the local shop API, then an
incremental second sync resumed from the states the destination echoed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import orjson
from source_runner import ROOT, pipe

from airbyte_dest_kit.testing.http_api import LocalShopApi

SOURCE = ROOT / "sources" / "source-declarative-manifest" / "main.py"
MANIFEST = ROOT / "sources" / "source-declarative-manifest" / "examples" / "shop-events-incremental.yaml"
DESTINATION = ROOT / "destinations" / "destination-duckdb" / "main.py"


def configured_catalog(tmp_path: Path, source_config: Path) -> Path:
    """The source's discovered stream, read incrementally and deduplicated on its primary key."""
    discover = [sys.executable, str(SOURCE), "discover", "--manifest", str(MANIFEST), "--config", str(source_config)]
    out = subprocess.run(discover, capture_output=True, cwd=ROOT, timeout=60, check=True).stdout
    (stream,) = next(m for m in map(orjson.loads, out.splitlines()) if m["type"] == "CATALOG")["catalog"]["streams"]
    configured = {
        "stream": stream,
        "sync_mode": "incremental",
        "destination_sync_mode": "append_dedup",
        "cursor_field": stream["default_cursor_field"],
        "primary_key": stream["source_defined_primary_key"],
    }
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"streams": [configured]}))
    return path


def sync(tmp_path: Path, api: LocalShopApi, state: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """One sync; returns the STATE messages the destination echoed."""
    source_config, destination_config = tmp_path / "source.json", tmp_path / "destination.json"
    source_config.write_text(
        json.dumps(
            {
                "base_url": api.base_url,
                "api_key": api.api_key,
                "start_date": "2024-03-01T00:00:00Z",
                "end_date": "2024-03-01T06:00:00Z",
            }
        )
    )
    destination_config.write_text(json.dumps({"destination_path": str(tmp_path / "shop.duckdb")}))
    catalog = configured_catalog(tmp_path, source_config)
    read = [sys.executable, str(SOURCE), "read", "--manifest", str(MANIFEST), "--config", str(source_config)]
    read += ["--catalog", str(catalog)]
    if state is not None:
        (tmp_path / "state.json").write_text(json.dumps(state))
        read += ["--state", str(tmp_path / "state.json")]
    write = [sys.executable, str(DESTINATION), "write", "--config", str(destination_config), "--catalog", str(catalog)]
    return pipe(read, write)


def rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(tmp_path / "shop.duckdb"), read_only=True) as connection:
        return connection.sql(sql).fetchall()


def test_manifest_source_into_duckdb_then_an_incremental_sync_from_the_echoed_state(tmp_path: Path) -> None:
    with LocalShopApi(api_key="key-77aa66bb55cc") as api:
        first = sync(tmp_path, api, None)
        assert [s["destinationStats"]["recordCount"] for s in first] == [s["sourceStats"]["recordCount"] for s in first]
        assert sum(s["sourceStats"]["recordCount"] for s in first) == 130
        assert rows(tmp_path, "select count(*), count(distinct id), max(id) from main.events") == [(130, 130, 130)]
        resumed_from = first[-1]
        assert resumed_from["stream"]["stream_state"] == {"at": api.event(130)["at"]}

        api.events = 160
        served_before = len(api.served)
        second = sync(tmp_path, api, [resumed_from])
        # only events from the saved cursor on were requested and read: 130 (at the cursor, re-read as the
        # inclusive cursor requires) and the 30 new ones
        assert sum(s["sourceStats"]["recordCount"] for s in second) == 31
        assert min(r.query["since"] for r in api.served[served_before:]) == api.event(130)["at"]
        assert rows(tmp_path, "select count(*), count(distinct id), max(id) from main.events") == [(160, 160, 160)]
        assert second[-1]["stream"]["stream_state"] == {"at": api.event(160)["at"]}
        assert rows(tmp_path, "select kind from main.events where id = 159") == [(api.event(159)["kind"],)]
