"""`make demo`: a sample sync into DuckDB, then an incremental one resumed from the echoed states.

    source-sample read | destination-duckdb write      (the everyday pipe)

Everything lands in .demo/demo.duckdb; open it with any DuckDB client afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".demo"
SOURCE = ROOT / "sources" / "source-sample" / "main.py"
DESTINATION = ROOT / "destinations" / "destination-duckdb" / "main.py"
CATALOG = ROOT / "destinations" / "destination-duckdb" / "sample_files" / "configured_catalog.json"
DATABASE = WORK / "demo.duckdb"


def sync(count: int, state: list[dict[str, object]] | None) -> list[dict[str, object]]:
    """One sync of ``count`` users; returns the STATE messages the destination echoed."""
    source_config = WORK / "source.json"
    source_config.write_text(json.dumps({"count": count, "seed": 42, "records_per_slice": 5000}))
    destination_config = WORK / "destination.json"
    destination_config.write_text(json.dumps({"destination_path": str(DATABASE)}))
    read = [sys.executable, str(SOURCE), "read", "--config", str(source_config), "--catalog", str(CATALOG)]
    if state:
        state_file = WORK / "state.json"
        state_file.write_text(json.dumps([m["state"] for m in state]))
        read += ["--state", str(state_file)]
    write = [sys.executable, str(DESTINATION), "write", "--config", str(destination_config), "--catalog", str(CATALOG)]
    started = time.monotonic()
    source = subprocess.Popen(read, stdout=subprocess.PIPE)
    destination = subprocess.run(write, stdin=source.stdout, capture_output=True, check=False)
    assert source.stdout is not None
    source.stdout.close()
    source.wait()
    elapsed = time.monotonic() - started
    messages = [json.loads(line) for line in destination.stdout.splitlines()]
    if source.returncode or destination.returncode:
        errors = [m["trace"]["error"]["message"] for m in messages if m["type"] == "TRACE"]
        sys.exit(
            f"demo sync failed (source exit {source.returncode}, destination exit {destination.returncode}): {errors}"
        )
    for message in messages:
        if message["type"] == "LOG" and message["log"]["message"].startswith(("stream ", "sync summary")):
            print("   ", message["log"]["message"])
    states = [m for m in messages if m["type"] == "STATE"]
    print(f"    {len(states)} states echoed; wall time {elapsed:.1f}s including the source")
    return states


def main() -> None:
    WORK.mkdir(exist_ok=True)
    for leftover in (DATABASE, DATABASE.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    print("1. full sync: 100,000 users and purchases, 240 products")
    states = sync(100_000, None)
    print("2. incremental sync from the echoed states, after 10,000 more users and purchases appeared")
    sync(110_000, states)

    with duckdb.connect(str(DATABASE), read_only=True) as db:
        print(f"\n{DATABASE.relative_to(ROOT)}:")
        for (table,) in db.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall():
            (rows,) = db.execute(f'SELECT count(*) FROM main."{table}"').fetchall()[0]
            print(f"    main.{table:<10} {rows:>8,} rows")
        row = db.execute(
            "SELECT id, name, updated_at::VARCHAR, address->>'$.city', _airbyte_meta::VARCHAR "
            "FROM main.users ORDER BY id DESC LIMIT 1"
        ).fetchall()[0]
        print(f"    newest user: {row}")


if __name__ == "__main__":
    main()
