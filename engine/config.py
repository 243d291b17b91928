"""Where a user's own files live, and reading the TOML catalogs (models and prompts) with errors that name the file."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from engine.errors import StorageError


def user_config_dir() -> Path:
    """``$AITELEPHONE_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/aitelephone``, else ``~/.config/aitelephone``."""
    configured = os.environ.get("AITELEPHONE_CONFIG_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "aitelephone"


def read_toml(text: str, source: str) -> dict[str, Any]:
    """Parse a catalog file; a syntax error names the file."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise StorageError(f"{source}: not valid TOML: {error}") from error


def user_cache_dir() -> Path:
    """Where aitelephone keeps what it can compute again (``$AITELEPHONE_CACHE_DIR`` or ``~/.cache/aitelephone``)."""
    configured = os.environ.get("AITELEPHONE_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "aitelephone"
