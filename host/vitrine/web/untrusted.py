"""Decoding what a client sent."""

from __future__ import annotations

import json
from typing import Any


def decode_json(data: str | bytes) -> Any:
    """json.loads for a client's message or body: anything it cannot decode raises
    ValueError, JSON nested too deep included (json.loads raises RecursionError for that,
    which would otherwise kill a socket's reader or answer 500)."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deep to decode") from None
