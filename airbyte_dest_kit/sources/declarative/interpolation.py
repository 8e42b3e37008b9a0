"""Jinja in manifests, in a sandbox: ``{{ config['api_key'] }}``, ``{{ stream_slice.start_time }}``, ...

Templates run in :class:`jinja2.sandbox.SandboxedEnvironment` (no attribute access to Python internals, no
``range``), never through ``eval``. The names a template can use depend on the field: ``config`` and
``parameters`` everywhere, plus ``stream_slice`` (alias ``stream_interval`` / ``stream_partition``),
``stream_state``, ``next_page_token``, ``response``, ``headers``, ``record``, ``last_record``,
``last_page_size`` where the component has them, and the macros below.

As in Airbyte, a rendered string that reads as a Python literal becomes that value (``"{{ 10 }}"`` is the
integer 10, ``"{{ ['a', 'b'] }}"`` a list) through :func:`ast.literal_eval`, which parses literals and
runs nothing; an undefined value (``config['missing']['key']``) or an empty result gives the field's
default. A template that does not compile, names a variable the field does not have, or fails while
rendering is a :class:`~airbyte_dest_kit.sources.declarative.manifest.ManifestError` naming the field.
"""

from __future__ import annotations

import ast
import base64
import builtins
import datetime as dt
import hashlib
import json
import re
import urllib.parse
import uuid
from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from airbyte_dest_kit.sources.declarative.datetimes import UTC, parse_datetime, parse_duration, parse_iso
from airbyte_dest_kit.sources.declarative.datetimes import format_datetime as format_with
from airbyte_dest_kit.sources.declarative.manifest import ManifestError

_ALIASES = {"stream_interval": "stream_slice", "stream_partition": "stream_slice"}


# -- macros -------------------------------------------------------------------------------------------


def now_utc() -> dt.datetime:
    return dt.datetime.now(UTC)


def today_utc() -> dt.date:
    return now_utc().date()


def str_to_datetime(value: str) -> dt.datetime:
    return parse_iso(value)


def timestamp(value: float | str) -> int | float:
    """A number as whole seconds, or an ISO 8601 string as epoch seconds."""
    if isinstance(value, (int, float)):
        return int(value)
    return parse_iso(value).timestamp()


def day_delta(num_days: int, format: str = "%Y-%m-%dT%H:%M:%S.%f%z") -> str:
    return (now_utc() + dt.timedelta(days=num_days)).strftime(format)


def format_datetime(value: str | dt.datetime | int, format: str, input_format: str | None = None) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime(format)
    if isinstance(value, int):
        parsed = parse_datetime(value, input_format or "%s")
    else:
        parsed = parse_datetime(value, input_format) if input_format else parse_iso(value)
    return str(format_with(parsed, format))


def camel_case_to_snake_case(value: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", value).lower()


MACROS: dict[str, Any] = {
    "now_utc": now_utc,
    "today_utc": today_utc,
    "timestamp": timestamp,
    "max": builtins.max,
    "min": builtins.min,
    "day_delta": day_delta,
    "duration": parse_duration,
    "format_datetime": format_datetime,
    "str_to_datetime": str_to_datetime,
    "sanitize_url": lambda value: urllib.parse.quote_plus(value),
    "camel_case_to_snake_case": camel_case_to_snake_case,
    "generate_uuid": lambda: str(uuid.uuid4()),
}


def _hash(value: Any, hash_type: str = "md5", salt: str | None = None) -> str:
    digest = hashlib.new(hash_type)
    digest.update(str(value).encode())
    if salt:
        digest.update(salt.encode())
    return digest.hexdigest()


FILTERS: dict[str, Any] = {
    "hash": _hash,
    "base64encode": lambda value: base64.b64encode(str(value).encode()).decode(),
    "base64decode": lambda value: base64.b64decode(str(value).encode()).decode(),
    "string": lambda value: value if isinstance(value, str) else json.dumps(value),
    "regex_search": lambda value, regex: m.group(1) if (m := re.search(regex, value)) else "",
}


def _environment() -> SandboxedEnvironment:
    environment = SandboxedEnvironment()
    environment.globals.pop("range", None)  # range(10**9) would hang a sync
    environment.globals.update(MACROS)
    environment.filters.update(FILTERS)
    return environment


ENVIRONMENT = _environment()
_GLOBAL_NAMES = frozenset(ENVIRONMENT.globals)


class Interpolated:
    """One manifest value that may hold Jinja; compiled once, where the manifest is read."""

    def __init__(
        self,
        source: Any,
        where: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        default: Any = None,
        types: tuple[type, ...] | None = None,
    ) -> None:
        self.source, self.where, self.types = source, where, types
        self.parameters = parameters or {}
        # a string default is a template too (``default: "{{ config['start'] }}"``)
        self.default = Interpolated(default, where, parameters=parameters) if isinstance(default, str) else default
        self._template: jinja2.Template | None = None
        self._names: frozenset[str] = frozenset()
        if isinstance(source, str) and ("{{" in source or "{%" in source):
            try:
                parsed = ENVIRONMENT.parse(source)
            except jinja2.TemplateSyntaxError as exc:
                raise ManifestError(where, f"Jinja syntax error in {source!r}: {exc.message}") from None
            self._names = frozenset(meta.find_undeclared_variables(parsed)) - _GLOBAL_NAMES
            self._template = ENVIRONMENT.from_string(source)

    def eval(self, context: Mapping[str, Any]) -> Any:
        if self._template is None:
            return self._literal(self.source) if isinstance(self.source, str) else self.source
        rendered = self._render(self._template, context)
        if rendered:
            return self._literal(rendered)
        return self.default.eval(context) if isinstance(self.default, Interpolated) else self.default

    def _render(self, template: jinja2.Template, context: Mapping[str, Any]) -> str | None:
        full = {**context, "parameters": self.parameters}
        full.update({alias: full[name] for alias, name in _ALIASES.items() if name in full})
        source = self.source
        unknown = sorted(self._names - full.keys())
        if unknown:
            available = ", ".join(sorted(full))
            raise ManifestError(
                self.where, f"{source!r} uses {', '.join(unknown)}, which this field does not have (it has {available})"
            )
        try:
            return template.render(full)
        except jinja2.UndefinedError:
            return None
        except Exception as exc:  # noqa: BLE001 - any failure inside a template is the manifest's to fix
            raise ManifestError(self.where, f"{source!r} failed: {type(exc).__name__}: {exc}") from None

    def _literal(self, text: str) -> Any:
        try:
            value = ast.literal_eval(text)  # literals only: parses, never runs code
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return text
        if self.types is None:
            return text if isinstance(value, complex) else value
        return value if isinstance(value, self.types) else text


class InterpolatedMapping:
    """A mapping whose keys and string values are templates (request parameters, headers, bodies)."""

    def __init__(self, mapping: Any, where: str, parameters: Mapping[str, Any] | None = None) -> None:
        if mapping is None:
            mapping = {}
        if isinstance(mapping, str):  # a whole-body template such as "{{ config['body'] }}"
            self.whole: Interpolated | None = Interpolated(mapping, where, parameters=parameters)
            self.items: list[tuple[Interpolated, Interpolated]] = []
            return
        if not isinstance(mapping, Mapping):
            raise ManifestError(where, "must be an object")
        self.whole = None
        self.items = [
            (
                Interpolated(key, f"{where}.{key}", parameters=parameters, types=(str,)),
                Interpolated(value, f"{where}.{key}", parameters=parameters),
            )
            for key, value in mapping.items()
        ]

    def eval(self, context: Mapping[str, Any]) -> dict[str, Any]:
        if self.whole is not None:
            value = self.whole.eval(context)
            if value in (None, ""):
                return {}
            if not isinstance(value, dict):
                raise ManifestError(self.whole.where, f"must render to an object, not {value!r}")
            return value
        evaluated = {str(key.eval(context)): value.eval(context) for key, value in self.items}
        return {key: value for key, value in evaluated.items() if value is not None}


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "none", "0")
    return bool(value)
