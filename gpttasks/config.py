"""User settings: environment variables first, then the config file, then defaults."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gpttasks.errors import UsageError

DEFAULT_MODEL = "smollm2"
CONFIG_KEYS = {"model", "device", "dtype", "cache_dir"}


def config_path() -> Path:
    """Return the config file path (``GPTTASKS_CONFIG`` overrides the platform default)."""
    override = os.environ.get("GPTTASKS_CONFIG")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("gpttasks")) / "config.toml"


def cache_dir() -> Path:
    """Return the cache root (``GPTTASKS_CACHE`` overrides the file and platform default)."""
    override = os.environ.get("GPTTASKS_CACHE") or load_config().cache_dir
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("gpttasks"))


@dataclass(frozen=True)
class FileConfig:
    """Values read from the TOML config file; ``None`` where the file sets nothing."""

    model: str | None = None
    device: str | None = None
    dtype: str | None = None
    cache_dir: str | None = None


@lru_cache(maxsize=1)
def load_config() -> FileConfig:
    """Read the config file once; a missing file means defaults."""
    path = config_path()
    if not path.is_file():
        return FileConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"invalid config file {path}: {error}; fix or delete it") from error
    unknown = sorted(set(data) - CONFIG_KEYS)
    if unknown:
        raise UsageError(
            f"unknown key(s) {', '.join(unknown)} in config file {path}; "
            f"valid keys are {', '.join(sorted(CONFIG_KEYS))}"
        )
    for key, value in data.items():
        if not isinstance(value, str):
            raise UsageError(f"config key {key!r} in {path} must be a string, got {value!r}")
    return FileConfig(**data)


def resolve_setting(flag_value: str | None, env_name: str, key: str, default: str) -> str:
    """Pick a setting: the flag, then the environment variable, then the file, then the default."""
    if flag_value:
        return flag_value
    env_value = os.environ.get(env_name)
    if env_value:
        return env_value
    return getattr(load_config(), key) or default
