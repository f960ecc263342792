"""What every benchmark does with its figures: a percentile, and each figure named in the
targets judged against its target (the "checks" and the overall "pass" of the JSON)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
}


def percentile(values: list[float], q: float) -> float:
    """The value at fraction q of the sorted values (nearest rank, rounding down)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def judged(result: Mapping[str, Any], targets: Mapping[str, tuple[str, float]]) -> dict[str, Any]:
    """{"checks": {figure: {"value", "target", "pass"}}, "pass": all of them}."""
    checks = {
        key: {
            "value": result[key],
            "target": f"{op} {target}",
            "pass": OPS[op](result[key], target),
        }
        for key, (op, target) in targets.items()
    }
    return {"checks": checks, "pass": all(c["pass"] for c in checks.values())}
