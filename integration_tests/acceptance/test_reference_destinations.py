"""The acceptance suite against every reference destination, through one parametrised fixture: DuckDB,
PostgreSQL, MariaDB, SQLite, the file destination once per format (Parquet partitioned by day, gzipped
JSON lines, CSV), KvDB (its server.py started per test on 127.0.0.1), and Iceberg (a local warehouse with
its SQLite catalog, the defaults). DuckDB runs as the platform runs it, its main.py in a subprocess;
the others run their connector class in-process (the same command line through ``execute``, without a
process start per sync, which made the suite twice as slow). Every command
line has its own subprocess tests in integration_tests.

Adding a destination: a factory yielding its :class:`Target` in ``TARGETS``.
"""

from __future__ import annotations

import importlib
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from airbyte_dest_kit.connectors import (
    Command,
    destination_kvdb,
    destination_local_file,
    destination_postgres,
    destination_sql,
)
from airbyte_dest_kit.testing.acceptance import (
    FILE_FORMATS,
    CommandRunner,
    DestinationAcceptance,
    DestinationRunner,
    Target,
    duckdb_reader,
    files_reader,
    iceberg_reader,
    kvdb_reader,
    sql_reader,
    sqlite_reader,
)
from integration_tests.kvdb.kvdb_server import KvdbServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sql"))

from sqltargets import (
    MARIADB_URL,
    POSTGRES_URL,
    REPO,
    fresh_mariadb_database,
    fresh_postgres_schema,
    random_name,
)

DESTINATIONS = REPO / "destinations"
TargetFactory = Callable[[Path], Iterator[Target]]


def _main(name: str) -> CommandRunner:
    return CommandRunner([sys.executable, str(DESTINATIONS / name / "main.py")])


def _in_process(command: Command) -> DestinationRunner:
    module = importlib.import_module(f"airbyte_dest_kit.connectors.{command.module}")
    return DestinationRunner(getattr(module, command.connector))


def _a_file_where_a_folder_should_be(tmp: Path) -> Path:
    path = tmp / "a-file"
    path.write_text("a file, not a folder")
    return path


def _duckdb(tmp: Path) -> Iterator[Target]:
    path = tmp / "acceptance.duckdb"
    config = {"destination_path": str(path), "schema": random_name("dd")}
    invalid = {"destination_path": str(_a_file_where_a_folder_should_be(tmp) / "x.duckdb")}
    yield Target(_main("destination-duckdb"), config, invalid, duckdb_reader(path), tmp, config["schema"])


def _postgres(tmp: Path) -> Iterator[Target]:
    # the second schema is the scenarios' other namespace, dropped after the test like the first
    with fresh_postgres_schema() as (engine, schema), fresh_postgres_schema() as (_, namespace):
        url = sa.make_url(POSTGRES_URL)
        config = {"host": url.host, "port": url.port, "database": url.database, "username": url.username}
        invalid = {**config, "database": random_name("no_such_database")}
        runner = _in_process(destination_postgres)
        reader = sql_reader(engine)
        yield Target(runner, {**config, "schema": schema}, invalid, reader, tmp, schema, namespace=namespace)


def _mariadb(tmp: Path) -> Iterator[Target]:
    with fresh_mariadb_database() as (engine, database), fresh_mariadb_database() as (_, namespace):
        invalid = {"url": str(sa.make_url(MARIADB_URL).set(database=random_name("no_such_database")))}
        config = {"url": MARIADB_URL, "schema": database}
        reader = sql_reader(engine)
        yield Target(_in_process(destination_sql), config, invalid, reader, tmp, database, namespace=namespace)


def _sqlite(tmp: Path) -> Iterator[Target]:
    path = tmp / "acceptance.db"
    invalid = {"url": f"sqlite:///{_a_file_where_a_folder_should_be(tmp)}/x.db"}
    yield Target(_in_process(destination_sql), {"url": f"sqlite:///{path}"}, invalid, sqlite_reader(path), tmp)


FILE_CONFIGS = {  # partitioning and gzip ride along, so every scenario covers them too
    "parquet": {"format": "parquet", "partitioning": {"granularity": "day"}},
    "jsonl": {"format": "jsonl", "gzip": True},
    "csv": {"format": "csv"},
}


def _files(file_format: str) -> TargetFactory:
    def factory(tmp: Path) -> Iterator[Target]:
        root = tmp / "files"
        config = {"destination_path": str(root), "schema": "main", **FILE_CONFIGS[file_format]}
        invalid = {**config, "destination_path": str(_a_file_where_a_folder_should_be(tmp) / "files")}
        yield Target(_in_process(destination_local_file), config, invalid, files_reader(root, file_format), tmp)

    return factory


def _kvdb(tmp: Path) -> Iterator[Target]:
    server = KvdbServer(tmp / "kv.sqlite", token="acceptance-token").start()
    try:
        # Quick retries: a failing scenario should not wait out the default minute of backoff.
        retries = {"max_retries": 3, "min_wait_seconds": 0.01, "max_wait_seconds": 0.2}
        config = {"base_url": server.base_url, "bucket_id": "acceptance", "secret_key": "acceptance-token"}
        invalid = {**config, "secret_key": "not-the-token"}
        reader = kvdb_reader(server.base_url, "acceptance", "acceptance-token")
        # schema "": keys of a stream without a namespace start with the stream's name
        yield Target(_in_process(destination_kvdb), {**config, "retries": retries}, invalid, reader, tmp, "")
    finally:
        # Its data is not needed after the test: no graceful close (a WAL checkpoint, slow on a busy disk,
        # once outlasted KvdbServer's 10 s wait) to wait for.
        server.stop(signal.SIGKILL)


def _iceberg(tmp: Path) -> Iterator[Target]:
    from airbyte_dest_kit.connectors.destination_iceberg.connector import DestinationIceberg
    from airbyte_dest_kit.writers.iceberg import CatalogConfig

    # partitioned: integration_tests/iceberg. Commits once a state waited 1 s, not 60: the kill -9 scenario waits
    # for states while the input stays open.
    config = {"warehouse": str(tmp / "warehouse"), "namespace": "main", "buffering": {"max_state_wait_seconds": 1}}
    invalid = {**config, "warehouse": str(_a_file_where_a_folder_should_be(tmp) / "warehouse")}
    reader = iceberg_reader(CatalogConfig.from_config(config).properties())
    yield Target(DestinationRunner(DestinationIceberg), config, invalid, reader, tmp)


TARGETS: dict[str, TargetFactory] = {
    "duckdb": _duckdb,
    "postgres": _postgres,
    "mariadb": _mariadb,
    "sqlite": _sqlite,
    **{f"files-{f}": _files(f) for f in FILE_FORMATS},
    "kvdb": _kvdb,
    "iceberg": _iceberg,
}


class TestReferenceDestinations(DestinationAcceptance):
    @pytest.fixture(params=list(TARGETS))
    def destination(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
        yield from TARGETS[request.param](tmp_path)
