"""``airbyte_cdk.sources.streams``."""

from airbyte_dest_kit.cdk.sources.streams.core import CheckpointMixin, IncrementalMixin, Stream

__all__ = ["CheckpointMixin", "IncrementalMixin", "Stream"]
