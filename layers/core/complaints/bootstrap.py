"""Builds the adapters from settings once per process (cold start) and hands them out."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from complaints.adapters.bank_holidays import CachedBankHolidays
from complaints.adapters.preset_files import PresetLibrary
from complaints.config import settings

if TYPE_CHECKING:
    from complaints.service.clock import StatutoryClock


@functools.cache
def presets() -> PresetLibrary:
    return PresetLibrary(settings().policy_dirs)


@functools.cache
def clock() -> StatutoryClock:
    # numpy comes with the clock; `complaints policies` does not need it
    from complaints.service.clock import StatutoryClock

    return StatutoryClock(presets(), CachedBankHolidays(settings().cache_dir))
