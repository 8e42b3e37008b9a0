"""Run a source's main.py as a subprocess, the way a user or the platform does, and read its output."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airbyte_dest_kit.testing.output import ConnectorOutput

ROOT = Path(__file__).resolve().parents[2]


class Run(ConnectorOutput):
    def __init__(self, process: subprocess.CompletedProcess[bytes]) -> None:
        super().__init__(process.stdout.splitlines())
        self.exit_code = process.returncode
        self.output = process.stdout
        self.stderr = process.stderr


RunSource = Callable[..., Run]


def runner(source: str, tmp_path: Path) -> RunSource:
    def run(
        command: str, config: Any = None, catalog: Any = None, state: Any = None, manifest: Path | None = None
    ) -> Run:
        argv = [sys.executable, str(ROOT / "sources" / source / "main.py"), command]
        if manifest is not None:
            argv += ["--manifest", str(manifest)]
        for flag, value in (("config", config), ("catalog", catalog), ("state", state)):
            if value is None:
                continue
            if isinstance(value, Path):
                argv += [f"--{flag}", str(value)]
            else:
                path = tmp_path / f"{flag}-{len(list(tmp_path.iterdir()))}.json"
                path.write_text(json.dumps(value))
                argv += [f"--{flag}", str(path)]
        return Run(subprocess.run(argv, capture_output=True, cwd=ROOT, timeout=60))

    return run


def pipe(read: list[str], write: list[str]) -> list[dict[str, Any]]:
    """``read | write`` as two processes; both must succeed. Returns the STATE messages ``write`` echoed."""
    source = subprocess.Popen(read, stdout=subprocess.PIPE, cwd=ROOT)
    destination = subprocess.run(write, stdin=source.stdout, capture_output=True, cwd=ROOT, timeout=120)
    assert source.stdout is not None
    source.stdout.close()
    assert source.wait(timeout=60) == 0
    assert destination.returncode == 0, destination.stdout[-2000:]
    messages = [json.loads(line) for line in destination.stdout.splitlines()]
    return [m["state"] for m in messages if m["type"] == "STATE"]


@dataclass
class Served:
    url: str  # from the line saying where it listens
    printed: str = ""  # what it printed after that line (how to use it), once stopped


@contextmanager
def served_from_the_shell(module: str, *options: str) -> Iterator[Served]:
    """``python -m <module> --port 0 <options>``, as a person starts an API double; stopped with Ctrl-C
    (SIGINT), which must end it cleanly."""
    argv = [sys.executable, "-m", module, "--port", "0", *options]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    first = process.stdout.readline()
    found = re.fullmatch(r".* listening on (http://127\.0\.0\.1:\d+) \(Ctrl-C stops it\)\n", first)
    served = Served(found.group(1) if found else "")
    try:
        assert found, first
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        assert process.stderr is not None
        served.printed, errors = process.stdout.read(), process.stderr.read()  # the first read buffered some
    assert (process.returncode, errors) == (0, "")
