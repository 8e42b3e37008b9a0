"""destination-kvdb in `make bench` (bench/run.py): the local KvDB server on loopback, a fresh file per run.

Each run starts ``destinations/destination-kvdb/server.py`` on a free port of 127.0.0.1 with a new SQLite
file, pipes the data set through ``main.py write`` (every stream in append mode), and reads the server's
request counters. The sweep varies ``request_max_entries`` (entries per transaction request) and
``concurrent_requests``: it is what the connector's defaults rest on. Alone::

    python bench/bench_kvdb.py --count 200000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "destinations" / "destination-kvdb"
TOKEN = "bench-token"
DEFAULT = (1000, 1)  # request_max_entries, concurrent_requests: the connector's defaults (spec.json)
SWEEP = [(100, 1), (250, 1), (500, 1), (1000, 1), (2000, 1), (5000, 1), (1000, 2), (1000, 4)]


@dataclass
class KvdbRun:
    entries: int
    concurrency: int
    records: int
    seconds: float
    peak_rss_bytes: int
    requests: int  # what the server answered: transactions and the listing of the overwrite check

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds


class BenchServer:
    def __init__(self, data: Path) -> None:
        for leftover in (data, Path(f"{data}-wal"), Path(f"{data}-shm")):
            leftover.unlink(missing_ok=True)
        command = [sys.executable, str(FOLDER / "server.py"), "--port", "0", "--data", str(data), "--token", TOKEN]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        banner = self.process.stdout.readline()
        self.base_url = banner.split(" on ")[1].split()[0]

    def stats(self) -> dict[str, int]:
        request = urllib.request.Request(self.base_url + "/_admin/stats", headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            result: dict[str, int] = json.loads(response.read())
            return result

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def run_kvdb(
    work: Path,
    messages: Path,
    catalog: Path,
    records: int,
    entries: int,
    concurrency: int,
    run_process: Callable[..., tuple[float, int]],
) -> KvdbRun:
    server = BenchServer(work / "kvdb.sqlite")
    try:
        config = work / "kvdb.json"
        settings = {"base_url": server.base_url, "bucket_id": "bench", "secret_key": TOKEN}
        config.write_text(json.dumps({**settings, "request_max_entries": entries, "concurrent_requests": concurrency}))
        command = [sys.executable, str(FOLDER / "main.py"), "write", "--config", str(config), "--catalog", str(catalog)]
        seconds, rss = run_process(command, stdin_path=messages)
        return KvdbRun(entries, concurrency, records, seconds, rss, server.stats().get("requests", 0))
    finally:
        server.stop()


def print_sweep(runs: Sequence[KvdbRun]) -> None:
    print("| request_max_entries | concurrent_requests | records/s | requests | peak RSS |")
    print("|---:|---:|---:|---:|---:|")
    for run in runs:
        marker = " (default)" if (run.entries, run.concurrency) == DEFAULT else ""
        print(
            f"| {run.entries:,}{marker} | {run.concurrency} | {run.records_per_second:,.0f} | {run.requests:,} | "
            f"{run.peak_rss_bytes / 2**20:,.0f} MiB |"
        )


def main() -> None:
    import run  # bench/run.py: the data set, the process runner, the rounds

    parser = argparse.ArgumentParser(description="destination-kvdb's request-size sweep (see the docstring)")
    parser.add_argument("--count", type=int, default=200_000, help="records (users and purchases, half each)")
    parser.add_argument("--runs", type=int, default=2, help="runs per setting; the best is reported")
    args = parser.parse_args()
    run.bench_kvdb_sweep(args.count, args.runs)


if __name__ == "__main__":
    main()
