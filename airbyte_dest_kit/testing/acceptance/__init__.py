"""The destination acceptance suite: the protocol's promises, run against your destination from your pytest.

See :mod:`.suite` for how to point it at a destination, :mod:`.scenario` for the scenario files.
"""

from airbyte_dest_kit.testing.acceptance.readers import (
    FILE_FORMATS,
    duckdb_reader,
    files_reader,
    iceberg_reader,
    kvdb_reader,
    plain,
    sql_reader,
    sqlite_reader,
)
from airbyte_dest_kit.testing.acceptance.runners import CommandRunner, DestinationRunner, Runner, WriterRunner
from airbyte_dest_kit.testing.acceptance.scenario import SCENARIOS, Scenario, Target
from airbyte_dest_kit.testing.acceptance.suite import DestinationAcceptance
from airbyte_dest_kit.testing.harness import Run

__all__ = [
    "FILE_FORMATS",
    "SCENARIOS",
    "CommandRunner",
    "DestinationAcceptance",
    "DestinationRunner",
    "Run",
    "Runner",
    "Scenario",
    "Target",
    "WriterRunner",
    "duckdb_reader",
    "files_reader",
    "iceberg_reader",
    "kvdb_reader",
    "plain",
    "sql_reader",
    "sqlite_reader",
]
