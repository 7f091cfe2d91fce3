"""The bank-holiday cache: written once, rebuilt when damaged, never a reason to fail."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from complaints.adapters import bank_holidays
from complaints.adapters.bank_holidays import CachedBankHolidays, from_package, write_bundle


def test_cache_is_written_and_agrees_with_the_package(tmp_path: Path) -> None:
    first = CachedBankHolidays(tmp_path, bundled_dir=None)
    got = first("scotland", range(2026, 2027))
    assert got == from_package("scotland", range(2026, 2027))
    files = list(tmp_path.glob("bank-holidays-*.json"))
    assert len(files) == 1
    # a second process reads the file; its answers are the same
    second = CachedBankHolidays(tmp_path, bundled_dir=None)
    assert second("northern-ireland", range(2026, 2027))[date(2026, 7, 13)]


def test_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    CachedBankHolidays(tmp_path, bundled_dir=None)("england", range(2026, 2027))
    (path,) = tmp_path.glob("bank-holidays-*.json")
    path.write_text('{"england": {"ordinals": [3, 1], "names": ["x", "y"]}}')
    again = CachedBankHolidays(tmp_path, bundled_dir=None)("england", range(2026, 2027))
    assert date(2026, 12, 28) in again
    assert path.read_text().startswith('{"england":{"ordinals":[')


def test_unwritable_cache_only_costs_speed(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    assert date(2026, 6, 15) in CachedBankHolidays(blocker, bundled_dir=None)("scotland", range(2026, 2027))
    assert date(2026, 6, 15) in CachedBankHolidays(None, bundled_dir=None)("scotland", range(2026, 2027))


def test_years_the_package_does_not_know_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no bank holidays are known for 2101"):
        CachedBankHolidays(tmp_path, bundled_dir=None)("england", range(2100, 2102))


def test_the_bundled_table_is_used_without_importing_holidays(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "bundle")
    assert oct(bundle.stat().st_mode & 0o777) == "0o644"  # readable in a Lambda layer

    def refuse(*_: object) -> None:
        raise AssertionError("the holidays package was asked")

    monkeypatch.setattr(bank_holidays, "from_package", refuse)
    reader = CachedBankHolidays(None, bundled_dir=tmp_path / "bundle")
    assert date(2026, 6, 15) in reader("scotland", range(2026, 2027))
    # a bundle for another version of `holidays` is ignored, never trusted
    bundle.rename(bundle.with_name("bank-holidays-0000000000000000.json"))
    with pytest.raises(AssertionError, match="was asked"):
        CachedBankHolidays(None, bundled_dir=tmp_path / "bundle")("england", range(2026, 2027))
