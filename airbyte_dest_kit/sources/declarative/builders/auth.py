"""Authenticators: ``NoAuth``, ``ApiKeyAuthenticator``, ``BearerAuthenticator``, ``BasicHttpAuthenticator``,
``OAuthAuthenticator``."""

from __future__ import annotations

from typing import Any

import httpx

from airbyte_dest_kit.sources.auth import (
    ApiKeyHeaderAuth,
    ApiKeyQueryAuth,
    BasicAuth,
    BearerTokenAuth,
    OAuth2RefreshAuth,
)
from airbyte_dest_kit.sources.declarative.auth import ConfigPersistedOAuth
from airbyte_dest_kit.sources.declarative.builders.base import Builder, missing
from airbyte_dest_kit.sources.declarative.interpolation import InterpolatedMapping
from airbyte_dest_kit.sources.declarative.manifest import ManifestError, Node


class AuthBuilders(Builder):
    def authenticator(self, node: Node) -> httpx.Auth | None:
        return self.one_of(
            node,
            "authenticator",
            {
                "NoAuth": self.no_auth,
                "ApiKeyAuthenticator": self.api_key_auth,
                "BearerAuthenticator": self.bearer_auth,
                "BasicHttpAuthenticator": self.basic_auth,
                "OAuthAuthenticator": self.oauth,
            },
        )

    @staticmethod
    def no_auth(node: Node) -> None:
        node.only()

    def secret(self, node: Node, key: str, default: Any = None) -> str:
        """A credential from the config: masked in every line from now on."""
        value = self.value(node, key, default)
        if value is None:
            raise ManifestError(node.at(key), f"{node.type} needs {key!r} (usually from the config)")
        text = str(value)
        self.events.new_secret(text)
        return text

    def api_key_auth(self, node: Node) -> httpx.Auth:
        node.only("api_token", "header", "inject_into")
        token = self.secret(node, "api_token")
        option_node = node.child("inject_into")
        if option_node is None:
            return ApiKeyHeaderAuth(str(self.value(node, "header") or missing(node, "header")), token)
        option = self.request_option(option_node)
        if option.inject_into == "header":
            return ApiKeyHeaderAuth(option.field_path[0], token)
        if option.inject_into == "request_parameter":
            return ApiKeyQueryAuth(option.field_path[0], token)
        raise ManifestError(option_node.where, "an API key goes in a header or a request_parameter")

    def bearer_auth(self, node: Node) -> httpx.Auth:
        node.only("api_token")
        return BearerTokenAuth(self.secret(node, "api_token"))

    def basic_auth(self, node: Node) -> httpx.Auth:
        node.only("username", "password")
        return BasicAuth(self.secret(node, "username"), self.secret(node, "password", default=""))

    def oauth(self, node: Node) -> httpx.Auth:
        node.only(
            "token_refresh_endpoint",
            "client_id",
            "client_secret",
            "refresh_token",
            "access_token_name",
            "expires_in_name",
            "grant_type",
            "refresh_request_body",
            "scopes",
            "token_expiry_date",
            "refresh_token_updater",
        )
        form = dict(
            InterpolatedMapping(
                node.get("refresh_request_body"), node.at("refresh_request_body"), node.parameters
            ).eval(self.context(node))
        )
        scopes = node.get("scopes")
        if scopes:
            form["scope"] = " ".join(str(scope) for scope in scopes)
        expiry = self.value(node, "token_expiry_date")
        fields: dict[str, Any] = {
            "client_id": self.secret(node, "client_id"),
            "client_secret": self.secret(node, "client_secret"),
            "refresh_token": self.secret(node, "refresh_token"),
            "access_token_name": str(self.value(node, "access_token_name", "access_token")),
            "expires_in_name": str(self.value(node, "expires_in_name", "expires_in")),
            "grant_type": str(self.value(node, "grant_type", "refresh_token")),
            "extra_form": form,
            "token_expiry_date": str(expiry) if expiry else None,
        }
        token_url = str(self.value(node, "token_refresh_endpoint") or missing(node, "token_refresh_endpoint"))
        updater = node.get("refresh_token_updater")
        if updater is None:
            return OAuth2RefreshAuth(token_url, self.events, **fields)
        updater_node = Node(updater, node.at("refresh_token_updater"))
        updater_node.only(
            "refresh_token_name",
            "access_token_config_path",
            "refresh_token_config_path",
            "token_expiry_date_config_path",
        )
        paths = {
            name: [str(part) for part in updater.get(f"{name}_config_path", ["credentials", name])]
            for name in ("access_token", "refresh_token", "token_expiry_date")
        }
        return ConfigPersistedOAuth(self.config, paths, token_url, self.events, **fields)
