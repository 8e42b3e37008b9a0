from __future__ import annotations

import pytest

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.sources.state import global_state_message, parse_state, stream_state_message


def stream_entry(name: str, state: object, namespace: str | None = None) -> dict[str, object]:
    descriptor: dict[str, object] = {"name": name}
    if namespace is not None:
        descriptor["namespace"] = namespace
    return {"stream_descriptor": descriptor, "stream_state": state}


def test_per_stream_states_are_keyed_by_namespace_and_name() -> None:
    saved = parse_state(
        [
            {"type": "STREAM", "stream": stream_entry("users", {"cursor": 1}, "crm")},
            {"type": "STREAM", "stream": stream_entry("users", {"cursor": 2})},
        ]
    )
    assert saved.for_stream("users", "crm") == {"cursor": 1}
    assert saved.for_stream("users", None) == {"cursor": 2}
    assert saved.for_stream("users", "other") is None


def test_envelope_wrapped_states_and_platform_keys_are_accepted() -> None:
    message = {"type": "STATE", "state": {"type": "STREAM", "stream": stream_entry("a", {"x": 1}), "id": 7}}
    assert parse_state([message]).for_stream("a", None) == {"x": 1}


def test_global_state_gives_shared_state_and_every_stream_state() -> None:
    saved = parse_state(
        [{"type": "GLOBAL", "global": {"shared_state": {"lsn": 9}, "stream_states": [stream_entry("a", {"x": 1})]}}]
    )
    assert saved.shared_state == {"lsn": 9}
    assert saved.for_stream("a", None) == {"x": 1}


@pytest.mark.parametrize(
    "raw",
    [
        {"users": {"cursor": 5}},  # the legacy dict
        [{"type": "LEGACY", "data": {"users": {"cursor": 5}}}],
        [{"data": {"users": {"cursor": 5}}}],  # no type means LEGACY
    ],
)
def test_legacy_state_matches_streams_by_name_in_any_namespace(raw: object) -> None:
    saved = parse_state(raw)
    assert saved.for_stream("users", None) == {"cursor": 5}
    assert saved.for_stream("users", "crm") == {"cursor": 5}
    assert saved.for_stream("orders", None) is None


@pytest.mark.parametrize("raw", [None, [], {}])
def test_no_state(raw: object) -> None:
    assert parse_state(raw).for_stream("users", None) is None


def test_null_stream_state_means_reset() -> None:
    assert parse_state([{"type": "STREAM", "stream": stream_entry("a", None)}]).for_stream("a", None) is None


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ([{"type": "STREAM", "stream": {"stream_state": {}}}], "entry 0: a stream state needs a 'stream_descriptor'"),
        ([{"type": "STREAM", "stream": stream_entry("a", 3)}], "'stream_state' must be an object or null"),
        ([{"type": "GLOBAL", "global": {}}], "needs 'global.stream_states'"),
        (
            [{"type": "STREAM", "stream": stream_entry("a", {})}, {"type": "SHARDED"}],
            "entry 1: unknown state type 'SHARDED'",
        ),
        ([42], "entry 0: each entry must be a STATE message object"),
        ({"users": 5}, "legacy state must map stream names to state objects"),
    ],
)
def test_malformed_state_is_a_config_error_naming_the_entry(raw: object, complaint: str) -> None:
    with pytest.raises(ConfigError, match="state file") as caught:
        parse_state(raw)
    assert complaint in caught.value.message


def test_checkpoint_messages_carry_float_record_counts() -> None:
    stream = stream_state_message("users", "crm", {"c": 1}, 3)
    assert stream == {
        "type": "STATE",
        "state": {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": "users", "namespace": "crm"}, "stream_state": {"c": 1}},
            "sourceStats": {"recordCount": 3.0},
        },
    }
    assert isinstance(stream["state"]["sourceStats"]["recordCount"], float)
    shared = global_state_message({"lsn": 1}, {(None, "a"): {"x": 1}, ("ns", "b"): {}}, 0)["state"]
    assert shared["global"]["stream_states"] == [
        {"stream_descriptor": {"name": "a"}, "stream_state": {"x": 1}},
        {"stream_descriptor": {"name": "b", "namespace": "ns"}, "stream_state": {}},
    ]
    assert shared["sourceStats"] == {"recordCount": 0.0}
