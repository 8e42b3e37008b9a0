"""What we ship for connector authors to test with: the acceptance suite, the harness, builders, HTTP doubles.

The names authors need are here, so a connector's tests import from one short path::

    from airbyte_dest_kit.testing import DestinationAcceptance, DestinationRunner, Target, run_connector, MockApi

- :func:`run_connector` runs a connector in-process and gives a :class:`Run` (exit code, parsed output,
  ``assert_ok()``, ``assert_failed()``, ``status()``); a :class:`CommandRunner` runs a command line the same way.
- :class:`LiveWrite` is a ``write`` process fed as the test goes, for states echoed mid-sync and kill -9.
- :mod:`airbyte_dest_kit.testing.builders` builds catalogs and messages (``configured_stream``, ``record``,
  ``stream_state``, ``echoed``, ``stdin_lines``, …).

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
from airbyte_dest_kit.testing.live import LiveWrite

__all__ = [
    "CommandRunner",
    "DestinationAcceptance",
    "DestinationRunner",
    "LiveWrite",
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
