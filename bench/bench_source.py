"""How fast source-sample produces its main stream: ``read`` of ``users`` with count=1,000,000 to /dev/null.

    .venv/bin/python bench/bench_source.py [--count N] [--runs R]

Prints records/s and MB/s of the best run (process start included, as a user would run it). The messages
file used by the demo and the destination benchmarks is the same command writing to a file::

    python sources/source-sample/main.py read --config C --catalog K > messages.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "sources" / "source-sample"


def read_command(count: int, workdir: Path) -> list[str]:
    config = workdir / "config.json"
    config.write_text(json.dumps({"count": count, "seed": 1}))
    catalog = SOURCE / "sample_files" / "configured_catalog_users.json"
    return [sys.executable, str(SOURCE / "main.py"), "read", "--config", str(config), "--catalog", str(catalog)]


def timed_run(command: list[str]) -> float:
    started = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        subprocess.run(command, stdout=devnull, check=True)
    return time.perf_counter() - started


def output_bytes(command: list[str]) -> int:
    """Counted in a separate, untimed run: reading through a pipe would slow the timed runs down."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert process.stdout is not None
    total = 0
    while chunk := process.stdout.read(1 << 20):
        total += len(chunk)
    if process.wait() != 0:
        raise SystemExit(f"source-sample failed with exit code {process.returncode}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        command = read_command(args.count, Path(tmp))
        timings = [timed_run(command) for _ in range(args.runs)]
        size = output_bytes(command)
    best = min(timings)
    print(f"source-sample users: {args.count:,} records in {best:.2f}s (best of {args.runs})")
    print(f"  {args.count / best:,.0f} records/s, {size / best / 1e6:,.1f} MB/s, {size / args.count:.0f} bytes/record")


if __name__ == "__main__":
    main()
