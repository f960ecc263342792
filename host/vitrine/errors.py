"""The one root of Vitrine's errors, and the configuration errors shown to people.

Every error the host raises on purpose derives from VitrineError (as every bleak error derives
from BleakError): the link's, the simulation's, the associate sign-in's, the catalogue's, the
console's, the flash tool's. A subclass carries the structured fields its catchers need
(a board name, an HTTP status, a file and line); its message names the thing, the value and
what is allowed, so the CLI prints it as it is, without a traceback."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError


class VitrineError(Exception):
    """Root of Vitrine's errors; the CLI prints one without a traceback."""


class ConfigError(VitrineError):
    """A configuration file or description is invalid."""


SECRET_KEYS = frozenset({"pin", "tokens", "password", "token"})  # values errors never show
SHOWN_CHARS = 60  # a value quoted in an error message is cut to this many characters


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """repr(value) for an error message, cut to `limit` characters ("..." at the cut): what a
    client sent is named, but a huge value does not make a huge answer."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_validation_error(
    source: str, err: ValidationError, model: type[BaseModel] | None = None
) -> str:
    """One line per problem: `source: key.path = value: what is allowed`. With the model that
    was validated, an unknown key's line lists the keys allowed in its section."""
    lines = []
    for problem in err.errors():
        key = ".".join(str(p) for p in problem["loc"]) or "(top level)"
        value = problem.get("input")
        msg = problem["msg"]
        if problem["type"] == "extra_forbidden":
            allowed = _section_keys(model, problem["loc"][:-1]) if model else None
            hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
            lines.append(f"{source}: {key}: unknown key{hint}")
        elif not problem["loc"]:  # a check across sections: its message names the keys
            lines.append(f"{source}: {msg.removeprefix('Value error, ')}")
        elif problem["type"] == "missing":
            lines.append(f"{source}: {key}: required, missing")
        elif SECRET_KEYS & {str(p) for p in problem["loc"]}:
            # a PIN or a token is named, never shown: the error goes to the journal
            lines.append(f"{source}: {key} (value not shown: a secret): {msg}")
        else:
            lines.append(f"{source}: {key} = {value!r}: {msg}")
    return "\n".join(lines)


def _section_keys(model: type[BaseModel], path: tuple[int | str, ...]) -> list[str] | None:
    # The field names of the (nested) model section at path, when path leads to one.
    section: type[BaseModel] = model
    for part in path:
        field = section.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        section = annotation
    return sorted(section.model_fields)
