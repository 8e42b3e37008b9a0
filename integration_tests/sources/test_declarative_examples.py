"""Every example manifest runs as its README says: with the config and configured catalog next to it, against
the local shop API started from a shell (``python -m airbyte_dest_kit.testing.http_api``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from source_runner import ROOT, RunSource, served_from_the_shell

from airbyte_dest_kit.testing.http_api import DEFAULT_PORT

EXAMPLES = ROOT / "sources" / "source-declarative-manifest" / "examples"
MANIFESTS = sorted(EXAMPLES.glob("*.yaml"))


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    with served_from_the_shell("airbyte_dest_kit.testing.http_api") as api:
        yield api.url


def test_the_examples_folder_holds_manifests() -> None:
    assert len(MANIFESTS) >= 5


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda path: path.stem)
def test_an_example_runs_spec_check_discover_and_read_with_its_files(
    manifest: Path, api_url: str, manifest_source: RunSource
) -> None:
    shipped = json.loads(manifest.with_name(f"{manifest.stem}.config.json").read_text())
    catalog_file = manifest.with_name(f"{manifest.stem}.configured_catalog.json")
    configured = json.loads(catalog_file.read_text())["streams"]
    # the shipped config reaches the API started without options; this one started on a free port
    assert shipped["base_url"] == f"http://127.0.0.1:{DEFAULT_PORT}"
    config = {**shipped, "base_url": api_url}

    [spec] = manifest_source("spec", manifest=manifest).of_type("SPEC")
    jsonschema.validate(shipped, spec["spec"]["connectionSpecification"])

    checked = manifest_source("check", config, manifest=manifest)
    assert checked.of_type("CONNECTION_STATUS")[0]["connectionStatus"] == {"status": "SUCCEEDED"}

    [discovered] = manifest_source("discover", config, manifest=manifest).of_type("CATALOG")
    assert discovered["catalog"]["streams"] == [stream["stream"] for stream in configured]

    read = manifest_source("read", config, catalog_file, manifest=manifest)
    assert read.returncode == 0 and read.errors() == []
    for stream in configured:
        name = stream["stream"]["name"]
        assert read.records(name), f"{manifest.name}: no records for {name}"
        assert read.statuses(name)[-1] == "COMPLETE"
