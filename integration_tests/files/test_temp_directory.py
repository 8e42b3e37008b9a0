"""destination-local-file's ``temp_directory``: where the dedup merge keeps its DuckDB database (removed
after), and the config error, naming the key, that a folder the connector cannot use gives at check and at
write time, before any data is read. (On S3 it also holds the files being uploaded: test_object_storage.py.)"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

from airbyte_dest_kit.connectors.destination_local_file.connector import DestinationLocalFile
from airbyte_dest_kit.testing import CommandRunner
from airbyte_dest_kit.testing.builders import catalog, configured_stream, record, stream_state, stream_status
from integration_tests.files.batches import CrashBudget, on_merge_output, single_spec, sync_directly

REPO = Path(__file__).resolve().parents[2]
MAIN = REPO / "destinations" / "destination-local-file" / "main.py"
CLI = CommandRunner([sys.executable, str(MAIN)], cwd=REPO)
PROPS = {"id": {"type": "integer"}, "v": {"type": "integer"}}
DEDUP = configured_stream("a", PROPS, mode="append_dedup", primary_key=["id"], cursor="v")


def listing(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def test_the_dedup_merge_keeps_its_database_in_temp_directory_and_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp, system = tmp_path / "temp", tmp_path / "system"
    temp.mkdir()
    system.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system))  # the system's temp folder, for this process
    config = {"destination_path": str(tmp_path / "out"), "temp_directory": str(temp)}
    writer = DestinationLocalFile().create_writer(config)
    during: list[tuple[set[str], set[str]]] = []  # the configured folder and the system's, while the merge runs
    on_merge_output(writer, lambda rows: during.append((listing(temp), listing(system))))
    spec = single_spec(writer, DEDUP)
    batches = [[{"id": 1, "v": 1}, {"id": 2, "v": 1}], [{"id": 1, "v": 2}]]
    sync_directly(writer, spec, batches, CrashBudget(), None, complete=True)

    assert during, "the merge wrote its result"
    for seen, in_system in during:  # the database in the configured folder, nothing in the system's
        (folder,) = [p for p in seen if "/" not in p]
        assert folder.startswith("airbyte-reduce-") and f"{folder}/rows.db" in seen, seen
        assert in_system == set(), in_system
    assert listing(temp) == set() and listing(system) == set()  # removed after
    rows = duckdb.sql(f"SELECT id, v FROM read_parquet('{tmp_path}/out/default/a/*') ORDER BY id").fetchall()
    assert rows == [(1, 2), (2, 1)]


@pytest.fixture(params=["missing", "a file", "unwritable"])
def unusable(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "missing":
        return str(tmp_path / "missing")
    if request.param == "a file":
        (tmp_path / "file").write_text("")
        return str(tmp_path / "file")
    if os.geteuid() == 0:  # root writes through any mode bits; nobody creates files in /proc
        return "/proc"
    (tmp_path / "read-only").mkdir(mode=0o555)
    return str(tmp_path / "read-only")


def test_check_names_the_key_of_an_unusable_temp_directory(tmp_path: Path, unusable: str) -> None:
    status = CLI.check({"destination_path": str(tmp_path / "out"), "temp_directory": unusable}, tmp_path).status()
    assert status["status"] == "FAILED"
    assert status["message"].startswith(f"config key 'temp_directory': {unusable!r}") or status["message"].startswith(
        f"config key 'temp_directory': cannot create files in {unusable!r}"
    ), status["message"]
    assert "leave the key out" in status["message"]


def test_write_names_the_key_of_an_unusable_temp_directory_before_reading_data(tmp_path: Path, unusable: str) -> None:
    root = tmp_path / "out"
    messages = [record("a", {"id": 1, "v": 1}), stream_state("a", {"n": 1}), stream_status("a", "COMPLETE")]
    config = {"destination_path": str(root), "temp_directory": unusable}
    run = CLI.write(config, catalog(DEDUP), messages, tmp_path)
    (error,) = run.errors()
    assert error["failure_type"] == "config_error" and "config key 'temp_directory'" in error["message"]
    assert not run.of_type("STATE")
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]
