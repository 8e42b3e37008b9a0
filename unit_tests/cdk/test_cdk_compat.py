"""airbyte_dest_kit.cdk in-process: the pieces the guide connectors do not exercise."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import pytest

from airbyte_dest_kit.cdk import AirbyteLogger, AirbyteTracedException
from airbyte_dest_kit.cdk.destinations import Destination
from airbyte_dest_kit.cdk.destinations.destination import DestinationRuntime
from airbyte_dest_kit.cdk.models import (
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStateBlob,
    FailureType,
    SyncMode,
    Type,
)
from airbyte_dest_kit.cdk.sources import AbstractSource
from airbyte_dest_kit.cdk.sources.runtime import SourceRuntime
from airbyte_dest_kit.cdk.sources.streams import Stream
from airbyte_dest_kit.cdk.sources.streams.core import camel_to_snake
from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.runtime.spec_file import find_spec_file
from airbyte_dest_kit.testing import run_connector
from airbyte_dest_kit.testing.builders import catalog, configured_stream

SPEC = {
    "connectionSpecification": {"type": "object", "properties": {"token": {"type": "string", "airbyte_secret": True}}}
}


class LegacyTickets(Stream):
    """The deprecated state style: get_updated_state folds each record into the state."""

    primary_key = "id"
    cursor_field = "seq"
    calls: list[dict[str, Any]] = []

    def get_json_schema(self) -> Mapping[str, Any]:
        return {"type": "object"}

    def stream_slices(self, *, sync_mode: SyncMode, cursor_field: Any = None, stream_state: Any = None) -> Any:
        start = (stream_state or {}).get("seq", 0)
        return [{"from": start + 1, "to": start + 3}, {"from": start + 4, "to": start + 5}]

    def read_records(
        self, sync_mode: SyncMode, cursor_field: Any = None, stream_slice: Any = None, stream_state: Any = None
    ) -> Iterable[Any]:
        self.calls.append({"sync_mode": sync_mode, "slice": stream_slice, "state": dict(stream_state or {})})
        for seq in range(stream_slice["from"], stream_slice["to"] + 1):
            if seq == 2:  # a stream may yield whole messages: records and logs
                yield AirbyteMessage(
                    type=Type.RECORD,
                    record=AirbyteRecordMessage(stream=self.name, data={"id": seq, "seq": seq}, emitted_at=1),
                )
                yield AirbyteMessage(type=Type.LOG, log={"level": "WARN", "message": "token t0ps3cret seen"})
            else:
                yield {"id": seq, "seq": seq}

    def get_updated_state(
        self, current_stream_state: MutableMapping[str, Any], latest_record: Mapping[str, Any]
    ) -> Any:
        return {"seq": max(current_stream_state.get("seq", 0), latest_record["seq"])}


class TicketSource(AbstractSource):
    def check_connection(self, logger: Any, config: Mapping[str, Any]) -> tuple[bool, Any]:
        return False, f"token {config['token']} was refused"

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        return [LegacyTickets()]

    def spec(self, logger: Any = None) -> Any:
        return SPEC


CONFIG = {"token": "t0ps3cret"}
TICKETS = catalog({**configured_stream("legacy_tickets", {}, mode="append", cursor="seq"), "sync_mode": "incremental"})


def test_legacy_get_updated_state_streams_checkpoint_after_each_slice_and_resume() -> None:
    LegacyTickets.calls.clear()
    output = run_connector(SourceRuntime(TicketSource()), "read", config=CONFIG, catalog=TICKETS)
    assert output.returncode == 0
    assert [r["id"] for r in output.records("legacy_tickets")] == [1, 2, 3, 4, 5]
    assert [s["stream"]["stream_state"] for s in output.states()] == [{"seq": 3}, {"seq": 5}]
    assert [c["sync_mode"] for c in LegacyTickets.calls] == [SyncMode.incremental, SyncMode.incremental]
    assert [c["state"] for c in LegacyTickets.calls] == [{}, {"seq": 3}]
    assert "token **** seen" in output.logs() and b"t0ps3cret" not in b"".join(output.lines)

    LegacyTickets.calls.clear()
    state = [
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": "legacy_tickets"}, "stream_state": {"seq": 5}}}
    ]
    output = run_connector(SourceRuntime(TicketSource()), "read", config=CONFIG, catalog=TICKETS, state=state)
    assert output.returncode == 0
    assert [r["id"] for r in output.records()] == [6, 7, 8, 9, 10]


def test_a_false_check_connection_is_failed_with_its_error_masked() -> None:
    output = run_connector(SourceRuntime(TicketSource()), "check", config=CONFIG)
    assert output.returncode == 0
    assert output.of_type("CONNECTION_STATUS") == [
        {"type": "CONNECTION_STATUS", "connectionStatus": {"status": "FAILED", "message": "token **** was refused"}}
    ]


def test_stream_names_are_the_class_names_in_snake_case() -> None:
    assert camel_to_snake("Customers") == "customers"
    assert camel_to_snake("CustomerOrders") == "customer_orders"
    assert camel_to_snake("HTTPLogs") == "http_logs"
    assert camel_to_snake("Events2Day") == "events2_day"
    assert LegacyTickets().name == "legacy_tickets"


def test_airbyte_logger_takes_the_old_calls_and_the_logging_ones(caplog: pytest.LogCaptureFixture) -> None:
    logger = AirbyteLogger()
    with caplog.at_level(logging.DEBUG, logger="airbyte"):
        logger.log("WARN", "old style")
        logger.warn("warned")
        logger.fatal("fatal")
        logger.trace("traced")
        logger.info("info %s", "args")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "old style"),
        ("WARNING", "warned"),
        ("CRITICAL", "fatal"),
        ("DEBUG", "traced"),
        ("INFO", "info args"),
    ]


def test_a_folder_with_both_spec_files_is_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "spec.json").write_text("{}")
    (tmp_path / "spec.yaml").write_text("{}")
    with pytest.raises(ConfigError, match="both spec.json and spec.yaml"):
        find_spec_file([tmp_path])


def test_models_not_listed_are_found_in_the_protocol_package() -> None:
    assert AirbyteStateBlob(cursor=1).model_dump() == {"cursor": 1}


def test_importing_the_compat_layer_does_not_import_httpx() -> None:
    code = "import sys, airbyte_dest_kit.cdk.destinations, airbyte_dest_kit.cdk.sources; print('httpx' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_http_streams_without_the_http_extra_say_how_to_install_it() -> None:
    code = "import sys; sys.modules['httpx'] = None; import airbyte_dest_kit.cdk.sources.streams.http"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "airbyte_dest_kit.errors.ConfigError: airbyte_dest_kit.cdk's HttpStream needs the 'http' extra "
        "(httpx not installed): pip install 'airbyte_dest_kit[http]'"
    )


class RefusingDestination(Destination):
    def spec(self, logger: Any = None) -> Any:
        return SPEC

    def check(self, logger: Any, config: Mapping[str, Any]) -> Any:
        raise AssertionError("not called")

    def write(self, config: Mapping[str, Any], configured_catalog: Any, input_messages: Iterable[Any]) -> Any:
        raise AirbyteTracedException(
            message=f"the token {config['token']} may not write", failure_type=FailureType.config_error
        )


def test_an_airbyte_traced_exception_is_a_trace_error_of_its_failure_type() -> None:
    run = run_connector(DestinationRuntime(RefusingDestination()), "write", config=CONFIG, catalog=catalog())
    assert run.returncode == 1
    [error] = run.errors()
    assert (error["failure_type"], error["message"]) == ("config_error", "the token **** may not write")


class SlowSlices(Stream):
    """Full-refresh slices that each take a moment, counting how many are being read at once."""

    primary_key = "id"
    running, most = 0, 0
    lock = threading.Lock()

    def get_json_schema(self) -> Mapping[str, Any]:
        return {"type": "object"}

    def stream_slices(self, *, sync_mode: SyncMode, cursor_field: Any = None, stream_state: Any = None) -> Any:
        return [{"page": page} for page in range(8)]

    def read_records(
        self, sync_mode: SyncMode, cursor_field: Any = None, stream_slice: Any = None, stream_state: Any = None
    ) -> Iterable[Any]:
        with SlowSlices.lock:
            SlowSlices.running += 1
            SlowSlices.most = max(SlowSlices.most, SlowSlices.running)
        time.sleep(0.05)
        with SlowSlices.lock:
            SlowSlices.running -= 1
        yield from ({"id": stream_slice["page"] * 10 + i} for i in range(3))


class ConcurrentSource(TicketSource):
    concurrency_level = 4

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        return [SlowSlices()]


def test_a_source_with_a_concurrency_level_reads_full_refresh_slices_at_once() -> None:
    SlowSlices.most = 0
    full = catalog({**configured_stream("slow_slices", {}, mode="append"), "sync_mode": "full_refresh"})
    output = run_connector(SourceRuntime(ConcurrentSource()), "read", config=CONFIG, catalog=full)
    output.assert_ok()
    assert sorted(r["id"] for r in output.records("slow_slices")) == [p * 10 + i for p in range(8) for i in range(3)]
    assert SlowSlices.most > 1  # the slices overlapped
    assert len(output.states()) >= 1 and sum(s["sourceStats"]["recordCount"] for s in output.states()) == 24
