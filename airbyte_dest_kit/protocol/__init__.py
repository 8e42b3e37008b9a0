"""The message layer shared by destinations and sources: typed models and the fast codec.

No database or HTTP imports are reachable from here (an architecture test checks it).
"""

from airbyte_dest_kit.errors import error_trace_message
from airbyte_dest_kit.protocol.codec import (
    ChunkReader,
    MessageWriter,
    connection_status_message,
    decode_line,
    iter_lines,
    log_message,
    stream_descriptor,
    stream_status_message,
)
from airbyte_dest_kit.protocol.models import *  # noqa: F403  (the models' own __all__)
from airbyte_dest_kit.protocol.models import __all__ as _model_names

__all__ = [
    "ChunkReader",
    "MessageWriter",
    "connection_status_message",
    "decode_line",
    "error_trace_message",
    "iter_lines",
    "log_message",
    "stream_descriptor",
    "stream_status_message",
    *_model_names,
]
