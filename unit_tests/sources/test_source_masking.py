"""airbyte_secret values never reach stdout: not in logs, not in TRACE ERROR, not in check's status."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from source_fakes import FakeSource, Letters, configured_catalog, write_spec

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.sources import Record, Stream, StreamSlice
from airbyte_dest_kit.testing import run_connector

SECRET = "sk-live-7f3a9c"
NESTED_SECRET = "hunter2-nested"
CONFIG = {"api_key": SECRET, "nested": {"password": NESTED_SECRET}}


class LeakyStream(Stream):
    """Logs and fails with both secrets in the text, the way careless connector code would."""

    name = "leaky"

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object"}

    def read(self, stream_slice: StreamSlice) -> Iterator[Record]:
        logging.getLogger("airbyte.leaky").info("calling the API with key %s and %s", SECRET, NESTED_SECRET)
        yield {"n": 1}
        raise RuntimeError(f"401 for key={SECRET} password={NESTED_SECRET}")


def test_secrets_are_masked_in_logs_and_in_every_field_of_trace_errors(tmp_path: Path) -> None:
    source = FakeSource(write_spec(tmp_path), lambda config: [LeakyStream(), Letters()])
    run = run_connector(
        source,
        "read",
        config=CONFIG,
        catalog=configured_catalog([("leaky", "full_refresh"), ("letters", "full_refresh")]),
    )
    assert run.returncode == 1
    assert SECRET not in run.stdout and NESTED_SECRET not in run.stdout
    log_line = run.of_type("LOG")[0]["log"]["message"]
    assert log_line == "calling the API with key **** and ****"
    error = run.errors()[0]
    assert "key=**** password=****" in error["message"]
    assert "key=**** password=****" in error["internal_message"]
    assert "key=**** password=****" in error["stack_trace"]


def test_a_secret_that_fails_validation_is_masked_in_the_error(tmp_path: Path) -> None:
    source = FakeSource(write_spec(tmp_path), lambda config: [Letters()])
    run = run_connector(source, "discover", config={"api_key": "pk-wrong-prefix-123"})  # the spec wants ^sk-
    assert run.returncode == 1
    assert "pk-wrong-prefix-123" not in run.stdout
    assert "key 'api_key'" in run.errors()[0]["message"]


def test_check_failure_message_is_masked(tmp_path: Path) -> None:
    class FailingCheck(FakeSource):
        def check_connection(self, config: Any) -> None:
            raise ConfigError(f"the API refused key {config['api_key']}")

    run = run_connector(FailingCheck(write_spec(tmp_path), lambda config: []), "check", config=CONFIG)
    assert run.returncode == 0
    assert run.of_type("CONNECTION_STATUS")[0]["connectionStatus"] == {
        "status": "FAILED",
        "message": "the API refused key ****",
    }


def test_secrets_learned_during_the_run_are_masked_too(tmp_path: Path) -> None:
    class TokenStream(LeakyStream):
        name = "tokens"

        def read(self, stream_slice: StreamSlice) -> Iterator[Record]:
            source.events.new_secret("fresh-access-token")
            logging.getLogger("airbyte.tokens").warning("got fresh-access-token")
            raise RuntimeError("fresh-access-token expired")

    source = FakeSource(write_spec(tmp_path), lambda config: [TokenStream()])
    run = run_connector(source, "read", config=CONFIG, catalog=configured_catalog([("tokens", "full_refresh")]))
    assert "fresh-access-token" not in run.stdout
    assert run.of_type("LOG")[0]["log"]["message"] == "got ****"


def test_secrets_reported_while_building_the_streams_are_masked_from_the_first_line(tmp_path: Path) -> None:
    class KeyStream(LeakyStream):
        name = "keys"

        def read(self, stream_slice: StreamSlice) -> Iterator[Record]:
            raise RuntimeError("built-key-4455 rejected")

    def streams(config: Any) -> list[KeyStream]:
        source.events.new_secret("built-key-4455")  # e.g. a manifest's api_token, before read binds the events
        return [KeyStream()]

    source = FakeSource(write_spec(tmp_path), streams)
    run = run_connector(source, "read", config=CONFIG, catalog=configured_catalog([("keys", "full_refresh")]))
    assert "built-key-4455" not in run.stdout
    assert "**** rejected" in run.errors()[0]["message"]
