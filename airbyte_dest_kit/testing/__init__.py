"""What we ship for connector authors to test with: the acceptance suite, the harness, builders, HTTP doubles.

The names authors need are here, so a connector's tests import from one short path::

    from airbyte_dest_kit.testing import DestinationAcceptance, DestinationRunner, Target, run_connector, MockApi

:class:`MockApi` needs respx (``pip install 'airbyte_dest_kit[testing]'``); it is imported when first used, and
so is :class:`LocalShopApi` (``python -m airbyte_dest_kit.testing.http_api`` then runs its module once, not twice).
"""

from typing import Any

from airbyte_dest_kit.testing.acceptance import (
    CommandRunner,
    DestinationAcceptance,
    DestinationRunner,
    Target,
    WriterRunner,
)
from airbyte_dest_kit.testing.harness import Run, run_connector

__all__ = [
    "CommandRunner",
    "DestinationAcceptance",
    "DestinationRunner",
    "LocalShopApi",
    "MockApi",
    "Run",
    "Target",
    "WriterRunner",
    "run_connector",
]


def __getattr__(name: str) -> Any:
    if name == "LocalShopApi":
        from airbyte_dest_kit.testing.http_api import LocalShopApi

        return LocalShopApi
    if name == "MockApi":  # respx is a test dependency: only its users need it
        try:
            from airbyte_dest_kit.testing.http_mock import MockApi
        except ImportError as exc:
            raise ImportError(f"MockApi needs respx: pip install 'airbyte_dest_kit[testing]' ({exc})") from exc
        return MockApi
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
