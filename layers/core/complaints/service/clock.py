"""The statutory clock: deadlines for a policy and stage, one case or a stream of them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from complaints.domain.agenda import AgendaRules, wake
from complaints.domain.calendar import CalendarRules, HolidaySource, WorkingCalendar
from complaints.domain.case import Complaint
from complaints.domain.deadlines import StageDeadlines, compute
from complaints.domain.policy import Policy
from complaints.service.ports import Presets


class StatutoryClock:
    def __init__(self, presets: Presets, bank_holidays: HolidaySource) -> None:
        self.presets = presets
        self._bank_holidays = bank_holidays
        self._calendars: dict[CalendarRules, WorkingCalendar] = {}

    def policy(self, policy_id: str) -> Policy:
        """The preset (ValueError for one not in the library)."""
        return self.presets.get(policy_id)

    def calendar(self, rules: CalendarRules) -> WorkingCalendar:
        cal = self._calendars.get(rules)
        if cal is None:
            cal = self._calendars[rules] = WorkingCalendar(rules, self._bank_holidays)
        return cal

    def calendar_for(self, policy: Policy) -> WorkingCalendar:
        return self.calendar(policy.calendar)

    def deadlines(self, policy_id: str, stage: int, received: date,
                  acknowledged: date | None = None, responded: date | None = None) -> StageDeadlines:
        policy = self.presets.get(policy_id)
        return compute(policy, stage, self.calendar_for(policy), received, acknowledged, responded)

    def deadlines_jsonl(self, lines: Iterable[str | bytes]) -> Iterator[str]:
        """One JSON result line per input line, in order; a bad line gets {"error": ...}."""
        from complaints.service.batch import deadlines_jsonl  # numpy: batches only

        return deadlines_jsonl(self, lines)


@dataclass(frozen=True, eq=False)
class Waker:
    """The store's sweep-index key for a case (the first day the sweep has work for it), from
    its policy and calendar. The store calls it on every save; it lives with the clock, so a
    save inside a sweep never calls back into the sweep."""

    clock: StatutoryClock
    rules: AgendaRules

    def __call__(self, case: Complaint) -> date | None:
        try:
            policy = self.clock.policy(case.policy)
        except ValueError:  # a preset since removed: the sweep reads it and reports why
            return date.min
        return wake(case, policy, self.clock.calendar_for(policy), self.rules)


def waker(clock: StatutoryClock, rules: AgendaRules) -> Waker:
    return Waker(clock, rules)
