"""What went wrong, and what the caller should do next.

The exception type decides the TRACE ERROR ``failure_type`` the runtime prints::

    ConnectorError                  base; carries a user-facing message and a failure_type
    ├── ConfigError                 config_error    - the user must fix the config or catalog
    ├── TransientError              transient_error - likely to succeed on retry (network, lock, timeout)
    └── SystemFailure               system_error    - a defect in the connector, the source or the platform
        ├── InputError              malformed input on stdin: names the line number
        └── WriterError             the target system refused a write (names the stream)

Any other exception escaping a command is reported as ``system_error`` with its traceback.
"""

from __future__ import annotations

from typing import ClassVar


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
