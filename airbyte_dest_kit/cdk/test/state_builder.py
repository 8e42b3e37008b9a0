"""``airbyte_cdk.test.state_builder``: the per-stream STATE messages a read resumes from."""

from __future__ import annotations

from typing import Any

from airbyte_dest_kit.cdk.models import AirbyteStateMessage, AirbyteStateType, StreamDescriptor
from airbyte_dest_kit.cdk.models.airbyte_protocol import AirbyteStateBlob, AirbyteStreamState


class StateBuilder:
    def __init__(self) -> None:
        self._state: list[AirbyteStateMessage] = []

    def with_stream_state(self, stream_name: str, state: Any) -> StateBuilder:
        blob = state if isinstance(state, AirbyteStateBlob) else AirbyteStateBlob(state)
        stream = AirbyteStreamState(stream_descriptor=StreamDescriptor(name=stream_name), stream_state=blob)
        self._state.append(AirbyteStateMessage(type=AirbyteStateType.STREAM, stream=stream))
        return self

    def build(self) -> list[AirbyteStateMessage]:
        return self._state
