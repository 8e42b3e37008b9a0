"""``HttpRequester`` and ``SimpleRetriever``: the requests of one slice, page after page, to records.

The request of a page is the requester's own parts (``request_parameters``, ``request_headers``,
``request_body_json`` / ``request_body_data``, rendered with ``stream_slice``, ``stream_state`` and
``next_page_token``), then the partition's and the date window's request options (left out of the pages
after the first with ``ignore_stream_slicer_parameters_on_paginated_requests``), then the paginator's; a
key set twice keeps the later value. Requests go through the kit's
:class:`~airbyte_dest_kit.sources.http.HttpClient` (pooling, retries, rate-limit reports, errors naming
the stream and the URL without its query).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from airbyte_dest_kit.runtime.http import ErrorPolicy
from airbyte_dest_kit.sources.declarative.error_handler import response_body
from airbyte_dest_kit.sources.declarative.interpolation import Interpolated, InterpolatedMapping
from airbyte_dest_kit.sources.declarative.paginators import Page, Paginator
from airbyte_dest_kit.sources.declarative.partitions import PartitionRouter
from airbyte_dest_kit.sources.declarative.records import RecordSelector
from airbyte_dest_kit.sources.declarative.request_options import RequestParts
from airbyte_dest_kit.sources.http import HttpClient

Context = Mapping[str, Any]


@dataclass(frozen=True)
class HttpRequester:
    client: HttpClient
    path: Interpolated
    http_method: str
    request_parameters: InterpolatedMapping
    request_headers: InterpolatedMapping
    request_body_json: InterpolatedMapping
    request_body_data: InterpolatedMapping
    error_handler: ErrorPolicy

    def parts(self, context: Context) -> RequestParts:
        return RequestParts(
            params=self.request_parameters.eval(context),
            headers={key: str(value) for key, value in self.request_headers.eval(context).items()},
            json=self.request_body_json.eval(context),
            data=self.request_body_data.eval(context),
        )

    def send(self, parts: RequestParts, context: Context) -> Any:
        path = parts.path if parts.path is not None else str(self.path.eval(context) or "")
        return self.client.send(
            self.http_method,
            path,
            params=parts.params or None,
            json=parts.json or None,
            data=parts.data or None,
            headers=parts.headers or None,
            policy=self.error_handler,
        )


@dataclass(frozen=True)
class SimpleRetriever:
    requester: HttpRequester
    record_selector: RecordSelector
    paginator: Paginator
    partition_router: PartitionRouter
    ignore_slicer_on_later_pages: bool

    def read(
        self,
        partition: Mapping[str, Any],
        window_parts: RequestParts,
        context: Context,
        stop_after: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The records of one slice; ``context`` holds ``config``, ``parameters``, ``stream_slice`` and
        ``stream_state``. No page is asked for after one whose last record meets ``stop_after``."""
        token = self.paginator.initial_token()
        first = True
        while True:
            scope = {**context, "next_page_token": {"next_page_token": token} if token is not None else None}
            parts = self.requester.parts(scope)
            if first or not self.ignore_slicer_on_later_pages:
                parts.update(self.partition_router.request_parts(partition))
                parts.update(window_parts)
            parts.update(self.paginator.request_parts(token))
            response = self.requester.send(parts, scope)
            if response is None:  # the error handler said IGNORE: no records, no further pages
                return
            body = response_body(response)
            extracted = self.record_selector.extractor.extract(body, scope)
            last_record = None
            for record in self.record_selector.select(extracted, scope):
                last_record = record
                yield record
            if stop_after is not None and last_record is not None and stop_after(last_record):
                return
            page = Page(response, body, len(extracted), last_record)
            token = self.paginator.next_token(page, token, scope)
            if token is None:
                return
            first = False
