"""``airbyte_cdk.test.mock_http.mocker``: :class:`HttpMocker`, a context manager or a test decorator (which
passes it as the ``http_mocker`` argument) that answers httpx requests from the mocks registered on it.

Each mock answers with its responses in turn, then repeats the last; when several match a request, the one
registered last answers (as airbyte-cdk's, which is built on requests_mock). On leaving a decorated test,
a mock answered fewer times than it has responses fails the test.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import httpx
import respx

from airbyte_dest_kit.cdk.test.mock_http.matcher import HttpRequestMatcher
from airbyte_dest_kit.cdk.test.mock_http.request import HttpRequest
from airbyte_dest_kit.cdk.test.mock_http.response import HttpResponse

Test = TypeVar("Test", bound=Callable[..., Any])
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class HttpMocker:
    def __init__(self) -> None:
        self._router = respx.mock(assert_all_called=False, assert_all_mocked=True)
        self._mocks: dict[str, list[tuple[HttpRequestMatcher, list[HttpResponse]]]] = {method: [] for method in METHODS}

    def __enter__(self) -> HttpMocker:
        self._router.__enter__()
        self._router.route().mock(side_effect=self._answer)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._router.__exit__(exc_type, exc, traceback)

    def get(self, request: HttpRequest, responses: HttpResponse | list[HttpResponse]) -> None:
        self._mock("GET", request, responses)

    def post(self, request: HttpRequest, responses: HttpResponse | list[HttpResponse]) -> None:
        self._mock("POST", request, responses)

    def put(self, request: HttpRequest, responses: HttpResponse | list[HttpResponse]) -> None:
        self._mock("PUT", request, responses)

    def patch(self, request: HttpRequest, responses: HttpResponse | list[HttpResponse]) -> None:
        self._mock("PATCH", request, responses)

    def delete(self, request: HttpRequest, responses: HttpResponse | list[HttpResponse]) -> None:
        self._mock("DELETE", request, responses)

    def _mock(self, method: str, request: HttpRequest, responses: HttpResponse | list[HttpResponse]) -> None:
        answers = [responses] if isinstance(responses, HttpResponse) else list(responses)
        matcher = HttpRequestMatcher(request, len(answers))
        if any(matcher == known for known, _ in self._mocks[method]):
            raise ValueError(f"Request {request} already mocked")
        self._mocks[method].append((matcher, answers))

    def _answer(self, sent: httpx.Request) -> httpx.Response:
        request = HttpRequest(str(sent.url), headers=dict(sent.headers), body=sent.content)
        for matcher, answers in reversed(self._mocks.get(sent.method, [])):
            if matcher.matches(request):
                answer = answers[min(matcher.actual_number_of_matches, len(answers)) - 1]
                body = answer.body.encode() if isinstance(answer.body, str) else answer.body
                return httpx.Response(answer.status_code, headers=dict(answer.headers), content=body)
        mocked = "\n\t".join(str(matcher.request) for matcher in self._matchers())
        raise ValueError(f"No matcher matches {sent.method} {request}. Matchers currently configured are:\n\t{mocked}.")

    def _matchers(self) -> list[HttpRequestMatcher]:
        return [matcher for mocks in self._mocks.values() for matcher, _ in mocks]

    def assert_number_of_calls(self, request: HttpRequest, number_of_calls: int) -> None:
        matching = [matcher for matcher in self._matchers() if matcher.request is request]
        if len(matching) != 1:
            raise ValueError(f"Was expecting only one matcher to match the request but got `{matching}`")
        assert matching[0].actual_number_of_matches == number_of_calls

    def clear_all_matchers(self) -> None:
        self._mocks = {method: [] for method in METHODS}

    def __call__(self, test: Test) -> Test:
        @functools.wraps(test)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                kwargs["http_mocker"] = self
                try:
                    result = test(*args, **kwargs)
                finally:
                    unanswered = [str(mock) for mock in self._matchers() if not mock.has_expected_match_count()]
                if unanswered:
                    raise ValueError(f"Invalid number of matches for `{unanswered[0]}`")
                return result

        return wrapper  # type: ignore[return-value]
