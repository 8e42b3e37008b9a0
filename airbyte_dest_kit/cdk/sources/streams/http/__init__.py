"""``airbyte_cdk.sources.streams.http``."""

from airbyte_dest_kit.cdk.sources.streams.http.http import HttpStream

__all__ = ["HttpStream"]
