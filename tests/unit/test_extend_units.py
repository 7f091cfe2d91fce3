"""`#extend` counts working days (issue 20): how a reply may write the span, and what the
lifecycle says back when it is written in calendar time or goes over the policy's cap.

Given an `#extend` line however a handler writes it, when it is parsed, then working days are
taken as working days and calendar time ("2 weeks", "14 days", "a month") is never taken as
that many working days; when such a command reaches the case, then it is refused with the
working days to write, counted on from the response date due, on the case's calendar.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complaints.domain import commands as c
from complaints.domain.lifecycle import Refusal, handle
from complaints.mail.staff_reply import parse_reply
from complaints.service.clock import StatutoryClock
from tests.unit.test_lifecycle import ctx, new_case, run

TODAY = date(2026, 6, 5)
WHY = "#extend needs a number of working days and a reason"


def parsed(line: str) -> c.Command | str:
    reply = parse_reply(line, TODAY)
    if reply.commands:
        [command] = reply.commands
        return command
    [problem] = reply.problems
    return problem.split('": ', 1)[1]


@pytest.mark.parametrize(("line", "days", "reason"), [
    ("#extend 5 waiting for the survey", 5, "waiting for the survey"),
    ("#extend 5 working days waiting for the survey", 5, "waiting for the survey"),
    ("#extend 5 working days: waiting for the survey", 5, "waiting for the survey"),
    ("#extend 5 Working Days - waiting for the survey", 5, "waiting for the survey"),
    ("#extend 1 working day survey", 1, "survey"),
    ("#extend 5 workdays survey", 5, "survey"),
    ("#extend 5 work days survey", 5, "survey"),
    ("#extend 5 business days survey", 5, "survey"),
    ("#extend 5wd survey", 5, "survey"),
    ("#extend 5 WD: survey", 5, "survey"),
    ("#extend 5 w/d survey", 5, "survey"),
    ("#extend by 5 working days survey", 5, "survey"),
    ("#extend ten working days survey", 10, "survey"),
    # a reason that happens to start like a unit is a reason
    ("#extend 5 damp survey booked", 5, "damp survey booked"),
    ("#extend 5 weekend access only", 5, "weekend access only"),
    ("#extend 5 monthly inspection first", 5, "monthly inspection first"),
    ("#extend 1 one more day", 1, "one more day"),
])
def test_working_days_are_taken_as_working_days(line: str, days: int, reason: str) -> None:
    assert parsed(line) == c.Extend(working_days=days, reason=reason)


@pytest.mark.parametrize(("line", "amount", "unit", "written", "reason"), [
    ("#extend 2 weeks waiting for the survey", 2, "weeks", "2 weeks", "waiting for the survey"),
    ("#extend 2 weeks", 2, "weeks", "2 weeks", ""),
    ("#extend 2 Weeks: survey", 2, "weeks", "2 Weeks", "survey"),
    ("#extend 2weeks survey", 2, "weeks", "2 weeks", "survey"),
    ("#extend 1 week survey", 1, "weeks", "1 week", "survey"),
    ("#extend 3 wks survey", 3, "weeks", "3 wks", "survey"),
    ("#extend a week survey", 1, "weeks", "a week", "survey"),
    ("#extend two weeks survey", 2, "weeks", "two weeks", "survey"),
    ("#extend a fortnight survey", 2, "weeks", "a fortnight", "survey"),
    ("#extend by 2 weeks survey", 2, "weeks", "2 weeks", "survey"),
    ("#extend for 2 weeks survey", 2, "weeks", "2 weeks", "survey"),
    ("#extend 14 days survey", 14, "calendar days", "14 days", "survey"),
    ("#extend 14 days", 14, "calendar days", "14 days", ""),
    ("#extend 5 days: contractor needs a second visit", 5, "calendar days", "5 days",
     "contractor needs a second visit"),
    ("#extend 1 day survey", 1, "calendar days", "1 day", "survey"),
    ("#extend 14d survey", 14, "calendar days", "14 d", "survey"),
    ("#extend 10 calendar days survey", 10, "calendar days", "10 calendar days", "survey"),
    ("#extend ten days survey", 10, "calendar days", "ten days", "survey"),
    ("#extend a month", 1, "months", "a month", ""),
    ("#extend a month - survey", 1, "months", "a month", "survey"),
    ("#extend 1 month survey", 1, "months", "1 month", "survey"),
    ("#extend 2 months survey", 2, "months", "2 months", "survey"),
    ("#extend 3 mths survey", 3, "months", "3 mths", "survey"),
])
def test_calendar_time_is_never_taken_as_working_days(
        line: str, amount: int, unit: str, written: str, reason: str) -> None:
    assert parsed(line) == c.ExtendInCalendarTime(amount=amount, unit=unit, reason=reason,
                                                  written=written)


@pytest.mark.parametrize(("line", "problem"), [
    ("#extend", WHY), ("#extend 10", WHY), ("#extend 10 working days", WHY),
    ("#extend ten survey", WHY), ("#extend a survey is booked", WHY),
    ("#extend a few weeks", WHY), ("#extend 10.5 survey", WHY), ("#extend 1,5 weeks", WHY),
    ("#extend -5 survey", WHY), ("#extend \uff12 weeks", WHY),
    ("#extend 0 survey", "#extend takes 1 to 60 working days, not 0"),
    ("#extend 61 survey", "#extend takes 1 to 60 working days, not 61"),
    ("#extend 0 weeks survey",
     "#extend takes 1 to 60 working days: 0 weeks is not an extension it can give"),
    ("#extend 99 months survey",
     "#extend takes 1 to 60 working days: 99 months is not an extension it can give"),
    ("#extend 9999 weeks survey", "#extend takes 1 to 60 working days, not 9999"),
])
def test_what_cannot_be_an_extension_is_a_problem(line: str, problem: str) -> None:
    assert parsed(line) == problem


@given(st.text(max_size=300))
def test_any_extend_line_parses_to_a_command_or_a_problem(argument: str) -> None:
    result = parsed("#extend " + argument.replace("\n", " ").replace("\r", " "))
    assert isinstance(result, c.Extend | c.ExtendInCalendarTime | str)
    if isinstance(result, c.Extend):
        assert 1 <= result.working_days <= 60 and result.reason


# --- on the case: refused with the working days to write --------------------------------------


def refusal(clock: StatutoryClock, command: c.Command, days: int = 0,
            policy: str = "hos-2024") -> str:
    """What the lifecycle says to ``command`` on an acknowledged case, ``days`` after
    Mon 1 Jun 2026."""
    case = new_case(clock, policy)
    if clock.presets.get(policy).stage(1).acknowledge is not None:
        run(clock, case, c.Acknowledge("Damp; fix it"))
    with pytest.raises(Refusal) as refused:
        handle(case, command, ctx(clock, case, days=days))
    assert case.extended_to is None and not case.extensions_at(1)
    return str(refused.value)


# #extend N adds N working days to the response date now due, so a span is counted on from it:
# here Mon 15 Jun 2026 (acknowledged Mon 1 Jun, 10 working days); worked by hand
@pytest.mark.parametrize(("amount", "unit", "written", "n", "to"), [
    (2, "weeks", "2 weeks", 10, "Monday 29 June 2026"),
    (14, "calendar days", "14 days", 10, "Monday 29 June 2026"),
    (10, "calendar days", "10 calendar days", 8, "Thursday 25 June 2026"),
    (1, "months", "a month", 22, "Wednesday 15 July 2026"),
    # Sat 20 Jun is no working day: the response date is the Monday after
    (5, "calendar days", "5 days", 5, "Monday 22 June 2026"),
])
def test_calendar_time_is_refused_with_the_working_days_from_the_date_due(
        clock: StatutoryClock, amount: int, unit: str, written: str, n: int, to: str) -> None:
    said = refusal(clock, c.ExtendInCalendarTime(amount, unit, "waiting for the survey",
                                                 written))
    assert said.startswith(
        f"{written} on from the response date now due (Monday 15 June 2026) is {n} working "
        f"days, to {to}: write #extend {n} waiting for the survey (#extend counts working days)")


def due_on(clock: StatutoryClock, due: date, command: c.Command) -> str:
    """The refusal on an acknowledged case whose response is now due on ``due``."""
    case = new_case(clock, "hos-2024")
    run(clock, case, c.Acknowledge("Damp; fix it"))
    case.extended_to = due
    with pytest.raises(Refusal) as refused:
        handle(case, command, ctx(clock, case))
    return str(refused.value)


def test_the_count_skips_the_bank_holidays_of_the_cases_nation(clock: StatutoryClock) -> None:
    # Thu 20 Aug 2026 + 2 weeks: the summer bank holiday (Mon 31 Aug) is in England's span
    said = due_on(clock, date(2026, 8, 20), c.ExtendInCalendarTime(2, "weeks", "survey", "2 weeks"))
    assert "is 9 working days, to Thursday 3 September 2026: write #extend 9 survey" in said


def test_a_month_on_from_the_31st_is_the_months_last_day(clock: StatutoryClock) -> None:
    # Fri 31 Jul 2026 + a month: 31 Aug, a bank holiday in England, so Tue 1 Sep
    said = due_on(clock, date(2026, 7, 31), c.ExtendInCalendarTime(1, "months", "survey", "a month"))
    assert ", to Tuesday 1 September 2026: write #extend" in said


def test_without_a_reason_the_refusal_asks_for_one(clock: StatutoryClock) -> None:
    said = refusal(clock, c.ExtendInCalendarTime(2, "weeks", "", "2 weeks"))
    assert "write #extend 10 <reason>" in said


def test_calendar_time_beyond_the_cap_says_the_latest_date_allowed(
        clock: StatutoryClock) -> None:
    said = refusal(clock, c.ExtendInCalendarTime(1, "months", "survey", "a month"))
    # hos-2024: 10 working days beyond the response date (Mon 15 Jun 2026 from 1 Jun)
    assert said.endswith("hos-2024 allows 10 more working days at stage 1: the latest date "
                         "allowed is Monday 29 June 2026")


def test_working_days_beyond_the_cap_say_the_latest_date_allowed(
        clock: StatutoryClock) -> None:
    said = refusal(clock, c.Extend(15, "waiting for the survey"))
    assert said == ("hos-2024 allows at most 10 working days of extension at stage 1 (0 "
                    "used): 15 more is beyond the cap: the latest date allowed is Monday 29 "
                    "June 2026, 10 more working days (#extend 10 waiting for the survey)")


def test_a_total_cap_says_the_latest_date_allowed(clock: StatutoryClock) -> None:
    # the SPSO model: 5 working days at stage 1, 10 at most in all (CHP ¶104)
    said = refusal(clock, c.Extend(6, "survey"), policy="spso-mchp")
    assert said == ("spso-mchp allows no response later than 2026-06-12 at stage 1; 6 working "
                    "days would make it 2026-06-16: the latest date allowed is Friday 12 June "
                    "2026, 5 more working days (#extend 5 survey)")


def test_once_the_cap_is_used_up_the_refusal_says_so(clock: StatutoryClock) -> None:
    case = new_case(clock, "hos-2024")
    run(clock, case, c.Acknowledge("Damp; fix it"), c.Extend(10, "survey"))
    with pytest.raises(Refusal) as refused:
        handle(case, c.Extend(1, "survey again"), ctx(clock, case))
    assert str(refused.value).endswith(": no more extension is allowed; the latest date "
                                       "allowed is Monday 29 June 2026")
