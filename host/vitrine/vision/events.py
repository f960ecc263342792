"""Vision results on the bus (anonymous: labels and scores, never a frame)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ExpressionLabel = Literal["neutral", "happy", "surprised", "frustrated"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Expression:
    """The expression of the person engaged with the mirror, as the model sees it."""

    label: ExpressionLabel
    confidence: float  # 0..1
    t_ns: int
