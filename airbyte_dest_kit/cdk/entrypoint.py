"""airbyte-cdk's ``launch(source, args)``: run one command of a source; exits non-zero when it fails."""

from __future__ import annotations

from collections.abc import Sequence

from airbyte_dest_kit.cdk.sources.abstract_source import AbstractSource
from airbyte_dest_kit.cdk.sources.runtime import SourceRuntime
from airbyte_dest_kit.runtime.entrypoint import launch as launch_connector


def launch(source: AbstractSource, args: Sequence[str]) -> None:
    launch_connector(SourceRuntime(source), args)
