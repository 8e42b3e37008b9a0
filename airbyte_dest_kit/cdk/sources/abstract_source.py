"""airbyte-cdk's ``AbstractSource``: implement ``check_connection(logger, config) -> (ok, error)`` and
``streams(config)``; ``spec``, ``check``, ``discover`` and ``read`` take airbyte-cdk's arguments and return
what it returns, run by the kit's runtime (:mod:`airbyte_dest_kit.cdk.sources.runtime`)."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from airbyte_dest_kit.cdk.connector import SpecFromPackage
from airbyte_dest_kit.cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    ConfiguredAirbyteCatalog,
    Status,
)
from airbyte_dest_kit.cdk.sources.runtime import SourceRuntime
from airbyte_dest_kit.cdk.sources.streams.core import Stream
from airbyte_dest_kit.errors import ConnectorError


def describe(error: Any) -> str:
    """The text a FAILED check shows for the ``error`` that ``check_connection`` returned."""
    if isinstance(error, ConnectorError):
        return error.message
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"
    return str(error)


class AbstractSource(SpecFromPackage, abc.ABC):
    """A source made of streams; ``main.py`` calls ``launch(MySource(), sys.argv[1:])``."""

    @abc.abstractmethod
    def check_connection(self, logger: Any, config: Mapping[str, Any]) -> tuple[bool, Any]:
        """``(True, None)`` when ``config`` can read from the source, else ``(False, what went wrong)``."""

    @abc.abstractmethod
    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        """Every stream this source offers for ``config``."""

    @property
    def name(self) -> str:
        return type(self).__name__

    def check(self, logger: Any, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        succeeded, error = self.check_connection(logger, config)
        if not succeeded:
            return AirbyteConnectionStatus(status=Status.FAILED, message=describe(error))
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)

    def discover(self, logger: Any, config: Mapping[str, Any]) -> AirbyteCatalog:
        return SourceRuntime(self).catalog(config)

    def read(
        self,
        logger: Any,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog | Mapping[str, Any],
        state: Iterable[Any] | Mapping[str, Any] | None = None,
    ) -> Iterator[AirbyteMessage]:
        """The messages of a read of ``catalog`` from ``state`` (STATE messages, models or objects; ``None``
        or ``{}`` for none), once the read is over; raises the read's error after them if a stream failed."""
        return SourceRuntime(self).messages(config, catalog, state)
