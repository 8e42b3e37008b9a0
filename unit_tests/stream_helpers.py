"""Stream specs and raw record lines from Python values, for unit tests of the typer, the plan and winner rule."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from airbyte_dest_kit.destination.plan import build_stream_specs
from airbyte_dest_kit.destination.writer import Capabilities
from airbyte_dest_kit.protocol.models import ConfiguredAirbyteStream
from airbyte_dest_kit.streams.spec import StreamSpec
from airbyte_dest_kit.testing.builders import configured_stream


def spec_for(name: str, properties: dict[str, Any], **options: Any) -> StreamSpec:
    configured = ConfiguredAirbyteStream.model_validate(configured_stream(name, properties, **options))
    return build_stream_specs([configured], "main", Capabilities())[0]


def lines_of(messages: list[dict[str, Any] | str], first_line: int = 1) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    # stdlib json: it writes integers beyond 64 bits, which orjson refuses
    texts = [m if isinstance(m, str) else json.dumps(m, separators=(",", ":")) for m in messages]
    numbers = list(range(first_line, first_line + len(texts)))
    return pa.chunked_array([pa.array(texts, pa.large_string())]), pa.chunked_array([pa.array(numbers, pa.int64())])
