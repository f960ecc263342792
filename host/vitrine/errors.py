"""Errors shown to people: configuration and input problems, each naming the thing, the value
and what is allowed."""

from __future__ import annotations

from pydantic import ValidationError


class VitrineError(Exception):
    """Root of the errors the CLI prints without a traceback."""


class ConfigError(VitrineError):
    """A configuration file or description is invalid."""


def format_validation_error(source: str, err: ValidationError) -> str:
    """One line per problem: `source: key.path = value: what is allowed`."""
    lines = []
    for problem in err.errors():
        key = ".".join(str(p) for p in problem["loc"]) or "(top level)"
        value = problem.get("input")
        msg = problem["msg"]
        if problem["type"] == "extra_forbidden":
            lines.append(f"{source}: {key}: unknown key")
        elif problem["type"] == "missing":
            lines.append(f"{source}: {key}: required, missing")
        else:
            lines.append(f"{source}: {key} = {value!r}: {msg}")
    return "\n".join(lines)
