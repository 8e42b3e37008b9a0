"""Database errors → what the user must fix, naming the config key.

Classified by the driver's error code (PostgreSQL SQLSTATE, MySQL error number) where there is one, by the
message text otherwise::

    wrong user or password     → ConfigError naming the username / password keys
    unknown database           → ConfigError naming the database key
    missing privilege          → ConfigError naming the username and schema keys, with the GRANT to run
    unreachable host / refused → TransientError naming the host and port keys
    reserved schema name       → ConfigError naming the schema key (PostgreSQL reserves ``pg_*``)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from airbyte_dest_kit.errors import ConfigError, ConnectorError, TransientError


@dataclass(frozen=True)
class ConfigKeys:
    """The config keys that hold each connection setting (all ``url`` for a URL-only config)."""

    host: str = "host"
    port: str = "port"
    database: str = "database"
    username: str = "username"
    password: str = "password"
    schema: str = "schema"


_AUTH_SQLSTATES = {"28P01", "28000"}
_AUTH_MYSQL = {1045, 1698}
_PRIVILEGE_SQLSTATES = {"42501"}
_RESERVED_NAME_SQLSTATE = "42939"
_PRIVILEGE_MYSQL = {1044, 1142, 1227, 1370}
_UNKNOWN_DATABASE_MYSQL = {1049}
_UNREACHABLE_MYSQL = {2003, 2005, 2006, 2013}
_AUTH_TEXT = r'password authentication failed|role ".*" does not exist|not permitted to log in|no pg_hba.conf entry'
_UNREACHABLE_TEXT = (
    "connection refused",
    "could not translate host name",
    "timeout expired",
    "no route to host",
    "name or service not known",
    "network is unreachable",
    "connection timed out",
)


def config_keys(*names: str) -> str:
    """``config key 'url'`` or ``config keys 'host' and 'port'``: each key named once."""
    distinct = list(dict.fromkeys(names))
    quoted = [repr(name) for name in distinct]
    if len(quoted) == 1:
        return f"config key {quoted[0]}"
    return f"config keys {', '.join(quoted[:-1])} and {quoted[-1]}"


def _codes(exc: BaseException) -> tuple[str | None, int | None]:
    orig = getattr(exc, "orig", None) or exc
    sqlstate = getattr(orig, "sqlstate", None)
    args = getattr(orig, "args", ())
    number = args[0] if args and isinstance(args[0], int) else None
    return sqlstate, number


def translate(exc: sa.exc.DBAPIError, keys: ConfigKeys, *, user: str | None, schema: str) -> ConnectorError | None:
    """The ConnectorError for a failed connect or probe; None when the error is none of the above."""
    sqlstate, number = _codes(exc)
    text = str(getattr(exc, "orig", None) or exc).strip()
    lowered = text.lower()
    # psycopg reports failures during connect without a SQLSTATE: the server's text is all there is.
    if sqlstate in _AUTH_SQLSTATES or number in _AUTH_MYSQL or re.search(_AUTH_TEXT, lowered):
        return ConfigError(
            f"the server rejected user {user!r}: check {config_keys(keys.username, keys.password)}",
            internal_message=text,
        )
    if sqlstate == "3D000" or number in _UNKNOWN_DATABASE_MYSQL or re.search(r'database ".*" does not exist', lowered):
        return ConfigError(
            f"the database does not exist: check config key {keys.database!r} or create it first",
            internal_message=text,
        )
    if sqlstate in _PRIVILEGE_SQLSTATES or number in _PRIVILEGE_MYSQL:
        return ConfigError(
            f"user {user!r} (config key {keys.username!r}) may not create tables in schema {schema!r} "
            f"(config key {keys.schema!r}): grant it, e.g. GRANT CREATE, USAGE ON SCHEMA {schema} TO {user} "
            f"(PostgreSQL) or GRANT ALL ON {schema}.* TO {user} (MySQL). Server said: {text}",
            internal_message=text,
        )
    if sqlstate == _RESERVED_NAME_SQLSTATE:
        return ConfigError(
            f"the database reserves this schema name: choose another in config key {keys.schema!r} (or in the "
            f"stream's namespace). Server said: {text}",
            internal_message=text,
        )
    if number in _UNREACHABLE_MYSQL or any(t in lowered for t in _UNREACHABLE_TEXT):
        return TransientError(
            f"cannot reach the database server: check {config_keys(keys.host, keys.port)}, and that "
            f"the server is running and accepts connections from here. Server said: {text}",
            internal_message=text,
        )
    return None
