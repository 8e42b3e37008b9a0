"""Manifest loading: $ref, the legacy *ref, $parameters propagation, default types, refused fields."""

from __future__ import annotations

import pytest

from airbyte_dest_kit.sources.declarative.manifest import ManifestError, Node, resolve_references


def test_ref_merges_the_target_with_the_keys_written_beside_it_winning() -> None:
    manifest = {
        "definitions": {
            "base": {
                "type": "HttpRequester",
                "url_base": "https://a",
                "path": "/x",
                "auth": {"$ref": "#/definitions/auth"},
            },
            "auth": {"type": "BearerAuthenticator", "api_token": "t"},
        },
        "streams": [{"$ref": "#/definitions/base", "path": "/y"}, {"token": "*ref(definitions.auth.api_token)"}],
    }
    resolved = resolve_references(manifest)
    assert resolved["streams"][0] == {
        "type": "HttpRequester",
        "url_base": "https://a",
        "path": "/y",
        "auth": {"type": "BearerAuthenticator", "api_token": "t"},
    }
    assert resolved["streams"][1] == {"token": "t"}
    assert manifest["streams"][0] == {"$ref": "#/definitions/base", "path": "/y"}  # the input is untouched


def test_ref_cycles_and_dangling_refs_name_the_place() -> None:
    with pytest.raises(
        ManifestError, match=r"definitions\.a: reference cycle: #/definitions/b -> #/definitions/a -> #/definitions/b"
    ):
        resolve_references(
            {
                "definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}},
                "streams": [{"$ref": "#/definitions/a"}],
            }
        )
    with pytest.raises(
        ManifestError, match=r"streams\[0\]\.requester: reference '#/definitions/nope' points at nothing"
    ):
        resolve_references({"definitions": {}, "streams": [{"requester": {"$ref": "#/definitions/nope"}}]})


def test_parameters_flow_down_typed_components_and_fill_fields_they_do_not_set() -> None:
    stream = Node.of(
        {
            "type": "DeclarativeStream",
            "$parameters": {"name": "users", "path": "/users", "records": "data"},
            "retriever": {
                "requester": {"url_base": "https://a", "path": "/own", "request_headers": {"X": "1"}},
                "record_selector": {"extractor": {"$parameters": {"records": "items"}, "field_path": []}},
            },
        },
        "streams[0]",
    )
    assert stream.get("name") == "users"
    retriever = stream.child("retriever")
    assert retriever is not None and retriever.type == "SimpleRetriever"  # Airbyte's default type
    requester = retriever.child("requester")
    assert requester is not None and requester.type == "HttpRequester"
    assert requester.get("path") == "/own"  # a field written beats a parameter
    assert requester.get("name") == "users" and requester.parameters["path"] == "/users"
    selector = retriever.child("record_selector")
    assert selector is not None
    extractor = selector.child("extractor")
    assert extractor is not None and extractor.type == "DpathExtractor"
    assert (
        extractor.parameters["records"] == "items"
        and extractor.where == "streams[0].retriever.record_selector.extractor"
    )
    # an untyped object is a value: a parameter does not become one of its keys
    headers = Node(requester.data["request_headers"], requester.at("request_headers"), requester.parameters)
    assert headers.get("path") is None


def test_a_parameter_named_like_a_field_does_not_flow_into_that_fields_component() -> None:
    stream = Node.of(
        {"type": "DeclarativeStream", "$parameters": {"retriever": "x", "name": "s"}, "retriever": {"paginator": {}}},
        "s",
    )
    retriever = stream.child("retriever")
    assert retriever is not None and "retriever" not in retriever.parameters and retriever.parameters["name"] == "s"


def test_only_refuses_fields_written_but_not_those_from_parameters() -> None:
    node = Node({"type": "RecordFilter", "condition": "{{ true }}", "description": "kept"}, "f", {"anything": 1})
    node.only("condition")
    with pytest.raises(ManifestError, match="f.condition: field 'condition' of RecordFilter is not supported"):
        node.only()
