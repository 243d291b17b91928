"""Where a user's own files live, and reading the TOML catalogs (models and prompts) with errors that name the file."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from engine.errors import StorageError


def _user_dir(own_variable: str, xdg_variable: str, usual: str) -> Path:
    """``$own_variable``, else ``$xdg_variable/aitelephone``, else ``~/usual/aitelephone``."""
    configured = os.environ.get(own_variable)
    if configured:
        return Path(configured)
    return Path(os.environ.get(xdg_variable) or Path.home() / usual) / "aitelephone"


def user_config_dir() -> Path:
    """``$AITELEPHONE_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/aitelephone``, else ``~/.config/aitelephone``."""
    return _user_dir("AITELEPHONE_CONFIG_DIR", "XDG_CONFIG_HOME", ".config")


def read_toml(text: str, source: str) -> dict[str, Any]:
    """Parse a catalog file; a syntax error names the file."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise StorageError(f"{source}: not valid TOML: {error}") from error


def user_cache_dir() -> Path:
    """Where aitelephone keeps what it can compute again: ``$AITELEPHONE_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/aitelephone``, else ``~/.cache/aitelephone``."""
    return _user_dir("AITELEPHONE_CACHE_DIR", "XDG_CACHE_HOME", ".cache")
