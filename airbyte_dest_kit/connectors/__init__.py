"""The reference connectors as commands: ``destination-duckdb``, ``destination-postgres``, ``destination-sql``,
``destination-local-file``, ``destination-kvdb``, ``destination-iceberg``, ``destination-duckdb-vector``,
``destination-chroma``, ``source-sample``, ``source-http-example``, ``source-declarative-manifest`` and
``source-files`` once the package is installed (``[project.scripts]``), and the ``main.py`` launchers in a
checkout.

A command imports its connector only when it runs, after checking that the modules its extra brings are
installed; when one is missing it says which ``pip install`` line fixes that (a TRACE ERROR on stdout for
the platform, the same sentence on stderr for a person) and exits 1, instead of a ``ModuleNotFoundError``.

Adding a connector: a package here holding ``connector.py`` and ``spec.json``, a :class:`Command` below,
a line under ``[project.scripts]`` in ``pyproject.toml`` (``my-connector =
"airbyte_dest_kit.connectors:my_connector"``), and, for a checkout, a ``main.py`` that calls the command.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass

from airbyte_dest_kit.runtime.entrypoint import launch
from airbyte_dest_kit.runtime.extras import missing_extra
from airbyte_dest_kit.runtime.startup import refuse_to_start


@dataclass(frozen=True)
class Command:
    name: str
    module: str  # the module defining the connector class, under airbyte_dest_kit.connectors
    connector: str
    extra: str | None = None  # the pip extra holding its dependencies…
    requires: tuple[str, ...] = ()  # …and the modules that extra brings
    main: str | None = None  # a function of the module that runs the command line itself, given argv

    def __call__(self, argv: Sequence[str] | None = None) -> None:
        if self.extra is not None:
            error = missing_extra(self.extra, self.requires, self.name)
            if error is not None:
                refuse_to_start(error)
        module = importlib.import_module(f"{__name__}.{self.module}")
        if self.main is not None:  # options before the command (--manifest FILE) are the connector's own
            getattr(module, self.main)(argv)
        else:
            launch(getattr(module, self.connector)(), argv)


destination_duckdb = Command("destination-duckdb", "destination_duckdb.connector", "DestinationDuckDB")
destination_postgres = Command(
    "destination-postgres",
    "destination_postgres.connector",
    "DestinationPostgres",
    extra="postgres",
    requires=("sqlalchemy", "psycopg"),
)
destination_sql = Command(
    "destination-sql", "destination_sql.connector", "DestinationSQL", extra="sql", requires=("sqlalchemy",)
)
destination_local_file = Command("destination-local-file", "destination_local_file.connector", "DestinationLocalFile")
destination_kvdb = Command(
    "destination-kvdb", "destination_kvdb.connector", "DestinationKvdb", extra="http", requires=("httpx",)
)
destination_iceberg = Command(
    "destination-iceberg",
    "destination_iceberg.connector",
    "DestinationIceberg",
    extra="iceberg",
    requires=("pyiceberg", "sqlalchemy"),
)
source_sample = Command("source-sample", "source_sample.connector", "SourceSample")
source_http_example = Command(
    "source-http-example", "source_http_example.connector", "SourceHttpExample", extra="http", requires=("httpx",)
)
source_declarative_manifest = Command(
    "source-declarative-manifest",
    "source_declarative_manifest.connector",
    "ManifestSource",
    extra="declarative",
    requires=("httpx", "jinja2", "yaml", "isodate"),
    main="run",
)

source_files = Command("source-files", "source_files.connector", "SourceFiles")
destination_duckdb_vector = Command(
    "destination-duckdb-vector",
    "destination_duckdb_vector.connector",
    "DestinationDuckDBVector",
    extra="vector",
    requires=("httpx", "langchain_text_splitters"),
)
destination_chroma = Command(
    "destination-chroma",
    "destination_chroma.connector",
    "DestinationChroma",
    extra="chroma",
    requires=("httpx", "langchain_text_splitters", "chromadb"),
)

COMMANDS = (
    destination_duckdb,
    destination_postgres,
    destination_sql,
    destination_local_file,
    destination_kvdb,
    destination_iceberg,
    source_sample,
    source_http_example,
    source_declarative_manifest,
    source_files,
    destination_duckdb_vector,
    destination_chroma,
)
