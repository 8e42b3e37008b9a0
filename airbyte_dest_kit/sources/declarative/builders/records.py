"""``RecordSelector``, ``DpathExtractor``, ``RecordFilter``, ``AddFields``, ``RemoveFields``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from airbyte_dest_kit.sources.declarative import records
from airbyte_dest_kit.sources.declarative.builders.base import Builder, missing
from airbyte_dest_kit.sources.declarative.interpolation import Interpolated
from airbyte_dest_kit.sources.declarative.manifest import ManifestError, Node

_VALUE_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
}


class RecordBuilders(Builder):
    def record_selector(
        self, node: Node, transformations: list[records.Transformation], schema: Callable[[], dict[str, Any]]
    ) -> records.RecordSelector:
        node.only("extractor", "record_filter", "schema_normalization")
        normalization = node.get("schema_normalization", "None")
        if normalization not in ("None", "Default"):
            raise ManifestError(node.at("schema_normalization"), "must be None or Default")
        if normalization == "Default":  # after the transformations, as in airbyte-cdk
            transformations = [*transformations, records.SchemaNormalization(schema)]
        extractor_node = node.child("extractor") or missing(node, "extractor")
        extractor = self.one_of(extractor_node, "extractor", {"DpathExtractor": self.dpath_extractor})
        filter_node = node.child("record_filter")
        record_filter = (
            self.one_of(filter_node, "record filter", {"RecordFilter": self.record_filter}) if filter_node else None
        )
        return records.RecordSelector(extractor_node.where, extractor, record_filter, transformations)

    def dpath_extractor(self, node: Node) -> records.DpathExtractor:
        node.only("field_path")
        path = node.get("field_path", [])
        if not isinstance(path, list):
            raise ManifestError(node.at("field_path"), "must be a list of keys")
        return records.DpathExtractor(
            [
                Interpolated(part, f"{node.at('field_path')}[{i}]", parameters=node.parameters)
                for i, part in enumerate(path)
            ]
        )

    def record_filter(self, node: Node) -> records.RecordFilter:
        node.only("condition")
        return records.RecordFilter(self.template(node, "condition", default=False))

    def transformation(self, node: Node) -> records.Transformation:
        builders: dict[str, Callable[[Node], records.Transformation]] = {
            "AddFields": self.add_fields,
            "RemoveFields": self.remove_fields,
        }
        return self.one_of(node, "transformation", builders)

    def add_fields(self, node: Node) -> records.AddFields:
        node.only("fields", "condition")
        added = []
        for child in node.children("fields"):
            child.only("path", "value", "value_type")
            path = child.require("path")
            if not isinstance(path, list) or not path:
                raise ManifestError(child.at("path"), "must be a non-empty list of keys")
            types = _VALUE_TYPES.get(str(child.get("value_type"))) if child.get("value_type") else None
            added.append(records.AddedField(tuple(str(p) for p in path), self.template(child, "value", types=types)))
        condition = self.template(node, "condition", default=False) if node.get("condition") else None
        return records.AddFields(added, condition)

    def remove_fields(self, node: Node) -> records.RemoveFields:
        node.only("field_pointers", "condition")
        pointers = node.require("field_pointers")
        if not isinstance(pointers, list) or not all(isinstance(p, list) and p for p in pointers):
            raise ManifestError(node.at("field_pointers"), "must be a list of paths (lists of keys)")
        condition = self.template(node, "condition", default=False) if node.get("condition") else None
        return records.RemoveFields([tuple(str(k) for k in p) for p in pointers], condition)
