"""airbyte-cdk's ``Destination``: ``check(logger, config)``, ``write(config, configured_catalog,
input_messages)`` and ``run(args)``, run by the kit (see :class:`DestinationRuntime`)."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from typing import Any

from airbyte_dest_kit.cdk.connector import SpecFromPackage
from airbyte_dest_kit.cdk.models import AirbyteConnectionStatus, AirbyteMessage, ConfiguredAirbyteCatalog
from airbyte_dest_kit.cdk.runtime import DestinationRuntime
from airbyte_dest_kit.runtime.entrypoint import launch


class Destination(SpecFromPackage, abc.ABC):
    """Implement :meth:`check` and :meth:`write`; ``main.py`` calls ``MyDestination().run(sys.argv[1:])``."""

    @abc.abstractmethod
    def check(self, logger: Any, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """Whether ``config`` can write to the destination; a FAILED status (or an exception) fails the check."""

    @abc.abstractmethod
    def write(
        self,
        config: Mapping[str, Any],
        configured_catalog: ConfiguredAirbyteCatalog,
        input_messages: Iterable[AirbyteMessage],
    ) -> Iterable[AirbyteMessage]:
        """Write the records and yield each STATE once everything before it is committed."""

    def run(self, args: list[str]) -> None:
        """Run one command (``spec``, ``check``, ``write``); exits non-zero when it fails."""
        launch(DestinationRuntime(self), args)
