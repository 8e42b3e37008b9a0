"""``airbyte_cdk.test``: what connector tests use: ``entrypoint_wrapper.read/discover``, ``catalog_builder``,
``state_builder`` and ``mock_http`` (which needs the ``testing`` extra)."""
