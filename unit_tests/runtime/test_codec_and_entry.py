"""The codec (line numbers, chunking, compact output) and the shared command line."""

from __future__ import annotations

import io
import json
import os
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

import airbyte_dest_kit
from airbyte_dest_kit.destination.destination import Destination
from airbyte_dest_kit.errors import ConfigError, InputError, TransientError, error_trace_message
from airbyte_dest_kit.protocol.codec import ChunkReader, MessageWriter, decode_line
from airbyte_dest_kit.protocol.models import Type
from airbyte_dest_kit.runtime.config import validate_config
from airbyte_dest_kit.runtime.entrypoint import execute, launch
from airbyte_dest_kit.testing.builders import echoed


def test_decode_line_names_the_line() -> None:
    assert decode_line(b'{"type":"LOG"}', 1) == {"type": "LOG"}
    with pytest.raises(InputError, match="line 7: not valid JSON"):
        decode_line(b'{"type":', 7)
    with pytest.raises(InputError, match="line 3: a message must be a JSON object"):
        decode_line(b"[1]", 3)


@pytest.mark.parametrize(
    "lines",
    [
        [b'{"n":%d}' % i for i in range(50_000)],
        # lines longer than a read (one spans four), and reads that end right after a newline (4096-byte lines)
        [b'{"s":"' + b"x" * size + b'"}' for size in (10, 15_000, 7, 4_087, 4_087, 3)],
    ],
    ids=["short lines", "lines across reads"],
)
def test_chunk_reader_hands_out_whole_lines_and_terminates_the_last_one(lines: list[bytes]) -> None:
    data = b"\n".join(lines) + b'\n{"last":true}'
    reader = ChunkReader(io.BytesIO(data), read_size=4096)
    chunks = []
    while (chunk := reader.get(timeout=5)) is not None:
        assert chunk.endswith(b"\n")
        chunks.append(chunk)
    assert b"".join(chunks) == data + b"\n"
    assert reader.get(timeout=1) is None  # the end stays the end


def test_chunk_reader_times_out_while_the_source_is_quiet() -> None:
    read_fd, write_fd = os.pipe()
    reader = ChunkReader(os.fdopen(read_fd, "rb"))
    assert reader.get(timeout=0.05) == b""
    threading.Timer(0.05, lambda: (os.write(write_fd, b"{}\n"), os.close(write_fd))).start()
    assert reader.get(timeout=5) == b"{}\n"
    assert reader.get(timeout=5) is None


def test_message_writer_writes_compact_lines() -> None:
    out = io.BytesIO()
    MessageWriter(out).write({"type": "LOG", "log": {"level": "INFO", "message": "é"}}, flush=True)
    assert out.getvalue() == '{"type":"LOG","log":{"level":"INFO","message":"é"}}\n'.encode()


def test_error_traces_carry_the_failure_type_of_the_exception() -> None:
    assert error_trace_message(ConfigError("fix it"))["trace"]["error"]["failure_type"] == "config_error"
    assert error_trace_message(TransientError("again"))["trace"]["error"]["failure_type"] == "transient_error"
    trace = error_trace_message(ValueError("boom"))["trace"]
    assert trace["error"]["failure_type"] == "system_error" and "ValueError: boom" in trace["error"]["message"]
    assert isinstance(trace["emitted_at"], float)


SPEC = {
    "connectionSpecification": {
        "type": "object",
        "required": ["host", "auth"],
        "properties": {
            "host": {"type": "string"},
            "port": {"type": "integer", "default": 5432},
            "auth": {
                "type": "object",
                "properties": {"password": {"type": "string", "airbyte_secret": True}},
            },
        },
    }
}


def test_config_validation_applies_defaults_and_names_the_key() -> None:
    assert validate_config({"host": "h", "auth": {}}, SPEC)["port"] == 5432
    with pytest.raises(ConfigError, match="key 'auth'"):
        validate_config({"host": "h"}, SPEC)
    with pytest.raises(ConfigError, match="key 'port'"):
        validate_config({"host": "h", "auth": {}, "port": "x"}, SPEC)


class EchoDestination(Destination):
    """A hand-written destination in the tutorial style, failing when asked to."""

    spec_path = None

    def spec(self) -> dict[str, Any]:
        return SPEC

    def check(self, config: Any) -> None:
        raise ConfigError(f"cannot log in with {config['auth']['password']}")

    def write(self, config: Any, catalog: Any, input_messages: Any) -> Any:
        for message in input_messages:
            if message.type == Type.STATE:
                yield message
            if message.type == Type.RECORD and message.record.data.get("fail"):
                raise RuntimeError(f"failing with secret {config['auth']['password']}")


def run_cli(tmp_path: Path, args: list[str], stdin: bytes = b"", monkeypatch: Any = None) -> tuple[int, list[Any]]:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"host": "h", "auth": {"password": "hunter2"}}))
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"streams": []}))
    argv = [a.replace("CONFIG", str(config)).replace("CATALOG", str(catalog)) for a in args]
    out = io.BytesIO()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = execute(EchoDestination(), argv, stdout=out)
    return code, [orjson.loads(line) for line in out.getvalue().splitlines()]


def test_check_prints_exactly_one_failed_status_with_secrets_masked(tmp_path: Path, monkeypatch: Any) -> None:
    code, messages = run_cli(tmp_path, ["check", "--config", "CONFIG"], monkeypatch=monkeypatch)
    assert code == 0
    assert messages == [
        {"type": "CONNECTION_STATUS", "connectionStatus": {"status": "FAILED", "message": "cannot log in with ****"}}
    ]


def test_hand_written_write_echoes_states_verbatim_and_masks_failures(tmp_path: Path, monkeypatch: Any) -> None:
    state = {"type": "STATE", "state": {"type": "LEGACY", "data": {"c": 1}, "id": 5}}
    stdin = (
        orjson.dumps(state) + b"\n" + b'{"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":{"fail":1}}}\n'
    )
    code, messages = run_cli(
        tmp_path, ["write", "--config", "CONFIG", "--catalog", "CATALOG"], stdin, monkeypatch=monkeypatch
    )
    assert code == 1
    assert messages[0] == echoed(state, 0)
    error = messages[-1]["trace"]["error"]
    assert error["failure_type"] == "system_error"
    assert "****" in error["message"] and "hunter2" not in json.dumps(messages)


def test_version_and_usage_name_the_command_not_its_path(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    # a console command runs with the full path of the venv's script as argv[0]; users typed only its name
    monkeypatch.setattr("sys.argv", ["/home/me/project/.venv/bin/destination-echo"])
    with pytest.raises(SystemExit) as version:
        execute(EchoDestination(), ["--version"])
    assert version.value.code == 0
    assert capsys.readouterr().out == f"destination-echo (airbyte_dest_kit {airbyte_dest_kit.__version__})\n"
    with pytest.raises(SystemExit) as usage:
        launch(EchoDestination(), [])
    assert usage.value.code == 2
    assert capsys.readouterr().err.startswith("usage: destination-echo [-h] [--version] COMMAND ...\n")


def test_spec_prints_one_spec(tmp_path: Path, monkeypatch: Any) -> None:
    code, messages = run_cli(tmp_path, ["spec"], monkeypatch=monkeypatch)
    assert code == 0 and messages == [{"type": "SPEC", "spec": SPEC}]
