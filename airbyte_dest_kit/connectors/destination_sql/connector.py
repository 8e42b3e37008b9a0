"""destination-sql: land Airbyte messages in any database SQLAlchemy reaches.

PostgreSQL, MySQL/MariaDB and SQLite use their fast bulk paths; other dialects the portable one.

    python main.py check --config sample_files/config.json
    cat messages.jsonl | python main.py write --config sample_files/config.json --catalog catalog.json
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from airbyte_dest_kit.destination.writer_destination import WriterDestination
from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.writers.sql import ConfigKeys, SQLWriter, create_sql_writer

# Every connection setting lives in the URL, so every connection error points at it.
URL_KEYS = ConfigKeys(host="url", port="url", database="url", username="url", password="url", schema="schema")


def _url(config: Mapping[str, Any]) -> sa.URL:
    try:
        url = sa.make_url(config["url"])
        url.get_dialect()
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise ConfigError(f"config key 'url' is not a usable SQLAlchemy URL: {exc}") from None
    return url


class DestinationSQL(WriterDestination):
    default_schema = "public"

    def default_schema_for(self, config: Mapping[str, Any]) -> str:
        """``main`` on SQLite (its only built-in schema)."""
        return "main" if _url(config).get_backend_name() == "sqlite" else self.default_schema

    def create_writer(self, config: Mapping[str, Any]) -> SQLWriter:
        return create_sql_writer(
            _url(config), schema=config["schema"], config_keys=URL_KEYS, load_method=config.get("load_method") or "bulk"
        )
