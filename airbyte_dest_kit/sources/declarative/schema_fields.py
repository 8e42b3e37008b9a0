"""Which fields Airbyte's component schema gives meaning to, for the components this runtime builds.

Airbyte's schema lets any component carry extra fields (none is closed with ``additionalProperties:
false``), and airbyte-cdk ignores a field its component does not define: manifests carry a stream's
``name`` on its cursor, a ``path`` on an authenticator, a ``primary_key`` on a retriever. Such a field
means nothing there, so it means nothing here either and is accepted (:meth:`~.manifest.Node.only`).
A field Airbyte *does* define for the component is implemented here, or accepted where it cannot change
what a sync reads (:data:`NO_EFFECT`, or the value at which it does nothing, :data:`INERT_VALUES`), or
refused naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_P = "$parameters"

AIRBYTE_FIELDS: Mapping[str, frozenset[str]] = {
    kind: frozenset(fields.split()) | {_P}
    for kind, fields in {
        "DeclarativeStream": "name primary_key retriever incremental_sync schema_loader transformations "
        "state_migrations file_uploader",
        "SimpleRetriever": "requester record_selector paginator partition_router decoder "
        "ignore_stream_slicer_parameters_on_paginated_requests page_size_reduction pagination_reset "
        "request_window_splitting",
        "HttpRequester": "url_base url path http_method request_parameters request_headers request_body "
        "request_body_json request_body_data authenticator error_handler use_cache use_tcp_keepalive "
        "connect_timeout_in_seconds read_timeout_in_seconds fetch_properties_from_endpoint query_properties",
        "RecordSelector": "extractor record_filter schema_normalization transform_before_filtering",
        "DpathExtractor": "field_path record_expander",
        "RecordFilter": "condition",
        "DefaultPaginator": "pagination_strategy page_token_option page_size_option",
        "CursorPagination": "cursor_value stop_condition page_size",
        "PageIncrement": "page_size start_from_page inject_on_first_request",
        "OffsetIncrement": "page_size inject_on_first_request",
        "RequestOption": "inject_into field_name field_path",
        "DatetimeBasedCursor": "cursor_field datetime_format cursor_datetime_formats start_datetime end_datetime "
        "step cursor_granularity lookback_window partition_field_start partition_field_end start_time_option "
        "end_time_option is_client_side_incremental is_data_feed is_compare_strictly global_substream_cursor "
        "clamping allow_catalog_defined_cursor_field",
        "MinMaxDatetime": "datetime datetime_format min_datetime max_datetime",
        "ListPartitionRouter": "cursor_field values request_option",
        "SubstreamPartitionRouter": "parent_stream_configs",
        "ParentStreamConfig": "stream parent_key partition_field request_option incremental_dependency "
        "extra_fields lazy_read_pointer",
        "NoAuth": "",
        "ApiKeyAuthenticator": "api_token header inject_into",
        "BearerAuthenticator": "api_token",
        "BasicHttpAuthenticator": "username password",
        "OAuthAuthenticator": "token_refresh_endpoint client_id client_secret refresh_token access_token_name "
        "access_token_value expires_in_name grant_type grant_type_name client_id_name client_secret_name "
        "refresh_token_name refresh_request_body refresh_request_headers scopes token_expiry_date "
        "token_expiry_date_format refresh_token_updater refresh_token_error_key refresh_token_error_status_codes "
        "refresh_token_error_values send_refresh_request_as_query_params use_profile_assertion profile_assertion",
        "SessionTokenAuthenticator": "login_requester session_token_path expiration_duration "
        "request_authentication decoder",
        "ApiKey": "inject_into api_token",
        "Bearer": "",
        "LegacySessionTokenAuthenticator": "header login_url session_token session_token_response_key username "
        "password validate_session_url",
        "SelectiveAuthenticator": "authenticator_selection_path authenticators",
        "DefaultErrorHandler": "response_filters backoff_strategies max_retries",
        "CompositeErrorHandler": "error_handlers",
        "HttpResponseFilter": "action failure_type http_codes error_message_contains predicate error_message",
        "ConstantBackoffStrategy": "backoff_time_in_seconds jitter_range_in_seconds",
        "ExponentialBackoffStrategy": "factor jitter_range_in_seconds",
        "WaitTimeFromHeader": "header regex max_waiting_time_in_seconds",
        "WaitUntilTimeFromHeader": "header regex min_wait max_waiting_time_in_seconds",
        "AddFields": "fields condition",
        "AddedFieldDefinition": "path value value_type",
        "RemoveFields": "field_pointers condition",
        "InlineSchemaLoader": "schema",
        "JsonFileSchemaLoader": "file_path",
        "JsonDecoder": "",
        "RequestPath": "",
        "CheckStream": "stream_names dynamic_streams_check_configs config_overrides",
        "ConcurrencyLevel": "default_concurrency max_concurrency",
        "Spec": "connection_specification documentation_url advanced_auth config_normalization_rules",
    }.items()
}

# Fields Airbyte defines that change how requests are made, never what a sync reads or its state: accepted
# with any value and left to the kit's HTTP client (its own timeouts, pooling and waits).
NO_EFFECT: Mapping[str, frozenset[str]] = {
    "HttpRequester": frozenset(
        {"use_cache", "use_tcp_keepalive", "connect_timeout_in_seconds", "read_timeout_in_seconds"}
    ),
    "ConstantBackoffStrategy": frozenset({"jitter_range_in_seconds"}),
    "ExponentialBackoffStrategy": frozenset({"jitter_range_in_seconds"}),
}

# Fields Airbyte defines that this runtime does not implement, at the value where they do nothing
# (airbyte-cdk's default): accepted with that value, refused with any other.
INERT_VALUES: Mapping[str, Mapping[str, Any]] = {
    "DatetimeBasedCursor": {
        "global_substream_cursor": False,
        "allow_catalog_defined_cursor_field": False,
    },
    "RecordSelector": {"transform_before_filtering": False},
    "ParentStreamConfig": {"lazy_read_pointer": []},
    "DeclarativeStream": {"state_migrations": []},
    "OAuthAuthenticator": {
        "use_profile_assertion": False,
        "send_refresh_request_as_query_params": False,
        "grant_type_name": "grant_type",
        "client_id_name": "client_id",
        "client_secret_name": "client_secret",
        "refresh_token_name": "refresh_token",
    },
    "CheckStream": {"dynamic_streams_check_configs": []},
}
