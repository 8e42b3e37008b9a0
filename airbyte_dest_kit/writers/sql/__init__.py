"""The SQL store: any database SQLAlchemy reaches, with PostgreSQL, MySQL/MariaDB and SQLite tuned.

:mod:`.writer` is the store (:class:`SQLWriter`), :mod:`.dialects` what differs between databases,
:mod:`.bulk` and :mod:`.arrow_ingest` the load paths, :mod:`.errors` the translation of driver errors.
"""

from airbyte_dest_kit.writers.sql.errors import ConfigKeys
from airbyte_dest_kit.writers.sql.writer import SQLWriter, create_sql_writer

__all__ = ["ConfigKeys", "SQLWriter", "create_sql_writer"]
