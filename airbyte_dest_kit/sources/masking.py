"""Per-stream error traces (secrets masked) and errors rebuilt from a failure type."""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from typing import Any

from airbyte_dest_kit.errors import ConfigError, ConnectorError, SystemFailure, TransientError, error_trace_message
from airbyte_dest_kit.protocol.codec import stream_descriptor
from airbyte_dest_kit.runtime.secrets import mask_trace

_ERROR_BY_FAILURE_TYPE: dict[str, type[ConnectorError]] = {
    "config_error": ConfigError,
    "transient_error": TransientError,
    "system_error": SystemFailure,
}


def error_of_type(
    failure_type: str, message: str, *, internal_message: str | None = None, stream: str | None = None
) -> ConnectorError:
    """The :class:`ConnectorError` subclass that reports ``failure_type``."""
    return _ERROR_BY_FAILURE_TYPE[failure_type](message, internal_message=internal_message, stream=stream)


def masked_error_trace(
    error: BaseException, secrets: Iterable[str], stream: tuple[str, str | None] | None
) -> dict[str, Any]:
    """A TRACE ERROR for ``error`` with every secret masked, naming ``(name, namespace)`` when given."""
    stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    message = mask_trace(error_trace_message(error, stack), secrets)
    if stream is not None:
        message["trace"]["error"]["stream_descriptor"] = stream_descriptor(*stream)
    return message
