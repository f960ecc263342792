"""The config check: the file the daemon would read loads and validates."""

from __future__ import annotations

from pathlib import Path

from vitrine.config import DEFAULT_PATH, Config, load_config
from vitrine.doctor.check import Check
from vitrine.errors import ConfigError


def check_config(path: Path | None) -> tuple[Check, Config | None]:
    """The check, and the config (None when it is invalid). Without a path, the installed
    service's config; its absence is a warning (every key has a default)."""
    if path is None:
        if not DEFAULT_PATH.exists():
            return (
                Check(
                    "config",
                    "warn",
                    f"no config at {DEFAULT_PATH}: the defaults apply",
                    f"write {DEFAULT_PATH} (docs/configuration.md), or give --config FILE",
                ),
                Config(),
            )
        path = DEFAULT_PATH
    try:
        config = load_config(path)
    except ConfigError as err:
        return (
            Check(
                "config",
                "fail",
                str(err),
                f"correct {path}: each problem names the key, its value and what is allowed "
                "(docs/configuration.md); the daemon does not start until then",
            ),
            None,
        )
    return Check("config", "ok", f"{path}: valid"), config
