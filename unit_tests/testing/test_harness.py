"""The shipped harness's own parts: stdin lines as the platform writes them, the command line's input files, and
what a Run asserts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from airbyte_dest_kit.protocol.codec import loads_lenient
from airbyte_dest_kit.testing import Run
from airbyte_dest_kit.testing.builders import log, message_line, record, stdin_lines
from airbyte_dest_kit.testing.harness import command_line


def test_stdin_lines_are_compact_utf8_with_big_integers_exact_and_raw_lines_as_they_are() -> None:
    message = {"type": "RECORD", "record": {"stream": "a", "data": {"name": "é 🎉", "big": 2**70}}}
    data = stdin_lines([message, "not json", b"\xff raw bytes"])
    assert data.split(b"\n") == [
        '{"type":"RECORD","record":{"stream":"a","data":{"name":"é 🎉","big":1180591620717411303424}}}'.encode(),
        b"not json",
        b"\xff raw bytes",
        b"",
    ]


def test_a_lone_surrogate_goes_out_as_its_escape_and_reads_back_the_same() -> None:
    message = record("a", {"text": "x\udc00y", "slash": "\\\ud800"})
    line = message_line(message)
    assert b'"x\\udc00y"' in line and b'"\\\\\\ud800"' in line
    assert loads_lenient(line) == message


def test_command_line_writes_values_as_json_files_and_passes_paths_as_they_are(tmp_path: Path) -> None:
    prepared = tmp_path / "prepared.yaml"
    argv = command_line("read", tmp_path, manifest=prepared, config={"k": 1}, catalog=None, state=[{"s": 2}])
    assert argv[:3] == ["read", "--manifest", str(prepared)]
    assert argv[3] == "--config" and json.loads(Path(argv[4]).read_text()) == {"k": 1}
    assert argv[5] == "--state" and json.loads(Path(argv[6]).read_text()) == [{"s": 2}]
    assert len(argv) == 7  # no --catalog for None
    assert Path(argv[4]).parent == tmp_path


def _run(returncode: int, *messages: dict[str, object], stderr: bytes = b"") -> Run:
    done = subprocess.CompletedProcess(["x"], returncode, stdin_lines(messages), stderr)
    return Run.from_completed(done)


ERROR = {"type": "TRACE", "trace": {"type": "ERROR", "error": {"message": "boom", "failure_type": "system_error"}}}
SUCCEEDED = {"type": "CONNECTION_STATUS", "connectionStatus": {"status": "SUCCEEDED"}}


def test_a_run_from_a_finished_process_keeps_its_exit_code_text_and_messages() -> None:
    run = _run(0, log("hello"), SUCCEEDED, stderr=b"warning\n")
    assert (run.returncode, run.stderr, run.logs(), run.status()) == (
        0,
        "warning\n",
        ["hello"],
        {"status": "SUCCEEDED"},
    )
    assert run.stdout == stdin_lines([log("hello"), SUCCEEDED]).decode()
    assert run.assert_ok() is run


@pytest.mark.parametrize("run", [_run(1, log("x")), _run(0, ERROR)], ids=["a non-zero exit", "a TRACE ERROR"])
def test_assert_ok_fails_on_a_non_zero_exit_or_a_trace_error(run: Run) -> None:
    with pytest.raises(AssertionError):
        run.assert_ok()


def test_assert_failed_returns_the_one_error_and_fails_on_success_or_two_errors() -> None:
    assert _run(1, log("x"), ERROR).assert_failed() == ERROR["trace"]["error"]  # type: ignore[index]
    for run in (_run(0, ERROR), _run(1, ERROR, ERROR), _run(1, log("x"))):
        with pytest.raises(AssertionError):
            run.assert_failed()


def test_status_fails_unless_exactly_one_was_printed() -> None:
    for run in (_run(0), _run(0, SUCCEEDED, SUCCEEDED)):
        with pytest.raises(AssertionError):
            run.status()


def test_batches_reads_the_writer_summary_of_the_stream() -> None:
    run = _run(0, log("stream users: 12,000 records committed in 1,204 batches into main.users"))
    assert run.batches("users") == 1204
    with pytest.raises(AssertionError, match="no summary LOG for stream 'user'"):
        run.batches("user")
