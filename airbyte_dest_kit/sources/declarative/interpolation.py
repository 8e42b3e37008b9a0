"""Jinja in manifests, in a sandbox: ``{{ config['api_key'] }}``, ``{{ stream_slice.start_time }}``, ...

Templates run in :class:`jinja2.sandbox.SandboxedEnvironment` (no attribute access to Python internals, no
``range``), never through ``eval``. The names a template can use depend on the field: ``config`` and
``parameters`` everywhere, plus ``stream_slice`` (alias ``stream_interval`` / ``stream_partition``),
``stream_state``, ``next_page_token``, ``response``, ``headers``, ``record``, ``last_record``,
``last_page_size`` where the component has them, and the macros below.

As in Airbyte, a rendered string that reads as a Python literal becomes that value (``"{{ 10 }}"`` is the
integer 10, ``"{{ ['a', 'b'] }}"`` a list) through :func:`ast.literal_eval`, which parses literals and
runs nothing; an empty result gives the field's default.

Every error is a :class:`~airbyte_dest_kit.sources.declarative.manifest.ManifestError` (a config error)
naming the field by its place in the manifest (``streams[0].retriever.requester.path``) and quoting the
template: a syntax error, an unknown filter or test, a variable the field does not have, a failure while
rendering. What a missing value does depends on where it was looked up:

- ``config``: the values the user gives, checked against the spec before anything runs. A key the config
  leaves out but the spec declares (in ``properties``, or in a ``oneOf`` / ``anyOf`` / ``allOf`` branch, at
  that depth) is an optional value left unset: undefined as in airbyte-cdk (it renders empty, so the field
  takes its default; it is false in a test; looking into it gives the default too). A key the spec does
  not declare is a mistake, ``config["nope"]["x"]`` a typo: using it in any way is an error naming the key.
- ``parameters``: set by the manifest's own ``$parameters``, so a key none of them sets is a mistake too.
- For both, asking is never an error: ``config.get('x', 'd')``, ``config['x'] is defined``,
  ``config['x'] | default('d')``, ``'x' in config``.
- Everything else (``next_page_token``, ``stream_slice`` and its aliases, ``stream_state``, ``response``,
  ``headers``, ``record``, ...) changes from request to request, and a missing value is often expected
  (``{{ next_page_token['next_page_url'] }}`` before the first page, ``{{ stream_partition.parent_id }}``
  on an empty partition, ``{{ response['links']['next'] }}`` on the last page): as in airbyte-cdk, it
  renders empty, and looking into it makes the field take its default (often ``None``).
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


# -- missing values in config and parameters -------------------------------------------------------------


class UndeclaredValueError(jinja2.UndefinedError):
    """A template used a ``config`` key the spec does not declare, or a parameter no ``$parameters`` set."""


class _Undeclared(jinja2.StrictUndefined):
    """Such a value: anything but asking whether it is defined raises :class:`UndeclaredValueError`."""

    __slots__ = ()


def _branches(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """``schema`` and, recursively, the schemas of its ``oneOf`` / ``anyOf`` / ``allOf``."""
    found = [schema]
    for keyword in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(keyword) or ():
            if isinstance(branch, Mapping):
                found.extend(_branches(branch))
    return found


def _properties(schema: Mapping[str, Any] | None) -> dict[str, list[Mapping[str, Any]]]:
    """The property names ``schema`` declares, each with the schemas it is given (one per branch)."""
    declared: dict[str, list[Mapping[str, Any]]] = {}
    for branch in _branches(schema) if schema is not None else ():
        properties = branch.get("properties")
        if isinstance(properties, Mapping):
            for name, property_schema in properties.items():
                if isinstance(property_schema, Mapping):
                    declared.setdefault(name, []).append(property_schema)
    return declared


class Declared(dict[str, Any]):
    """``config`` or ``parameters`` as templates see them: a copy whose missing keys are undefined values
    chosen by the module's rule, ``schema`` declaring which keys may be missing (``None``: none may).
    Nested objects are :class:`Declared` too, with the part of the schema that covers them; ``unset`` says
    why a key that may not be missing is (``is not in the config, and the spec does not declare it``)."""

    # slots with private names, not attributes: ``config.path`` must stay the config's key
    __slots__ = ("_declared_path", "_declared_keys", "_declared_unset")

    def __init__(self, values: Mapping[str, Any], path: str, schema: Mapping[str, Any] | None, unset: str) -> None:
        properties = _properties(schema)
        super().__init__(
            (key, Declared(value, f"{path}[{key!r}]", {"anyOf": properties.get(key, [])}, unset))
            if isinstance(value, Mapping)
            else (key, value)
            for key, value in values.items()
        )
        self._declared_path, self._declared_keys, self._declared_unset = path, frozenset(properties), unset

    def __missing__(self, key: Any) -> jinja2.Undefined:
        if key in self._declared_keys:  # an optional value left unset
            return jinja2.Undefined(obj=self, name=key)
        # the platform's own keys (__injected_declarative_manifest) are no help in finding a typo
        known = ", ".join(sorted(k for k in set(self) | self._declared_keys if not str(k).startswith("__"))) or "none"
        hint = f"{self._declared_path}[{key!r}] {self._declared_unset} (keys here: {known})"
        return _Undeclared(hint=hint, obj=self, name=key, exc=UndeclaredValueError)


def config_for_templates(config: Mapping[str, Any], spec_schema: Mapping[str, Any] | None) -> Declared:
    """``config`` as templates see it, ``spec_schema`` (the spec's ``connection_specification``) telling which
    keys may be missing; built once per run, not per render."""
    return Declared(config, "config", spec_schema, "is not in the config, and the spec does not declare it")


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
        self._parameters = Declared(self.parameters, "parameters", None, "is set by no $parameters in force here")
        self._template: jinja2.Template | None = None
        self._names: frozenset[str] = frozenset()
        if isinstance(source, str) and ("{{" in source or "{%" in source):
            try:
                self._names = frozenset(meta.find_undeclared_variables(ENVIRONMENT.parse(source))) - _GLOBAL_NAMES
                self._template = ENVIRONMENT.from_string(source)  # an unknown filter or test fails here
            except jinja2.TemplateSyntaxError as exc:  # TemplateAssertionError (unknown filter or test) is one
                kind = "error" if isinstance(exc, jinja2.TemplateAssertionError) else "syntax error"
                raise ManifestError(where, f"Jinja {kind} in {source!r}: {exc.message}") from None

    def eval(self, context: Mapping[str, Any]) -> Any:
        if self._template is None:
            return self._literal(self.source) if isinstance(self.source, str) else self.source
        rendered = self._render(self._template, context)
        if rendered:
            return self._literal(rendered)
        return self.default.eval(context) if isinstance(self.default, Interpolated) else self.default

    def _render(self, template: jinja2.Template, context: Mapping[str, Any]) -> str | None:
        full = {**context, "parameters": self._parameters}
        config = full.get("config")
        if isinstance(config, Mapping) and not isinstance(config, Declared):  # no spec given: none declared
            full["config"] = config_for_templates(config, None)
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
        except UndeclaredValueError as exc:
            fix = "fix the name, or ask for a value that may be missing with .get() or | default()"
            raise ManifestError(self.where, f"{source!r}: {exc.message}: {fix}") from None
        except jinja2.UndefinedError:  # looking into a missing value: the field's default, as in airbyte-cdk
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
