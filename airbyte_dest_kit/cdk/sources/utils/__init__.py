"""``airbyte_cdk.sources.utils``."""
