"""The bank-holiday cache: written once, rebuilt when damaged, never a reason to fail."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from complaints.adapters.bank_holidays import CachedBankHolidays, from_package


def test_cache_is_written_and_agrees_with_the_package(tmp_path: Path) -> None:
    first = CachedBankHolidays(tmp_path)
    got = first("scotland", range(2026, 2027))
    assert got == from_package("scotland", range(2026, 2027))
    files = list(tmp_path.glob("bank-holidays-*.json"))
    assert len(files) == 1
    # a second process reads the file; its answers are the same
    assert CachedBankHolidays(tmp_path)("northern-ireland", range(2026, 2027))[date(2026, 7, 13)]


def test_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    CachedBankHolidays(tmp_path)("england", range(2026, 2027))
    (path,) = tmp_path.glob("bank-holidays-*.json")
    path.write_text('{"england": {"ordinals": [3, 1], "names": ["x", "y"]}}')
    again = CachedBankHolidays(tmp_path)("england", range(2026, 2027))
    assert date(2026, 12, 28) in again
    assert path.read_text().startswith('{"england":{"ordinals":[')


def test_unwritable_cache_only_costs_speed(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    assert date(2026, 6, 15) in CachedBankHolidays(blocker)("scotland", range(2026, 2027))
    assert date(2026, 6, 15) in CachedBankHolidays(None)("scotland", range(2026, 2027))


def test_years_the_package_does_not_know_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no bank holidays are known for 2101"):
        CachedBankHolidays(tmp_path)("england", range(2100, 2102))
