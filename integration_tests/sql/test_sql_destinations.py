"""PostgreSQL and MariaDB specifics: check errors naming the config key, NUL bytes, a 10 MB record, and a
kill -9 in the middle of a sync (every echoed state must be covered by committed rows)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqltargets import (
    MARIADB_URL,
    POSTGRES_URL,
    PYTHON,
    REPO,
    catalog,
    complete,
    fresh_mariadb_database,
    fresh_postgres_schema,
    random_name,
    run_check,
    run_destination,
    sql_rows,
    state,
    write_inputs,
)

from airbyte_dest_kit.testing.builders import echoed, record

POSTGRES_MAIN = REPO / "destinations/destination-postgres/main.py"
SQL_MAIN = REPO / "destinations/destination-sql/main.py"
PG = sa.make_url(POSTGRES_URL)


def pg_config(schema: str, **overrides: Any) -> dict[str, Any]:
    return {
        "host": PG.host,
        "port": PG.port,
        "database": PG.database,
        "username": PG.username,
        "schema": schema,
    } | overrides


@pytest.fixture
def pg_schema() -> Iterator[tuple[sa.Engine, str]]:
    with fresh_postgres_schema() as found:
        yield found


@pytest.fixture
def maria_db() -> Iterator[tuple[sa.Engine, str]]:
    with fresh_mariadb_database() as found:
        yield found


# -- check: what to fix ----------------------------------------------------------------------------


def test_postgres_check_succeeds_and_leaves_no_probe(pg_schema: tuple[sa.Engine, str], tmp_path: Path) -> None:
    engine, schema = pg_schema
    assert run_check(POSTGRES_MAIN, pg_config(schema), tmp_path) == {"status": "SUCCEEDED"}
    assert sa.inspect(engine).get_table_names(schema=schema) == []


def test_postgres_check_unknown_database_names_the_key(pg_schema: tuple[sa.Engine, str], tmp_path: Path) -> None:
    status = run_check(POSTGRES_MAIN, pg_config(pg_schema[1], database="no_such_db_xyz"), tmp_path)
    assert status["status"] == "FAILED"
    assert "'database'" in status["message"] and "does not exist" in status["message"]


def test_postgres_check_rejected_user_names_the_keys(pg_schema: tuple[sa.Engine, str], tmp_path: Path) -> None:
    # The test server trusts 127.0.0.1, so no password can be wrong there; an unknown role is the
    # authentication failure it can produce (SQLSTATE 28000, same class as a wrong password).
    status = run_check(
        POSTGRES_MAIN, pg_config(pg_schema[1], username="no_such_role", password="not-the-password"), tmp_path
    )
    assert status["status"] == "FAILED"
    assert "'username'" in status["message"] and "'password'" in status["message"]


def test_postgres_check_missing_privilege_names_user_and_schema(
    pg_schema: tuple[sa.Engine, str], tmp_path: Path
) -> None:
    engine, schema = pg_schema
    role = random_name("role")
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
    try:
        status = run_check(POSTGRES_MAIN, pg_config(schema, username=role), tmp_path)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
    assert status["status"] == "FAILED"
    assert f"may not create tables in schema {schema!r}" in status["message"]
    assert "'username'" in status["message"] and "GRANT" in status["message"]


def test_postgres_check_unreachable_host_is_transient(tmp_path: Path) -> None:
    status = run_check(POSTGRES_MAIN, pg_config("public", port=1), tmp_path)
    assert status["status"] == "FAILED"
    assert "cannot reach the database server" in status["message"] and "'host'" in status["message"]


def test_postgres_write_to_unreachable_host_is_a_transient_error(tmp_path: Path) -> None:
    result = run_destination(
        POSTGRES_MAIN,
        pg_config("public", port=1),
        catalog("s", {"id": {"type": "integer"}}),
        [record("s", {"id": 1}), state("s", 1)],
        tmp_path,
    )
    assert result.returncode == 1 and result.of_type("STATE") == []
    assert result.errors()[0]["failure_type"] == "transient_error"


def test_postgres_reserved_schema_name_is_a_config_error_naming_the_key(
    pg_schema: tuple[sa.Engine, str], tmp_path: Path
) -> None:
    for check_or_write in ("check", "write"):
        if check_or_write == "check":
            status = run_check(POSTGRES_MAIN, pg_config("pg_airbyte_reserved"), tmp_path)
            assert status["status"] == "FAILED" and "'schema'" in status["message"], status
        else:
            result = run_destination(
                POSTGRES_MAIN,
                pg_config("pg_airbyte_reserved"),
                catalog("s", {"id": {"type": "integer"}}),
                [record("s", {"id": 1}), state("s", 1)],
                tmp_path,
            )
            assert result.returncode == 1 and result.of_type("STATE") == []
            assert result.errors()[0]["failure_type"] == "config_error"
            assert "'schema'" in result.errors()[0]["message"]


def test_postgres_loads_with_arrow_ingest_and_falls_back_where_binary_copy_cannot(
    pg_schema: tuple[sa.Engine, str], tmp_path: Path
) -> None:
    engine, schema = pg_schema
    plain = {"id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}, "doc": {"type": "object"}}
    clock = {"id": {"type": "integer"}, "t": {"type": "string", "format": "time"}}
    first = {"streams": [*catalog("plain", plain)["streams"], *catalog("clock", clock)["streams"]]}
    messages = [
        record("plain", {"id": 1, "at": "2024-05-01T10:00:00+02:00", "doc": {"k": ["é", 1]}}),
        record("clock", {"id": 1, "t": "10:11:12+02:00"}),
        state("plain", 1),
    ]
    result = run_destination(POSTGRES_MAIN, pg_config(schema), first, messages, tmp_path)
    assert result.returncode == 0, result.stdout
    logs = result.logs()
    assert "stream plain: loading with Arrow ingest (binary COPY)" in logs
    assert "stream clock: loading with CSV COPY: a column type has no binary encoding" in logs
    # The table now holds a double where the next sync's batch carries integers: binary COPY would refuse.
    wider = catalog("plain", {**plain, "id": {"type": "number"}})
    assert (
        run_destination(POSTGRES_MAIN, pg_config(schema), wider, [record("plain", {"id": 2.5})], tmp_path).returncode
        == 0
    )
    narrower = run_destination(POSTGRES_MAIN, pg_config(schema), first, [record("plain", {"id": 3})], tmp_path)
    assert narrower.returncode == 0, narrower.stdout
    reason = "the table holds columns ['id'] in other types than the batch"
    assert f"stream plain: loading with CSV COPY: {reason}" in narrower.logs()
    with engine.begin() as conn:
        rows = conn.exec_driver_sql(f'SELECT id, "at", doc FROM "{schema}".plain ORDER BY id').fetchall()
        times = conn.exec_driver_sql(f'SELECT t::text FROM "{schema}".clock').fetchall()
    assert [r[0] for r in rows] == [1.0, 2.5, 3.0]
    assert rows[0][1].isoformat() == "2024-05-01T08:00:00+00:00" and rows[0][2] == {"k": ["é", 1]}
    assert times == [("10:11:12+02",)]


def test_mariadb_check_errors_name_the_url(maria_db: tuple[sa.Engine, str], tmp_path: Path) -> None:
    engine, database = maria_db
    user, password = random_name("u"), "s3cret"
    url = sa.make_url(MARIADB_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE USER '{user}'@'%%' IDENTIFIED BY '{password}'")
        conn.exec_driver_sql(f"CREATE USER '{user}'@'localhost' IDENTIFIED BY '{password}'")
    try:
        cases = {
            "wrong password": (url.set(username=user, password="wrong"), "rejected user"),
            "no privilege": (url.set(username=user, password=password), "may not create tables"),
            "unknown database": (url.set(database="no_such_db_xyz"), "database does not exist"),
            "unreachable": (url.set(port=1), "cannot reach the database server"),
        }
        for case, (bad_url, expected) in cases.items():
            config = {"url": bad_url.render_as_string(hide_password=False), "schema": database}
            status = run_check(SQL_MAIN, config, tmp_path)
            assert status["status"] == "FAILED", case
            assert expected in status["message"] and "'url'" in status["message"], (case, status["message"])
        ok = run_check(SQL_MAIN, {"url": MARIADB_URL, "schema": database}, tmp_path)
        assert ok == {"status": "SUCCEEDED"}
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP USER '{user}'@'%%'")
            conn.exec_driver_sql(f"DROP USER '{user}'@'localhost'")


# -- values ----------------------------------------------------------------------------------------


def test_postgres_strips_nul_bytes_with_a_change(pg_schema: tuple[sa.Engine, str], tmp_path: Path) -> None:
    engine, schema = pg_schema
    cat = catalog("s", {"id": {"type": "integer"}, "text": {"type": "string"}})
    messages = [record("s", {"id": 1, "text": "a\u0000b"}), state("s", 1), complete("s")]
    result = run_destination(POSTGRES_MAIN, pg_config(schema), cat, messages, tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.of_type("STATE") == [echoed(state("s", 1), 1)]
    (row,) = sql_rows(engine, f'"{schema}"."s"')
    assert row["text"] == "ab"
    assert row["_airbyte_meta"]["changes"] == [
        {"field": "text", "change": "TRUNCATED", "reason": "DESTINATION_SERIALIZATION_ERROR"}
    ]


@pytest.mark.parametrize("mode", ["append", "append_dedup"])
def test_postgres_nul_in_an_undeclared_field_is_stripped_not_fatal(
    pg_schema: tuple[sa.Engine, str], tmp_path: Path, mode: str
) -> None:
    # Undeclared fields land in _airbyte_additional_properties (jsonb, which refuses \u0000), and upstream
    # change entries in _airbyte_meta: a NUL in a value, a property name or a change must not fail the batch
    # (nor every retry of it), nor lose the good record beside it.
    engine, schema = pg_schema
    cat = catalog("s", {"id": {"type": "integer"}}, mode, primary_key=["id"] if mode == "append_dedup" else ())
    upstream = [{"field": "x\u0000", "change": "NULLED", "reason": "SOURCE_SERIALIZATION_ERROR"}]
    messages = [
        record("s", {"id": 0}),
        record("s", {"id": 1, "extra": "a\u0000b"}),
        record("s", {"id": 2, "ke\u0000y": 1}, meta={"changes": upstream}),
        state("s", 1),
        complete("s"),
    ]
    result = run_destination(POSTGRES_MAIN, pg_config(schema), cat, messages, tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.of_type("STATE") == [echoed(state("s", 1), 3)]
    rows = {row["id"]: row for row in sql_rows(engine, f'"{schema}"."s"')}
    assert sorted(rows) == [0, 1, 2]
    assert rows[0]["_airbyte_additional_properties"] is None
    assert rows[1]["_airbyte_additional_properties"] == {"extra": "ab"}
    assert rows[2]["_airbyte_additional_properties"] == {"key": 1}
    stripped = {
        "field": "_airbyte_additional_properties",
        "change": "TRUNCATED",
        "reason": "DESTINATION_SERIALIZATION_ERROR",
    }
    assert rows[1]["_airbyte_meta"]["changes"] == [stripped]
    assert rows[2]["_airbyte_meta"]["changes"] == [
        {"field": "x", "change": "NULLED", "reason": "SOURCE_SERIALIZATION_ERROR"},
        stripped,
    ]


@pytest.mark.parametrize("server", ["postgres", "mariadb"])
def test_a_10_mb_record_round_trips(server: str, tmp_path: Path) -> None:
    big = "x" * (10 * 1024 * 1024)
    cat = catalog("s", {"id": {"type": "integer"}, "blob": {"type": "string"}, "doc": {"type": "object"}})
    messages = [record("s", {"id": 1, "blob": big, "doc": {"k": big[:1000]}}), state("s", 1), complete("s")]
    fresh = fresh_postgres_schema if server == "postgres" else fresh_mariadb_database
    with fresh() as (engine, schema):
        main, config = (
            (POSTGRES_MAIN, pg_config(schema))
            if server == "postgres"
            else (SQL_MAIN, {"url": MARIADB_URL, "schema": schema})
        )
        result = run_destination(main, config, cat, messages, tmp_path)
        assert result.returncode == 0, result.stdout
        assert result.of_type("STATE") == [echoed(state("s", 1), 1)]
        quoted = f'"{schema}"."s"' if server == "postgres" else f"`{schema}`.`s`"
        with engine.connect() as conn:
            blob = '"blob"' if server == "postgres" else "`blob`"
            length = conn.exec_driver_sql(f"SELECT length({blob}) FROM {quoted}").scalar_one()
        assert length == len(big)


# -- crash safety ----------------------------------------------------------------------------------


def test_kill_9_mid_sync_every_echoed_state_is_covered(pg_schema: tuple[sa.Engine, str], tmp_path: Path) -> None:
    """States carry the highest id before them; after kill -9 every echoed id must be in the table."""
    engine, schema = pg_schema
    cat = catalog("s", {"id": {"type": "integer"}, "pad": {"type": "string"}})
    config = pg_config(schema, buffering={"max_rows": 5000})
    messages: list[Any] = []
    for i in range(1, 400_001):
        messages.append(record("s", {"id": i, "pad": "p" * 50}))
        if i % 2500 == 0:
            messages.append(state("s", i))
    config_path, catalog_path, messages_path = write_inputs(tmp_path, config, cat, messages)
    out_path = tmp_path / "stdout.jsonl"
    with messages_path.open("rb") as stdin, out_path.open("wb") as stdout:
        process = subprocess.Popen(
            [PYTHON, str(POSTGRES_MAIN), "write", "--config", str(config_path), "--catalog", str(catalog_path)],
            stdin=stdin,
            stdout=stdout,
            cwd=REPO,
        )
        deadline = time.monotonic() + 60
        while out_path.read_bytes().count(b'"STATE"') < 3 and time.monotonic() < deadline:
            assert process.poll() is None, "the sync ended before it could be killed"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    states = [json.loads(x) for x in out_path.read_text().splitlines() if '"STATE"' in x]
    assert len(states) >= 3
    assert process.returncode == -signal.SIGKILL
    with engine.connect() as conn:
        committed = conn.exec_driver_sql(f'SELECT count(*), max(id) FROM "{schema}"."s"').one()
    last = states[-1]["state"]["stream"]["stream_state"]["position"]
    assert committed[0] >= last and committed[1] >= last
    assert committed[0] < 400_000, "the sync finished before the kill; the test proved nothing"
    with engine.connect() as conn:
        covered = conn.exec_driver_sql(f'SELECT count(DISTINCT id) FROM "{schema}"."s" WHERE id <= {last}').scalar_one()
    assert covered == last
