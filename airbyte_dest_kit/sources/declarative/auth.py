"""Manifest authenticators on the kit's ``httpx.Auth`` flows (:mod:`airbyte_dest_kit.sources.auth`).

``OAuthAuthenticator`` refreshes its access token with the refresh-token grant. With a
``refresh_token_updater`` (for APIs whose refresh tokens are single-use) the new tokens are written into
the config at ``refresh_token_config_path`` / ``access_token_config_path`` /
``token_expiry_date_config_path`` and the updated config goes out as a CONTROL message, as Airbyte does;
without one they live for the run.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from airbyte_dest_kit.sources.auth import OAuth2RefreshAuth
from airbyte_dest_kit.sources.events import SourceEvents


class ConfigPersistedOAuth(OAuth2RefreshAuth):
    def __init__(
        self,
        config: Mapping[str, Any],
        paths: Mapping[str, Sequence[str]],
        token_url: str,
        events: SourceEvents,
        **fields: Any,
    ) -> None:
        super().__init__(token_url, events, **fields)
        self.config = copy.deepcopy(dict(config))
        self.paths = paths  # "access_token" / "refresh_token" / "token_expiry_date" -> config path

    def persist(self, rotated_refresh_token: bool) -> None:
        values = {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_expiry_date": self.token_expiry_date,
        }
        for name, path in self.paths.items():
            target = self.config
            for key in path[:-1]:
                target = target.setdefault(key, {})
            target[path[-1]] = values[name]
        self.events.config_updated(self.config)
