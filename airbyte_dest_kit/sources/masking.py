"""Keeping ``airbyte_secret`` values out of everything a source prints about itself (logs, errors)."""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from typing import Any

from airbyte_dest_kit.errors import ConfigError, ConnectorError, SystemFailure, TransientError
from airbyte_dest_kit.protocol.codec import error_trace_message, stream_descriptor

MASK = "****"

_ERROR_BY_FAILURE_TYPE: dict[str, type[ConnectorError]] = {
    "config_error": ConfigError,
    "transient_error": TransientError,
    "system_error": SystemFailure,
}


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    # Longest first, so a secret that contains another is masked whole.
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def masked_error(error: BaseException, secrets: Iterable[str]) -> ConnectorError:
    """A :class:`ConnectorError` of the same failure type whose messages hold no secret.

    The original traceback goes into ``internal_message`` (masked), because the caller re-raises this error
    ``from None`` so that the unmasked original is not printed.
    """
    secrets = list(secrets)
    if isinstance(error, ConnectorError):
        message, failure_type, stream = error.message, error.failure_type, error.stream
    else:
        message, failure_type, stream = f"Unexpected error: {type(error).__name__}: {error}", "system_error", None
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return error_of_type(
        failure_type, mask_secrets(message, secrets), internal_message=mask_secrets(details, secrets), stream=stream
    )


def error_of_type(
    failure_type: str, message: str, *, internal_message: str | None = None, stream: str | None = None
) -> ConnectorError:
    """The :class:`ConnectorError` subclass that reports ``failure_type``."""
    return _ERROR_BY_FAILURE_TYPE[failure_type](message, internal_message=internal_message, stream=stream)


def masked_error_trace(
    error: BaseException, secrets: Iterable[str], stream: tuple[str, str | None] | None
) -> dict[str, Any]:
    """A TRACE ERROR for ``error`` with every secret masked, naming ``(name, namespace)`` when given."""
    secrets = list(secrets)
    message = error_trace_message(error, "".join(traceback.format_exception(type(error), error, error.__traceback__)))
    payload = message["trace"]["error"]
    for key in ("message", "internal_message", "stack_trace"):
        if key in payload:
            payload[key] = mask_secrets(payload[key], secrets)
    if stream is not None:
        payload["stream_descriptor"] = stream_descriptor(*stream)
    return message
