"""``airbyte_cdk.sources.streams.http.auth``: the older guides' path to the token authenticator."""

from airbyte_dest_kit.cdk.sources.streams.http.requests_native_auth.token import TokenAuthenticator

__all__ = ["TokenAuthenticator"]
