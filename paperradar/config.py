"""Where paperradar keeps its data, and its settings.

Precedence: defaults, then ``config.toml`` in the home directory, then ``PAPERRADAR_*``
environment variables, then command-line flags. The home directory itself comes from
``--home``, else ``PAPERRADAR_HOME``, else the user data directory (e.g.
``~/.local/share/paperradar`` on Linux).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from paperradar.errors import ConfigError

HOME_ENV = "PAPERRADAR_HOME"
#: the environment variable naming the store's URL (``--store`` sets it for the command)
STORE_ENV = "PAPERRADAR_STORE"
CONFIG_NAME = "config.toml"


def resolve_home(flag: str | Path | None = None) -> Path:
    """The home directory: ``--home``, else ``$PAPERRADAR_HOME``, else the user data dir."""
    if flag:
        return Path(flag).expanduser()
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("paperradar", appauthor=False))


@dataclass(slots=True)
class Config:
    """Settings read from the home's config.toml (sections are free-form tables)."""

    home: Path
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, section: str, key: str, default: Any = None) -> Any:
        """``[section] key`` from the file, overridden by ``PAPERRADAR_SECTION_KEY``."""
        env = os.environ.get(f"PAPERRADAR_{section}_{key}".upper())
        if env is not None:
            return env
        table = self.values.get(section, {})
        return table.get(key, default) if isinstance(table, dict) else default


def load_config(home: Path) -> Config:
    """Read ``config.toml`` from the home directory (absent means all defaults)."""
    path = home / CONFIG_NAME
    if not path.exists():
        return Config(home=home)
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return Config(home=home, values=values)
