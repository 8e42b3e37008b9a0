"""destination-local-file on S3 through ``pyarrow.fs``, against a local S3-compatible server (moto) that the
test starts on 127.0.0.1 and stops after. Every mode runs twice; files are read back from the server."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from airbyte_dest_kit.testing.builders import catalog, configured_stream, record, stream_state, stream_status

REPO = Path(__file__).resolve().parents[2]
MAIN = REPO / "destinations" / "destination-local-file" / "main.py"
PROPS = {
    "id": {"type": "integer"},
    "name": {"type": ["null", "string"]},
    "updated": {"type": ["null", "integer"]},
    "_ab_cdc_deleted_at": {"type": ["null", "string"]},
}
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "s3_region": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the moto server did not start"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def bucket(endpoint: str) -> tuple[pafs.S3FileSystem, str]:
    s3 = pafs.S3FileSystem(
        access_key="testing",
        secret_key="testing",
        region="us-east-1",
        endpoint_override=endpoint.removeprefix("http://"),
        scheme="http",
        allow_bucket_creation=True,
    )
    name = f"b{uuid.uuid4().hex[:12]}"
    s3.create_dir(name)
    return s3, name


def _sync(tmp: Path, config: dict[str, Any], cat: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    messages = [record("items", r, emitted_at=1_700_000_000_000 + i) for i, r in enumerate(rows)]
    messages += [stream_state("items", {"n": len(rows)}), stream_status("items", "COMPLETE")]
    (tmp / "config.json").write_text(json.dumps(config))
    (tmp / "catalog.json").write_text(json.dumps(cat))
    done = subprocess.run(
        [
            sys.executable,
            str(MAIN),
            "write",
            "--config",
            str(tmp / "config.json"),
            "--catalog",
            str(tmp / "catalog.json"),
        ],
        input=b"".join(json.dumps(m).encode() + b"\n" for m in messages),
        capture_output=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    assert [json.loads(line)["type"] for line in done.stdout.splitlines()].count("STATE") == 1


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


def test_an_interrupted_swap_on_s3_is_finished_by_the_next_sync(
    tmp_path: Path, endpoint: str, bucket: tuple[pafs.S3FileSystem, str]
) -> None:
    s3, name = bucket
    config = {"destination_path": f"s3://{name}/airbyte", "s3_endpoint": endpoint, **KEYS}
    cat = catalog(configured_stream("items", PROPS, mode="overwrite"))
    _sync(tmp_path, config, cat, [{"id": 1}, {"id": 2}])
    root = f"{name}/airbyte/default"
    old = [i.path for i in s3.get_file_info(pafs.FileSelector(f"{root}/items")) if i.type == pafs.FileType.File]
    # A crash after the manifest was written and one old file deleted, before the staged files moved in:
    s3.create_dir(f"{root}/items_airbyte_tmp")
    s3.copy_file(old[0], f"{root}/items_airbyte_tmp/part-99999999999999999999-g0-deadbeef.parquet")
    with s3.open_output_stream(f"{root}/.swap-items.json") as handle:
        handle.write(json.dumps({"old_files": old}).encode())
    s3.delete_file(old[0])
    _sync(tmp_path, config, catalog(configured_stream("items", PROPS, mode="append")), [{"id": 7}])
    assert sorted(r["id"] for r in _rows(s3, f"{root}/items")) == [1, 2, 7]  # the staged file moved in
