"""Run a source's main.py as a subprocess, the way a user or the platform does, and read its output."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airbyte_dest_kit.testing import CommandRunner, Run

ROOT = Path(__file__).resolve().parents[2]

RunSource = Callable[..., Run]


def runner(source: str, tmp_path: Path) -> RunSource:
    """``run(command, config, catalog, state, manifest=...)``: ``sources/<source>/main.py``; a value is passed
    as a JSON file in ``tmp_path``, a Path as it is."""
    cli = CommandRunner([sys.executable, str(ROOT / "sources" / source / "main.py")], cwd=ROOT, timeout=60)

    def run(
        command: str, config: Any = None, catalog: Any = None, state: Any = None, manifest: Path | None = None
    ) -> Run:
        return cli.run(command, tmp_path, manifest=manifest, config=config, catalog=catalog, state=state)

    return run


def pipe(read: list[str], write: list[str]) -> list[dict[str, Any]]:
    """``read | write`` as two processes; both must succeed. Returns the STATE messages ``write`` echoed."""
    source = subprocess.Popen(read, stdout=subprocess.PIPE, cwd=ROOT)
    destination = subprocess.run(write, stdin=source.stdout, capture_output=True, cwd=ROOT, timeout=120)
    assert source.stdout is not None
    source.stdout.close()
    assert source.wait(timeout=60) == 0
    run = Run.from_completed(destination)
    assert run.returncode == 0, run.stdout[-2000:]
    return run.states()


@dataclass
class Served:
    url: str  # from the line saying where it listens
    printed: str = ""  # what it printed after that line (how to use it), once stopped


@contextmanager
def served_from_the_shell(module: str, *options: str) -> Iterator[Served]:
    """``python -m <module> --port 0 <options>``, as a person starts an API double; stopped with Ctrl-C
    (SIGINT), which must end it cleanly."""
    argv = [sys.executable, "-m", module, "--port", "0", *options]
    # As from a terminal, Ctrl-C must reach it: a shell starting the test run in the background makes the run
    # ignore SIGINT, and its children would inherit that.
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
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
