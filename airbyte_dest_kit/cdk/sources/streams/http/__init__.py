"""``airbyte_cdk.sources.streams.http``."""

from airbyte_dest_kit.runtime.extras import require_extra

require_extra("http", ["httpx"], "airbyte_dest_kit.cdk's HttpStream")

from airbyte_dest_kit.cdk.sources.streams.http.http import HttpStream  # noqa: E402 - after the extra check

__all__ = ["HttpStream"]
