"""JSON schema → column types, widening, naming, and stream specs from the catalog."""

from __future__ import annotations

from typing import Any

import pytest

from airbyte_dest_kit.destination.plan import build_stream_specs
from airbyte_dest_kit.destination.writer import Capabilities
from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteStream
from airbyte_dest_kit.streams.naming import fit_name, unique_names
from airbyte_dest_kit.streams.schema import ColumnType as T
from airbyte_dest_kit.streams.schema import column_type, plan_evolution, widen
from airbyte_dest_kit.testing.builders import configured_stream
from unit_tests.stream_helpers import spec_for


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, T.STRING),
        ({"type": "string", "format": "email"}, T.STRING),
        ({"type": "string", "format": "date"}, T.DATE),
        ({"type": "string", "format": "date-time"}, T.TIMESTAMP_TZ),
        ({"type": "string", "format": "date-time", "airbyte_type": "timestamp_with_timezone"}, T.TIMESTAMP_TZ),
        ({"type": "string", "format": "date-time", "airbyte_type": "timestamp_without_timezone"}, T.TIMESTAMP),
        ({"type": "string", "format": "time"}, T.TIME_TZ),
        ({"type": "string", "format": "time", "airbyte_type": "time_without_timezone"}, T.TIME),
        ({"type": "integer"}, T.INTEGER),
        ({"type": "number", "airbyte_type": "integer"}, T.INTEGER),
        ({"type": "number"}, T.NUMBER),
        ({"type": "boolean"}, T.BOOLEAN),
        ({"type": ["null", "boolean"]}, T.BOOLEAN),
        ({"type": ["integer", "number"]}, T.NUMBER),
        ({"type": ["string", "integer"]}, T.JSON),
        ({"type": "object", "properties": {"a": {"type": "string"}}}, T.JSON),
        ({"type": "array", "items": {"type": "integer"}}, T.JSON),
        ({"oneOf": [{"type": "null"}, {"type": "string", "format": "date"}]}, T.DATE),
        ({"anyOf": [{"type": "string"}, {"type": "object"}]}, T.JSON),
        ({"$ref": "WellKnownTypes.json#/definitions/TimestampWithoutTimezone"}, T.TIMESTAMP),
        ({}, T.JSON),
        ({"type": "mystery"}, T.JSON),
        ("not a schema", T.JSON),
    ],
)
def test_column_type(schema: Any, expected: T) -> None:
    assert column_type(schema) is expected


def test_widening_never_loses_values() -> None:
    assert widen(T.INTEGER, T.NUMBER) is T.NUMBER and widen(T.NUMBER, T.INTEGER) is T.NUMBER
    assert widen(T.DATE, T.TIMESTAMP_TZ) is T.TIMESTAMP_TZ
    assert widen(T.BOOLEAN, T.DATE) is T.STRING
    assert widen(T.JSON, T.JSON) is T.JSON


def test_plan_evolution_adds_retypes_and_never_drops() -> None:
    existing = {"ID": T.INTEGER, "gone": T.STRING, "custom": None}
    adds, retypes = plan_evolution(
        existing, [("id", T.NUMBER), ("new", T.DATE), ("custom", T.STRING)], case_sensitive=False
    )
    assert adds == [("new", T.DATE)]
    assert retypes == [("ID", T.NUMBER)]  # the table's own spelling; "gone" and "custom" are left alone
    adds, _ = plan_evolution(existing, [("id", T.INTEGER)], case_sensitive=True)
    assert adds == [("id", T.INTEGER)]


def test_names_are_kept_and_only_collisions_and_length_change_them() -> None:
    names = unique_names(
        ["order", "Foo", "foo", "FOO", "", "_airbyte_meta", "naïve name"],
        max_bytes=None,
        case_sensitive=False,
        taken=["_airbyte_meta"],
    )
    assert names == ["order", "Foo", "foo_1", "FOO_2", "_", "_airbyte_meta_1", "naïve name"]
    assert unique_names(["Foo", "foo"], max_bytes=None, case_sensitive=True) == ["Foo", "foo"]


def test_long_names_get_a_hash_and_never_collide() -> None:
    a, b = "x" * 99 + "a", "x" * 99 + "b"
    fitted = unique_names([a, b], max_bytes=63, case_sensitive=True)
    assert all(len(n.encode()) <= 63 for n in fitted) and fitted[0] != fitted[1]
    assert fit_name("é" * 40, 63).encode().decode()  # never cuts a character in half
    assert len(fit_name("é" * 40, 63).encode()) <= 63


def test_stream_specs_resolve_modes_keys_and_names() -> None:
    spec = spec_for(
        "users",
        {"id": {"type": "integer"}, "u": {"type": "string"}},
        mode="append_dedup",
        primary_key=["id"],
        cursor="u",
        generation_id=4,
        minimum_generation_id=4,
        namespace="crm",
    )
    assert (spec.dedup, spec.truncate, spec.primary_key, spec.cursor) == (True, True, ("id",), "u")
    assert (spec.schema_name, spec.table_name, spec.staging_table_name) == ("crm", "users", "users_airbyte_tmp")
    assert spec_for("s", {}, mode="overwrite").truncate
    assert not spec_for("s", {}, mode="append", generation_id=4, minimum_generation_id=0).truncate
    assert not spec_for("s", {}, mode="append", generation_id=0, minimum_generation_id=0).truncate


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"mode": "append_dedup"}, "needs a primary_key"),
        ({"mode": "append_dedup", "primary_key": ["nope"]}, "'nope' is not declared"),
        ({"mode": "append_dedup", "primary_key": ["id"], "cursor": "missing"}, "cursor field 'missing'"),
    ],
)
def test_invalid_dedup_configuration_is_a_config_error(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        spec_for("s", {"id": {"type": "integer"}}, **options)


def test_unsupported_modes_fail_before_any_data() -> None:
    configured = ConfiguredAirbyteStream.model_validate(configured_stream("s", {}, mode="overwrite"))
    with pytest.raises(ConfigError, match="does not support overwrite"):
        build_stream_specs([configured], "main", Capabilities(truncate=False))


def test_two_streams_that_collide_as_table_names_get_distinct_tables() -> None:
    streams = [ConfiguredAirbyteStream.model_validate(configured_stream(n, {})) for n in ("Users", "users")]
    specs = build_stream_specs(streams, "main", Capabilities(case_sensitive_identifiers=False))
    assert [s.table_name for s in specs] == ["Users", "users_1"]


def test_every_kit_name_is_reserved_beside_the_streams_own_tables() -> None:
    names = ["users", "users_airbyte_tmp", "users_airbyte_deletes", "users_airbyte_old", "_airbyte_batch"]
    streams = [ConfiguredAirbyteStream.model_validate(configured_stream(n, {})) for n in names]
    specs = build_stream_specs(streams, "main", Capabilities(case_sensitive_identifiers=False))
    assert [s.table_name for s in specs] == names  # every stream keeps its own name
    users = specs[0]
    kit_names = [
        users.staging_table_name,
        users.tombstone_table_name,
        users.staging_tombstone_table_name,
        users.previous_table_name,
        users.previous_tombstone_table_name,
        users.scratch_table_name,
    ]
    assert kit_names == [
        "users_airbyte_tmp_1",
        "users_airbyte_deletes_1",
        "users_airbyte_tmp_1_airbyte_deletes",
        "users_airbyte_old_1",
        "users_airbyte_deletes_1_airbyte_old",
        "_airbyte_batch_1",
    ]
    every = [s.table_name for s in specs] + [
        name
        for s in specs
        for name in (
            s.staging_table_name,
            s.tombstone_table_name,
            s.staging_tombstone_table_name,
            s.previous_table_name,
            s.previous_tombstone_table_name,
        )
    ]
    assert len({n.casefold() for n in every}) == len(every)  # no name serves two purposes


def test_kit_names_fit_the_identifier_limit_and_stay_distinct() -> None:
    long = "s" * 70
    streams = [ConfiguredAirbyteStream.model_validate(configured_stream(n, {})) for n in (long, long + "x")]
    specs = build_stream_specs(streams, "main", Capabilities(max_identifier_bytes=63, case_sensitive_identifiers=True))
    every = [
        name
        for s in specs
        for name in (s.table_name, s.staging_table_name, s.tombstone_table_name, s.staging_tombstone_table_name)
    ]
    assert all(len(n.encode()) <= 63 for n in every) and len(set(every)) == len(every)


def test_the_merge_result_names_are_reserved_beside_the_streams_own_tables() -> None:
    names = ["users", "users_airbyte_merged", "users_airbyte_deletes_airbyte_merged"]
    streams = [ConfiguredAirbyteStream.model_validate(configured_stream(n, {})) for n in names]
    specs = build_stream_specs(streams, "main", Capabilities(case_sensitive_identifiers=True))
    assert [s.table_name for s in specs] == names
    assert (specs[0].merged_table_name, specs[0].merged_tombstone_table_name) == (
        "users_airbyte_merged_1",
        "users_airbyte_deletes_airbyte_merged_1",
    )
