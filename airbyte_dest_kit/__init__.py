"""airbyte_dest_kit: build and run Airbyte-protocol destinations (and sources) in Python.

The names below load lazily, so ``import airbyte_dest_kit.protocol`` stays free of DuckDB and Arrow.
Sources live in :mod:`airbyte_dest_kit.sources`, writers in :mod:`airbyte_dest_kit.writers`.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "launch": "airbyte_dest_kit.runtime.entrypoint",
    "execute": "airbyte_dest_kit.runtime.entrypoint",
    "Destination": "airbyte_dest_kit.destination.destination",
    "WriterDestination": "airbyte_dest_kit.destination.writer_destination",
    "Pipeline": "airbyte_dest_kit.destination.pipeline.runner",
    "FlushPolicy": "airbyte_dest_kit.destination.pipeline.flush",
    "Writer": "airbyte_dest_kit.destination.writer",
    "StoreWriter": "airbyte_dest_kit.store.modes",
    "Capabilities": "airbyte_dest_kit.destination.writer",
    "StreamSpec": "airbyte_dest_kit.streams.spec",
    "Column": "airbyte_dest_kit.streams.spec",
    "ColumnType": "airbyte_dest_kit.streams.schema",
    "ConnectorError": "airbyte_dest_kit.errors",
    "ConfigError": "airbyte_dest_kit.errors",
    "TransientError": "airbyte_dest_kit.errors",
    "SystemFailure": "airbyte_dest_kit.errors",
    "InputError": "airbyte_dest_kit.errors",
    "WriterError": "airbyte_dest_kit.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'airbyte_dest_kit' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
