"""Secrets in a connector's output: which config values are secret, and masking them in every line printed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "****"
# A secret this short also occurs inside ordinary words and numbers: masking every occurrence would turn every
# log line into asterisks (a one-character password masks half the alphabet), so it is masked only where it
# stands alone, not inside a longer run of letters, digits and underscores, and the connector says so in a WARN.
SHORT_SECRET = 4


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    # Longest first, so a secret that contains another is masked whole.
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= SHORT_SECRET:
            text = text.replace(secret, MASK)
        else:
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", MASK, text)
    return text


def mask_trace(message: dict[str, Any], secrets: Iterable[str]) -> dict[str, Any]:
    """Mask every text field of a TRACE ERROR message in place; returns it."""
    payload = message["trace"]["error"]
    for key in ("message", "internal_message", "stack_trace"):
        if isinstance(payload.get(key), str):
            payload[key] = mask_secrets(payload[key], secrets)
    return message


def secret_values(spec: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    """Every config value whose schema property is marked ``airbyte_secret`` (at any depth)."""
    found: list[str] = []

    def walk(schema: Any, value: Any) -> None:
        if not isinstance(schema, dict):
            return
        if schema.get("airbyte_secret") and isinstance(value, (str, int, float)) and str(value):
            found.append(str(value))
        for variant in schema.get("oneOf", []) + schema.get("anyOf", []):
            walk(variant, value)
        if isinstance(value, dict):
            for key, sub in schema.get("properties", {}).items():
                if key in value:
                    walk(sub, value[key])

    walk(spec.get("connectionSpecification", {}), config)
    return found
