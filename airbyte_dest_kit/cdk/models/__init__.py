"""``airbyte_cdk.models``: the Airbyte protocol models (the kit's pydantic ones, which keep unknown keys).

The kit's own list is re-exported; any other model of ``airbyte_protocol.models`` is found on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from airbyte_dest_kit.protocol.models import *  # noqa: F403 - exactly the kit's protocol models, by their __all__
from airbyte_dest_kit.protocol.models import __all__ as __all__


def __getattr__(name: str) -> Any:
    models = importlib.import_module("airbyte_protocol.models")
    if name.startswith("_") or not hasattr(models, name):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(models, name)
