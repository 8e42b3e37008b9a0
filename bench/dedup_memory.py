"""Peak memory of the file store's append_dedup merge as the stream grows (`make bench` prints it for
:data:`BENCH_ROWS`, under a minute).

    python bench/dedup_memory.py                       # 100k, 400k and 1.6M rows
    python bench/dedup_memory.py --rows 250000 --format jsonl

For each size: one process stages the rows (a sync that stops before the stream completes), then a fresh
process opens the stream and completes it, which merges the staged rows into the final files: the peak
RSS printed is that second process's (``ru_maxrss``), so it measures the merge alone. Keys repeat: half
the rows are new versions of earlier keys. Run it with another checkout first on PYTHONPATH to compare.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone

import pyarrow as pa

from airbyte_dest_kit.destination.plan import build_stream_specs
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteStream
from airbyte_dest_kit.streams.spec import EXTRACTED_AT, LINE_NUMBER, META, RAW_ID, StreamSpec
from airbyte_dest_kit.testing.builders import configured_stream
from airbyte_dest_kit.writers.files import FileFormat, FileWriter

BATCH = 50_000
# make bench's sizes, four times apart: the larger is where the runs in docs/performance.md found the peak flat already
# (450 MiB, then 458 and 464 at 2× and 4×) and the in-memory merge this one replaced took twice that.
BENCH_ROWS = [400_000, 1_600_000]


def _spec(writer: FileWriter) -> StreamSpec:
    props = {"id": {"type": "integer"}, "v": {"type": "integer"}, "payload": {"type": "string"}}
    stream = configured_stream("a", props, mode="append_dedup", primary_key=["id"], cursor="v")
    (spec,) = build_stream_specs([ConfiguredAirbyteStream.model_validate(stream)], "main", writer.capabilities)
    return spec


def stage(folder: str, file_format: str, rows: int) -> None:
    writer = FileWriter(folder, FileFormat(file_format))  # type: ignore[arg-type]
    spec = _spec(writer)
    writer.open([spec])
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for first in range(0, rows, BATCH):
        ids = range(first, min(first + BATCH, rows))
        batch = {
            "id": [i // 2 if i % 2 else i for i in ids],  # every other row updates an earlier key
            "v": list(ids),
            "payload": [f"payload {i} " + "x" * 60 for i in ids],
            RAW_ID: [f"r{i}" for i in ids],
            EXTRACTED_AT: [start + timedelta(microseconds=i) for i in ids],
            META: ['{"changes":[]}'] * len(ids),
            LINE_NUMBER: list(range(len(ids))),
        }
        columns = {f.name: batch.get(f.name, [None] * len(ids)) for f in spec.batch_schema}
        writer.write(spec, pa.Table.from_pydict(columns, schema=spec.batch_schema))
    writer.close()


def merge(folder: str, file_format: str) -> None:
    writer = FileWriter(folder, FileFormat(file_format))  # type: ignore[arg-type]
    spec = _spec(writer)
    writer.open([spec])
    writer.finish(spec)
    writer.close()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="*", default=[100_000, 400_000, 1_600_000])
    parser.add_argument("--format", default="parquet", choices=["parquet", "jsonl", "csv"])
    parser.add_argument("--step", choices=["stage", "merge"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "stage":
        stage(args.folder, args.format, args.rows[0])
        return
    if args.step == "merge":
        merge(args.folder, args.format)
        return
    print(f"{'rows':>10}  {'merge peak RSS (MiB)':>20}  ({args.format})")
    for rows in args.rows:
        print(f"{rows:>10}  {merge_peak_rss_mib(rows, args.format):>20}")


def merge_peak_rss_mib(rows: int, file_format: str = "parquet") -> int:
    """Stage ``rows`` in one process, merge them in another; that one's peak RSS (see the module docstring)."""
    with tempfile.TemporaryDirectory() as folder:
        common = [sys.executable, __file__, "--format", file_format, "--folder", folder]
        subprocess.run([*common, "--step", "stage", "--rows", str(rows)], check=True)
        done = subprocess.run([*common, "--step", "merge"], check=True, capture_output=True, text=True)
        return int(done.stdout.split()[-1])


if __name__ == "__main__":
    main()
