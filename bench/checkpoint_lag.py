"""Checkpoint lag: how long a STATE waits between reaching the destination's stdin and its echo.

    python bench/checkpoint_lag.py MESSAGES CATALOG CONFIG [--rate-mb 20] [--root CHECKOUT]

The messages file is fed at ``--rate-mb`` MB/s (about what a fast source produces), in 64 KiB writes; a
STATE "reaches stdin" when the write holding its line returns (a full pipe blocks the write, so time the
destination makes the feeder wait counts too). Echoes are matched to inputs per stream in order (the
ledger keeps each stream's order). Prints one JSON line: states in / echoed, p50 / p95 / max lag in seconds,
and the time of the first echo. ``--root`` runs destination-duckdb from another checkout (a before/after).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import IO

WRITE_SIZE = 64 * 1024
ROOT = Path(__file__).resolve().parent.parent


def state_positions(messages: Path) -> list[tuple[int, str]]:
    """``(offset just past the line, stream)`` of every STREAM state line, in file order."""
    found = []
    offset = 0
    with messages.open("rb") as handle:
        for line in handle:
            offset += len(line)
            if line.startswith(b'{"type":"STATE"'):
                state = json.loads(line)["state"]
                found.append((offset, json.dumps(state["stream"]["stream_descriptor"], sort_keys=True)))
    return found


def faker_shaped(messages: Path, target: Path) -> Path:
    """The same lines in source-faker's order: the small ``products`` stream first (records, its states, its
    COMPLETE), then ``users`` and ``purchases`` interleaved in blocks of 1,000 lines, each stream's own
    order kept. (source-sample reads its streams one after the other; a faker file interleaves them.)

    Streams through one spill file per stream, never holding the data set: ``make bench`` runs this in its
    own process, which must stay small (``run.run_process`` says why)."""
    if target.exists() and target.stat().st_mtime > messages.stat().st_mtime:
        return target
    with tempfile.TemporaryDirectory(dir=target.parent) as spill, target.open("wb") as out:
        spilled: dict[str, Path] = {}
        with contextlib.ExitStack() as stack, messages.open("rb") as handle:
            writers: dict[str, IO[bytes]] = {}
            for line in handle:
                name = _stream_of(line)
                if name == "products":
                    out.write(line)
                    continue
                if name not in writers:
                    spilled[name] = Path(spill, f"{len(spilled)}.jsonl")
                    writers[name] = stack.enter_context(spilled[name].open("wb"))
                writers[name].write(line)
        with contextlib.ExitStack() as stack:
            readers = [stack.enter_context(path.open("rb")) for path in spilled.values()]
            while readers:
                blocks = [list(itertools.islice(reader, 1000)) for reader in readers]
                for block in blocks:
                    out.writelines(block)
                readers = [reader for reader, block in zip(readers, blocks, strict=True) if len(block) == 1000]
    return target


def _stream_of(line: bytes) -> str:
    """The stream a RECORD, STATE or STREAM_STATUS line belongs to ("" for other messages)."""
    if line.startswith(b'{"type":"RECORD"'):
        name = json.loads(line).get("record", {}).get("stream")
        if name is not None:
            return str(name)
    message = json.loads(line)
    body = message.get("state", {}).get("stream") or message.get("trace", {}).get("stream_status", {})
    return str(body.get("stream_descriptor", {}).get("name", ""))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(messages: Path, catalog: Path, config: Path, rate_mb: float, root: Path) -> dict[str, float]:
    positions = state_positions(messages)
    main = root / "destinations" / "destination-duckdb" / "main.py"
    env = {**os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, str(main), "write", "--config", str(config), "--catalog", str(catalog)]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    sent: dict[str, deque[float]] = defaultdict(deque)  # per stream: when each of its states reached stdin
    lags: list[float] = []
    first_echo: list[float] = []
    lock = threading.Lock()
    started = time.monotonic()

    def read_echoes() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if not line.startswith(b'{"type":"STATE"'):
                continue
            now = time.monotonic()
            stream = json.dumps(json.loads(line)["state"]["stream"]["stream_descriptor"], sort_keys=True)
            with lock:
                lags.append(now - sent[stream].popleft())
                if not first_echo:
                    first_echo.append(now - started)

    reader = threading.Thread(target=read_echoes, daemon=True)
    reader.start()
    assert proc.stdin is not None
    bytes_per_second = rate_mb * 1e6
    next_state = 0
    written = 0
    with messages.open("rb") as handle:
        while block := handle.read(WRITE_SIZE):
            proc.stdin.write(block)
            proc.stdin.flush()
            written += len(block)
            now = time.monotonic()
            with lock:
                while next_state < len(positions) and positions[next_state][0] <= written:
                    sent[positions[next_state][1]].append(now)
                    next_state += 1
            pause = started + written / bytes_per_second - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    proc.stdin.close()
    code = proc.wait()
    reader.join()
    if code != 0:
        raise SystemExit(f"destination-duckdb failed with exit {code}")
    return {
        "states_in": len(positions),
        "states_echoed": len(lags),
        "p50_s": round(percentile(lags, 0.50), 2),
        "p95_s": round(percentile(lags, 0.95), 2),
        "max_s": round(max(lags), 2),
        "first_echo_s": round(first_echo[0], 2),
        "sync_s": round(time.monotonic() - started, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("messages", type=Path)
    parser.add_argument("catalog", type=Path)
    parser.add_argument("config", type=Path)
    parser.add_argument("--rate-mb", type=float, default=20.0)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--faker-shaped", action="store_true", help="feed the lines in source-faker's order")
    args = parser.parse_args()
    messages = args.messages
    if args.faker_shaped:
        messages = faker_shaped(messages, messages.with_name(messages.stem + ".faker.jsonl"))
    print(json.dumps(measure(messages, args.catalog, args.config, args.rate_mb, args.root)))


if __name__ == "__main__":
    main()
