"""Append throughput of the SQL destinations on one messages file, as a markdown table.

    python bench/bench_sql.py MESSAGES.jsonl CATALOG.json [--targets postgres,postgres-executemany,mariadb,sqlite]
    python bench/bench_sql.py            # generates ~1M records with source-sample first

Every stream is forced to ``append``; each run writes into a fresh schema (database on MariaDB, file on
SQLite) that is dropped afterwards. ``postgres-executemany`` is the reference point: the same typed
batches through SQLAlchemy ``insert()`` executemany (destination-sql with ``load_method: insert``).
Peak RSS is the destination process's own maximum resident set (``os.wait4``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
POSTGRES = sa.make_url(os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
MARIADB = os.environ.get("BENCH_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
TARGETS = ("postgres", "postgres-executemany", "mariadb", "sqlite")


def generate(folder: Path, records: int) -> tuple[Path, Path]:
    source = REPO / "sources/source-sample/main.py"
    config = folder / "source.json"
    config.write_text(json.dumps({"count": records // 2 + 1, "seed": 1, "records_per_slice": 10_000}))
    discovered = subprocess.run(
        [sys.executable, source, "discover", "--config", config], capture_output=True, check=True
    )
    streams = json.loads(discovered.stdout.splitlines()[-1])["catalog"]["streams"]
    catalog = folder / "catalog.json"
    configured = [{"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": "append"} for s in streams]
    catalog.write_text(json.dumps({"streams": configured}))
    messages = folder / "messages.jsonl"
    with messages.open("wb") as out:
        subprocess.run(
            [sys.executable, source, "read", "--config", config, "--catalog", catalog], stdout=out, check=True
        )
    return messages, catalog


def as_append(catalog: Path, folder: Path) -> Path:
    parsed = json.loads(catalog.read_text())
    for stream in parsed["streams"]:
        stream["destination_sync_mode"] = "append"
        stream["generation_id"] = stream["minimum_generation_id"] = 0
    path = folder / "catalog_append.json"
    path.write_text(json.dumps(parsed))
    return path


def setup(target: str, folder: Path) -> tuple[Path, dict[str, Any], Any]:
    """``(main.py, config, cleanup)`` for a fresh place to write into."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    if target.startswith("postgres"):
        engine = sa.create_engine(POSTGRES)

        def drop() -> None:
            with engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')

        if target == "postgres":
            config = {
                "host": POSTGRES.host,
                "port": POSTGRES.port,
                "database": POSTGRES.database,
                "username": POSTGRES.username,
                "password": POSTGRES.password or "",
                "schema": name,
            }
            return REPO / "destinations/destination-postgres/main.py", config, drop
        url = POSTGRES.render_as_string(hide_password=False)
        return (
            REPO / "destinations/destination-sql/main.py",
            {"url": url, "schema": name, "load_method": "insert"},
            drop,
        )
    if target == "mariadb":
        engine = sa.create_engine(MARIADB)

        def drop_database() -> None:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")

        return REPO / "destinations/destination-sql/main.py", {"url": MARIADB, "schema": name}, drop_database
    path = folder / f"{name}.db"
    return (
        REPO / "destinations/destination-sql/main.py",
        {"url": f"sqlite:///{path}"},
        lambda: path.unlink(missing_ok=True),
    )


def run(target: str, messages: Path, catalog: Path, folder: Path, records: int) -> dict[str, Any]:
    main, config, cleanup = setup(target, folder)
    config_path = folder / f"{target}.json"
    config_path.write_text(json.dumps(config))
    try:
        with messages.open("rb") as stdin:
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, main, "write", "--config", config_path, "--catalog", catalog],
                stdin=stdin,
                stdout=subprocess.PIPE,
                cwd=REPO,
            )
            assert process.stdout is not None
            states = sum(b'"STATE"' in line for line in process.stdout)
            _, status, usage = os.wait4(process.pid, 0)
            elapsed = time.perf_counter() - started
        if status != 0:
            raise SystemExit(f"{target}: the destination failed (wait status {status})")
        return {
            "target": target,
            "seconds": elapsed,
            "records_per_s": records / elapsed,
            "peak_rss_mib": usage.ru_maxrss / 1024,
            "states": states,
        }
    finally:
        cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("messages", nargs="?", type=Path)
    parser.add_argument("catalog", nargs="?", type=Path)
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--records", type=int, default=1_000_000, help="records to generate without a file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_sql_") as tmp:
        folder = Path(tmp)
        messages, catalog = (args.messages, args.catalog) if args.messages else generate(folder, args.records)
        catalog = as_append(catalog, folder)
        with messages.open("rb") as handle:
            records = sum(b'"type":"RECORD"' in line or b'"type": "RECORD"' in line for line in handle)
        results = [run(t, messages, catalog, folder, records) for t in args.targets.split(",")]
    print(f"\n{records:,} records from {messages.name}\n")
    print("| target | seconds | records/s | peak RSS (MiB) | states echoed |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        cells = [r["target"], f"{r['seconds']:.1f}", f"{r['records_per_s']:,.0f}", f"{r['peak_rss_mib']:.0f}"]
        print("| " + " | ".join([*cells, str(r["states"])]) + " |")
    by_target = {r["target"]: r for r in results}
    if "postgres" in by_target and "postgres-executemany" in by_target:
        ratio = by_target["postgres"]["records_per_s"] / by_target["postgres-executemany"]["records_per_s"]
        print(f"\nPostgreSQL COPY vs executemany: {ratio:.1f}x")


if __name__ == "__main__":
    main()
