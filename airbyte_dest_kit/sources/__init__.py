"""Source-side CDK on the shared message layer: ``Source``, ``Stream``, incremental state, HTTP streams.

The HTTP names (``HttpClient``, ``HttpStream``, the authenticators and paginators) are imported on first
use, so a source that does not talk HTTP never imports httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from airbyte_dest_kit.runtime.entrypoint import execute, launch
from airbyte_dest_kit.sources.events import SourceEvents
from airbyte_dest_kit.sources.source import Source
from airbyte_dest_kit.sources.state import SavedState, parse_state
from airbyte_dest_kit.sources.stream import IncrementalStream, Record, Stream, StreamSlice

if TYPE_CHECKING:
    from airbyte_dest_kit.sources.auth import (
        ApiKeyHeaderAuth,
        ApiKeyQueryAuth,
        BasicAuth,
        BearerTokenAuth,
        OAuth2RefreshAuth,
        OAuth2RefreshTokenAuth,
    )
    from airbyte_dest_kit.sources.http import HttpClient, HttpStream, RetryPolicy
    from airbyte_dest_kit.sources.pagination import (
        CursorPagination,
        NextLinkPagination,
        NoPagination,
        OffsetPagination,
        PageNumberPagination,
        PageRequest,
        Paginator,
    )

_LAZY = {
    "ApiKeyHeaderAuth": "auth",
    "ApiKeyQueryAuth": "auth",
    "OAuth2RefreshAuth": "auth",
    "BasicAuth": "auth",
    "BearerTokenAuth": "auth",
    "OAuth2RefreshTokenAuth": "auth",
    "HttpClient": "http",
    "HttpStream": "http",
    "RetryPolicy": "http",
    "CursorPagination": "pagination",
    "NextLinkPagination": "pagination",
    "NoPagination": "pagination",
    "PageRequest": "pagination",
    "OffsetPagination": "pagination",
    "PageNumberPagination": "pagination",
    "Paginator": "pagination",
}

__all__ = [
    "IncrementalStream",
    "Record",
    "SavedState",
    "Source",
    "SourceEvents",
    "Stream",
    "StreamSlice",
    "execute",
    "launch",
    "parse_state",
    # imported on first use, see _LAZY
    "ApiKeyHeaderAuth",
    "ApiKeyQueryAuth",
    "OAuth2RefreshAuth",
    "BasicAuth",
    "BearerTokenAuth",
    "CursorPagination",
    "HttpClient",
    "HttpStream",
    "NextLinkPagination",
    "NoPagination",
    "OAuth2RefreshTokenAuth",
    "OffsetPagination",
    "PageNumberPagination",
    "PageRequest",
    "Paginator",
    "RetryPolicy",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
