"""A hand-written ``Destination`` on the kit's own API: what ``check`` returns, how ``launch`` exits, and the
``destinationStats`` of the states ``write`` yields."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest

from airbyte_dest_kit.destination.destination import Destination
from airbyte_dest_kit.protocol.models import AirbyteConnectionStatus, AirbyteMessage, Status, Type
from airbyte_dest_kit.runtime.entrypoint import execute, launch
from airbyte_dest_kit.testing.builders import echoed, global_state, legacy_state, record, stream_state

SPEC = {
    "connectionSpecification": {
        "type": "object",
        "properties": {"api_key": {"type": "string", "airbyte_secret": True}},
    }
}
REPO = Path(__file__).resolve().parents[2]


class ScriptedDestination(Destination):
    """``check`` returns what it is given; ``write`` echoes the states it is told to and may invent one."""

    def __init__(self, check_result: Any = None, echo: Any = lambda state: True) -> None:
        super().__init__()
        self.check_result, self.echo = check_result, echo

    def spec(self) -> dict[str, Any]:
        return SPEC

    def check(self, config: Mapping[str, Any]) -> Any:
        return self.check_result

    def write(self, config: Any, catalog: Any, input_messages: Iterator[AirbyteMessage]) -> Iterator[Any]:
        for message in input_messages:
            if message.type == Type.STATE and self.echo(message):
                yield message


def run(destination: Destination, tmp_path: Path, monkeypatch: Any, args: list[str], stdin: bytes = b"") -> Any:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api_key": "s3cr3t-key"}))
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"streams": []}))
    argv = [{"CONFIG": str(config), "CATALOG": str(catalog)}.get(arg, arg) for arg in args]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    out = io.BytesIO()
    code = execute(destination, argv, stdout=out)
    return code, [orjson.loads(line) for line in out.getvalue().splitlines()]


def status_of(messages: list[dict[str, Any]]) -> dict[str, Any]:
    [message] = messages
    assert message["type"] == "CONNECTION_STATUS"
    return dict(message["connectionStatus"])


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (
            AirbyteConnectionStatus(status=Status.FAILED, message="key s3cr3t-key was refused"),
            {"status": "FAILED", "message": "key **** was refused"},
        ),
        (AirbyteConnectionStatus(status=Status.SUCCEEDED), {"status": "SUCCEEDED"}),
        (None, {"status": "SUCCEEDED"}),
        (False, {"status": "FAILED", "message": "check() returned bool, expected None or AirbyteConnectionStatus"}),
    ],
)
def test_a_returned_status_is_the_status_printed(
    returned: Any, expected: dict[str, Any], tmp_path: Path, monkeypatch: Any
) -> None:
    code, messages = run(
        ScriptedDestination(check_result=returned), tmp_path, monkeypatch, ["check", "--config", "CONFIG"]
    )
    assert code == 0
    assert status_of(messages) == expected


def test_states_get_the_records_of_their_scope_as_destination_stats(tmp_path: Path, monkeypatch: Any) -> None:
    lines = [
        record("users", {"id": 1}),
        record("orders", {"id": 1}),
        record("users", {"id": 2}),
        stream_state("users", {"cursor": 2}, id=7),
        record("orders", {"id": 2}),
        stream_state("orders", {"cursor": 2}),
        stream_state("users", {"cursor": 2}),
        global_state({"lsn": 1}),
        record("users", {"id": 3}),
        legacy_state({"users": 3}),
    ]
    stdin = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    code, messages = run(
        ScriptedDestination(), tmp_path, monkeypatch, ["write", "--config", "CONFIG", "--catalog", "CATALOG"], stdin
    )
    assert code == 0
    assert [m for m in messages if m["type"] == "STATE"] == [
        echoed(lines[3], 2),  # verbatim (the platform's id kept) plus the users records before it
        echoed(lines[5], 2),
        echoed(lines[6], 0),  # no users record since the previous users state
        echoed(lines[7], 4),  # every record so far
        echoed(lines[9], 1),
    ]


def test_a_skipped_state_hands_its_count_to_the_next_echo_of_its_scope(tmp_path: Path, monkeypatch: Any) -> None:
    lines = [
        record("users", {"id": 1}),
        stream_state("users", {"cursor": 1}),
        record("users", {"id": 2}),
        record("users", {"id": 3}),
        stream_state("users", {"cursor": 3}),
    ]
    stdin = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    only_last = ScriptedDestination(echo=lambda state: state.state.stream.stream_state.cursor == 3)
    code, messages = run(
        only_last, tmp_path, monkeypatch, ["write", "--config", "CONFIG", "--catalog", "CATALOG"], stdin
    )
    assert code == 0
    assert [m for m in messages if m["type"] == "STATE"] == [echoed(lines[4], 3)]


def write_connector(tmp_path: Path, check_body: str) -> Path:
    main = tmp_path / "main.py"
    (tmp_path / "spec.json").write_text(json.dumps(SPEC))
    main.write_text(
        textwrap.dedent(
            f"""
            import sys
            from airbyte_dest_kit import Destination, launch

            class Guarded(Destination):
                def check(self, config):
                    {check_body}

            if __name__ == "__main__":
                Guarded().run(sys.argv[1:])  # airbyte-cdk's spelling of launch(Guarded(), sys.argv[1:])
            """
        )
    )
    return main


def test_launch_exits_non_zero_on_failure_and_zero_on_success(tmp_path: Path) -> None:
    main = write_connector(tmp_path, "return None")
    config = tmp_path / "config.json"
    config.write_text("{}")
    ok = subprocess.run([sys.executable, str(main), "check", "--config", str(config)], capture_output=True, cwd=REPO)
    assert ok.returncode == 0 and b'"SUCCEEDED"' in ok.stdout
    missing = tmp_path / "missing.json"
    failed = subprocess.run(
        [sys.executable, str(main), "write", "--config", str(config), "--catalog", str(missing)],
        capture_output=True,
        cwd=REPO,
    )
    assert failed.returncode == 1
    assert [json.loads(line)["trace"]["error"]["failure_type"] for line in failed.stdout.splitlines()] == [
        "config_error"
    ]


def test_launch_in_process_returns_none_on_success_and_raises_system_exit_on_failure(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text("{}")
    assert launch(ScriptedDestination(), ["check", "--config", str(config)], stdout=io.BytesIO()) is None
    with pytest.raises(SystemExit) as exit_info:
        launch(ScriptedDestination(), ["write", "--config", str(config), "--catalog", "nope.json"], stdout=io.BytesIO())
    assert exit_info.value.code == 1
