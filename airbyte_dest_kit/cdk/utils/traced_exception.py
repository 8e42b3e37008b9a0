"""airbyte-cdk's ``AirbyteTracedException``: an error with a user-facing message and a failure type, which
the kit's runtime reports as a TRACE ERROR (secrets masked) like its own :class:`ConnectorError`."""

from __future__ import annotations

from airbyte_dest_kit.cdk.models import FailureType
from airbyte_dest_kit.errors import ConnectorError


class AirbyteTracedException(ConnectorError):
    def __init__(
        self,
        internal_message: str | None = None,
        message: str | None = None,
        failure_type: FailureType = FailureType.system_error,
        exception: BaseException | None = None,
    ) -> None:
        text = message or internal_message or (str(exception) if exception else "") or "an error occurred"
        super().__init__(text, internal_message=internal_message)
        self._failure_type: str = FailureType(failure_type).value
        self._exception = exception

    @property  # the kit's errors carry it on the class; airbyte-cdk's take it per instance
    def failure_type(self) -> str:  # type: ignore[override]
        return self._failure_type

    @classmethod
    def from_exception(cls, exc: BaseException, message: str | None = None) -> AirbyteTracedException:
        return cls(internal_message=str(exc), message=message, exception=exc)
