"""`make bench`: destination throughput on one data set, with reference points from the same run.

Data set: source-sample with ``count`` users and purchases (plus 240 products), about 1.16M records and
450 MB of JSON lines, generated once into .bench/ (regenerated when the settings change).

Rows printed (each a separate process; peak RSS of that process), on this data set and on ``--second-set``:
- destination-duckdb in append, append_dedup and overwrite, all streams: the product (and ``--before``, a
  checkout to compare with in the same rounds).
- destination-local-file, append, Parquet: no database in the way.
- DuckDB read_ndjson, one pass (bench/native_ndjson.py): DuckDB's own JSON reader loading the file with the
  catalog's typed columns, one table per stream: the native ceiling.
- destination-postgres and PostgreSQL's own COPY of the same typed rows from CSV files (bench/postgres_copy.py):
  the PostgreSQL ceiling; ``--skip-sql`` leaves them out.
Then the shares the goals are stated in: append against the ceiling, append_dedup and overwrite against
append, destination-postgres against COPY.

On the first data set only:
- destination-local-file, JSON lines; the plain pipeline (bench/plain_pipeline.py: orjson + lists of dicts +
  from_pylist + DuckDB insert); source-sample to /dev/null (the source must not be the bottleneck).
- the executemany reference path through SQLAlchemy, destination-sql on MariaDB and on SQLite
  (bench/bench_sql.py says where each writes); ``--skip-sql`` leaves them out.
- destination-duckdb's peak RSS on the data set four times over (one run) and its checkpoint lag (below), for
  ``--before``'s too.

Then the checkpoint lag (bench/checkpoint_lag.py): the same records in source-faker's order, fed to
destination-duckdb at 20 MB/s with default settings; p50 / p95 / max seconds from a STATE reaching stdin to
its echo.

``--second-set MESSAGES CATALOG`` (bench/faker_set.py writes source-faker's output) is the second data set.

Then the peak RSS of destination-local-file's append_dedup merge (bench/dedup_memory.py) on a stream of
``--dedup-rows`` rows (by default 400,000 and 1.6M: under a minute); none leaves it out.

Then destination-kvdb against its local server on loopback (bench/bench_kvdb.py), on a smaller data set of
``--kvdb-count`` records: records/s and requests per setting of the request-size sweep; ``--skip-kvdb``
leaves it out.

Then the sources (bench/bench_sources.py): source-files reading ``--files-rows`` records (1M) of CSV, JSON
lines and Parquet, and a concurrent HTTP source against a local server with 50 ms per page, 1 worker against
8; ``--skip-sources`` leaves them out.

With ``--iceberg`` (slow, so not by default), destination-iceberg (bench/bench_iceberg.py): append on the
data set against destination-local-file's Parquet in the same rounds, and a dedup sync changing 1% of the
keys of a 1M-row table.

With ``--vector``, the vector destinations (bench/bench_vector.py): ``--vector-records`` records (100,000) of
~1 KB text with fake embeddings into destination-duckdb-vector and destination-chroma: records/s, chunks/s,
peak RSS and the share of splitting, embedding and the store; slow (Chroma's writes), so not by default.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

import bench_iceberg
import bench_kvdb
import bench_sources
import bench_sql
import bench_vector
import checkpoint_lag
import dedup_memory

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench"
SOURCE = ROOT / "sources" / "source-sample" / "main.py"
SOURCE_CATALOG = ROOT / "sources" / "source-sample" / "sample_files" / "configured_catalog.json"
DESTINATION = ROOT / "destinations" / "destination-duckdb" / "main.py"
LOCAL_FILE = ROOT / "destinations" / "destination-local-file" / "main.py"


NATIVE = "DuckDB read_ndjson, one pass (native ceiling)"
POSTGRES_ROW = "destination-postgres (ADBC ingest)"
POSTGRES_CEILING = "PostgreSQL COPY of the typed rows (ceiling)"


def duckdb_name(mode: str, checkout: Path | None = None) -> str:
    """The row of destination-duckdb in ``mode``, of this tree or of another ``checkout``."""
    return (
        f"destination-duckdb ({mode})" if checkout is None else f"destination-duckdb before ({checkout.name}, {mode})"
    )


@dataclass
class Result:
    name: str
    records: int
    seconds: float
    peak_rss_bytes: int
    note: str = ""

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds


Timed = TypeVar("Timed", Result, bench_kvdb.KvdbRun)


def run_process(
    command: list[str],
    stdin_path: Path | None = None,
    stdout_path: Path | None = None,
    env: dict[str, str] | None = None,
    repeat: int = 1,
) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child process, which must succeed; with ``repeat``, its
    stdin is the file that many times over, through a pipe.

    On Linux a child's ``ru_maxrss`` counts its parent's RSS at the fork: the bench process must stay small
    (never hold a data set in memory), or every peak measured after it reads the bench's own."""
    stdin = (open(stdin_path, "rb") if repeat == 1 else subprocess.PIPE) if stdin_path else subprocess.DEVNULL
    stdout = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    started = time.perf_counter()
    process = subprocess.Popen(command, stdin=stdin, stdout=stdout, env=env)
    if stdin == subprocess.PIPE:
        assert stdin_path is not None and process.stdin is not None
        threading.Thread(target=_feed, args=(stdin_path, repeat, process.stdin), daemon=True).start()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    for handle in (stdin, stdout):
        if not isinstance(handle, int):
            handle.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(command)}")
    return elapsed, usage.ru_maxrss * 1024


def _feed(path: Path, repeat: int, pipe: IO[bytes]) -> None:
    with pipe:
        for _ in range(repeat):
            with open(path, "rb") as handle:
                shutil.copyfileobj(handle, pipe, 1 << 20)


def dataset(count: int, stem: str = "messages") -> tuple[Path, Path, int]:
    """The messages file ``<stem>.jsonl`` (generated if missing), an all-append catalog, and the number of records."""
    WORK.mkdir(exist_ok=True)
    settings = {"count": count, "seed": 2024, "records_per_slice": 5000, "emitted_at_ms": 1735689600000}
    messages, marker = WORK / f"{stem}.jsonl", WORK / f"{stem}.settings.json"
    if not messages.exists() or not marker.exists() or json.loads(marker.read_text()) != settings:
        config = WORK / "source.json"
        config.write_text(json.dumps(settings))
        print(f"generating the data set ({count:,} users and purchases) ...", flush=True)
        run_process(
            [sys.executable, str(SOURCE), "read", "--config", str(config), "--catalog", str(SOURCE_CATALOG)],
            stdout_path=messages,
        )
        marker.write_text(json.dumps(settings))
    catalog_path = sync_catalog("append")
    with open(messages, "rb") as handle:
        records = sum(1 for line in handle if line.startswith(b'{"type":"RECORD"'))
    return messages, catalog_path, records


def sync_catalog(mode: str, source: Path = SOURCE_CATALOG, folder: Path = WORK) -> Path:
    """``source`` (a configured catalog) with every stream in ``mode``, written into ``folder``; append_dedup
    keyed by ``id``, ``updated_at`` the cursor (every stream of both data sets has both)."""
    catalog = json.loads(source.read_text())
    for stream in catalog["streams"]:
        stream["destination_sync_mode"] = mode
        if mode == "append_dedup":
            stream.update(sync_mode="incremental", primary_key=[["id"]], cursor_field=["updated_at"])
    path = folder / f"catalog_{mode}.json"
    if path != source:
        path.write_text(json.dumps(catalog))
    return path


def fresh_database(name: str) -> Path:
    path = WORK / name
    for leftover in (path, Path(f"{path}.wal")):
        leftover.unlink(missing_ok=True)
    return path


def bench_destination_duckdb(
    messages: Path, catalog: Path, records: int, checkout: Path | None = None, repeat: int = 1
) -> Result:
    """destination-duckdb of this tree, or of another ``checkout`` (a before/after in the same rounds), on
    the data set ``repeat`` times over."""
    config = WORK / "duckdb.json"
    config.write_text(json.dumps({"destination_path": str(fresh_database("destination.duckdb"))}))
    root = checkout or ROOT
    main = root / DESTINATION.relative_to(ROOT)
    command = [sys.executable, str(main), "write", "--config", str(config), "--catalog", str(catalog)]
    env = {**os.environ, "PYTHONPATH": str(root)}
    seconds, rss = run_process(command, stdin_path=messages, env=env, repeat=repeat)
    name = duckdb_name(catalog.stem.removeprefix("catalog_"), checkout)
    return Result(name if repeat == 1 else f"{name}, data set ×{repeat}", records * repeat, seconds, rss)


def bench_local_file(messages: Path, catalog: Path, records: int, file_format: str) -> Result:
    folder = WORK / f"files-{file_format}"
    shutil.rmtree(folder, ignore_errors=True)
    config = WORK / f"files-{file_format}.json"
    config.write_text(json.dumps({"destination_path": str(folder), "format": file_format}))
    command = [sys.executable, str(LOCAL_FILE), "write", "--config", str(config), "--catalog", str(catalog)]
    seconds, rss = run_process(command, stdin_path=messages)
    return Result(f"destination-local-file ({file_format}, append)", records, seconds, rss)


def bench_plain_pipeline(messages: Path, records: int) -> Result:
    database = fresh_database("plain.duckdb")
    seconds, rss = run_process([sys.executable, str(ROOT / "bench" / "plain_pipeline.py"), str(database)], messages)
    return Result("plain pipeline (orjson + from_pylist)", records, seconds, rss, "baseline")


def bench_native(messages: Path, catalog: Path, records: int) -> Result:
    database = fresh_database("native.duckdb")
    command = [sys.executable, str(ROOT / "bench" / "native_ndjson.py"), str(messages), str(catalog), str(database)]
    seconds, rss = run_process(command)
    return Result(NATIVE, records, seconds, rss)


def bench_postgres_ceiling(messages: Path, catalog: Path, records: int) -> Result:
    """PostgreSQL's own COPY of the typed rows (bench/postgres_copy.py); the CSV files are made once per data set,
    untimed, in a folder the server can read."""
    script = str(ROOT / "bench" / "postgres_copy.py")
    folder = messages.parent / f"{messages.stem}.pgcopy"
    if not (folder / "tables.json").exists():
        run_process([sys.executable, script, "prepare", str(messages), str(catalog), str(folder)])
    schema = bench_sql.fresh_name()
    url = bench_sql.POSTGRES.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        seconds, rss = run_process([sys.executable, script, "load", url, schema, str(folder)])
    finally:
        bench_sql.drop_postgres_schema(schema)
    return Result(POSTGRES_CEILING, records, seconds, rss)


def bench_source(count: int) -> Result:
    config = WORK / "source_bench.json"
    config.write_text(json.dumps({"count": count, "seed": 2024, "records_per_slice": 5000}))
    command = [sys.executable, str(SOURCE), "read", "--config", str(config), "--catalog", str(SOURCE_CATALOG)]
    seconds, rss = run_process(command)
    return Result("source-sample read > /dev/null", 2 * count + 240, seconds, rss, "same data set")


def bench_sql_target(target: str, messages: Path, catalog: Path, records: int, checkout: Path | None = None) -> Result:
    """One SQL target (bench/bench_sql.py) of this tree, or of another ``checkout``."""
    main, config, cleanup = bench_sql.setup(target, WORK)
    config_path = WORK / f"{target}.json"
    config_path.write_text(json.dumps(config))
    root = checkout or ROOT
    try:
        command = [
            sys.executable, str(root / main.relative_to(ROOT)), "write", "--config", str(config_path),
            "--catalog", str(catalog),
        ]  # fmt: skip
        seconds, rss = run_process(command, stdin_path=messages, env={**os.environ, "PYTHONPATH": str(root)})
    finally:
        cleanup()
    names = {
        "postgres": POSTGRES_ROW,
        "postgres-executemany": "PostgreSQL executemany (SQLAlchemy)",
        "mariadb": "destination-sql, MariaDB (LOAD DATA)",
        "sqlite": "destination-sql, SQLite",
    }
    name = names[target] if checkout is None else f"{names[target]} before ({checkout.name})"
    return Result(name, records, seconds, rss)


def best_of_rounds(runs: int, benches: list[Callable[[], Timed]]) -> list[Timed]:
    """Each bench ``runs`` times, in rounds (one run of every bench per round), keeping each one's best: the
    machine's speed drifts, and rounds expose every row to the same drift as its baseline."""
    rounds = [[bench() for bench in benches] for _ in range(runs)]
    return [min(column, key=lambda result: result.seconds) for column in zip(*rounds, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description="destination benchmarks (see the module docstring)")
    parser.add_argument("--count", type=int, default=580_000, help="users (and purchases) in the data set")
    parser.add_argument("--runs", type=int, default=3, help="runs per row; the best is reported (this VM is noisy)")
    parser.add_argument("--skip-sql", action="store_true", help="leave out the PostgreSQL, MariaDB, SQLite rows")
    parser.add_argument(
        "--before", type=Path, help="also run destination-duckdb (and the SQL targets) from this checkout (same rounds)"
    )
    parser.add_argument(
        "--second-set",
        nargs=2,
        type=Path,
        metavar=("MESSAGES", "CATALOG"),
        help="a second data set (bench/faker_set.py makes source-faker's): destination-duckdb, its share of the "
        "native ceiling and Parquet on it, in rounds",
    )
    parser.add_argument("--kvdb-count", type=int, default=200_000, help="records in destination-kvdb's data set")
    parser.add_argument("--skip-kvdb", action="store_true", help="leave out destination-kvdb and its sweep")
    parser.add_argument("--files-rows", type=int, default=1_000_000, help="records per format for source-files")
    parser.add_argument("--skip-sources", action="store_true", help="leave out source-files and the HTTP source")
    parser.add_argument(
        "--iceberg",
        action="store_true",
        help="also destination-iceberg (bench/bench_iceberg.py: append vs Parquet, a 1M-row dedup sync; slow)",
    )
    parser.add_argument(
        "--vector", action="store_true", help="add the vector destinations (about half an hour, Chroma most of it)"
    )
    parser.add_argument("--vector-records", type=int, default=100_000, help="records for the vector destinations")
    parser.add_argument(
        "--dedup-rows",
        type=int,
        nargs="*",
        default=dedup_memory.BENCH_ROWS,
        help="rows of the stream whose dedup merge is measured, one run each (none: leave it out)",
    )
    args = parser.parse_args()
    messages, catalog, records = dataset(args.count)
    size = messages.stat().st_size
    print(f"data set: {records:,} records, {size / 1e6:,.0f} MB ({messages.relative_to(ROOT)})")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}\n", flush=True)

    rows = duckdb_rows(messages, catalog, records, args.before, args.skip_sql)
    benches: list[Callable[[], Result]] = [
        *rows,
        lambda: bench_local_file(messages, catalog, records, "jsonl"),
        lambda: bench_plain_pipeline(messages, records),
        lambda: bench_source(args.count),
    ]
    if not args.skip_sql:
        others = [t for t in bench_sql.TARGETS if t != "postgres"]  # destination-postgres is among the rows
        benches += [functools.partial(bench_sql_target, t, messages, catalog, records) for t in others]
        if args.before:  # the SQL targets must be no slower: each against the other checkout, same rounds
            benches += [
                functools.partial(bench_sql_target, t, messages, catalog, records, args.before)
                for t in ("postgres", "mariadb", "sqlite")
            ]
    results = best_of_rounds(args.runs, benches)
    baseline = next(r for r in results if r.note == "baseline")
    print("| run | records/s | MB/s | peak RSS | vs plain pipeline |")
    print("|---|---:|---:|---:|---:|")
    for result in results:
        mb_per_s = size / result.seconds / 1e6
        ratio = result.records_per_second / baseline.records_per_second
        print(
            f"| {result.name} | {result.records_per_second:,.0f} | {mb_per_s:,.0f} | "
            f"{result.peak_rss_bytes / 2**20:,.0f} MiB | {ratio:.2f}× |"
        )
    by_name = {r.name: r for r in results}
    report_shares(by_name)
    # Memory must not grow with the input: the same sync on the data set four times over (one run); and the
    # checkpoint lag. Of the other checkout too, with --before.
    shaped = checkpoint_lag.faker_shaped(messages, WORK / "messages.faker.jsonl")
    for checkout in (None, *([args.before] if args.before else [])):
        label, single = duckdb_name("append", checkout), by_name[duckdb_name("append", checkout)]
        scaled = bench_destination_duckdb(messages, catalog, records, checkout, repeat=4)
        print(
            f"peak RSS of {label}: {single.peak_rss_bytes / 2**20:,.0f} MiB on the data set, "
            f"{scaled.peak_rss_bytes / 2**20:,.0f} MiB on it ×4 ({scaled.records_per_second:,.0f} records/s)"
        )
        config = WORK / "lag.json"
        config.write_text(json.dumps({"destination_path": str(fresh_database("lag.duckdb"))}))
        lag = checkpoint_lag.measure(shaped, catalog, config, rate_mb=20.0, root=checkout or ROOT)
        print(
            f"checkpoint lag of {label}, faker-shaped input at 20 MB/s: {lag['states_echoed']}/{lag['states_in']} "
            f"states echoed, p50 {lag['p50_s']} s, p95 {lag['p95_s']} s, max {lag['max_s']} s; first echo after "
            f"{lag['first_echo_s']} s of a {lag['sync_s']} s sync"
        )
    if args.second_set:
        bench_second_set(*args.second_set, args.runs, args.before, args.skip_sql)
    if args.dedup_rows:
        peaks = ", ".join(f"{dedup_memory.merge_peak_rss_mib(rows):,} MiB at {rows:,} rows" for rows in args.dedup_rows)
        print(f"\npeak RSS of destination-local-file's append_dedup merge (parquet): {peaks}")
    postgres = by_name.get(POSTGRES_ROW)
    executemany = by_name.get("PostgreSQL executemany (SQLAlchemy)")
    if postgres and executemany:
        ratio = postgres.records_per_second / executemany.records_per_second
        print(f"\nPostgreSQL bulk path vs executemany in the same run: {ratio:.1f}×")
    if not args.skip_kvdb:
        bench_kvdb_sweep(args.kvdb_count, args.runs)
    if not args.skip_sources:
        bench_sources.report(args.files_rows, args.runs, run_process)
    if args.iceberg:
        bench_iceberg.report(messages, catalog, records, args.runs, bench_iceberg.DEDUP_ROWS, run_process)
    if args.vector:
        bench_vector.report(args.vector_records, 1)


def duckdb_rows(
    messages: Path, catalog: Path, records: int, before: Path | None, skip_sql: bool
) -> list[Callable[[], Result]]:
    """The rows every data set gets: destination-duckdb in each mode (and ``before``), Parquet, the one-pass
    ceiling; destination-postgres and PostgreSQL's COPY of the same rows unless ``skip_sql``."""
    folder = catalog.parent
    dedup, overwrite = (sync_catalog(mode, catalog, folder) for mode in ("append_dedup", "overwrite"))
    rows: list[Callable[[], Result]] = [
        lambda: bench_destination_duckdb(messages, catalog, records),
        *([lambda: bench_destination_duckdb(messages, catalog, records, before)] if before else []),
        lambda: bench_destination_duckdb(messages, dedup, records),
        lambda: bench_destination_duckdb(messages, overwrite, records),
        lambda: bench_local_file(messages, catalog, records, "parquet"),
        lambda: bench_native(messages, catalog, records),
    ]
    if not skip_sql:
        rows += [
            functools.partial(bench_sql_target, "postgres", messages, catalog, records),
            lambda: bench_postgres_ceiling(messages, catalog, records),
        ]
    return rows


def report_shares(by_name: dict[str, Result]) -> None:
    """The shares the goals are stated in, from one set of rounds."""

    def share(name: str, of: str) -> str:
        return f"{by_name[name].records_per_second / by_name[of].records_per_second:.0%}"

    append = duckdb_name("append")
    print(
        f"\ndestination-duckdb append at {share(append, NATIVE)} of the one-pass ceiling; append_dedup at "
        f"{share(duckdb_name('append_dedup'), append)} of append, overwrite at "
        f"{share(duckdb_name('overwrite'), append)}"
    )
    for name in by_name:  # the rows of --before, against the same ceilings
        if name.startswith("destination-duckdb before"):
            print(f"{name}: {share(name, NATIVE)} of the one-pass ceiling")
        elif name.startswith(f"{POSTGRES_ROW} before"):
            print(f"{name}: {share(name, POSTGRES_CEILING)} of PostgreSQL's own COPY")
    parquet = "destination-local-file (parquet, append)"
    ratio = by_name[parquet].records_per_second / by_name[append].records_per_second
    print(f"Parquet at {ratio:.2f}× destination-duckdb")
    if POSTGRES_ROW in by_name:
        print(f"destination-postgres at {share(POSTGRES_ROW, POSTGRES_CEILING)} of PostgreSQL's own COPY of the rows")


def bench_second_set(messages: Path, catalog: Path, runs: int, before: Path | None, skip_sql: bool) -> None:
    with messages.open("rb") as handle:
        records = sum(line.startswith(b'{"type":"RECORD"') for line in handle)
    print(f"\nsecond data set: {records:,} records, {messages.stat().st_size / 1e6:,.0f} MB ({messages.name})")
    results = best_of_rounds(runs, duckdb_rows(messages, catalog, records, before, skip_sql))
    for result in results:
        print(f"- {result.name}: {result.records_per_second:,.0f} records/s, {result.peak_rss_bytes / 2**20:,.0f} MiB")
    report_shares({r.name: r for r in results})


def bench_kvdb_sweep(count: int, runs: int) -> None:
    messages, catalog, records = dataset(count // 2, stem="kvdb")
    size = messages.stat().st_size / 1e6
    print(f"\ndestination-kvdb (append) against the local server on loopback: {records:,} records, {size:,.0f} MB")
    settings = bench_kvdb.SWEEP
    runner = functools.partial(bench_kvdb.run_kvdb, WORK, messages, catalog, records, run_process=run_process)
    results = best_of_rounds(runs, [functools.partial(runner, e, c) for e, c in settings])
    bench_kvdb.print_sweep(results)


if __name__ == "__main__":
    main()
