"""Authenticators: ``NoAuth``, ``ApiKeyAuthenticator``, ``BearerAuthenticator``, ``BasicHttpAuthenticator``,
``OAuthAuthenticator``, ``SelectiveAuthenticator``, ``SessionTokenAuthenticator``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from airbyte_dest_kit.errors import ConfigError
from airbyte_dest_kit.sources.auth import (
    ApiKeyHeaderAuth,
    ApiKeyQueryAuth,
    BasicAuth,
    BearerTokenAuth,
    OAuth2RefreshAuth,
)
from airbyte_dest_kit.sources.declarative.auth import (
    ApiKeyBodyAuth,
    ConfigPersistedOAuth,
    SessionTokenAuth,
    legacy_session_token,
    token_at,
)
from airbyte_dest_kit.sources.declarative.builders.base import Builder, missing
from airbyte_dest_kit.sources.declarative.interpolation import InterpolatedMapping
from airbyte_dest_kit.sources.declarative.manifest import ManifestError, Node
from airbyte_dest_kit.sources.declarative.request_options import RequestOption
from airbyte_dest_kit.sources.pagination import value_at


class AuthBuilders(Builder):
    def authenticator(self, node: Node, url_base: str = "") -> httpx.Auth | None:
        """``url_base``: the requester's, which ``LegacySessionTokenAuthenticator`` logs in at."""
        return self.one_of(
            node,
            "authenticator",
            {
                "NoAuth": self.no_auth,
                "ApiKeyAuthenticator": self.api_key_auth,
                "BearerAuthenticator": self.bearer_auth,
                "BasicHttpAuthenticator": self.basic_auth,
                "OAuthAuthenticator": self.oauth,
                "SelectiveAuthenticator": lambda n: self.selective_auth(n, url_base),
                "SessionTokenAuthenticator": self.session_token_auth,
                "LegacySessionTokenAuthenticator": lambda n: self.legacy_session_token_auth(n, url_base),
            },
        )

    def legacy_session_token_auth(self, node: Node, url_base: str) -> httpx.Auth:
        node.only(
            "header",
            "login_url",
            "session_token",
            "session_token_response_key",
            "username",
            "password",
            "validate_session_url",
        )
        header = str(self.value(node, "header") or missing(node, "header"))
        fields = {key: str(self.value(node, key, "")) for key in ("session_token", "username", "password")}
        for value in fields.values():
            if value:
                self.events.new_secret(value)
        urls = {
            key: url_base + str(self.value(node, key) or missing(node, key))
            for key in ("validate_session_url", "login_url")
        }
        token_key = str(self.value(node, "session_token_response_key") or missing(node, "session_token_response_key"))

        def fetch() -> str:
            with httpx.Client(timeout=60) as client:
                return legacy_session_token(
                    client,
                    fields["session_token"],
                    header,
                    urls["validate_session_url"],
                    urls["login_url"],
                    fields["username"],
                    fields["password"],
                    token_key,
                )

        return SessionTokenAuth(
            fetch_token=fetch,
            authenticate_with=lambda token: ApiKeyHeaderAuth(header, token),
            on_token=self.events.new_secret,
        )

    def session_token_auth(self, node: Node) -> httpx.Auth:
        node.only("login_requester", "session_token_path", "expiration_duration", "request_authentication", "decoder")
        self.json_decoder(node)
        login = self.one_of(
            node.child("login_requester") or missing(node, "login_requester"),
            "login requester",
            {"HttpRequester": self.requester},
        )
        path = node.require("session_token_path")
        if not isinstance(path, list) or not path:
            raise ManifestError(node.at("session_token_path"), "must be a non-empty list of keys")
        how = node.child("request_authentication") or missing(node, "request_authentication")
        authenticate_with = self.one_of(
            how, "session token authentication", {"ApiKey": self.session_api_key, "Bearer": self.session_bearer}
        )
        context, token_path = self.context(node), [str(key) for key in path]
        return SessionTokenAuth(
            fetch_token=lambda: token_at(login.send(login.parts(context), context), token_path, "login request's"),
            authenticate_with=authenticate_with,
            on_token=self.events.new_secret,
            expiration=self.duration(node, "expiration_duration"),
        )

    def session_api_key(self, node: Node) -> Callable[[str], httpx.Auth]:
        node.only("inject_into", "api_token")
        option = self.request_option(node.child("inject_into") or missing(node, "inject_into"))
        template = self.template(node, "api_token", default="{{ session_token }}")
        scope = self.context(node)

        def with_token(token: str) -> httpx.Auth:
            return self.api_key(option, str(template.eval({**scope, "session_token": token})))

        return with_token

    @staticmethod
    def session_bearer(node: Node) -> Callable[[str], httpx.Auth]:
        node.only()
        return BearerTokenAuth

    def selective_auth(self, node: Node, url_base: str) -> httpx.Auth | None:
        """The authenticator named by the config value at ``authenticator_selection_path`` (only that one is
        built: the others may need config keys this config does not have)."""
        node.only("authenticator_selection_path", "authenticators")
        path = node.require("authenticator_selection_path")
        choices = node.require("authenticators")
        if not isinstance(path, list) or not isinstance(choices, Mapping):
            raise ManifestError(
                node.where, "needs authenticator_selection_path (a list) and authenticators (an object)"
            )
        selected = value_at(self.config, [str(part) for part in path])
        if selected is None or str(selected) not in choices:
            raise ConfigError(
                f"config key {'.'.join(map(str, path))!r} selects the authentication method and must be one of "
                f"{', '.join(map(repr, choices))}, not {selected!r}"
            )
        key = str(selected)
        inherited = {k: v for k, v in node.parameters.items() if k != "authenticators"}
        return self.authenticator(Node.of(choices[key], f"{node.at('authenticators')}.{key}", inherited), url_base)

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
        return self.api_key(self.request_option(option_node), token)

    @staticmethod
    def api_key(option: RequestOption, token: str) -> httpx.Auth:
        if option.inject_into == "header":
            return ApiKeyHeaderAuth(option.field_path[0], token)
        if option.inject_into == "request_parameter":
            return ApiKeyQueryAuth(option.field_path[0], token)
        return ApiKeyBodyAuth(option, token)

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
            "refresh_request_headers",
            "scopes",
            "token_expiry_date",
            "token_expiry_date_format",
            "refresh_token_updater",
        )
        form = dict(
            InterpolatedMapping(
                node.get("refresh_request_body"), node.at("refresh_request_body"), node.parameters
            ).eval(self.context(node))
        )
        headers = InterpolatedMapping(
            node.get("refresh_request_headers"), node.at("refresh_request_headers"), node.parameters
        ).eval(self.context(node))
        scopes = node.get("scopes")
        if scopes:
            form["scope"] = " ".join(str(scope) for scope in scopes)
        expiry = self.value(node, "token_expiry_date")
        grant_type = str(self.value(node, "grant_type", "refresh_token"))
        fields: dict[str, Any] = {
            "client_id": self.secret(node, "client_id"),
            "client_secret": self.secret(node, "client_secret"),
            # the client-credentials grant has no refresh token (airbyte-cdk does not send one either)
            "refresh_token": self.secret(node, "refresh_token") if grant_type != "client_credentials" else None,
            "access_token_name": str(self.value(node, "access_token_name", "access_token")),
            "expires_in_name": str(self.value(node, "expires_in_name", "expires_in")),
            "grant_type": grant_type,
            "extra_form": form,
            "token_request_headers": {key: str(value) for key, value in headers.items()},
            "token_expiry_date": str(expiry) if expiry else None,
            "expiry_date_format": self.value(node, "token_expiry_date_format"),
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
