"""airbyte-cdk's ``Destination``: ``check(logger, config)``, ``write(config, configured_catalog,
input_messages)`` and ``run(args)``, run by the kit through :class:`DestinationRuntime`: the kit's command
line does the work (config validation naming the key, secrets masked in every LOG, CONNECTION_STATUS and
TRACE ERROR, bad input lines reported with their line number, states echoed verbatim with
``destinationStats``, a non-zero exit when a command fails)."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from airbyte_dest_kit.cdk.connector import SpecFromPackage, spec_as_dict
from airbyte_dest_kit.cdk.logger import AirbyteLogger
from airbyte_dest_kit.cdk.models import AirbyteConnectionStatus, AirbyteMessage, ConfiguredAirbyteCatalog
from airbyte_dest_kit.destination.destination import Destination as KitDestination
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


class DestinationRuntime(KitDestination):
    """A kit destination whose spec, check and write are the airbyte-cdk style connector's."""

    def __init__(self, connector: Destination) -> None:
        super().__init__()
        self.connector = connector

    def spec(self) -> dict[str, Any]:
        return spec_as_dict(self.connector.spec(AirbyteLogger()))

    def check(self, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        return self.connector.check(AirbyteLogger(), config)

    def write(
        self, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog, input_messages: Iterator[AirbyteMessage]
    ) -> Iterable[AirbyteMessage | dict[str, Any]]:
        # airbyte-cdk passes these by keyword, so connectors written for it name them so.
        return self.connector.write(config=config, configured_catalog=catalog, input_messages=input_messages)
