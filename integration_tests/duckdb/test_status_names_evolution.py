"""Stream statuses decide finalization; names and namespaces map to schemas/tables; schemas evolve."""

from __future__ import annotations

from airbyte_dest_kit.testing.builders import catalog, record
from integration_tests.duckdb.harness import INT_SCHEMA, STR_SCHEMA, configured_stream, status

PROPS = {"id": INT_SCHEMA, "v": STR_SCHEMA}


def two_overwrites() -> dict:
    return catalog(
        configured_stream("users", PROPS, mode="overwrite"), configured_stream("teams", PROPS, mode="overwrite")
    )


def values(dest, table: str) -> list[str]:
    return [r["v"] for r in dest.data(table, order_by="id")]


# -- stream statuses ------------------------------------------------------------------------------------


def test_only_complete_streams_are_swapped(dest):
    dest.write(two_overwrites(), [record("users", {"id": 1, "v": "old"}), record("teams", {"id": 1, "v": "old"})])
    run = dest.write(
        two_overwrites(),
        [
            status("users", "STARTED"),
            status("teams", "STARTED"),
            record("users", {"id": 2, "v": "new"}),
            record("teams", {"id": 2, "v": "new"}),
            status("users", "COMPLETE"),
            status("teams", "INCOMPLETE"),
        ],
    ).assert_ok()
    assert values(dest, "users") == ["new"]
    assert values(dest, "teams") == ["old"]
    assert any("teams" in m["log"]["message"] and m["log"]["level"] == "WARN" for m in run.of_type("LOG"))


def test_stream_without_a_status_is_not_swapped_when_others_report(dest):
    dest.write(two_overwrites(), [record("users", {"id": 1, "v": "old"}), record("teams", {"id": 1, "v": "old"})])
    dest.write(
        two_overwrites(),
        [
            record("users", {"id": 2, "v": "new"}),
            record("teams", {"id": 2, "v": "new"}),
            status("users", "COMPLETE"),
            status("teams", "RUNNING"),  # not terminal
        ],
    ).assert_ok()
    assert values(dest, "users") == ["new"]
    assert values(dest, "teams") == ["old"]
    # Next sync completes teams: the staged rows of the failed attempt are not mixed in (generation 0).
    dest.write(
        two_overwrites(),
        [record("teams", {"id": 3, "v": "third"}), status("teams", "COMPLETE"), status("users", "COMPLETE")],
    ).assert_ok()
    assert values(dest, "teams") == ["third"]
    assert values(dest, "users") == []


def test_incomplete_truncate_refresh_keeps_older_generations(dest):
    def cat(gen: int, minimum: int) -> dict:
        return catalog(configured_stream("users", PROPS, generation_id=gen, minimum_generation_id=minimum))

    dest.write(cat(1, 0), [record("users", {"id": 1, "v": "gen1"})]).assert_ok()
    dest.write(cat(2, 2), [record("users", {"id": 2, "v": "gen2"}), status("users", "INCOMPLETE")]).assert_ok()
    assert values(dest, "users") == ["gen1"]
    dest.write(cat(2, 2), [record("users", {"id": 3, "v": "gen2"}), status("users", "COMPLETE")]).assert_ok()
    assert values(dest, "users") == ["gen2", "gen2"]


def test_without_any_status_clean_eof_completes_all_streams(dest):
    dest.write(two_overwrites(), [record("users", {"id": 1, "v": "old"}), record("teams", {"id": 1, "v": "old"})])
    dest.write(two_overwrites(), [record("users", {"id": 2, "v": "new"})]).assert_ok()
    assert values(dest, "users") == ["new"]
    assert values(dest, "teams") == []  # completed with no records: overwritten with nothing


# -- namespaces and names -------------------------------------------------------------------------------


def test_namespaces_become_schemas(dest):
    cat = catalog(
        configured_stream("users", PROPS, namespace="crm"),
        configured_stream("users", PROPS, namespace="erp"),
        configured_stream("users", PROPS),
    )
    dest.write(
        cat,
        [
            record("users", {"id": 1, "v": "crm"}, namespace="crm"),
            record("users", {"id": 2, "v": "erp"}, namespace="erp"),
            record("users", {"id": 3, "v": "default"}),
            '{"type":"RECORD","record":{"namespace":"erp","stream":"users","data":{"id":4,"v":"erp"},"emitted_at":1}}',
            '{"type":"RECORD","record":{"stream":"users","data":{"id":5,"v":"default","namespace":"crm"},"emitted_at":1}}',
        ],
        config={"schema": "landing"},
    ).assert_ok()
    assert dest.tables() == [("crm", "users"), ("erp", "users"), ("landing", "users")]
    assert [r["id"] for r in dest.data("users", schema="crm")] == [1]
    assert [r["id"] for r in dest.data("users", schema="erp", order_by="id")] == [2, 4]
    assert [r["id"] for r in dest.data("users", schema="landing", order_by="id")] == [3, 5]


ODD = {
    "order": INT_SCHEMA,
    "select": STR_SCHEMA,
    "prénom": STR_SCHEMA,
    "名前": STR_SCHEMA,
    "with space.and-dot": STR_SCHEMA,
    "x" * 100: STR_SCHEMA,
    "_airbyte_raw_id": STR_SCHEMA,
    "line": STR_SCHEMA,
}


def test_reserved_unicode_and_long_names_are_kept(dest):
    data = {
        "order": 1,
        "select": "s",
        "prénom": "p",
        "名前": "n",
        "with space.and-dot": "w",
        "x" * 100: "long",
        "_airbyte_raw_id": "mine",
        "line": "l",
    }
    dest.write(catalog(configured_stream("group", ODD)), [record("group", data)]).assert_ok()
    (row,) = dest.rows("group")
    names = ["order", "select", "prénom", "名前", "with space.and-dot", "x" * 100, "_airbyte_raw_id_1", "line"]
    assert list(dest.columns("group"))[: len(ODD)] == names
    assert [row[name] for name in names] == [1, "s", "p", "n", "w", "long", "mine", "l"]
    assert row["_airbyte_raw_id"] != "mine"  # a property named like a meta column does not overwrite it
    assert row["_airbyte_additional_properties"] is None


def test_case_colliding_column_names(dest):
    # DuckDB compares identifiers case-insensitively: per naming.py the first keeps its name, later get _1, _2.
    props = {"id": INT_SCHEMA, "Foo": STR_SCHEMA, "foo": STR_SCHEMA, "FOO": STR_SCHEMA}
    dest.write(
        catalog(configured_stream("t", props)), [record("t", {"id": 1, "Foo": "F", "foo": "f", "FOO": "FF"})]
    ).assert_ok()
    assert list(dest.columns("t"))[:4] == ["id", "Foo", "foo_1", "FOO_2"]
    assert dest.data("t") == [{"id": 1, "Foo": "F", "foo_1": "f", "FOO_2": "FF"}]


def test_case_colliding_stream_names_get_distinct_tables(dest):
    cat = catalog(configured_stream("Users", PROPS), configured_stream("users", PROPS))
    dest.write(cat, [record("Users", {"id": 1, "v": "upper"}), record("users", {"id": 2, "v": "lower"})]).assert_ok()
    assert dest.tables() == [("main", "Users"), ("main", "users_1")]
    assert values(dest, "Users") == ["upper"]
    assert values(dest, "users_1") == ["lower"]


# -- schema evolution -----------------------------------------------------------------------------------


def test_schema_evolution_across_syncs(dest):
    v1 = {"id": INT_SCHEMA, "amount": INT_SCHEMA, "legacy": STR_SCHEMA}
    v2 = {"id": INT_SCHEMA, "amount": {"type": "number"}, "added": STR_SCHEMA}
    dest.write(catalog(configured_stream("t", v1)), [record("t", {"id": 1, "amount": 10, "legacy": "L"})]).assert_ok()
    dest.write(
        catalog(configured_stream("t", v2)),
        [record("t", {"id": 2, "amount": 2.5, "added": "A"}), record("t", {"id": 3, "amount": 7, "legacy": "late"})],
    ).assert_ok()
    columns = dest.columns("t")
    assert (columns["id"], columns["amount"], columns["legacy"], columns["added"]) == (
        "BIGINT",
        "DOUBLE",
        "VARCHAR",
        "VARCHAR",
    )
    rows = dest.rows("t", order_by="id")
    assert [(r["id"], r["amount"], r["legacy"], r["added"]) for r in rows] == [
        (1, 10.0, "L", None),
        (2, 2.5, None, "A"),
        (3, 7.0, None, None),  # 'legacy' is no longer declared: kept as an additional property, not typed
    ]
    assert rows[2]["_airbyte_additional_properties"] == '{"legacy":"late"}'


def test_schema_evolution_with_overwrite_and_dedup(dest):
    v1 = {"id": INT_SCHEMA, "amount": INT_SCHEMA}
    v2 = {"id": INT_SCHEMA, "amount": {"type": "number"}, "added": STR_SCHEMA}
    dedup = {"mode": "append_dedup", "primary_key": ["id"]}
    dest.write(
        catalog(configured_stream("d", v1, **dedup), configured_stream("o", v1, mode="overwrite")),
        [record("d", {"id": 1, "amount": 1}), record("o", {"id": 1, "amount": 1})],
    ).assert_ok()
    dest.write(
        catalog(configured_stream("d", v2, **dedup), configured_stream("o", v2, mode="overwrite")),
        [record("d", {"id": 1, "amount": 1.5, "added": "a"}), record("o", {"id": 2, "amount": 2.5})],
    ).assert_ok()
    assert dest.data("d") == [{"id": 1, "amount": 1.5, "added": "a"}]
    assert dest.data("o") == [{"id": 2, "amount": 2.5, "added": None}]
