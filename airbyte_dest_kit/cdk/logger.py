"""``AirbyteLogger``: the logger older airbyte-cdk guides pass around, as an adapter over ``logging``.

It logs to the ``airbyte`` logger, which the kit's runtime prints as LOG messages with secrets masked, and
answers both the old calls (``logger.warn``, ``logger.fatal``, ``logger.trace``, ``logger.log("INFO", text)``)
and the standard ``logging.Logger`` ones that newer guides use.
"""

from __future__ import annotations

import logging
from typing import Any

_LEVELS = {
    "FATAL": logging.CRITICAL,
    "ERROR": logging.ERROR,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "INFO": logging.INFO,
    "DEBUG": logging.DEBUG,
    "TRACE": logging.DEBUG,
}


class AirbyteLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    def __init__(self, name: str = "airbyte") -> None:
        super().__init__(logging.getLogger(name), {})

    def log(self, level: int | str, msg: object, *args: Any, **kwargs: Any) -> None:
        """``level`` is a ``logging`` level or an Airbyte level name (``"INFO"``, ``"WARN"``, …)."""
        number = _LEVELS.get(level.upper(), logging.INFO) if isinstance(level, str) else level
        super().log(number, msg, *args, **kwargs)

    def warn(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self.warning(msg, *args, **kwargs)

    def fatal(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self.critical(msg, *args, **kwargs)

    def trace(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self.debug(msg, *args, **kwargs)
