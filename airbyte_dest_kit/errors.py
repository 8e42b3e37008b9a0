"""What went wrong, and what the caller should do next.

The exception type decides the TRACE ERROR ``failure_type`` the runtime prints::

    ConnectorError                  base; carries a user-facing message and a failure_type
    ├── ConfigError                 config_error    - the user must fix the config or catalog
    ├── TransientError              transient_error - likely to succeed on retry (network, lock, timeout)
    └── SystemFailure               system_error    - a defect in the connector, the source or the platform
        ├── InputError              malformed input on stdin: names the line number
        └── WriterError             the target system refused a write (names the stream)

Any other exception escaping a command is reported as ``system_error`` with its traceback.
:func:`error_trace_message` is that TRACE ERROR; it lives here, with the standard library only, so that a
command can report why it cannot start when the kit's dependencies are not installed.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar


class ConnectorError(Exception):
    """Base of every error the kit reports on purpose."""

    failure_type: ClassVar[str] = "system_error"

    def __init__(self, message: str, *, internal_message: str | None = None, stream: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.internal_message = internal_message
        self.stream = stream


class ConfigError(ConnectorError):
    """The config or the configured catalog is wrong; retrying without changing it will fail again."""

    failure_type = "config_error"


class TransientError(ConnectorError):
    """A failure that is likely to go away on retry."""

    failure_type = "transient_error"


class SystemFailure(ConnectorError):
    """A defect: in this connector, in the source's output, or in the platform."""

    failure_type = "system_error"


class InputError(SystemFailure):
    """A line on stdin that breaks the protocol. ``line`` is 1-based."""

    def __init__(self, message: str, *, line: int, stream: str | None = None) -> None:
        super().__init__(f"line {line}: {message}", stream=stream)
        self.line = line


class WriterError(SystemFailure):
    """The target system refused a write."""


def error_trace_message(error: BaseException, stack_trace: str | None = None) -> dict[str, Any]:
    """A TRACE ERROR for any exception; a :class:`ConnectorError` supplies message and failure_type."""
    if isinstance(error, ConnectorError):
        payload: dict[str, Any] = {"message": error.message, "failure_type": error.failure_type}
        payload["internal_message"] = error.internal_message or repr(error)
    else:
        payload = {
            "message": f"Unexpected error: {type(error).__name__}: {error}",
            "internal_message": repr(error),
            "failure_type": "system_error",
        }
    if stack_trace:
        payload["stack_trace"] = stack_trace
    trace: dict[str, Any] = {"type": "ERROR", "emitted_at": time.time() * 1000.0, "error": payload}
    return {"type": "TRACE", "trace": trace}
