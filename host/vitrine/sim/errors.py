"""The simulation's error: a request that cannot be carried out."""

from __future__ import annotations

from vitrine.errors import VitrineError


class SimError(VitrineError):
    """A simulation request that cannot be carried out (the message says why)."""
