"""The second data set of ``make bench``: source-faker's own output, 1,000,100 records (454 MB).

    python bench/faker_set.py SOURCE_FAKER [--count 500000]

SOURCE_FAKER is the ``source-faker`` command of airbyte-source-faker, installed in a separate environment
(it pins its own airbyte-cdk): ``python3 -m venv /tmp/fakerenv && /tmp/fakerenv/bin/pip install
airbyte-source-faker==7.2.1``. Writes ``.bench/faker/messages.jsonl`` and ``.bench/faker/catalog_append.json``
(every stream in append) and prints the ``make bench`` arguments that use them. source-faker's users carry 17
properties (a nested address) in about 610 bytes, and it sends all users, then all purchases.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

WORK = Path(__file__).resolve().parent.parent / ".bench" / "faker"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source_faker", help="the source-faker command")
    parser.add_argument("--count", type=int, default=500_000, help="users (and purchases) to generate")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    config = WORK / "config.json"
    config.write_text(json.dumps({"count": args.count, "seed": 42, "records_per_slice": 1000, "parallelism": 1}))
    discovered = subprocess.run(
        [args.source_faker, "discover", "--config", str(config)], capture_output=True, check=True, text=True
    ).stdout
    streams = next(m["catalog"]["streams"] for m in map(json.loads, discovered.splitlines()) if m["type"] == "CATALOG")
    catalog = WORK / "catalog_append.json"
    configured = [{"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": "append"} for s in streams]
    catalog.write_text(json.dumps({"streams": configured}))
    messages = WORK / "messages.jsonl"
    with messages.open("wb") as out:
        command = [args.source_faker, "read", "--config", str(config), "--catalog", str(catalog)]
        subprocess.run(command, stdout=out, check=True)
    print(f"make bench BENCH_ARGS='--second-set {messages} {catalog}'")


if __name__ == "__main__":
    main()
