"""Vitrine host: the daemon on the mirror's computer, its CLI, the board link and simulator."""

from vitrine_fw import __version__

__all__ = ["__version__"]
