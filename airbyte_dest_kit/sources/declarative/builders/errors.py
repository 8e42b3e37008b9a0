"""``DefaultErrorHandler`` (its response filters and backoff strategies) and ``CompositeErrorHandler``."""

from __future__ import annotations

import re

from airbyte_dest_kit.runtime.http import ErrorPolicy
from airbyte_dest_kit.sources.declarative import error_handler as errors
from airbyte_dest_kit.sources.declarative.builders.base import Builder, missing
from airbyte_dest_kit.sources.declarative.manifest import ManifestError, Node


class ErrorHandlerBuilders(Builder):
    def any_error_handler(self, node: Node) -> ErrorPolicy:
        return self.one_of(
            node,
            "error handler",
            {"DefaultErrorHandler": self.error_handler, "CompositeErrorHandler": self.composite_error_handler},
        )

    def composite_error_handler(self, node: Node) -> errors.CompositeErrorHandler:
        node.only("error_handlers")
        handlers = [self.any_error_handler(child) for child in node.children("error_handlers")]
        if not handlers:
            raise ManifestError(node.at("error_handlers"), "needs at least one error handler")
        return errors.CompositeErrorHandler(handlers)

    def error_handler(self, node: Node) -> errors.DefaultErrorHandler:
        node.only("response_filters", "backoff_strategies", "max_retries")
        response_filters = [
            self.one_of(child, "response filter", {"HttpResponseFilter": self.response_filter})
            for child in node.children("response_filters")
        ]
        strategies = [
            self.one_of(
                child,
                "backoff strategy",
                {
                    "ConstantBackoffStrategy": self.constant_backoff,
                    "ExponentialBackoffStrategy": self.exponential_backoff,
                    "WaitTimeFromHeader": self.wait_time_from_header,
                    "WaitUntilTimeFromHeader": self.wait_until_time_from_header,
                },
            )
            for child in node.children("backoff_strategies")
        ]
        return errors.DefaultErrorHandler(
            response_filters, strategies, int(self.value(node, "max_retries", 5)), self.context(node)
        )

    def response_filter(self, node: Node) -> errors.HttpResponseFilter:
        node.only("action", "failure_type", "http_codes", "error_message_contains", "predicate", "error_message")
        action_name = node.get("action")
        if action_name is not None and action_name not in errors.ACTIONS:
            raise ManifestError(node.at("action"), f"must be one of {', '.join(errors.ACTIONS)}, not {action_name!r}")
        failure_name = node.get("failure_type")
        if failure_name is not None and failure_name not in errors.FAILURE_TYPES:
            raise ManifestError(node.at("failure_type"), f"must be one of {', '.join(errors.FAILURE_TYPES)}")
        return errors.HttpResponseFilter(
            action=errors.ACTIONS[action_name] if action_name else None,
            failure_type=errors.FAILURE_TYPES[failure_name] if failure_name else None,
            http_codes=frozenset(int(code) for code in node.get("http_codes", [])),
            error_message_contains=node.get("error_message_contains"),
            predicate=self.template(node, "predicate") if node.get("predicate") else None,
            error_message=self.template(node, "error_message") if node.get("error_message") else None,
        )

    def constant_backoff(self, node: Node) -> errors.BackoffStrategy:
        node.only("backoff_time_in_seconds")
        return errors.ConstantBackoffStrategy(
            float(self.value(node, "backoff_time_in_seconds") or missing(node, "backoff_time_in_seconds"))
        )

    def exponential_backoff(self, node: Node) -> errors.BackoffStrategy:
        node.only("factor")
        return errors.ExponentialBackoffStrategy(float(self.value(node, "factor", 5)))

    def _regex(self, node: Node) -> re.Pattern[str] | None:
        pattern = self.value(node, "regex")
        return re.compile(str(pattern)) if pattern else None

    def wait_time_from_header(self, node: Node) -> errors.BackoffStrategy:
        node.only("header", "regex", "max_waiting_time_in_seconds")
        limit = self.value(node, "max_waiting_time_in_seconds")
        return errors.WaitTimeFromHeader(
            str(self.value(node, "header") or missing(node, "header")),
            self._regex(node),
            float(limit) if limit else None,
        )

    def wait_until_time_from_header(self, node: Node) -> errors.BackoffStrategy:
        node.only("header", "regex", "min_wait")
        return errors.WaitUntilTimeFromHeader(
            str(self.value(node, "header") or missing(node, "header")),
            self._regex(node),
            float(self.value(node, "min_wait", 0)),
        )
