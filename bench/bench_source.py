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


def run_once(count: int, workdir: Path) -> tuple[float, int]:
    """Seconds for one read to /dev/null, and the bytes it wrote (counted in a separate run-free way)."""
    config = workdir / "config.json"
    config.write_text(json.dumps({"count": count, "seed": 1, "records_per_slice": 5000}))
    catalog = SOURCE / "sample_files" / "configured_catalog_users.json"
    command = [sys.executable, str(SOURCE / "main.py"), "read", "--config", str(config), "--catalog", str(catalog)]
    started = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        subprocess.run(command, stdout=devnull, check=True)
    return time.perf_counter() - started, _output_bytes(command)


def _output_bytes(command: list[str]) -> int:
    # Measured once and outside the timed run: counting through a pipe would slow the timed run down.
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert process.stdout is not None
    total = 0
    while chunk := process.stdout.read(1 << 20):
        total += len(chunk)
    process.wait()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp)
        timings = []
        size = 0
        for _ in range(args.runs):
            seconds, size = run_once(args.count, config)
            timings.append(seconds)
    best = min(timings)
    print(f"source-sample users: {args.count:,} records in {best:.2f}s (best of {args.runs})")
    print(f"  {args.count / best:,.0f} records/s, {size / best / 1e6:,.1f} MB/s, {size / args.count:.0f} bytes/record")


if __name__ == "__main__":
    main()
