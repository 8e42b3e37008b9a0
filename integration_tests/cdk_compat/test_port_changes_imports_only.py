"""The guide connectors port to the kit by changing their import lines, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from integration_tests.cdk_compat.conftest import GUIDE_CONNECTORS
from integration_tests.cdk_compat.port import NotAnImportLine, port_to_kit


def test_the_destination_ports_by_two_import_lines(tmp_path: Path) -> None:
    assert port_to_kit(GUIDE_CONNECTORS / "destination-keyvalue", tmp_path) == [
        "destination_keyvalue/destination.py: from airbyte_dest_kit.cdk.destinations import Destination",
        "destination_keyvalue/destination.py: from airbyte_dest_kit.cdk.models import (",
    ]


def test_the_source_ports_by_five_import_lines(tmp_path: Path) -> None:
    assert port_to_kit(GUIDE_CONNECTORS / "source-shop", tmp_path) == [
        "main.py: from airbyte_dest_kit.cdk.entrypoint import launch",
        "source_shop/source.py: from airbyte_dest_kit.cdk.sources import AbstractSource",
        "source_shop/source.py: from airbyte_dest_kit.cdk.sources.streams import IncrementalMixin, Stream",
        "source_shop/source.py: from airbyte_dest_kit.cdk.sources.streams.http import HttpStream",
        "source_shop/source.py: from airbyte_dest_kit.cdk.sources.streams.http.requests_native_auth import "
        "TokenAuthenticator",
    ]
    # Everything else is byte-for-byte the airbyte-cdk version.
    for original in (GUIDE_CONNECTORS / "source-shop").rglob("*.*"):
        if "__pycache__" in original.parts:
            continue
        copy = tmp_path / original.relative_to(GUIDE_CONNECTORS / "source-shop")
        kept = original.read_bytes().replace(b"airbyte_cdk", b"airbyte_dest_kit.cdk")
        assert copy.read_bytes() == kept


def test_a_use_of_airbyte_cdk_outside_the_imports_is_not_ported_silently(tmp_path: Path) -> None:
    connector = tmp_path / "connector"
    connector.mkdir()
    (connector / "main.py").write_text("import airbyte_cdk\nprint(airbyte_cdk.__version__)\n")
    with pytest.raises(NotAnImportLine, match=r"main.py:2 uses airbyte_cdk outside an import"):
        port_to_kit(connector, tmp_path / "ported")
