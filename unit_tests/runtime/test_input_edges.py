"""Edges of the input layer: shapes of messages, odd JSON, short secrets, error wording."""

from __future__ import annotations

import orjson
import pytest

from airbyte_dest_kit.errors import InputError
from airbyte_dest_kit.protocol.codec import decode_line, dumps
from airbyte_dest_kit.protocol.shapes import check_record, check_state, check_stream_status
from airbyte_dest_kit.records.line_repair import repair_record_line
from airbyte_dest_kit.runtime.secrets import mask_secrets
from airbyte_dest_kit.writers.sql.errors import config_keys


def test_a_short_secret_is_masked_where_it_stands_alone_only() -> None:
    line = "login as a failed: password a rejected (a)"
    assert mask_secrets(line, ["a"]) == "login as **** failed: password **** rejected (****)"
    assert mask_secrets("key s3cret-s3cret", ["s3cret"]) == "key ****-****"


def test_config_keys_are_named_once() -> None:
    assert config_keys("url", "url") == "config key 'url'"
    assert config_keys("host", "port") == "config keys 'host' and 'port'"


def test_decode_line_takes_a_lone_surrogate_and_dumps_gives_it_back() -> None:
    line = '{"type":"STATE","state":{"data":{"c":"\\ud800"}}}'
    message = decode_line(line, 1)
    assert message["state"]["data"]["c"] == "\ud800"
    assert dumps(message).decode() == line
    with pytest.raises(InputError, match="line 3: not valid JSON"):
        decode_line('{"a": NaN}', 3)


def test_repair_keeps_the_last_duplicate_and_reports_replaced_surrogates() -> None:
    data = '{"id":1,"id":2,"t":"x\\udc00","n":{"a":1,"a":2}}'
    line = '{"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":' + data + "}}"
    repaired = orjson.loads(repair_record_line(line) or "")
    assert repaired["record"]["data"] == {"id": 2, "t": "x\ufffd", "n": {"a": 2}}
    assert repaired["record"]["meta"]["changes"] == [
        {"field": "t", "change": "TRUNCATED", "reason": "DESTINATION_SERIALIZATION_ERROR"}
    ]
    assert repair_record_line('{"type":"RECORD",') is None


@pytest.mark.parametrize(
    ("check", "message", "expected"),
    [
        (check_state, {"state": {"type": "STREAM", "stream": "x"}}, "'state.stream' must be a JSON object"),
        (check_state, {"state": {"type": "GLOBAL"}}, "'state.global' must be a JSON object, got null"),
        (check_state, {"state": {"type": "NEW"}}, "must be one of STREAM, GLOBAL, LEGACY"),
        (check_record, {"record": {"stream": "s", "namespace": 1}}, "'record.namespace' must be a string or null"),
        (check_stream_status, {"stream_status": {"stream_descriptor": {"name": "s"}}}, "status' must be one of"),
    ],
)
def test_shape_checks_name_the_field_and_the_line(check, message, expected) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as raised:
        check(message, 12)
    assert raised.value.line == 12 and expected in raised.value.message


def test_shape_checks_pass_what_the_protocol_allows() -> None:
    assert check_state({"state": {"data": {"x": 1}}}, 1) == {"data": {"x": 1}}  # LEGACY: type absent
    status = {"stream_status": {"stream_descriptor": {"name": "s", "namespace": None}, "status": "COMPLETE"}}
    assert check_stream_status(status, 1) == ({"name": "s", "namespace": None}, "COMPLETE")
