"""Optional dependencies: when one is missing, say which ``pip install`` line brings it."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable

from airbyte_dest_kit.errors import ConfigError


def missing_extra(extra: str, modules: Iterable[str], needed_by: str) -> ConfigError | None:
    """The error telling the user to install ``extra``, or ``None`` when all ``modules`` are installed."""
    missing = [module for module in modules if importlib.util.find_spec(module) is None]
    if not missing:
        return None
    return ConfigError(
        f"{needed_by} needs the '{extra}' extra ({', '.join(missing)} not installed): "
        f"pip install 'airbyte_dest_kit[{extra}]'"
    )


def require_extra(extra: str, modules: Iterable[str], needed_by: str) -> None:
    """Raise the :func:`missing_extra` error, if there is one."""
    error = missing_extra(extra, modules, needed_by)
    if error is not None:
        raise error
