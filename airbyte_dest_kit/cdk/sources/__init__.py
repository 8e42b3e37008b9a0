"""``airbyte_cdk.sources``."""

from airbyte_dest_kit.cdk.sources.abstract_source import AbstractSource

__all__ = ["AbstractSource"]
