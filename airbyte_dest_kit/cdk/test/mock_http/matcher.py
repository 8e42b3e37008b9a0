"""``airbyte_cdk.test.mock_http.matcher``: a mocked request and how often it was answered."""

from __future__ import annotations

from airbyte_dest_kit.cdk.test.mock_http.request import HttpRequest


class HttpRequestMatcher:
    def __init__(self, request: HttpRequest, minimum_number_of_expected_match: int) -> None:
        self._request_to_match = request
        self._minimum_number_of_expected_match = minimum_number_of_expected_match
        self._actual_number_of_matches = 0

    def matches(self, request: HttpRequest) -> bool:
        hit = request.matches(self._request_to_match)
        if hit:
            self._actual_number_of_matches += 1
        return hit

    def has_expected_match_count(self) -> bool:
        return self._actual_number_of_matches >= self._minimum_number_of_expected_match

    @property
    def actual_number_of_matches(self) -> int:
        return self._actual_number_of_matches

    @property
    def request(self) -> HttpRequest:
        return self._request_to_match

    def __str__(self) -> str:
        return (
            f"HttpRequestMatcher(request_to_match={self._request_to_match}, minimum_number_of_expected_match="
            f"{self._minimum_number_of_expected_match}, actual_number_of_matches={self._actual_number_of_matches})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HttpRequestMatcher) and self._request_to_match == other._request_to_match

    __hash__ = None  # type: ignore[assignment]  # compared by its request
