"""The one place that reads configuration: environment variables, read once per process."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    # Extra preset directories, searched after the built-in policies/ (COMPLAINTS_POLICY_DIRS,
    # separated like PATH). A landlord adds its own preset here without touching code.
    policy_dirs: tuple[Path, ...]
    # Where derived data is cached (the bank-holiday table); None disables caching.
    cache_dir: Path | None
    # The local stack's data directory (COMPLAINTS_DATA_DIR, default .local).
    data_dir: Path
    # The landlord this deployment serves, and its presets (template.yaml parameters).
    landlord: str = "Example Homes"
    default_policy: str = "hos-2024"  # COMPLAINTS_DEFAULT_POLICY
    scottish_policy: str = "spso-mchp"  # COMPLAINTS_SCOTTISH_POLICY: homes with a Scottish postcode


def load_settings(environ: Mapping[str, str]) -> Settings:
    dirs = tuple(Path(p) for p in environ.get("COMPLAINTS_POLICY_DIRS", "").split(os.pathsep) if p)
    cache_text = environ.get("COMPLAINTS_CACHE_DIR")
    if cache_text is not None:
        cache_dir: Path | None = Path(cache_text) if cache_text not in ("", "off") else None
    elif environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        cache_dir = Path("/tmp/complaints-cache")  # the only writable place in Lambda
    else:
        base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        cache_dir = Path(base) / "complaints"
    data_dir = Path(environ.get("COMPLAINTS_DATA_DIR") or ".local")
    return Settings(
        policy_dirs=dirs,
        cache_dir=cache_dir,
        data_dir=data_dir,
        landlord=environ.get("COMPLAINTS_LANDLORD") or Settings.landlord,
        default_policy=environ.get("COMPLAINTS_DEFAULT_POLICY") or Settings.default_policy,
        scottish_policy=environ.get("COMPLAINTS_SCOTTISH_POLICY") or Settings.scottish_policy,
    )


@functools.cache
def settings() -> Settings:
    return load_settings(os.environ)
