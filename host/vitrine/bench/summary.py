"""A benchmark's result as a person reads it: whether it met its targets, each check with its
value and target, then the other figures. `vitrine bench NAME --json` prints the result itself
(the shape vitrine.bench.targets.judged gives every benchmark)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

_WIDTH = 100  # characters per line before a long value wraps
_SHOWN_ITEMS = 8  # a list of plain values longer than this is counted, not written out
_SKIPPED = ("bench", "checks", "pass")  # keys said in the heading and the checks


def summary(result: Mapping[str, Any]) -> str:
    """The result as lines of text: a heading (met or missed, how many checks), one line per
    check (ok or MISSED, the figure, its value and target), the other figures, and how to get
    the JSON."""
    name = result.get("bench", "benchmark")
    checks: Mapping[str, Mapping[str, Any]] = result.get("checks", {})
    missed = [key for key, check in checks.items() if not check["pass"]]
    if not checks:
        heading = f"bench {name}: no targets to meet"
    elif missed:
        heading = f"bench {name}: FAILED, {len(missed)} of {len(checks)} checks missed their target"
    else:
        heading = f"bench {name}: passed, all {len(checks)} checks met their target"
    lines = [heading]
    rows = [
        row
        for key, value in result.items()
        if key not in _SKIPPED and key not in checks
        for row in _rows(key, value)
    ]
    width = max((len(key) for key in [*checks, *(k for k, _ in rows)]), default=0)
    value_width = max((len(_value(c["value"])) for c in checks.values()), default=0)
    for key, check in checks.items():
        mark = "MISSED" if key in missed else "ok"
        value = _value(check["value"])
        lines.append(
            f"  {mark:<6}  {key:<{width}}  {value:>{value_width}}  target {check['target']}"
        )
    if rows:
        lines.append("figures:")
        indent = " " * (width + 4)
        for key, text in rows:
            lines.append(
                textwrap.fill(
                    text,
                    width=_WIDTH,
                    initial_indent=f"  {key:<{width}}  ",
                    subsequent_indent=indent,
                    break_on_hyphens=False,
                )
            )
    lines.append(f"(the whole result as JSON: vitrine bench {name} --json)")
    return "\n".join(lines)


def _rows(key: str, value: Any) -> list[tuple[str, str]]:
    # One figure as (name, text) rows: a mapping that holds mappings gives a row of its plain
    # values, then the rows of each inner mapping under its dotted name ("lines.serial.full").
    if not isinstance(value, Mapping) or not any(isinstance(v, Mapping) for v in value.values()):
        return [(key, _value(value))]
    plain = {k: v for k, v in value.items() if not isinstance(v, Mapping)}
    rows = [(key, _value(plain))] if plain else []
    for inner, v in value.items():
        if isinstance(v, Mapping):
            rows += _rows(f"{key}.{inner}", v)
    return rows


def _value(value: Any) -> str:
    # One figure as text: yes/no, numbers as they are, a mapping as "key value, ...", a list
    # of plain values written out when short, otherwise counted.
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "-"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_value(v)}" for k, v in value.items()) or "(none)"
    if isinstance(value, list | tuple):
        plain = all(not isinstance(v, Mapping | list | tuple) for v in value)
        if plain and len(value) <= _SHOWN_ITEMS:
            return ", ".join(_value(v) for v in value) or "(none)"
        return f"{len(value)} entries (--json lists them)"
    return str(value)
