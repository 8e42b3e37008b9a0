"""Source-side benchmarks: source-files reading 1M records of CSV, JSON lines and Parquet, and a concurrent
HTTP source against a local server answering each page after 50 ms.

    .venv/bin/python bench/bench_sources.py [--rows N] [--runs R]      (also run by bench/run.py)

- **source-files**: ``--rows`` records (1,000,000 by default) in 10 files per format, 5 columns (id, name,
  amount, paid, created_at), generated once into .bench/files/; ``source-files read`` of every format to
  /dev/null, a process per run (start included), the best of ``--runs`` rounds: records/s and peak RSS.
  CSV is read with ``inference_type`` "Primitive Types Only", so its columns are typed, not only split.
- **concurrent HTTP**: a kit ``HttpStream`` with one slice per page (``concurrent_slices``), 96 pages of
  100 records, each answered after 50 ms by a threaded server on 127.0.0.1; read in-process with 1 and 8
  workers in alternating rounds; prints the wall time of each and the speed-up.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from airbyte_dest_kit.runtime.entrypoint import execute  # noqa: E402
from airbyte_dest_kit.sources import HttpClient, HttpStream, Source, StreamSlice  # noqa: E402
from airbyte_dest_kit.testing.local_server import LocalJsonServer  # noqa: E402

WORK = ROOT / ".bench" / "files"
SOURCE_FILES = ROOT / "sources" / "source-files" / "main.py"
FILES_PER_FORMAT = 10
PAGES, PAGE_RECORDS, LATENCY = 96, 100, 0.05


# -- source-files ------------------------------------------------------------------------------------------


def _table(start: int, rows: int) -> pa.Table:
    ids = pa.array(range(start, start + rows), pa.int64())
    names = pa.array([f"customer-{i % 5000}" for i in range(start, start + rows)])
    amounts = pa.array([(i % 10_000) / 100 for i in range(start, start + rows)], pa.float64())
    paid = pa.array([i % 3 == 0 for i in range(start, start + rows)])
    created = pa.array([1_700_000_000 + i for i in range(start, start + rows)], pa.timestamp("s"))
    return pa.table({"id": ids, "name": names, "amount": amounts, "paid": paid, "created_at": created})


def dataset(rows: int) -> Path:
    """The files (generated if missing): ``rows`` records per format in ``FILES_PER_FORMAT`` files each."""
    folder = WORK / str(rows)
    marker = folder / ".complete"
    if marker.exists():
        return folder
    print(f"generating {rows:,} records as CSV, JSON lines and Parquet ...", flush=True)
    per_file = rows // FILES_PER_FORMAT
    for number in range(FILES_PER_FORMAT):
        table = _table(number * per_file, per_file)
        for kind in ("csv", "jsonl", "parquet"):
            (folder / kind).mkdir(parents=True, exist_ok=True)
        pacsv.write_csv(table, folder / "csv" / f"part-{number:02}.csv")
        pq.write_table(table, folder / "parquet" / f"part-{number:02}.parquet")
        with (folder / "jsonl" / f"part-{number:02}.jsonl").open("w") as handle:
            for row in table.to_pylist():
                row["created_at"] = row["created_at"].isoformat()
                handle.write(json.dumps(row) + "\n")
    marker.touch()
    return folder


def _files_config(folder: Path, kind: str) -> dict[str, Any]:
    fmt: dict[str, Any] = {"filetype": kind}
    if kind == "csv":
        fmt["inference_type"] = "Primitive Types Only"
    return {"folder_path": str(folder / kind), "streams": [{"name": kind, "globs": ["*"], "format": fmt}]}


def bench_source_files(rows: int, runs: int, run_process: Any) -> list[tuple[str, float, int]]:
    """``(format, best seconds, peak RSS bytes)`` per format, in rounds."""
    folder = dataset(rows)
    commands = {}
    for kind in ("csv", "jsonl", "parquet"):
        config = WORK / f"{kind}.json"
        config.write_text(json.dumps(_files_config(folder, kind)))
        discovered = _run_json([sys.executable, str(SOURCE_FILES), "discover", "--config", str(config)])
        streams = discovered["catalog"]["streams"]
        catalog = WORK / f"{kind}.catalog.json"
        configured = [{"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": "append"} for s in streams]
        catalog.write_text(json.dumps({"streams": configured}))
        commands[kind] = [sys.executable, str(SOURCE_FILES), "read", "--config", str(config), "--catalog", str(catalog)]
    best: dict[str, tuple[float, int]] = {}
    for _ in range(runs):
        for kind, command in commands.items():
            seconds, rss = run_process(command)
            if kind not in best or seconds < best[kind][0]:
                best[kind] = (seconds, rss)
    return [(kind, seconds, rss) for kind, (seconds, rss) in best.items()]


def _run_json(command: list[str]) -> Any:
    import subprocess

    done = subprocess.run(command, capture_output=True, check=True)
    return next(json.loads(line) for line in done.stdout.splitlines() if line.startswith(b'{"type":"CATALOG"'))


# -- concurrent HTTP ---------------------------------------------------------------------------------------


class SlowPages(LocalJsonServer):
    """Pages of records, each answered after ``LATENCY`` seconds (a remote API's round trip)."""

    thread_name = "bench-pages"

    def handle(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes) -> Any:
        time.sleep(LATENCY)
        page = int(query["page"])
        records = [{"id": page * PAGE_RECORDS + i, "page": page, "note": "x" * 40} for i in range(PAGE_RECORDS)]
        return 200, {}, {"data": records}


class Pages(HttpStream):
    name = "pages"
    path = "/records"
    records_path = ("data",)
    concurrent_slices: ClassVar[bool] = True

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object"}

    def slices(self) -> Iterator[StreamSlice]:
        return ({"page": page} for page in range(PAGES))

    def request_params(self, stream_slice: StreamSlice) -> dict[str, Any]:
        return {"page": (stream_slice or {})["page"]}


class PagesSource(Source):
    spec_path = None

    def __init__(self, base_url: str, workers: int) -> None:
        super().__init__()
        self.base_url, self.workers = base_url, workers

    def spec(self) -> dict[str, Any]:
        return {"connectionSpecification": {"type": "object"}}

    def concurrency_level(self, config: Mapping[str, Any]) -> int:
        return self.workers

    def streams(self, config: Mapping[str, Any]) -> Sequence[Pages]:
        return [Pages(HttpClient(self.base_url, events=self.events, max_connections=16))]


def bench_concurrent_http(runs: int, scratch: Path) -> dict[int, float]:
    """Best wall seconds of the read with 1 and with 8 workers, in alternating rounds."""
    config, catalog = scratch / "http.json", scratch / "http.catalog.json"
    config.write_text("{}")
    stream = {"name": "pages", "json_schema": {"type": "object"}, "supported_sync_modes": ["full_refresh"]}
    configured = {"stream": stream, "sync_mode": "full_refresh", "destination_sync_mode": "append"}
    catalog.write_text(json.dumps({"streams": [configured]}))
    best: dict[int, float] = {}
    with SlowPages() as server:
        for _ in range(runs):
            for workers in (1, 8):
                out = io.BytesIO()
                started = time.perf_counter()
                code = execute(
                    PagesSource(server.base_url, workers),
                    ["read", "--config", str(config), "--catalog", str(catalog)],
                    stdout=out,
                )
                seconds = time.perf_counter() - started
                assert code == 0, out.getvalue()[-500:]
                assert out.getvalue().count(b'"type":"RECORD"') == PAGES * PAGE_RECORDS
                best[workers] = min(best.get(workers, seconds), seconds)
    return best


def report(rows: int, runs: int, run_process: Any) -> None:
    print(f"\nsource-files, {rows:,} records per format in {FILES_PER_FORMAT} files, to /dev/null (best of {runs}):")
    print("| format | records/s | seconds | peak RSS |")
    print("|---|---:|---:|---:|")
    for kind, seconds, rss in bench_source_files(rows, runs, run_process):
        print(f"| {kind} | {rows / seconds:,.0f} | {seconds:.2f} | {rss / 2**20:,.0f} MiB |")
    best = bench_concurrent_http(runs, WORK)
    print(
        f"\nconcurrent HTTP source, {PAGES} pages of {PAGE_RECORDS} records, {LATENCY * 1000:.0f} ms per page: "
        f"1 worker {best[1]:.2f} s, 8 workers {best[8]:.2f} s: {best[1] / best[8]:.1f}× faster"
    )


def _run_process(command: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        import subprocess

        process = subprocess.Popen(command, stdout=devnull)
        _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(command)}")
    return time.perf_counter() - started, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    report(args.rows, args.runs, _run_process)


if __name__ == "__main__":
    main()
