"""Shared fixtures: the real presets, the real `holidays` package, a private cache directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from complaints.adapters.bank_holidays import CachedBankHolidays
from complaints.adapters.preset_files import BUILTIN_DIR, PresetLibrary
from complaints.service.clock import StatutoryClock

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"
DESIGN_PRESET_IDS = {
    "hos-2024", "spso-mchp", "homes-plus-england", "homes-plus-scotland",
    "connect-housing", "housing-solutions", "west-whitlawburn", "my-space",
}


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def bank_holidays(cache_dir: Path) -> CachedBankHolidays:
    return CachedBankHolidays(cache_dir)


@pytest.fixture(scope="session")
def clock(bank_holidays: CachedBankHolidays) -> StatutoryClock:
    return StatutoryClock(PresetLibrary(), bank_holidays)


@pytest.fixture()
def cli_env(cache_dir: Path) -> Iterator[dict[str, str]]:
    env = dict(os.environ)
    env["COMPLAINTS_CACHE_DIR"] = str(cache_dir)
    env.pop("COMPLAINTS_POLICY_DIRS", None)
    yield env


def preset_text(policy_id: str) -> str:
    return (BUILTIN_DIR / f"{policy_id}.toml").read_text(encoding="utf-8")


def seeds_dir() -> Path:
    """The seeds live beside the repo (../shared); CI always has them."""
    if not SEEDS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SEEDS} is missing: CI must run with ../shared beside the repo")
        pytest.skip("../shared/seeds is not beside this checkout")
    return SEEDS
