"""The statutory clock: deadlines for a policy and stage, one case or a stream of them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from complaints.adapters.preset_files import PresetLibrary
from complaints.domain.calendar import CalendarRules, HolidaySource, WorkingCalendar
from complaints.domain.deadlines import StageDeadlines, compute
from complaints.domain.policy import Policy


class StatutoryClock:
    def __init__(self, presets: PresetLibrary, bank_holidays: HolidaySource) -> None:
        self.presets = presets
        self._bank_holidays = bank_holidays
        self._calendars: dict[CalendarRules, WorkingCalendar] = {}

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
