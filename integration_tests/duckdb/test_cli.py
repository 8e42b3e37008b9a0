"""The command line: spec, check and write's config handling."""

from __future__ import annotations

from airbyte_dest_kit.testing import Run
from airbyte_dest_kit.testing.builders import catalog, record
from integration_tests.duckdb.harness import CLI, INT_SCHEMA, configured_stream


def check(tmp_path, config) -> Run:
    if isinstance(config, str):  # not JSON: the file holds the text as it is
        (tmp_path / "check_config.json").write_text(config)
        config = tmp_path / "check_config.json"
    return CLI.run("check", tmp_path, config=config)


def only_status(result: Run) -> dict:
    assert result.returncode == 0, result.stdout
    assert {m["type"] for m in result.messages} <= {"CONNECTION_STATUS", "LOG", "TRACE"}
    return result.status()


def test_spec_prints_exactly_one_spec(tmp_path):
    result = CLI.spec(tmp_path)
    assert result.returncode == 0
    assert [m["type"] for m in result.messages] == ["SPEC"]
    spec = result.messages[0]["spec"]
    assert spec["connectionSpecification"]["required"] == ["destination_path"]
    assert set(spec["supported_destination_sync_modes"]) == {"overwrite", "append", "append_dedup"}


def test_check_good_config_succeeds_and_leaves_no_table(tmp_path):
    db = tmp_path / "sub" / "dir" / "db.duckdb"
    assert only_status(check(tmp_path, {"destination_path": str(db)})) == {"status": "SUCCEEDED"}
    assert db.exists()
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM information_schema.tables").fetchone() == (0,)
    finally:
        con.close()


def test_check_missing_destination_path_fails_naming_the_key(tmp_path):
    status = only_status(check(tmp_path, {"schema": "main"}))
    assert status["status"] == "FAILED"
    assert "destination_path" in status["message"]


def test_check_path_under_a_file_fails_naming_the_key(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    status = only_status(check(tmp_path, {"destination_path": str(blocker / "db.duckdb")}))
    assert status["status"] == "FAILED"
    assert "destination_path" in status["message"]


def test_check_other_bad_configs_fail_with_one_status(tmp_path):
    for config, key in [
        ({"destination_path": str(tmp_path / "x.duckdb"), "buffering": {"max_rows": 0}}, "buffering"),
        ({"destination_path": str(tmp_path / "x.duckdb"), "unknown_key": 1}, "unknown_key"),
        ({"destination_path": 5}, "destination_path"),
        ("{not json", "config"),
    ]:
        status = only_status(check(tmp_path, config))
        assert status["status"] == "FAILED", config
        assert key in status["message"], (config, status)
    status = only_status(check(tmp_path, tmp_path / "missing.json"))
    assert status["status"] == "FAILED"


def _write(tmp_path, config: dict, cat: dict | None = None) -> Run:
    cat = cat or catalog(configured_stream("a", {"id": INT_SCHEMA}))
    return CLI.write(config, cat, [record("a", {"id": 1})], tmp_path)


def test_write_with_invalid_config_is_a_config_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for config in [
        {},
        {"destination_path": str(blocker / "db.duckdb")},
        {"destination_path": str(tmp_path / "d"), "buffering": {"max_rows": -1}},
    ]:
        result = _write(tmp_path, config)
        assert result.returncode == 1, config
        error = result.assert_failed()
        assert error["failure_type"] == "config_error", (config, error)
        assert result.of_type("STATE") == []


def test_write_with_invalid_catalog_is_a_config_error(tmp_path):
    config = {"destination_path": str(tmp_path / "db.duckdb")}
    no_pk = catalog(configured_stream("a", {"id": INT_SCHEMA}, mode="append_dedup"))
    nested_cursor = catalog(configured_stream("a", {"id": INT_SCHEMA}, mode="append_dedup", primary_key=["id"]))
    nested_cursor["streams"][0]["cursor_field"] = ["id", "deep"]
    for cat, words in [(no_pk, "primary_key"), (nested_cursor, "nested"), ({"streams": [{"stream": {}}]}, "catalog")]:
        result = _write(tmp_path, config, cat)
        assert result.returncode == 1
        error = result.assert_failed()
        assert error["failure_type"] == "config_error"
        assert words in error["message"], error
