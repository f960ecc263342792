"""The base of every section of the daemon's configuration (and of the hardware descriptions):
unknown keys refused, values frozen once validated, and strict types, since TOML has real
types and "1.5" or "yes" where a number or boolean belongs is a mistake to report, not to
coerce. A leaf module, so that each part's own section can use it without importing
vitrine.config (which imports them all)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
