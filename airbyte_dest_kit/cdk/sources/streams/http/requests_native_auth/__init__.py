"""``airbyte_cdk.sources.streams.http.requests_native_auth``."""

from airbyte_dest_kit.cdk.sources.streams.http.requests_native_auth.token import (
    BasicHttpAuthenticator,
    TokenAuthenticator,
)

__all__ = ["BasicHttpAuthenticator", "TokenAuthenticator"]
