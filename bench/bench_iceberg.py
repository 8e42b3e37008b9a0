"""destination-iceberg: append throughput against destination-local-file's Parquet in the same rounds, and
what a dedup sync changing 1% of the keys of a 1M-row table costs.

    .venv/bin/python bench/bench_iceberg.py [--count N] [--runs R] [--dedup-rows N] [--before DIR]
    (also ``bench/run.py --iceberg``; slow, so not in the default run)

``--before DIR``: a checkout of an earlier version (``git archive main | tar -x -C DIR``), whose connector
runs every iceberg row again in the same rounds, for before/after figures from one run.

- **append**: the bench's data set (bench/run.py: source-sample, ``--count`` users and purchases, plus
  240 products), all streams append, into a fresh local warehouse with its SQLite catalog, default
  settings, and again with ``compact_small_files`` false; destination-local-file (Parquet, append) in the
  same rounds; the best of ``--runs``. Prints records/s, the share of Parquet's, peak RSS, and data files
  per table after the sync.
- **dedup**: one stream of ``--dedup-rows`` rows (id, name, amount, updated_at; 1M by default) synced
  append_dedup into a fresh table, then a second sync of 1% of its keys, drawn at random over the whole
  key range, with a newer cursor. Prints both syncs' seconds, their ratio, and the data files and bytes
  the second sync removed and added (from its snapshots' summaries).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench" / "iceberg"
ICEBERG = ROOT / "destinations" / "destination-iceberg" / "main.py"
RunProcess = Callable[..., tuple[float, int]]
DEDUP_ROWS = 1_000_000

# Run in a child (the bench process stays small: a child's peak RSS counts its parent's at the fork).
_TABLE_STATS = """
import json, sys
from pyiceberg.catalog import load_catalog
props, namespace, sync_id = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
catalog = load_catalog("airbyte", **props)
out = {}
for identifier in catalog.list_tables(namespace):
    table = catalog.load_table(identifier)
    ours = [s.summary.additional_properties for s in table.snapshots()
            if s.summary is not None and s.summary.additional_properties.get("airbyte.sync-id") == sync_id]
    total = lambda key: sum(int(s.get(key, 0)) for s in ours)
    out[identifier[-1]] = {
        "files": len(list(table.scan().plan_files())),
        "removed_files": total("deleted-data-files"), "removed_bytes": total("removed-files-size"),
        "added_files": total("added-data-files"), "added_bytes": total("added-files-size"),
    }
print(json.dumps(out))
"""


def _config(name: str, **extra: Any) -> Path:
    warehouse = WORK / name
    shutil.rmtree(warehouse, ignore_errors=True)
    path = WORK / f"{name}.json"
    path.write_text(json.dumps({"warehouse": str(warehouse), "namespace": "bench", **extra}))
    return path


def _stats(config: Path, sync_id: int) -> dict[str, dict[str, int]]:
    sys.path.insert(0, str(ROOT))
    from airbyte_dest_kit.writers.iceberg.catalog import CatalogConfig  # no pyiceberg import: that is lazy

    props = CatalogConfig.from_config(json.loads(config.read_text())).properties()
    done = subprocess.run(
        [sys.executable, "-c", _TABLE_STATS, json.dumps(props), "bench", str(sync_id)],
        capture_output=True,
        check=True,
        text=True,
    )
    return dict(json.loads(done.stdout))


def _write(config: Path, catalog: Path, messages: Path, run_process: RunProcess, code: Path) -> tuple[float, int]:
    """One sync by the connector of the checkout ``code``."""
    main = code / ICEBERG.relative_to(ROOT)
    command = [sys.executable, str(main), "write", "--config", str(config), "--catalog", str(catalog)]
    env = None if code == ROOT else {**os.environ, "PYTHONPATH": str(code)}
    return run_process(command, stdin_path=messages, env=env)


def bench_append(
    messages: Path, catalog: Path, run_process: RunProcess, name: str, code: Path, *, compact: bool
) -> tuple[float, int]:
    return _write(_config(name, compact_small_files=compact), catalog, messages, run_process, code)


# -- dedup ---------------------------------------------------------------------------------------------------


def _dedup_catalog(sync_id: int) -> Path:
    properties = {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "amount": {"type": "number"},
        "updated_at": {"type": "integer"},
    }
    stream = {
        "stream": {
            "name": "items",
            "json_schema": {"type": "object", "properties": properties},
            "supported_sync_modes": ["incremental"],
        },
        "sync_mode": "incremental",
        "destination_sync_mode": "append_dedup",
        "primary_key": [["id"]],
        "cursor_field": ["updated_at"],
        "generation_id": 0,
        "minimum_generation_id": 0,
        "sync_id": sync_id,
    }
    path = WORK / f"dedup_catalog_{sync_id}.json"
    path.write_text(json.dumps({"streams": [stream]}))
    return path


def _dedup_messages(name: str, ids: list[int] | range, updated_at: int) -> Path:
    path = WORK / f"{name}.jsonl"
    with path.open("w") as out:
        for i in ids:
            data = {"id": i, "name": f"customer-{i % 5000}", "amount": (i % 10_000) / 100, "updated_at": updated_at}
            out.write(json.dumps({"type": "RECORD", "record": {"stream": "items", "data": data, "emitted_at": 1}}))
            out.write("\n")
        state = {"type": "STREAM", "stream": {"stream_descriptor": {"name": "items"}, "stream_state": {"n": 1}}}
        out.write(json.dumps({"type": "STATE", "state": state}) + "\n")
    return path


def bench_dedup(rows: int, run_process: RunProcess, code: Path = ROOT) -> dict[str, Any]:
    first = _dedup_messages(f"dedup_first_{rows}", range(rows), 1)
    changed = sorted(random.Random(2024).sample(range(rows), rows // 100))
    second = _dedup_messages(f"dedup_second_{rows}", changed, 2)
    config = _config("dedup")
    first_seconds, first_rss = _write(config, _dedup_catalog(1), first, run_process, code)
    before = _stats(config, 1)["items"]
    second_seconds, second_rss = _write(config, _dedup_catalog(2), second, run_process, code)
    after = _stats(config, 2)["items"]
    return {
        "rows": rows,
        "changed": len(changed),
        "first_s": first_seconds,
        "second_s": second_seconds,
        "peak_rss_mib": max(first_rss, second_rss) / 2**20,
        "files_before": before["files"],
        **after,
    }


def report(
    messages: Path,
    catalog: Path,
    records: int,
    runs: int,
    dedup_rows: int,
    run_process: RunProcess,
    before: Path | None = None,
) -> None:
    """The rows this module's docstring lists, printed; with ``before``, the iceberg rows of that checkout too."""
    from run import bench_local_file  # bench/run.py imports this module: imported when it runs

    WORK.mkdir(parents=True, exist_ok=True)
    versions = [("", ROOT)] + ([(" before", before)] if before else [])
    labels = {"parquet": "destination-local-file (parquet, append)"}
    for version, _ in versions:
        labels[f"append{version}"] = f"destination-iceberg{version} (append)"
        labels[f"uncompacted{version}"] = f"destination-iceberg{version} (append, compact_small_files false)"
    best: dict[str, tuple[float, int]] = {}
    for _ in range(runs):  # rounds: each row meets the machine's drift as its baseline does
        parquet = bench_local_file(messages, catalog, records, "parquet")
        timed = {"parquet": (parquet.seconds, parquet.peak_rss_bytes)}
        for version, code in versions:
            for name, compact in ((f"append{version}", True), (f"uncompacted{version}", False)):
                timed[name] = bench_append(
                    messages, catalog, run_process, name.replace(" ", "_"), code, compact=compact
                )
        for name, (seconds, rss) in timed.items():
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, rss)
    print("\n| run | records/s | peak RSS | vs Parquet | data files per table |")
    print("|---|---:|---:|---:|---|")
    for name, label in labels.items():
        seconds, rss = best[name]
        share = best["parquet"][0] / seconds
        files = "" if name == "parquet" else _file_counts(WORK / f"{name.replace(' ', '_')}.json")
        print(f"| {label} | {records / seconds:,.0f} | {rss / 2**20:,.0f} MiB | {share:.0%} | {files} |")
    if dedup_rows:
        for version, code in versions:
            d = bench_dedup(dedup_rows, run_process, code)
            share = d["second_s"] / d["first_s"]
            print(
                f"\ndedup{version}, {d['rows']:,}-row table: first sync {d['first_s']:.1f} s; second sync changing "
                f"{d['changed']:,} random keys {d['second_s']:.1f} s ({share:.0%} of the first); it removed "
                f"{d['removed_files']} of {d['files_before']} data files ({d['removed_bytes'] / 1e6:,.1f} MB) and "
                f"added {d['added_files']} ({d['added_bytes'] / 1e6:,.1f} MB); peak RSS {d['peak_rss_mib']:,.0f} MiB"
            )


def _file_counts(config: Path) -> str:
    """Data files per table after the last append sync of ``config``'s warehouse."""
    return ", ".join(f"{table} {s['files']}" for table, s in sorted(_stats(config, 0).items()))


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import run

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500_000, help="users (and purchases) in the data set")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--dedup-rows", type=int, default=DEDUP_ROWS, help="rows of the dedup table (0: no dedup)")
    parser.add_argument("--before", type=Path, help="a checkout of an earlier version, run in the same rounds")
    args = parser.parse_args()
    messages, catalog, records = run.dataset(args.count, stem=f"messages_{args.count}")
    print(f"data set: {records:,} records, {messages.stat().st_size / 1e6:,.0f} MB ({messages.name})")
    report(messages, catalog, records, args.runs, args.dedup_rows, run.run_process, args.before)


if __name__ == "__main__":
    main()
