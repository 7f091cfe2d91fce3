"""Properties of working-day arithmetic, checked against an independent oracle.

The oracle is numpy.busday_offset fed straight from the `holidays` package: it shares no code
with the calendar's tables.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from complaints.adapters.bank_holidays import from_package
from complaints.domain.calendar import NATIONS, CalendarRules, WorkingCalendar
from complaints.service.clock import StatutoryClock

dates = st.dates(min_value=date(1975, 1, 1), max_value=date(2095, 12, 31))
nations = st.sampled_from(NATIONS)
steps = st.integers(min_value=1, max_value=260)


@cache
def oracle_holidays(nation: str) -> np.ndarray:
    days = from_package(nation, range(1970, 2101))
    return np.array(sorted(days), dtype="datetime64[D]")


def oracle_add(nation: str, d: date, k: int) -> date:
    # For k >= 1, rolling a non-working day back first makes busday_offset count strictly after d.
    result = np.busday_offset(np.datetime64(d), k, roll="backward", holidays=oracle_holidays(nation))
    return date.fromisoformat(str(result))


def calendar(clock: StatutoryClock, nation: str) -> WorkingCalendar:
    return clock.calendar(CalendarRules(nation))


@settings(max_examples=300, deadline=None)
@given(nation=nations, d=dates, k=steps)
def test_add_matches_busday_offset_oracle(clock: StatutoryClock, nation: str, d: date, k: int) -> None:
    assert calendar(clock, nation).add_working_days(d, k) == oracle_add(nation, d, k)


@settings(max_examples=300, deadline=None)
@given(nation=nations, d=dates, k=steps)
def test_results_are_working_days_after_the_start(
    clock: StatutoryClock, nation: str, d: date, k: int
) -> None:
    cal = calendar(clock, nation)
    result = cal.add_working_days(d, k)
    assert result > d
    assert cal.is_working_day(result)
    assert result.weekday() < 5
    assert result not in set(from_package(nation, range(result.year, result.year + 1)))


@settings(max_examples=200, deadline=None)
@given(nation=nations, d=dates, k=steps)
def test_monotone_in_k(clock: StatutoryClock, nation: str, d: date, k: int) -> None:
    cal = calendar(clock, nation)
    assert cal.add_working_days(d, k) < cal.add_working_days(d, k + 1)


@settings(max_examples=300, deadline=None)
@given(nation=nations, d=dates, k=st.integers(min_value=0, max_value=260))
def test_between_inverts_add(clock: StatutoryClock, nation: str, d: date, k: int) -> None:
    cal = calendar(clock, nation)
    assert cal.working_days_between(d, cal.add_working_days(d, k)) == k


@settings(max_examples=300, deadline=None)
@given(nation=nations, a=dates, span=st.integers(min_value=0, max_value=400))
def test_add_inverts_between_for_working_days(
    clock: StatutoryClock, nation: str, a: date, span: int
) -> None:
    cal = calendar(clock, nation)
    b = cal.working_day_on_or_after(a + timedelta(days=span))
    assert cal.add_working_days(a, cal.working_days_between(a, b)) == b
    assert cal.working_days_between(b, a) == -cal.working_days_between(a, b)


@settings(max_examples=200, deadline=None)
@given(nation=nations, d=dates, k=steps)
def test_counting_back_undoes_counting_forward(
    clock: StatutoryClock, nation: str, d: date, k: int
) -> None:
    cal = calendar(clock, nation)
    start = cal.working_day_on_or_after(d)
    assert cal.add_working_days(cal.add_working_days(start, k), -k) == start


@settings(max_examples=50, deadline=None)
@given(nation=nations, days=st.lists(dates, min_size=1, max_size=60), k=steps)
def test_array_operations_agree_with_single_dates(
    clock: StatutoryClock, nation: str, days: list[date], k: int
) -> None:
    cal = calendar(clock, nation)
    ordinals = np.array([d.toordinal() for d in days], dtype=np.int64)
    added = cal.add_working_days_array(ordinals, k).tolist()
    assert added == [cal.add_working_days(d, k).toordinal() for d in days]
    back = cal.add_working_days_array(ordinals, -k).tolist()
    assert back == [cal.add_working_days(d, -k).toordinal() for d in days]
    on_or_after = cal.working_day_on_or_after_array(ordinals).tolist()
    assert on_or_after == [cal.working_day_on_or_after(d).toordinal() for d in days]


@settings(max_examples=300, deadline=None)
@given(
    policy_id=st.sampled_from(sorted(
        ["hos-2024", "spso-mchp", "homes-plus-england", "homes-plus-scotland", "connect-housing",
         "housing-solutions", "west-whitlawburn", "my-space"])),
    stage=st.sampled_from([1, 2]),
    received=dates,
    ack_after=st.one_of(st.none(), st.integers(min_value=0, max_value=30)),
)
def test_no_deadline_ever_falls_on_a_weekend_or_bank_holiday(
    clock: StatutoryClock, policy_id: str, stage: int, received: date, ack_after: int | None
) -> None:
    acknowledged = None if ack_after is None else received + timedelta(days=ack_after)
    result = clock.deadlines(policy_id, stage, received, acknowledged)
    nation = result.nation
    for due in (result.day_one, result.acknowledge_by, result.respond_by, result.respond_by_extended):
        if due is None:
            continue
        assert due >= received
        assert due.weekday() < 5, (due, "weekend")
        assert due not in set(from_package(nation, range(due.year, due.year + 1))), due
    assert result.respond_by_extended is None or result.respond_by_extended > result.respond_by
