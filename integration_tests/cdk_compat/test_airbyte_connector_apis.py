"""What Airbyte's own connectors and their tests call, in the shapes they call it (source-faker,
destination-rabbitmq and connector tests built on ``airbyte_cdk.test``): the serializers, bare trace and log
messages yielded by streams, ``AbstractSource.read/discover`` with airbyte-cdk's arguments, airbyte-cdk's
checkpoint rhythm, and ``entrypoint_wrapper`` with ``HttpMocker`` on the guide source. The expected message
sequences are the ones airbyte-cdk 6.61 produces for the same streams."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import pytest

from airbyte_dest_kit.cdk.models import (
    AirbyteCatalog,
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteRecordMessage,
    AirbyteStateMessage,
    AirbyteStateMessageSerializer,
    AirbyteStateType,
    AirbyteTraceMessage,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteCatalogSerializer,
    ConnectorSpecification,
    ConnectorSpecificationSerializer,
    Level,
    StreamDescriptor,
    SyncMode,
    TraceType,
    Type,
)
from airbyte_dest_kit.cdk.models.airbyte_protocol import (
    AirbyteEstimateTraceMessage,
    AirbyteStateBlob,
    AirbyteStreamState,
    EstimateType,
)
from airbyte_dest_kit.cdk.sources import AbstractSource
from airbyte_dest_kit.cdk.sources.streams import IncrementalMixin, Stream
from airbyte_dest_kit.cdk.test.catalog_builder import CatalogBuilder, ConfiguredAirbyteStreamBuilder
from airbyte_dest_kit.cdk.test.entrypoint_wrapper import discover, read
from airbyte_dest_kit.cdk.test.mock_http import HttpMocker, HttpRequest, HttpResponse
from airbyte_dest_kit.cdk.test.mock_http.request import ANY_QUERY_PARAMS
from airbyte_dest_kit.cdk.test.state_builder import StateBuilder
from airbyte_dest_kit.cdk.utils import AirbyteTracedException

LOGGER = logging.getLogger("test")


class Batches(Stream, IncrementalMixin):
    """Like source-faker's streams: an estimate first, records in batches, the state moved after each batch
    (so the checkpoint due after record 2 finds it still empty), some records as ready-made messages."""

    primary_key = "n"
    cursor_field = "n"
    state_checkpoint_interval = 2

    def __init__(self, fail_at: int | None = None, api_key: str = "") -> None:
        self._state: MutableMapping[str, Any] = {}
        self.fail_at = fail_at
        self.api_key = api_key

    @property
    def state(self) -> MutableMapping[str, Any]:
        return self._state

    @state.setter
    def state(self, value: MutableMapping[str, Any]) -> None:
        self._state = dict(value)

    def get_json_schema(self) -> Mapping[str, Any]:
        return {"type": "object", "properties": {"n": {"type": "integer"}, "note": {"type": ["null", "string"]}}}

    def read_records(self, sync_mode: SyncMode, **kwargs: Any) -> Iterator[Any]:
        start = self._state.get("n", 0)
        estimate = AirbyteEstimateTraceMessage(name=self.name, type=EstimateType.STREAM, row_estimate=6)
        yield AirbyteTraceMessage(type=TraceType.ESTIMATE, emitted_at=1.0, estimate=estimate)
        yield AirbyteLogMessage(level=Level.INFO, message=f"starting after {start} with key {self.api_key}")
        for batch in range(2):
            for i in range(3):
                n = start + batch * 3 + i + 1
                if n == self.fail_at:
                    raise ValueError(f"record {n} is broken")
                if i == 1:
                    record = AirbyteRecordMessage(stream=self.name, data={"n": n, "note": None}, emitted_at=5)
                    yield AirbyteMessage(type=Type.RECORD, record=record)
                else:
                    yield {"n": n, "note": None}
            self.state = {"n": start + batch * 3 + 3}


class SourceBatches(AbstractSource):
    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at

    def spec(self, logger: Any = None) -> ConnectorSpecification:
        key = {"type": "string", "airbyte_secret": True}
        return ConnectorSpecification(connectionSpecification={"type": "object", "properties": {"api_key": key}})

    def check_connection(self, logger: Any, config: Mapping[str, Any]) -> tuple[bool, Any]:
        return True, None

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        return [Batches(self.fail_at, config.get("api_key", ""))]


def incremental_catalog(name: str = "batches") -> ConfiguredAirbyteCatalog:
    return CatalogBuilder().with_stream(name, SyncMode.incremental).build()


def outline(messages: Iterable[AirbyteMessage]) -> list[Any]:
    """Each message as what the comparison with airbyte-cdk looks at."""
    shown: list[Any] = []
    for message in messages:
        if message.type == Type.TRACE and message.trace is not None:
            status = message.trace.stream_status
            shown.append(status.status.value if status else message.trace.type.value)
        elif message.type == Type.RECORD and message.record is not None:
            shown.append(message.record.data["n"])
        elif message.type == Type.STATE and message.state is not None and message.state.stream is not None:
            shown.append(AirbyteStateMessageSerializer.dump(message.state)["stream"]["stream_state"])
    return shown


def test_serializers_round_trip_every_top_level_model_and_keep_the_nulls_of_data_and_state() -> None:
    state = AirbyteStateMessage(
        type=AirbyteStateType.STREAM,
        stream=AirbyteStreamState(
            stream_descriptor=StreamDescriptor(name="users"),
            stream_state=AirbyteStateBlob({"seed": None, "updated_at": "2024-01-01"}),
        ),
    )
    record = AirbyteRecordMessage(stream="users", data={"id": 1, "gone": None, "nested": {"x": None}}, emitted_at=7)
    for message in (AirbyteMessage(type=Type.STATE, state=state), AirbyteMessage(type=Type.RECORD, record=record)):
        dumped = AirbyteMessageSerializer.dump(message)
        assert AirbyteMessageSerializer.load(json.loads(json.dumps(dumped))) == message
    assert AirbyteMessageSerializer.dump(AirbyteMessage(type=Type.STATE, state=state)) == {
        "type": "STATE",  # unset fields (namespace, sourceStats, data…) left out, the blob's null kept
        "state": {
            "type": "STREAM",
            "stream": {
                "stream_descriptor": {"name": "users"},
                "stream_state": {"seed": None, "updated_at": "2024-01-01"},
            },
        },
    }
    assert AirbyteMessageSerializer.dump(AirbyteMessage(type=Type.RECORD, record=record))["record"] == {
        "stream": "users",
        "data": {"id": 1, "gone": None, "nested": {"x": None}},
        "emitted_at": 7,
    }

    catalog = incremental_catalog()
    assert ConfiguredAirbyteCatalogSerializer.load(ConfiguredAirbyteCatalogSerializer.dump(catalog)) == catalog
    spec = ConnectorSpecificationSerializer.load(
        {"documentationUrl": "https://example.invalid/doc", "connectionSpecification": {"type": "object"}}
    )
    assert ConnectorSpecificationSerializer.dump(spec) == {
        "documentationUrl": "https://example.invalid/doc",
        "connectionSpecification": {"type": "object"},
        "supportsNormalization": False,  # the protocol's defaults, printed as airbyte-cdk 6 and 7 print them
        "supportsDBT": False,
    }
    # a blob compares by content, whichever side was built positionally or read back
    assert AirbyteStateBlob({"a": 1}) == AirbyteStateBlob(a=1) != AirbyteStateBlob(a=2)
    assert AirbyteStateMessageSerializer.load(AirbyteStateMessageSerializer.dump(state)) == state


def test_read_yields_bare_traces_as_trace_and_checkpoints_as_airbyte_cdk_does() -> None:
    source = SourceBatches()
    first = list(source.read(LOGGER, {}, incremental_catalog(), None))
    # airbyte-cdk 6.61: the estimate before RUNNING; no checkpoint after record 2 (the state is still empty);
    # after record 6 the state of the first batch again, then the slice's own.
    assert outline(first) == [
        "STARTED", "ESTIMATE", "RUNNING", 1, 2, 3, 4, {"n": 3}, 5, 6, {"n": 3}, {"n": 6}, "COMPLETE",
    ]  # fmt: skip
    # the bare log message comes in order too, as a LOG
    assert [m.log.message for m in first[:3] if m.log] == ["starting after 0 with key "]
    records = [m.record for m in first if m.type == Type.RECORD and m.record is not None]
    assert records[0].data == {"n": 1, "note": None}  # nulls kept (airbyte-cdk 6 drops top-level ones)

    saved = [m.state for m in first if m.type == Type.STATE and m.state is not None][-1:]
    resumed = list(source.read(LOGGER, {}, incremental_catalog(), saved))
    # resuming, the first checkpoint repeats the state read from, as on airbyte-cdk
    assert outline(resumed) == [
        "STARTED", "ESTIMATE", "RUNNING", 7, 8, {"n": 6}, 9, 10, {"n": 9}, 11, 12, {"n": 9}, {"n": 12}, "COMPLETE",
    ]  # fmt: skip
    for no_state in ({}, None, []):
        assert outline(source.read(LOGGER, {}, incremental_catalog(), no_state))[3] == 1


def test_a_stream_failing_halfway_keeps_its_last_checkpoint_and_the_read_raises_after_its_messages() -> None:
    seen: list[AirbyteMessage] = []
    with pytest.raises(AirbyteTracedException) as raised:
        for message in SourceBatches(fail_at=5).read(LOGGER, {}, incremental_catalog(), None):
            seen.append(message)
    assert outline(seen) == ["STARTED", "ESTIMATE", "RUNNING", 1, 2, 3, 4, {"n": 3}, "ERROR", "INCOMPLETE"]
    error = seen[-2].trace.error  # type: ignore[union-attr]
    assert error is not None and "record 5 is broken" in (error.internal_message or error.message)
    assert "batches" in raised.value.message


def test_discover_takes_a_logger_and_returns_the_catalog() -> None:
    catalog = SourceBatches().discover(None, {})
    assert isinstance(catalog, AirbyteCatalog)
    dumped = AirbyteMessageSerializer.dump(AirbyteMessage(type=Type.CATALOG, catalog=catalog))
    [stream] = dumped["catalog"]["streams"]
    assert stream["name"] == "batches"
    assert stream["default_cursor_field"] == ["n"] and stream["source_defined_primary_key"] == [["n"]]
    assert discover(SourceBatches(), {}).catalog.catalog == catalog


def test_entrypoint_wrapper_runs_the_command_line_and_exposes_logs_states_and_statuses() -> None:
    handlers_before = logging.getLogger("airbyte").handlers[:]
    output = read(SourceBatches(), {"api_key": "sk-compat-secret-123"}, incremental_catalog())
    assert logging.getLogger("airbyte").handlers == handlers_before  # the run's own handler is gone again
    assert [r.record.data["n"] for r in output.records if r.record] == [1, 2, 3, 4, 5, 6]
    assert output.most_recent_state.stream_state == AirbyteStateBlob(n=6)
    assert [s.state.sourceStats.recordCount for s in output.state_messages if s.state and s.state.sourceStats] == [
        4.0, 2.0, 0.0,
    ]  # fmt: skip
    assert output.is_in_logs(r"starting after 0 with key \*\*\*\*")  # the bare log message, masked
    assert output.is_not_in_logs("sk-compat-secret")
    assert [status.value for status in output.get_stream_statuses("batches")] == ["STARTED", "RUNNING", "COMPLETE"]
    assert not output.errors

    resumed = read(
        SourceBatches(), {}, incremental_catalog(), StateBuilder().with_stream_state("batches", {"n": 3}).build()
    )
    assert [r.record.data["n"] for r in resumed.records if r.record] == [4, 5, 6, 7, 8, 9]

    failed = read(SourceBatches(fail_at=2), {}, incremental_catalog())
    assert len(failed.errors) == 2  # the stream's, then the read's
    with pytest.raises(Exception, match="record 2 is broken"):
        failed.raise_if_errors()


@pytest.fixture
def shop_source(ported: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The guide's HTTP source, ported, imported in this process (so that HttpMocker sees its requests)."""
    monkeypatch.syspath_prepend(str(ported["source-shop"]))
    from source_shop.source import SourceShop  # type: ignore[import-not-found]

    return SourceShop()


SHOP = {"base_url": "https://shop.example.invalid/", "api_key": "mocked-key-123", "page_size": 2}


def customers(*ids: int) -> list[dict[str, Any]]:
    return [{"id": i, "updated_at": f"2024-01-0{i}T00:00:00Z"} for i in ids]


def test_http_mocker_answers_the_guide_source_through_entrypoint_wrapper(shop_source: Any) -> None:
    catalog = CatalogBuilder().with_stream(ConfiguredAirbyteStreamBuilder().with_name("customers").with_sync_mode(
        SyncMode.incremental)).build()  # fmt: skip
    first = HttpRequest("https://shop.example.invalid/customers", query_params={"limit": "2"},
                        headers={"authorization": "Bearer mocked-key-123"})  # fmt: skip
    second = HttpRequest("https://shop.example.invalid/customers", query_params={"limit": "2", "cursor": "c2"})
    with HttpMocker() as http_mocker:
        http_mocker.get(first, HttpResponse(json.dumps({"data": customers(1, 2), "next_cursor": "c2"})))
        http_mocker.get(second, HttpResponse(json.dumps({"data": customers(3)})))
        output = read(shop_source, SHOP, catalog)
        http_mocker.assert_number_of_calls(second, 1)
    assert not output.errors, output.errors
    assert [r.record.data["id"] for r in output.records if r.record] == [1, 2, 3]
    assert output.most_recent_state.stream_state == AirbyteStateBlob(updated_at="2024-01-03T00:00:00Z")

    # resumed from a state: the request carries it; one mock for any query, answered in turn
    state = StateBuilder().with_stream_state("customers", {"updated_at": "2024-01-03T00:00:00Z"}).build()
    with HttpMocker() as http_mocker:
        http_mocker.get(
            HttpRequest("https://shop.example.invalid/customers", query_params=ANY_QUERY_PARAMS),
            [HttpResponse(json.dumps({"data": customers(4), "next_cursor": "c5"}), headers={"X-Page": "1"}),
             HttpResponse(json.dumps({"data": []}))],
        )  # fmt: skip
        resumed = read(shop_source, SHOP, catalog, state)
    assert [r.record.data["id"] for r in resumed.records if r.record] == [4]


def test_http_mocker_fails_on_a_request_nobody_mocked_and_on_a_mock_nobody_called(shop_source: Any) -> None:
    catalog = CatalogBuilder().with_stream("events", SyncMode.full_refresh).build()
    with HttpMocker() as http_mocker:
        http_mocker.get(HttpRequest("https://shop.example.invalid/customers"), HttpResponse("{}"))
        output = read(shop_source, SHOP, catalog)
    [stream_error, _] = output.errors
    assert "No matcher matches GET https://shop.example.invalid/events" in str(stream_error.trace.error)  # type: ignore[union-attr]

    @HttpMocker()
    def test_with_an_unused_mock(http_mocker: HttpMocker) -> None:
        http_mocker.get(HttpRequest("https://shop.example.invalid/customers"), HttpResponse("{}", status_code=500))

    with pytest.raises(ValueError, match="Invalid number of matches"):
        test_with_an_unused_mock()
    with pytest.raises(ValueError, match="already mocked"):
        mocker = HttpMocker()
        mocker.get(HttpRequest("https://shop.example.invalid/a"), HttpResponse("{}"))
        mocker.get(HttpRequest("https://shop.example.invalid/a"), HttpResponse("[]"))


MONEY_SCHEMA = {
    "type": "object",
    "definitions": {"money": {"type": ["null", "number"]}},
    "properties": {
        "s_from_int": {"type": ["null", "string"]},
        "n_int": {"type": "number"},
        "i": {"type": "integer"},
        "i_bad": {"type": "integer"},
        "b_str": {"type": "boolean"},
        "b_bad": {"type": "boolean"},
        "many": {"type": ["string", "integer"]},
        "listed": {"type": "array", "items": {"type": ["integer"]}},
        "unlisted": {"type": "array", "items": {"type": "integer"}},
        "price": {"$ref": "#/definitions/money"},
        "nested": {"type": "object", "properties": {"deep": {"type": "array", "items": {
            "type": "object", "properties": {"y": {"type": "number"}}}}}},
        "s_null": {"type": "string"},
    },
}  # fmt: skip


def test_type_transformer_casts_as_airbyte_cdk_and_keeps_nulls() -> None:
    from airbyte_dest_kit.cdk.sources.utils.transform import TransformConfig, TypeTransformer

    record = {
        "s_from_int": 5, "n_int": 3, "i": "42", "i_bad": "x", "b_str": "Yes", "b_bad": "maybe", "many": 7, "listed": 5,
        "unlisted": 5, "price": "9.99", "nested": {"deep": [{"y": "2"}, {"y": 3}]}, "s_null": None, "extra": "1",
    }  # fmt: skip
    TypeTransformer(TransformConfig.DefaultSchemaNormalization).transform(record, MONEY_SCHEMA)
    # what airbyte-cdk 6.61 makes of the same record, but "s_null", which it turns into the string "None"
    assert record == {
        "s_from_int": "5", "n_int": 3.0, "i": 42, "i_bad": "x", "b_str": True, "b_bad": "maybe", "many": 7,
        "listed": [5], "unlisted": 5, "price": 9.99, "nested": {"deep": [{"y": 2.0}, {"y": 3.0}]}, "s_null": None,
        "extra": "1",
    }  # fmt: skip
    assert isinstance(record["n_int"], float)

    custom = TypeTransformer(TransformConfig.DefaultSchemaNormalization | TransformConfig.CustomSchemaNormalization)

    @custom.registerCustomTransform
    def tagged(value: Any, schema: dict[str, Any]) -> Any:
        return f"<{value}>" if schema.get("type") == ["null", "string"] else value

    casted = {"s_from_int": 5, "i": "1"}
    custom.transform(casted, MONEY_SCHEMA)
    assert casted == {"s_from_int": "<5>", "i": 1}  # the default cast first, then the callback
    with pytest.raises(ValueError, match="CustomSchemaNormalization"):
        TypeTransformer(TransformConfig.DefaultSchemaNormalization).registerCustomTransform(tagged)


def test_a_streams_transformer_casts_the_mappings_it_yields_not_its_ready_made_messages() -> None:
    from airbyte_dest_kit.cdk.sources.utils.transform import TransformConfig, TypeTransformer

    class Casted(Batches):
        transformer = TypeTransformer(TransformConfig.DefaultSchemaNormalization)

        def get_json_schema(self) -> Mapping[str, Any]:
            return {"type": "object", "properties": {"n": {"type": "string"}}}

    class SourceCasted(SourceBatches):
        def streams(self, config: Mapping[str, Any]) -> list[Stream]:
            return [Casted()]

    records = [m.record for m in SourceCasted().read(LOGGER, {}, incremental_catalog("casted"), None) if m.record]
    # records 2 and 5 come as AirbyteMessages: airbyte-cdk sends those as they are
    assert [record.data["n"] for record in records] == ["1", 2, "3", "4", 5, "6"]
