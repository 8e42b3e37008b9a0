"""``airbyte_cdk.sources.streams``."""

from airbyte_dest_kit.cdk.sources.streams.core import IncrementalMixin, Stream

__all__ = ["IncrementalMixin", "Stream"]
