"""``RequestOption``, ``DefaultPaginator`` and its strategies."""

from __future__ import annotations

from airbyte_dest_kit.sources.declarative import paginators
from airbyte_dest_kit.sources.declarative.builders.base import Builder, missing
from airbyte_dest_kit.sources.declarative.manifest import Node


class PaginationBuilders(Builder):
    def default_paginator(self, node: Node) -> paginators.DefaultPaginator:
        node.only("pagination_strategy", "page_token_option", "page_size_option", "decoder")
        self.json_decoder(node)
        strategy_node = node.child("pagination_strategy") or missing(node, "pagination_strategy")
        strategy = self.one_of(
            strategy_node,
            "pagination strategy",
            {
                "PageIncrement": self.page_increment,
                "OffsetIncrement": self.offset_increment,
                "CursorPagination": self.cursor_pagination,
            },
        )
        token_node = node.child("page_token_option")
        token_option, token_is_path = None, False
        if token_node is not None:
            if token_node.type == "RequestPath":
                token_node.only()
                token_is_path = True
            else:
                token_option = self.one_of(token_node, "page token option", {"RequestOption": self.request_option})
        size_node = node.child("page_size_option")
        size_option = self.request_option(size_node) if size_node is not None else None
        return paginators.DefaultPaginator(strategy, token_option, token_is_path, size_option)

    def page_size(self, node: Node) -> int | None:
        return paginators.check_page_size(self.value(node, "page_size"), node.at("page_size"))

    def page_increment(self, node: Node) -> paginators.PageIncrement:
        node.only("page_size", "start_from_page", "inject_on_first_request")
        start = int(self.value(node, "start_from_page", 1))
        return paginators.PageIncrement(self.page_size(node), start, bool(node.get("inject_on_first_request")))

    def offset_increment(self, node: Node) -> paginators.OffsetIncrement:
        node.only("page_size", "inject_on_first_request")
        return paginators.OffsetIncrement(self.page_size(node), bool(node.get("inject_on_first_request")))

    def cursor_pagination(self, node: Node) -> paginators.CursorPagination:
        node.only("cursor_value", "stop_condition", "page_size", "decoder")
        self.json_decoder(node)
        node.require("cursor_value")
        stop = self.template(node, "stop_condition", default=False) if node.get("stop_condition") else None
        return paginators.CursorPagination(self.template(node, "cursor_value"), stop, self.page_size(node))
