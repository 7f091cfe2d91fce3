"""The week's digest for the complaints manager and each handler: what is open and when each
case's next step is due, what is overdue, the breaches of the last seven days, the cases no one
is dealing with, and the letters that did not go. And the day it goes.

Pure: cases, their policies and working calendars, and today in; values out. The sweep
(service/digest.py) reads the cases, sends the letters and makes each go once a week; the CLI's
`complaints list` shows the same next step (``next_due``) the digest lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from complaints.domain.agenda import next_step
from complaints.domain.calendar import LONDON, WorkingCalendar, london_date
from complaints.domain.case import Complaint, LetterStatus
from complaints.domain.deadlines import working_days_late
from complaints.domain.policy import Policy

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WINDOW = timedelta(days=7)  # breaches "this week": a date missed in the 7 days before today


@dataclass(frozen=True)
class DigestSchedule:
    """When the digest goes: the first sweep at or after ``at`` (London) on ``weekday`` of each
    week, Monday to Sunday; a weekday that is not a working day (a bank holiday, a closure day)
    moves to the next working day of the same week, and a week with none has no digest."""

    weekday: int = 0  # Monday: with the move, the week's first working day
    at: time = time(8, 0)

    def day_in_week(self, day: date, cal: WorkingCalendar) -> date | None:
        """The digest's day in the week ``day`` falls in."""
        monday = day - timedelta(days=day.weekday())
        for offset in range(self.weekday, 7):
            candidate = monday + timedelta(days=offset)
            if cal.is_working_day(candidate):
                return candidate
        return None

    def due(self, now: datetime, cal: WorkingCalendar) -> date | None:
        """Today's date if the digest is due at ``now`` (its day, at or after its time), else
        None."""
        today = london_date(now)
        if self.day_in_week(today, cal) != today:
            return None
        return today if now.astimezone(LONDON).time() >= self.at else None

    def text(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.at:%H:%M}"


def parse_schedule(text: str) -> DigestSchedule | None:
    """ "monday 08:00" (the default; "first-working-day" is Monday), a day or a time alone, or
    "off" (None: no digest). Raises ValueError saying what was expected."""
    words = text.strip().lower().split()
    if words == ["off"]:
        return None
    day, at = DigestSchedule.weekday, DigestSchedule.at
    if not 1 <= len(words) <= 2:
        raise ValueError(f"{text!r}: expected a day and a London time, e.g. monday 08:00, or off")
    for word in words:
        if word in ("first-working-day", *WEEKDAYS, *(d[:3] for d in WEEKDAYS)):
            day = 0 if word == "first-working-day" else [d[:3] for d in WEEKDAYS].index(word[:3])
            continue
        hours, sep, minutes = word.partition(":")
        if not (sep and hours.isascii() and hours.isdigit() and minutes.isascii()
                and minutes.isdigit() and len(minutes) == 2 and int(hours) < 24
                and int(minutes) < 60):
            raise ValueError(f"{text!r}: {word!r} is neither a day (monday ... sunday, "
                             "first-working-day) nor a time (HH:MM)")
        at = time(int(hours), int(minutes))
    return DigestSchedule(day, at)


# --- what the digest lists ---------------------------------------------------------------------


@dataclass(frozen=True)
class DueStep:
    """An open case's next step: the earliest date the current stage is waiting for."""

    reference: str
    subject: str
    status: str
    stage: int
    step: str  # acknowledgement | response | progress update
    due: date  # the extended date, once extended
    extended: bool
    working_days_left: int  # 0 on the day and after it
    overdue: bool  # the day has passed with the step not taken
    working_days_late: int  # working days after the day, up to today
    handler: str

    def to_json(self) -> dict[str, Any]:
        return {"stage": self.stage, "step": self.step, "due": self.due.isoformat(),
                "extended": self.extended, "working_days_left": self.working_days_left,
                "working_days_late": self.working_days_late, "overdue": self.overdue}


def next_due(case: Complaint, policy: Policy, cal: WorkingCalendar, today: date) -> DueStep | None:
    """The case's next step and how it stands today (None: a case waiting for nothing)."""
    step = next_step(case, policy, cal)
    if step is None or step.due is None:
        return None
    due = step.due
    return DueStep(case.reference, case.subject, case.status.value, case.stage, step.step, due,
                   step.step == "response" and step.extended_to is not None,
                   cal.working_days_between(today, due) if today < due else 0,
                   # overdue from the day after, weekends included: a Friday's step not taken
                   # is overdue on Saturday, by 0 working days until Monday
                   today > due, working_days_late(cal, due, today), case.handler)


@dataclass(frozen=True)
class BreachLine:
    reference: str
    stage: int
    step: str
    due: date  # the statutory date
    extended_to: date | None
    done: date | None  # None: still not done
    working_days_late: int
    handler: str


@dataclass(frozen=True)
class LetterLine:
    reference: str
    kind: str
    to: str
    status: str  # held | failed
    why: str
    handler: str


@dataclass(frozen=True)
class WeekDigest:
    day: date
    since: date  # breaches whose date passed (or that were made good) from this day on
    open: tuple[DueStep, ...]  # by next due date
    breaches: tuple[BreachLine, ...]
    letters: tuple[LetterLine, ...]  # held or failed
    handler: str = ""  # "" for the manager's: every case; else this handler's own

    @property
    def overdue(self) -> tuple[DueStep, ...]:
        return tuple(s for s in self.open if s.overdue)

    @property
    def unassigned(self) -> tuple[DueStep, ...]:
        return tuple(s for s in self.open if not s.handler)

    def handlers(self) -> list[str]:
        """Every handler with an open case, in order."""
        return sorted({s.handler for s in self.open if s.handler})

    def for_handler(self, handler: str) -> WeekDigest:
        """Only ``handler``'s own cases."""
        mine = {s.reference for s in self.open if s.handler == handler}
        return replace(self, handler=handler,
                       open=tuple(s for s in self.open if s.handler == handler),
                       breaches=tuple(b for b in self.breaches
                                      if b.handler == handler or b.reference in mine),
                       letters=tuple(x for x in self.letters
                                     if x.handler == handler or x.reference in mine))

    def context(self) -> dict[str, Any]:
        """What the digest templates read."""
        return {"day": self.day, "since": self.since, "handler": self.handler,
                "open": self.open, "overdue": self.overdue,
                "unassigned": () if self.handler else self.unassigned,
                "breaches": self.breaches, "letters": self.letters}

    def summary(self) -> dict[str, int]:
        return {"open": len(self.open), "overdue": len(self.overdue),
                "unassigned": len(self.unassigned), "breaches": len(self.breaches),
                "letters_not_sent": len(self.letters)}


def weekly(cases: Iterable[Complaint], rules: Mapping[str, tuple[Policy, WorkingCalendar]],
           today: date) -> WeekDigest:
    """The digest of ``cases`` (the open ones and those touched this week) as of ``today``;
    ``rules`` holds each case's policy and calendar by policy id."""
    since = today - WINDOW
    open_steps: list[DueStep] = []
    breaches: list[BreachLine] = []
    letters: list[LetterLine] = []
    for case in cases:
        if case.policy not in rules:
            continue
        policy, cal = rules[case.policy]
        if case.is_open:
            step = next_due(case, policy, cal, today)
            if step is not None:
                open_steps.append(step)
        for b in case.breaches:
            missed = b.extended_to or b.due
            if since <= missed < today or (b.done is not None and since <= b.done <= today):
                breaches.append(BreachLine(case.reference, b.stage, b.step, b.due, b.extended_to,
                                           b.done, b.working_days_late, case.handler))
        for x in sorted(case.letters.values(), key=lambda x: x.id):
            if x.status in (LetterStatus.HELD, LetterStatus.FAILED):
                letters.append(LetterLine(case.reference, x.kind, x.to, x.status.value,
                                          x.error or "(no reason recorded)", case.handler))
    open_steps.sort(key=lambda s: (s.due, s.reference))
    breaches.sort(key=lambda b: (b.extended_to or b.due, b.reference))
    letters.sort(key=lambda x: x.reference)
    return WeekDigest(today, since, tuple(open_steps), tuple(breaches), tuple(letters))


__all__ = ["WEEKDAYS", "BreachLine", "DigestSchedule", "DueStep", "LetterLine", "WeekDigest",
           "next_due", "parse_schedule", "weekly"]
