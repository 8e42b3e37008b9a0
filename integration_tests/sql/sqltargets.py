"""What the SQL and acceptance tests need: server availability, fresh schemas, running a destination.

``require_server`` is the one place that decides what a missing server means: a skip with the reason
locally, a failure when ``CI=true`` (CI must never go green by skipping the database tests).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from airbyte_dest_kit.testing import CommandRunner, Run, builders
from airbyte_dest_kit.testing.builders import Message, stdin_lines, stream_state, stream_status
from airbyte_dest_kit.testing.harness import json_file

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB_URL = os.environ.get("TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
SERVERS = {"postgres": POSTGRES_URL, "mariadb": MARIADB_URL}


def require_server(kind: str) -> sa.Engine:
    """An engine for the test server ``kind``; skips (fails under CI=true) when it is unreachable."""
    engine = sa.create_engine(SERVERS[kind], pool_pre_ping=True)
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        reason = f"{kind} test server {sa.make_url(SERVERS[kind]).render_as_string()} is unreachable: {exc.orig}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: a missing server is a failure)")
        pytest.skip(reason)
    return engine


def random_name(prefix: str = "t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@contextmanager
def _fresh(kind: str, prefix: str, drop: str) -> Iterator[tuple[sa.Engine, str]]:
    """An engine for server ``kind`` and a new random name, dropped afterwards with ``drop``."""
    engine = require_server(kind)
    name = random_name(prefix)
    try:
        yield engine, name
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(drop.format(name))
        engine.dispose()


def fresh_postgres_schema() -> AbstractContextManager[tuple[sa.Engine, str]]:
    return _fresh("postgres", "tpg", 'DROP SCHEMA IF EXISTS "{}" CASCADE')


def fresh_mariadb_database() -> AbstractContextManager[tuple[sa.Engine, str]]:
    return _fresh("mariadb", "my", "DROP DATABASE IF EXISTS `{}`")


def write_inputs(
    tmp: Path, config: dict[str, Any], catalog: dict[str, Any], messages: Sequence[Message]
) -> tuple[Path, Path, Path]:
    """The config and catalog files, and the stdin lines as a file (for a write fed from it)."""
    messages_path = tmp / f"messages_{uuid.uuid4().hex[:6]}.jsonl"
    messages_path.write_bytes(stdin_lines(messages))
    return json_file(tmp, "config", config), json_file(tmp, "catalog", catalog), messages_path


def run_destination(
    main: Path,
    config: dict[str, Any],
    catalog: dict[str, Any],
    messages: Sequence[Message],
    tmp: Path,
    timeout: float = 120,
) -> Run:
    return CommandRunner([PYTHON, str(main)], cwd=REPO, timeout=timeout).write(config, catalog, messages, tmp)


def run_check(main: Path, config: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """The one CONNECTION_STATUS of ``check``."""
    return CommandRunner([PYTHON, str(main)], cwd=REPO, timeout=60).check(config, tmp).status()


def sql_rows(engine: sa.Engine, qualified: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.exec_driver_sql(f"SELECT * FROM {qualified}")]


# -- message builders ------------------------------------------------------------------------------


def state(stream: str, position: Any) -> dict[str, Any]:
    return stream_state(stream, {"position": position})


def complete(stream: str) -> dict[str, Any]:
    return stream_status(stream, "COMPLETE")


def catalog(
    stream: str,
    properties: dict[str, Any],
    mode: str = "append",
    *,
    primary_key: Sequence[str] = (),
    cursor: str | None = None,
    generation: int = 0,
    minimum_generation: int = 0,
) -> dict[str, Any]:
    """A catalog of one stream, sync id 7."""
    return builders.catalog(
        builders.configured_stream(
            stream,
            properties,
            mode=mode,
            primary_key=primary_key,
            cursor=cursor,
            generation_id=generation,
            minimum_generation_id=minimum_generation,
            sync_id=7,
        )
    )
