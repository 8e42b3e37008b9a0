"""The command line every connector shares: ``spec``, ``check --config`` plus the connector's own commands.

``launch(connector)`` is what a connector's ``main.py`` calls; like airbyte-cdk's ``launch`` it returns
``None`` on success and exits the process with status 1 on failure (``sys.exit(launch(...))`` works too).
:func:`execute` is the same run returning the exit code instead, for running a connector in-process.
Guarantees:

- ``--version`` prints the command's name and the kit's version; usage lines name the command as typed
  (``destination-duckdb``, ``main.py``).
- ``spec`` prints exactly one SPEC message.
- ``check`` prints exactly one CONNECTION_STATUS: FAILED with an actionable message on any failure
  (a raised exception, config validation, or a returned ``AirbyteConnectionStatus`` with status FAILED),
  never a traceback on stdout, and exits 0.
- any other command that fails prints a TRACE ERROR whose ``failure_type`` follows the exception type
  (see :mod:`airbyte_dest_kit.errors`) and exits 1.
- ``airbyte_secret`` config values (and secrets added with ``Connector.add_secret``) are masked in every
  LOG line, CONNECTION_STATUS and TRACE ERROR.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from typing import IO

from airbyte_dest_kit.errors import ConnectorError, error_trace_message
from airbyte_dest_kit.protocol.codec import MessageWriter, connection_status_message
from airbyte_dest_kit.protocol.models import AirbyteConnectionStatus, Status
from airbyte_dest_kit.runtime.connector import Connector, _StdoutLogHandler
from airbyte_dest_kit.runtime.secrets import mask_secrets, mask_trace
from airbyte_dest_kit.runtime.startup import add_version_option, program_name


def build_parser(connector: Connector) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=program_name())
    add_version_option(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("spec", help="print the connector specification")
    check = commands.add_parser("check", help="test that the config can connect and write")
    check.add_argument("--config", required=True, help="path to the config JSON file")
    connector.add_commands(commands)
    return parser


def _failure_message(error: BaseException) -> str:
    if isinstance(error, ConnectorError):
        return error.message
    return f"{type(error).__name__}: {error}"


def check_outcome(result: object) -> tuple[bool, str | None]:
    """``(succeeded, message)`` for what ``check`` returned: ``None`` (it did not raise) or a status."""
    if result is None:
        return True, None
    if isinstance(result, AirbyteConnectionStatus):
        return result.status == Status.SUCCEEDED, result.message
    # Anything else is a defect in the connector; reporting it as a success could hide a bad config.
    return False, f"check() returned {type(result).__name__}, expected None or AirbyteConnectionStatus"


def launch(connector: Connector, argv: Sequence[str] | None = None, stdout: IO[bytes] | None = None) -> None:
    """Run one command; on failure exit the process with the failure's status, as airbyte-cdk's ``launch``."""
    code = execute(connector, argv, stdout)
    if code:
        raise SystemExit(code)


def execute(connector: Connector, argv: Sequence[str] | None = None, stdout: IO[bytes] | None = None) -> int:
    """Run one command and return the process exit code (0 or 1) instead of exiting."""
    args = build_parser(connector).parse_args(argv)
    out = MessageWriter(stdout or sys.stdout.buffer)
    connector.out = out
    handler = _StdoutLogHandler(out, lambda: connector.secrets)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("airbyte")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
    try:
        if args.command == "spec":
            out.write({"type": "SPEC", "spec": connector.spec()})
        elif args.command == "check":
            try:
                succeeded, message = check_outcome(connector.check(connector.load_config(args.config)))
            except Exception as exc:  # noqa: BLE001 - check answers with one status, whatever failed
                succeeded, message = False, _failure_message(exc)
                if not isinstance(exc, ConnectorError):
                    connector.logger.debug(traceback.format_exc())
            masked = None if message is None else mask_secrets(message, connector.secrets)
            out.write(connection_status_message(succeeded, masked))
        else:
            connector.run_command(args, out)
    except BaseException as exc:
        if isinstance(exc, SystemExit) and exc.code in (0, None):
            raise
        if isinstance(exc, BrokenPipeError):
            return _stdout_gone()
        out.write(mask_trace(error_trace_message(exc, traceback.format_exc()), connector.secrets))
        out.flush()
        return 1
    try:
        out.flush()
    except BrokenPipeError:
        return _stdout_gone()
    return 0


def _stdout_gone() -> int:
    """The reader of our stdout went away: nobody to tell, and no traceback when Python exits."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1
