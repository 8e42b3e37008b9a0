"""``airbyte_cdk.destinations``."""

from airbyte_dest_kit.cdk.destinations.destination import Destination

__all__ = ["Destination"]
