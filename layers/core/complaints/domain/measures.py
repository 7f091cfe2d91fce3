"""The reporting definitions (issue 12; README "Reports"), as pure functions of case records.

- Received: stage 1 on its received date, stage 2 on its escalation request's date. Answered:
  on the stage's response date. A refused complaint is received and never answered at the stage
  refused (a stage 1 answered before stage 2 was refused stays answered); a service request
  (not a complaint) is neither.
- Within timescale: the response date is no later than the stage's respond_by under the case's
  policy, counted from the recorded acknowledgement where the policy counts from it (else from
  acknowledge_by). Within timescale with extensions: within, or an extension was recorded, the
  response came by the extended date, and that date is within respond_by_extended where the
  policy caps extensions.
- Working days taken: from the stage's day one to the response date, both counted (0 when the
  response came before day one).
- Percentages: 100 x part / whole to 1 dp (half up), None when the whole is 0; per 1,000 homes
  likewise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from complaints.domain.calendar import WorkingCalendar
from complaints.domain.deadlines import StageDeadlines
from complaints.domain.record import CaseRecord, StageRecord

# (policy id, stage, received, acknowledged) -> the stage's deadlines under that policy
DeadlinesFor = Callable[[str, int, date, date | None], StageDeadlines]
CalendarFor = Callable[[str], WorkingCalendar]  # policy id -> its working calendar


def one_dp(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def percent(part: float, whole: float) -> float | None:
    """100 x part / whole to 1 dp, half up; None when the whole is 0."""
    return one_dp(Decimal(str(part)) * 100 / Decimal(str(whole))) if whole else None


def per_1000(count: int, homes: int | None) -> float | None:
    """count / homes x 1,000 to 1 dp, half up; None without homes."""
    return one_dp(Decimal(count * 1000) / Decimal(homes)) if homes else None


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @classmethod
    def year(cls, year: int) -> Period:
        """The reporting year 1 April ``year`` to 31 March the year after."""
        return cls(date(year, 4, 1), date(year + 1, 3, 31))

    def to_json(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


@dataclass(frozen=True)
class Judged:
    """One stage answered, judged against its policy's timescales."""

    record: CaseRecord
    stage: StageRecord
    deadlines: StageDeadlines
    within: bool
    within_with_extensions: bool
    working_days: int


def judge(record: CaseRecord, stage: StageRecord, deadlines_for: DeadlinesFor,
          calendar_for: CalendarFor) -> Judged:
    assert stage.responded is not None
    d = deadlines_for(record.policy, stage.stage, stage.received, stage.acknowledged)
    within = stage.responded <= d.respond_by
    extended = (stage.extended_to is not None and stage.responded <= stage.extended_to
                and (d.respond_by_extended is None or stage.extended_to <= d.respond_by_extended))
    calendar = calendar_for(record.policy)
    taken = 0
    if stage.responded >= d.day_one:
        taken = calendar.working_days_between(d.day_one, stage.responded) + int(
            calendar.is_working_day(d.day_one))
    return Judged(record, stage, d, within, within or extended, taken)


def counted(record: CaseRecord) -> bool:
    return not record.not_a_complaint


def received(records: Iterable[CaseRecord], number: int, period: Period) -> list[CaseRecord]:
    return [r for r in records if counted(r) and (s := r.stage(number)) is not None
            and s.received in period]


def answered(records: Iterable[CaseRecord], number: int, period: Period,
             deadlines_for: DeadlinesFor, calendar_for: CalendarFor) -> list[Judged]:
    return [judge(r, s, deadlines_for, calendar_for) for r in records
            if counted(r) and not r.refused_at(number) and (s := r.stage(number)) is not None
            and s.responded in period]


def timeliness(judged: list[Judged]) -> dict[str, int | float | None]:
    within = sum(j.within for j in judged)
    extended = sum(j.within_with_extensions for j in judged)
    return {"responded": len(judged), "within": within, "percent": percent(within, len(judged)),
            "within_with_extensions": extended,
            "percent_with_extensions": percent(extended, len(judged))}


def average_working_days(judged: list[Judged]) -> float | None:
    if not judged:
        return None
    return one_dp(Decimal(sum(j.working_days for j in judged)) / Decimal(len(judged)))
