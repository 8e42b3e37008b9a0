"""What streams, HTTP clients and authenticators tell the platform while a command runs.

They are built in ``Source.streams(config)``, before the command knows where its output goes, so they get
the source's :class:`SourceEvents` and report through it; the runtime binds it to the output once the
command starts. Messages and secrets reported before that are held, never lost (a rotated refresh token
must reach the platform, or the next sync cannot authenticate; a key read from the config while building
the streams must be masked from the first line on).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from airbyte_dest_kit.protocol.codec import now_ms, rate_limited_message

MessageSink = Callable[[dict[str, Any]], None]


class SourceEvents:
    def __init__(self) -> None:
        self._sink: MessageSink | None = None
        self._held: list[dict[str, Any]] = []
        self._held_secrets: list[str] = []
        self._add_secret: Callable[[str], None] = self._held_secrets.append
        self.current_stream: tuple[str, str | None] | None = None

    def bind(self, sink: MessageSink, add_secret: Callable[[str], None]) -> None:
        """Send messages to ``sink`` from now on (held ones first); report new secrets to ``add_secret``."""
        self._sink, self._add_secret = sink, add_secret
        for secret in self._held_secrets:
            add_secret(secret)
        held, self._held = self._held, []
        for message in held:
            sink(message)

    @contextmanager
    def routed_to(self, sink: MessageSink) -> Iterator[None]:
        """Send messages to ``sink`` for a while (a concurrent read routes workers' messages to its writer)."""
        saved, self._sink = self._sink, sink
        try:
            yield
        finally:
            self._sink = saved

    def _emit(self, message: dict[str, Any]) -> None:
        if self._sink is None:
            self._held.append(message)
        else:
            self._sink(message)

    def message(self, message: dict[str, Any]) -> None:
        """A message the stream being read sends itself (an estimate TRACE, say), in order with its records."""
        self._emit(message)

    def rate_limited(self, wait_seconds: float) -> None:
        """The stream being read waits ``wait_seconds`` for its API quota: STREAM_STATUS RUNNING, RATE_LIMITED."""
        if self.current_stream is None:
            return
        self._emit(rate_limited_message(*self.current_stream, wait_seconds))

    def config_updated(self, config: Mapping[str, Any]) -> None:
        """Ask the platform to store ``config`` (the full config) instead of the one this run started with."""
        # A deep copy: the caller keeps mutating its config, and a held message must keep this version.
        snapshot = copy.deepcopy(dict(config))
        control = {"type": "CONNECTOR_CONFIG", "emitted_at": now_ms(), "connectorConfig": {"config": snapshot}}
        self._emit({"type": "CONTROL", "control": control})

    def new_secret(self, secret: str) -> None:
        """A secret obtained during the run (e.g. a fresh access token) is masked like configured ones."""
        if secret:
            self._add_secret(secret)
