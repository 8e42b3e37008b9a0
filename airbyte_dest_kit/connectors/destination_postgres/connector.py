"""destination-postgres: land Airbyte messages in PostgreSQL (bulk loads with COPY).

python main.py spec
python main.py check --config sample_files/config.json
cat messages.jsonl | python main.py write --config sample_files/config.json --catalog catalog.json
"""

from __future__ import annotations

import atexit
import os
import tempfile
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import sqlalchemy as sa

from airbyte_dest_kit.destination.writer_destination import WriterDestination
from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.writers.sql import SQLWriter, create_sql_writer

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# ssl_mode object key → libpq parameter holding a file with that content
SSL_FILES = {"ca_certificate": "sslrootcert", "client_certificate": "sslcert", "client_key": "sslkey"}


def _file_with(content: str) -> str:
    handle = tempfile.NamedTemporaryFile("w", prefix="airbyte_ssl_", delete=False)
    with handle:
        handle.write(content)
    os.chmod(handle.name, 0o600)  # libpq refuses a key file others can read
    atexit.register(os.unlink, handle.name)
    return handle.name


def ssl_params(ssl_mode: Any) -> dict[str, str]:
    """libpq parameters for Airbyte's ``ssl_mode`` (a mode name or ``{"mode": …, certificates…}``)."""
    if ssl_mode is None:
        return {}
    settings = {"mode": ssl_mode} if isinstance(ssl_mode, str) else dict(ssl_mode)
    mode = settings.get("mode")
    if mode not in SSL_MODES:
        raise ConfigError(f"config key 'ssl_mode': mode {mode!r} is not one of {', '.join(SSL_MODES)}")
    params = {"sslmode": str(mode)}
    for key, libpq_name in SSL_FILES.items():
        if settings.get(key):
            params[libpq_name] = _file_with(str(settings[key]))
    if settings.get("client_key_password"):
        params["sslpassword"] = str(settings["client_key_password"])
    return params


def extra_params(jdbc_url_params: str | None) -> dict[str, str]:
    """``key=value&key2=value2`` → driver connection parameters (libpq names, e.g. ``connect_timeout``)."""
    if not jdbc_url_params:
        return {}
    try:
        return dict(parse_qsl(jdbc_url_params, strict_parsing=True))
    except ValueError:
        raise ConfigError(
            f"config key 'jdbc_url_params' must look like key=value&key2=value2, got {jdbc_url_params!r}"
        ) from None


class DestinationPostgres(WriterDestination):
    default_schema = "public"

    def create_writer(self, config: Mapping[str, Any]) -> SQLWriter:
        url = sa.URL.create(
            "postgresql+psycopg",
            username=config["username"],
            password=config.get("password") or None,
            host=config["host"],
            port=int(config.get("port") or 5432),
            database=config["database"],
        )
        connect_args = {**extra_params(config.get("jdbc_url_params")), **ssl_params(config.get("ssl_mode"))}
        return create_sql_writer(url, schema=config["schema"], connect_args=connect_args)
