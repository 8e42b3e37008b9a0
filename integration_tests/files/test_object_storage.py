"""destination-local-file on S3 through ``pyarrow.fs``, against a local S3-compatible server (moto) that the
test starts on 127.0.0.1 and stops after. Every mode runs twice; files are read back from the server."""

from __future__ import annotations

import io
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from airbyte_dest_kit.connectors.destination_local_file.connector import DestinationLocalFile
from airbyte_dest_kit.streams.spec import StreamSpec
from airbyte_dest_kit.testing import CommandRunner
from airbyte_dest_kit.testing.builders import catalog, configured_stream, record, stream_state, stream_status
from airbyte_dest_kit.writers.files import store
from integration_tests.files.batches import CrashBudget, on_merge_output, single_spec, sync_directly
from integration_tests.moto_s3 import moto_server, new_bucket

REPO = Path(__file__).resolve().parents[2]
MAIN = REPO / "destinations" / "destination-local-file" / "main.py"
CLI = CommandRunner([sys.executable, str(MAIN)], cwd=REPO)
PROPS = {
    "id": {"type": "integer"},
    "name": {"type": ["null", "string"]},
    "updated": {"type": ["null", "integer"]},
    "_ab_cdc_deleted_at": {"type": ["null", "string"]},
}
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "s3_region": "us-east-1"}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def bucket(endpoint: str) -> tuple[pafs.S3FileSystem, str]:
    return new_bucket(endpoint)


def _sync(tmp: Path, config: dict[str, Any], cat: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    messages = [record("items", r, emitted_at=1_700_000_000_000 + i) for i, r in enumerate(rows)]
    messages += [stream_state("items", {"n": len(rows)}), stream_status("items", "COMPLETE")]
    run = CLI.write(config, cat, messages, tmp)
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(run.of_type("STATE")) == 1


def _rows(s3: pafs.S3FileSystem, folder: str) -> list[dict[str, Any]]:
    infos = s3.get_file_info(pafs.FileSelector(folder, recursive=True, allow_not_found=True))
    rows = []
    for info in infos:
        if info.type == pafs.FileType.File:
            assert info.base_name.startswith("part-") and info.base_name.endswith(".parquet"), info.path
            with s3.open_input_file(info.path) as handle:
                rows += pq.read_table(io.BytesIO(handle.read())).to_pylist()
    return rows


@pytest.mark.parametrize(
    ("mode", "options", "second", "expected"),
    [
        ("append", {}, [{"id": 3}], [(1, None), (2, None), (3, None)]),
        ("overwrite", {}, [{"id": 3}], [(3, None)]),
        (
            "append_dedup",
            {"primary_key": ["id"], "cursor": "updated"},
            [
                {"id": 1, "name": "newer", "updated": 2},
                {"id": 2, "updated": 3, "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"},
            ],
            [(1, "newer")],
        ),
    ],
)
def test_every_mode_twice_on_s3(
    tmp_path: Path,
    endpoint: str,
    bucket: tuple[pafs.S3FileSystem, str],
    mode: str,
    options: dict[str, Any],
    second: list[dict[str, Any]],
    expected: list[tuple[int, str | None]],
) -> None:
    s3, name = bucket
    config = {"destination_path": f"s3://{name}/airbyte", "s3_endpoint": endpoint, **KEYS}
    cat = catalog(configured_stream("items", PROPS, mode=mode, **options))
    _sync(tmp_path, config, cat, [{"id": 1, "updated": 1}, {"id": 2, "updated": 1}])
    _sync(tmp_path, config, cat, second)
    rows = _rows(s3, f"{name}/airbyte/default/items")
    assert sorted((r["id"], r["name"]) for r in rows) == expected
    leftovers = [i.path for i in s3.get_file_info(pafs.FileSelector(f"{name}/airbyte/default", recursive=True))]
    assert all(p.startswith(f"{name}/airbyte/default/items") for p in leftovers), leftovers  # no staging, manifest


class CrashingFileSystem(pafs.FileSystemHandler):
    """The bucket, through a writer that stops instead of making its ``crashes.budget``-th change (once armed)."""

    def __init__(self, target: pafs.FileSystem) -> None:
        self.target = target
        self.crashes = CrashBudget()

    def get_type_name(self) -> str:
        return "crashing-s3"

    def equals(self, other: Any) -> bool:
        return self is other

    def normalize_path(self, path: str) -> str:
        return str(self.target.normalize_path(path))

    def get_file_info(self, paths: list[str]) -> list[pafs.FileInfo]:
        return list(self.target.get_file_info(paths))

    def get_file_info_selector(self, selector: pafs.FileSelector) -> list[pafs.FileInfo]:
        return list(self.target.get_file_info(selector))

    def open_input_stream(self, path: str) -> Any:
        return self.target.open_input_stream(path)

    def open_input_file(self, path: str) -> Any:
        return self.target.open_input_file(path)

    def create_dir(self, path: str, recursive: bool) -> None:
        self.crashes.change()
        self.target.create_dir(path, recursive=recursive)

    def delete_dir(self, path: str) -> None:
        self.crashes.change()
        self.target.delete_dir(path)

    def delete_dir_contents(self, path: str, missing_dir_ok: bool = False) -> None:
        self.crashes.change()
        self.target.delete_dir_contents(path, missing_dir_ok=missing_dir_ok)

    def delete_root_dir_contents(self) -> None:
        raise AssertionError("the writer never empties the bucket")

    def delete_file(self, path: str) -> None:
        self.crashes.change()
        self.target.delete_file(path)

    def move(self, src: str, dest: str) -> None:
        self.crashes.change()
        self.target.move(src, dest)

    def copy_file(self, src: str, dest: str) -> None:
        self.crashes.change()
        self.target.copy_file(src, dest)

    def open_output_stream(self, path: str, metadata: Any) -> Any:
        self.crashes.change()
        return self.target.open_output_stream(path, metadata=metadata)

    def open_append_stream(self, path: str, metadata: Any) -> Any:
        raise AssertionError("the writer never appends to an object")


def _in_process_sync(
    config: dict[str, Any],
    cat: dict[str, Any],
    batches: list[list[dict[str, Any]]],
    *,
    crash_at: int | None = None,
    complete: bool = True,
) -> CrashingFileSystem:
    """One sync through the writer, on the bucket through a :class:`CrashingFileSystem` (see
    :func:`sync_directly`)."""
    writer = DestinationLocalFile().create_writer(config)
    handler = CrashingFileSystem(writer.fs)
    writer.fs = pafs.PyFileSystem(handler)
    (configured,) = cat["streams"]
    sync_directly(writer, single_spec(writer, configured), batches, handler.crashes, crash_at, complete=complete)
    return handler


def _part_files(s3: pafs.S3FileSystem, folder: str) -> set[str]:
    infos = s3.get_file_info(pafs.FileSelector(folder, recursive=True, allow_not_found=True))
    return {i.path for i in infos if i.type == pafs.FileType.File}


def _file_rows(s3: pafs.S3FileSystem, paths: Any) -> set[tuple[int, str | None]]:
    rows: set[tuple[int, str | None]] = set()
    for path in paths:
        with s3.open_input_file(path) as handle:
            rows |= {(r["id"], r["name"]) for r in pq.read_table(io.BytesIO(handle.read())).to_pylist()}
    return rows


@pytest.mark.parametrize("mode", ["overwrite", "append_dedup"])
def test_a_crash_at_any_point_of_a_swap_on_s3_leaves_one_complete_set_findable(
    endpoint: str, bucket: tuple[pafs.S3FileSystem, str], mode: str
) -> None:
    """Every change the completion makes is a crash point. At each: a reader listing the table sees a part of
    the old files or of the new ones, never both; without a journal, all of the old ones; with one, the
    journal names the complete new set. The next sync's open then shows one complete set."""
    s3, name = bucket
    options = {"primary_key": ["id"], "cursor": "updated"} if mode == "append_dedup" else {}
    cat = catalog(configured_stream("items", PROPS, mode=mode, **options))
    first = [[{"id": 1, "name": "old", "updated": 1}], [{"id": 2, "name": "old", "updated": 1}]]
    second = [[{"id": 2, "name": "new", "updated": 2}], [{"id": 3, "name": "new", "updated": 2}]]
    old_rows = {(1, "old"), (2, "old")}
    new_rows = {(2, "new"), (3, "new")} | ({(1, "old")} if mode == "append_dedup" else set())
    crash_at = 0
    while True:
        config = {"destination_path": f"s3://{name}/crash-{crash_at}", "s3_endpoint": endpoint, **KEYS}
        schema = f"{name}/crash-{crash_at}/default"
        _in_process_sync(config, cat, first)
        old = _part_files(s3, f"{schema}/items")
        assert _file_rows(s3, old) == old_rows and len(old) == (1 if options else 2)  # a merge writes one file
        crashed = _in_process_sync(config, cat, second, crash_at=crash_at).crashes.crashed

        visible = _part_files(s3, f"{schema}/items")
        assert visible <= old or not visible & old, f"crash point {crash_at}: a reader sees old and new files"
        journal_path = f"{schema}/.swap-items.json"
        if s3.get_file_info(journal_path).type == pafs.FileType.File:
            with s3.open_input_stream(journal_path) as handle:
                (pair,) = [p for p in json.loads(handle.read()) if p["final"] == "items"]
            assert {f"{schema}/items/{n}" for n in pair["old"]} == old
            new = {n: f"{schema}/items/{n}" for n in pair["new"]}
            assert visible <= old or visible <= set(new.values())
            findable = [path if path in visible else f"{schema}/{pair['staging']}/{n}" for n, path in new.items()]
            assert _file_rows(s3, findable) == new_rows, f"crash point {crash_at}: the new set is not findable"
            committed = True
        else:
            committed = not crashed or _file_rows(s3, visible) == new_rows
            assert visible == old or (committed and _file_rows(s3, visible) == new_rows), f"crash point {crash_at}"

        _in_process_sync(config, cat, [], complete=False)  # the next sync: its open finishes the swap, or not
        after = _part_files(s3, f"{schema}/items")
        assert _file_rows(s3, after) == (new_rows if committed else old_rows), f"crash point {crash_at}"
        leftovers = _part_files(s3, schema) - after
        assert not any("merged" in p or ".swap-" in p for p in leftovers), leftovers
        if not crashed:
            assert crash_at > 5  # the swap had that many crash points, each tested
            break
        crash_at += 1


def test_an_interrupted_swap_on_s3_is_finished_by_the_next_sync(
    tmp_path: Path, endpoint: str, bucket: tuple[pafs.S3FileSystem, str]
) -> None:
    s3, name = bucket
    config = {"destination_path": f"s3://{name}/airbyte", "s3_endpoint": endpoint, **KEYS}
    cat = catalog(configured_stream("items", PROPS, mode="overwrite"))
    _sync(tmp_path, config, cat, [{"id": 1}, {"id": 2}])
    root = f"{name}/airbyte/default"
    # A crash after the journal was written and the old file deleted, before the staged file was copied in:
    _in_process_sync(config, cat, [[{"id": 1}, {"id": 2}]], crash_at=2)
    assert not _part_files(s3, f"{root}/items")
    _sync(tmp_path, config, catalog(configured_stream("items", PROPS, mode="append")), [{"id": 7}])
    assert sorted(r["id"] for r in _rows(s3, f"{root}/items")) == [1, 2, 7]  # the staged file moved in


def test_on_s3_temp_directory_holds_the_merge_database_and_the_files_uploaded_and_read(
    tmp_path: Path, endpoint: str, bucket: tuple[pafs.S3FileSystem, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    s3, name = bucket
    temp, system = tmp_path / "temp", tmp_path / "system"
    temp.mkdir()
    system.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system))  # the system's temp folder, for this process
    config = {"destination_path": f"s3://{name}/airbyte", "s3_endpoint": endpoint, "temp_directory": str(temp), **KEYS}
    writer = DestinationLocalFile().create_writer(config)
    local_files: list[Path] = []  # each file encoded to be uploaded, and each downloaded to be read
    publish, read = store.publish, writer.encoding.read

    def uploading(fs: pafs.FileSystem, written: Path, target: str) -> None:
        local_files.append(written)
        publish(fs, written, target)

    def reading(stream: StreamSpec, path: str) -> Iterator[pa.RecordBatch]:
        local_files.append(Path(path))
        return read(stream, path)

    monkeypatch.setattr(store, "publish", uploading)
    monkeypatch.setattr(writer.encoding, "read", reading)
    during: list[set[str]] = []
    on_merge_output(writer, lambda rows: during.append({p.relative_to(temp).as_posix() for p in temp.rglob("*")}))
    options = {"primary_key": ["id"], "cursor": "updated"}
    spec = single_spec(writer, configured_stream("items", PROPS, mode="append_dedup", **options))
    batches = [[{"id": 1, "name": "old", "updated": 1}], [{"id": 1, "name": "new", "updated": 2}]]
    sync_directly(writer, spec, batches, CrashBudget(), None, complete=True)

    assert during, "the merge wrote its result"
    for seen in during:  # the merge's database is in the configured folder
        assert any(p.startswith("airbyte-reduce-") and p.endswith("/rows.db") for p in seen), seen
    # two staged files uploaded and read back by the merge, its result uploaded: all through the folder
    assert len(local_files) == 5 and all(temp in path.parents for path in local_files), local_files
    assert not list(temp.iterdir()) and not list(system.iterdir())  # removed; the system's folder never used
    assert _file_rows(s3, _part_files(s3, f"{name}/airbyte/default/items")) == {(1, "new")}
