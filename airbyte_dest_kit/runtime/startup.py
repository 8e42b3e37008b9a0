"""What a command does before its connector runs: its name and ``--version`` on the command line, and the
message it gives when it cannot start.

Standard library only (plus :mod:`airbyte_dest_kit.errors`, which is too): the ``main.py`` launchers of a
checkout import this module when the kit's dependencies may be missing, to say so instead of a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from airbyte_dest_kit import __version__
from airbyte_dest_kit.errors import ConfigError, error_trace_message

CHECKOUT = Path(__file__).resolve().parents[2]  # the folder holding Makefile and pyproject.toml in a checkout


def program_name() -> str:
    """What the user typed to run the command: ``destination-duckdb`` for a console command (not the venv's
    full path to it), ``main.py`` for a launcher."""
    return os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "main.py"


def add_version_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"%(prog)s (airbyte_dest_kit {__version__})")


def refuse_to_start(error: ConfigError) -> NoReturn:
    """Exit 1 with ``error``: a TRACE ERROR on stdout for the platform, the same sentence on stderr for a person."""
    sys.stdout.write(json.dumps(error_trace_message(error), separators=(",", ":")) + "\n")
    sys.stdout.flush()
    print(error.message, file=sys.stderr)
    raise SystemExit(1)


@contextmanager
def explain_missing_dependencies(command: str) -> Iterator[None]:
    """Around a launcher's import and run of ``command``: a module the kit depends on that is not installed for
    this Python becomes a message naming it and the commands that install everything."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if not exc.name or exc.name.partition(".")[0] == "airbyte_dest_kit":
            raise  # the kit itself is incomplete: no install command fixes that
        refuse_to_start(
            ConfigError(
                f"{command} cannot start: the Python module {exc.name!r} is not installed for {sys.executable} "
                f"(airbyte_dest_kit needs it). To install the kit's dependencies, from the checkout root {CHECKOUT} "
                f"run `make install` and use {CHECKOUT / '.venv' / 'bin' / 'python'}, "
                f"or run `{sys.executable} -m pip install -e {CHECKOUT}`"
            )
        )
