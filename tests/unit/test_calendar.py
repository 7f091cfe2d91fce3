"""The calendar's rules: nations, closures, worked-on holidays, receipt instants and cut-offs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from complaints.adapters.bank_holidays import CachedBankHolidays, from_package
from complaints.domain.calendar import (
    CalendarError,
    CalendarRules,
    WorkingCalendar,
    expand_days,
    parse_iso_date,
    receipt_date,
)
from complaints.service.clock import StatutoryClock

D = date.fromisoformat
UTC = UTC


@pytest.mark.parametrize(("nation", "start", "expected", "why"), [
    ("england", "2026-08-28", "2026-09-01", "Mon 31 Aug: late summer bank holiday"),
    ("wales", "2026-08-28", "2026-09-01", "Wales keeps England's holidays"),
    ("scotland", "2026-08-28", "2026-08-31", "Scotland's summer holiday was Mon 3 Aug"),
    ("scotland", "2026-07-31", "2026-08-04", "Mon 3 Aug is Scotland's summer holiday"),
    ("northern-ireland", "2026-07-10", "2026-07-14", "Mon 13 Jul: Boyne (12th) observed"),
    ("northern-ireland", "2026-03-16", "2026-03-18", "17 Mar: St Patrick's Day"),
    ("scotland", "2026-11-27", "2026-12-01", "Mon 30 Nov: St Andrew's Day"),
    ("england", "2026-11-27", "2026-11-30", "St Andrew's Day is Scottish only"),
    ("england", "2026-12-24", "2026-12-29", "25 Dec, then Boxing Day observed Mon 28"),
])
def test_next_working_day_per_nation(clock: StatutoryClock, nation: str, start: str,
                                     expected: str, why: str) -> None:
    cal = clock.calendar(CalendarRules(nation))
    assert cal.next_working_day(D(start)) == D(expected), why


def test_reasons_name_the_holiday(clock: StatutoryClock) -> None:
    cal = clock.calendar(CalendarRules("scotland"))
    assert "World Cup" in (cal.why_not_working(D("2026-06-15")) or "")
    assert cal.why_not_working(D("2026-06-13")) == "Saturday"
    assert cal.why_not_working(D("2026-06-16")) is None


def test_closure_days_are_not_working_days(bank_holidays: CachedBankHolidays) -> None:
    closed = WorkingCalendar(
        CalendarRules("england", closure_days=expand_days(["2026-12-29..2026-12-31"])), bank_holidays)
    plain = WorkingCalendar(CalendarRules("england"), bank_holidays)
    # Wed 23 Dec + 5 WD: Thu 24 (1), [29-31 closed], Mon 4 (2), Tue 5, Wed 6, Thu 7 Jan (5)
    assert closed.add_working_days(D("2026-12-23"), 5) == D("2027-01-07")
    assert plain.add_working_days(D("2026-12-23"), 5) == D("2027-01-04")
    assert closed.why_not_working(D("2026-12-30")) == "landlord closure day"


def test_working_on_a_proclaimed_holiday(bank_holidays: CachedBankHolidays) -> None:
    works = WorkingCalendar(
        CalendarRules("scotland", working_holidays=frozenset({D("2026-06-15")})), bank_holidays)
    assert works.is_working_day(D("2026-06-15"))
    assert works.next_working_day(D("2026-06-12")) == D("2026-06-15")


def test_working_holiday_must_be_a_bank_holiday(bank_holidays: CachedBankHolidays) -> None:
    cal = WorkingCalendar(
        CalendarRules("scotland", working_holidays=frozenset({D("2026-06-16")})), bank_holidays)
    with pytest.raises(CalendarError, match="2026-06-16 is not a bank holiday in scotland"):
        cal.is_working_day(D("2026-06-16"))


def test_every_year_the_holidays_package_knows(clock: StatutoryClock) -> None:
    cal = clock.calendar(CalendarRules("england"))
    assert cal.add_working_days(D("1960-01-01"), 1) == D("1960-01-04")  # Fri -> Mon
    # Christmas 2100 is a Saturday: substitute days Mon 27 and Tue 28 Dec
    assert D("2100-12-27") in from_package("england", range(2100, 2101))
    assert cal.next_working_day(D("2100-12-24")) == D("2100-12-29")
    assert cal.next_working_day(D("1872-06-01")) == D("1872-06-03")


def test_years_without_bank_holiday_data_are_refused(clock: StatutoryClock) -> None:
    # The holidays package stops at 2100: a silent "no holidays" would misdate every deadline.
    cal = clock.calendar(CalendarRules("england"))
    with pytest.raises(CalendarError, match="2150-12-24 is outside the years bank holidays"):
        cal.next_working_day(D("2150-12-24"))
    with pytest.raises(CalendarError, match="leaves the years bank holidays are known for"):
        cal.add_working_days(D("2100-12-20"), 30)
    with pytest.raises(CalendarError, match="outside the years"):
        cal.add_working_days(D("1871-12-20"), 1)


def test_unknown_nation_is_refused() -> None:
    with pytest.raises(CalendarError, match="unknown nation 'cornwall'"):
        CalendarRules("cornwall")


@pytest.mark.parametrize("text", ["20260522", "2026-W21-5", "2026-02-30", "22/05/2026", ""])
def test_strict_dates(text: str) -> None:
    with pytest.raises(CalendarError):
        parse_iso_date(text)


def test_expand_days_rejects_backwards_and_huge_ranges() -> None:
    with pytest.raises(CalendarError, match="ends before it starts"):
        expand_days(["2026-12-31..2026-12-29"])
    with pytest.raises(CalendarError, match="longer than a year"):
        expand_days(["2026-01-01..2028-01-01"])


# --- receipt instants across the clock changes (29 Mar 2026 01:00 UTC, 25 Oct 2026 01:00 UTC)

@pytest.mark.parametrize(("instant", "expected"), [
    ("2026-03-28T23:30:00+00:00", "2026-03-28"),  # Sat 23:30 GMT
    ("2026-03-29T00:59:59+00:00", "2026-03-29"),  # Sun 00:59 GMT, just before the change
    ("2026-03-29T23:30:00+00:00", "2026-03-30"),  # Mon 00:30 BST: UTC still says Sunday
    ("2026-10-23T23:30:00+00:00", "2026-10-24"),  # Sat 00:30 BST: UTC still says Friday
    ("2026-10-25T00:30:00+00:00", "2026-10-25"),  # 01:30 BST, first pass of the repeated hour
    ("2026-10-25T23:30:00+00:00", "2026-10-25"),  # Sun 23:30 GMT
    ("2026-10-26T00:30:00+01:00", "2026-10-25"),  # an offset that is not London's: converted
])
def test_receipt_instant_maps_to_london_date(clock: StatutoryClock, instant: str,
                                             expected: str) -> None:
    cal = clock.calendar(CalendarRules("england"))
    assert receipt_date(datetime.fromisoformat(instant), None, cal) == D(expected)


def test_bst_receipt_changes_the_deadline(clock: StatutoryClock) -> None:
    # 23:30 UTC on Fri 23 Oct 2026 is Sat 24 Oct in London: SPSO day one is Mon 26, day 5 Fri 30.
    # Taking the UTC date (Fri 23) would have made day 5 Thu 29 Oct.
    cal = clock.calendar(CalendarRules("scotland"))
    received = receipt_date(datetime(2026, 10, 23, 23, 30, tzinfo=UTC), None, cal)
    result = clock.deadlines("spso-mchp", 1, received)
    assert (result.day_one, result.respond_by) == (D("2026-10-26"), D("2026-10-30"))
    # 23:30 UTC on Sun 29 Mar 2026 is Mon 30 Mar: HOS ack is Wed 8 Apr (Good Friday, Easter Monday)
    received = receipt_date(datetime(2026, 3, 29, 23, 30, tzinfo=UTC), None, cal)
    assert clock.deadlines("homes-plus-england", 1, received).acknowledge_by == D("2026-04-08")


def test_naive_receipt_time_is_refused(clock: StatutoryClock) -> None:
    cal = clock.calendar(CalendarRules("england"))
    with pytest.raises(CalendarError, match="timezone"):
        receipt_date(datetime(2026, 5, 22, 12, 0), None, cal)


@pytest.mark.parametrize(("nation", "instant", "expected"), [
    ("england", "2026-05-22T15:59:00+00:00", "2026-05-22"),  # Fri 16:59 BST: before cut-off
    ("england", "2026-05-22T16:00:00+00:00", "2026-05-26"),  # Fri 17:00 BST: next WD (Mon 25 off)
    ("england", "2026-06-13T09:00:00+00:00", "2026-06-15"),  # Saturday: next working day
    ("scotland", "2026-06-13T09:00:00+00:00", "2026-06-16"),  # Saturday, and Mon 15 is off
    ("england", "2026-01-05T16:59:00+00:00", "2026-01-05"),  # GMT in winter: 16:59 is before 17:00
    ("england", "2026-01-05T17:00:00+00:00", "2026-01-06"),
])
def test_receipt_cutoff(clock: StatutoryClock, nation: str, instant: str, expected: str) -> None:
    cal = clock.calendar(CalendarRules(nation))
    assert receipt_date(datetime.fromisoformat(instant), time(17, 0), cal) == D(expected)
