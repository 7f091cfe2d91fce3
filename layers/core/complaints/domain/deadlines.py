"""Stage deadlines from a policy and a working calendar.

The rules are written once (`_rules`) against a few date operations, with two backends: plain
ordinals for one case (no numpy, so a single `complaints deadlines` starts fast) and numpy arrays
for a batch of 100,000. Both run the same rules, so they cannot disagree.
"""

from __future__ import annotations

import calendar as gregorian
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from complaints.domain.calendar import WorkingCalendar
from complaints.domain.policy import Policy, PolicyError, Stage, Window

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    IntArray = npt.NDArray[np.int64]
    BoolArray = npt.NDArray[np.bool_]

NO_DATE = -1  # ordinal placeholder for "not given" / "does not apply"

X = TypeVar("X")  # an ordinal, or an array of them
M = TypeVar("M")  # a flag, or an array of them


class DeadlineError(ValueError):
    """Inputs that cannot produce deadlines (stage 3, acknowledged before received, ...)."""


@dataclass(frozen=True)
class StageDeadlines:
    policy: str
    stage: int
    nation: str
    received: date
    day_one: date
    acknowledge_by: date | None
    respond_by: date
    respond_by_extended: date | None
    provisional: bool
    acknowledged: date | None = None
    responded: date | None = None
    # Working days after the due date the step was taken (0 when on time); None when the step
    # was not given or the stage has no such due date. The clock itself still counts as the
    # policy says: a late acknowledgement moves a response date counted from it.
    acknowledgement_late_by: int | None = None
    response_late_by: int | None = None

    @property
    def breaches(self) -> list[tuple[str, date, date, int]]:
        """(step, due, done, working days late) for each step taken after its date."""
        out = []
        if self.acknowledgement_late_by and self.acknowledge_by and self.acknowledged:
            out.append(("acknowledgement", self.acknowledge_by, self.acknowledged,
                        self.acknowledgement_late_by))
        if self.response_late_by and self.responded:
            out.append(("response", self.respond_by, self.responded, self.response_late_by))
        return out

    def to_json(self, breaches: bool = True) -> dict[str, Any]:
        """The contract's keys; with ``breaches``, what was late when a step's date was given
        (an acknowledgement after acknowledge_by; a response, on time or not)."""
        def iso(d: date | None) -> str | None:
            return d.isoformat() if d else None

        out: dict[str, Any] = {
            "policy": self.policy,
            "stage": self.stage,
            "nation": self.nation,
            "received": self.received.isoformat(),
            "day_one": self.day_one.isoformat(),
            "acknowledge_by": iso(self.acknowledge_by),
            "respond_by": self.respond_by.isoformat(),
            "respond_by_extended": iso(self.respond_by_extended),
            "provisional": self.provisional,
        }
        if not breaches:
            return out
        if self.acknowledgement_late_by:
            out["acknowledged"] = iso(self.acknowledged)
            out["acknowledgement_late"] = True
            out["acknowledgement_late_by"] = self.acknowledgement_late_by
        if self.responded is not None:
            out["responded"] = iso(self.responded)
            out["response_late"] = bool(self.response_late_by)
            out["response_late_by"] = self.response_late_by
            out["response_within_extension"] = (
                None if self.respond_by_extended is None else self.responded <= self.respond_by_extended)
        return out


@dataclass(frozen=True)
class DeadlineArrays:
    """Batch results as ordinals; NO_DATE where a date does not apply."""

    day_one: IntArray
    acknowledge_by: IntArray
    respond_by: IntArray
    respond_by_extended: IntArray
    provisional: BoolArray


class _DateOps(Protocol[X, M]):
    def add(self, x: X, k: int) -> X: ...
    def on_or_after(self, x: X) -> X: ...
    def missing(self, x: X) -> M: ...
    def pick(self, use_a: M, a: X, b: X) -> X: ...
    def blank(self, like: X) -> X: ...
    def no(self, like: X) -> M: ...


@dataclass(frozen=True)
class _Deadlines(Generic[X, M]):
    day_one: X
    acknowledge_by: X
    respond_by: X
    respond_by_extended: X
    provisional: M


def _rules(stage: Stage, ops: _DateOps[X, M], received: X, acknowledged: X) -> _Deadlines[X, M]:
    """Every stage deadline rule, for one case or many."""
    day_after = stage.day_one.rule == "day-after"

    def due(start: X, n: int) -> X:  # the last day of an n-working-day clock from start
        return ops.add(start, n) if day_after else ops.add(ops.on_or_after(start), n - 1)

    day_one = ops.add(received, 1) if day_after else ops.on_or_after(received)
    ack_by = ops.blank(received) if stage.acknowledge is None else due(
        received, stage.acknowledge.working_days)
    if stage.respond.counts_from == "acknowledgement":
        # Until the acknowledgement is sent, count from its due date: a provisional deadline.
        provisional = ops.missing(acknowledged)
        start = ops.pick(provisional, ack_by, acknowledged)
    else:
        provisional, start = ops.no(received), received
    respond_by = due(start, stage.respond.working_days)
    ext = stage.extension
    if ext.cap == "beyond-deadline" and ext.working_days is not None:
        extended = ops.add(respond_by, ext.working_days)
    elif ext.cap == "total" and ext.working_days is not None:
        extended = due(start, ext.working_days)
    else:
        extended = ops.blank(received)
    return _Deadlines(day_one, ack_by, respond_by, extended, provisional)


class _OrdinalOps:
    def __init__(self, cal: WorkingCalendar) -> None:
        self.cal = cal

    def add(self, x: int, k: int) -> int:
        return self.cal.add_working_days(date.fromordinal(x), k).toordinal()

    def on_or_after(self, x: int) -> int:
        return self.cal.working_day_on_or_after(date.fromordinal(x)).toordinal()

    def missing(self, x: int) -> bool:
        return x == NO_DATE

    def pick(self, use_a: bool, a: int, b: int) -> int:
        return a if use_a else b

    def blank(self, like: int) -> int:
        return NO_DATE

    def no(self, like: int) -> bool:
        return False


class _ArrayOps:
    def __init__(self, cal: WorkingCalendar) -> None:
        self.cal = cal

    def add(self, x: IntArray, k: int) -> IntArray:
        return self.cal.add_working_days_array(x, k)

    def on_or_after(self, x: IntArray) -> IntArray:
        return self.cal.working_day_on_or_after_array(x)

    def missing(self, x: IntArray) -> BoolArray:
        flags: BoolArray = x == NO_DATE
        return flags

    def pick(self, use_a: BoolArray, a: IntArray, b: IntArray) -> IntArray:
        import numpy as np

        return np.where(use_a, a, b)

    def blank(self, like: IntArray) -> IntArray:
        import numpy as np

        return np.full(like.shape, NO_DATE, dtype=np.int64)

    def no(self, like: IntArray) -> BoolArray:
        import numpy as np

        return np.zeros(like.shape, dtype=bool)


def compute_many(policy: Policy, stage_number: int, cal: WorkingCalendar,
                 received: IntArray, acknowledged: IntArray) -> DeadlineArrays:
    """Deadlines for many cases of one policy and stage; inputs are date ordinals.

    The caller validates each case (acknowledged on or after received); this is arithmetic only.
    """
    r = _rules(policy.stage(stage_number), _ArrayOps(cal), received, acknowledged)
    return DeadlineArrays(r.day_one, r.acknowledge_by, r.respond_by, r.respond_by_extended,
                          r.provisional)


def working_days_late(cal: WorkingCalendar, due: date, done: date) -> int:
    """Working days after ``due`` up to and including ``done``; 0 when on or before ``due``."""
    return cal.working_days_between(due, done) if done > due else 0


@dataclass(frozen=True, eq=False)
class DeadlineRule:
    """A policy's deadlines on its working calendar, as the case asks for them: (stage,
    received, acknowledged[, responded]). A value the caller builds, so the domain asks the
    domain for its dates and never calls back into the service that built it."""

    policy: Policy
    calendar: WorkingCalendar

    def __call__(self, stage: int, received: date, acknowledged: date | None = None,
                 responded: date | None = None) -> StageDeadlines:
        return compute(self.policy, stage, self.calendar, received, acknowledged, responded)


def compute(policy: Policy, stage_number: int, cal: WorkingCalendar, received: date,
            acknowledged: date | None = None, responded: date | None = None) -> StageDeadlines:
    """Deadlines for one case; raises DeadlineError on impossible input."""
    try:
        policy.stage(stage_number)
    except PolicyError as exc:
        raise DeadlineError(str(exc)) from None
    if acknowledged is not None and acknowledged < received:
        raise DeadlineError(
            f"acknowledged {acknowledged.isoformat()} is before received {received.isoformat()}")
    if responded is not None and acknowledged is not None and responded < acknowledged:
        raise DeadlineError(f"responded {responded.isoformat()} is before acknowledged "
                            f"{acknowledged.isoformat()}")
    if responded is not None and responded < received:
        raise DeadlineError(
            f"responded {responded.isoformat()} is before received {received.isoformat()}")
    stage = policy.stage(stage_number)
    r = _rules(stage, _OrdinalOps(cal), received.toordinal(),
               acknowledged.toordinal() if acknowledged else NO_DATE)

    def day(ordinal: int) -> date | None:
        return None if ordinal == NO_DATE else date.fromordinal(ordinal)

    return StageDeadlines(
        policy=policy.id,
        stage=stage_number,
        nation=policy.nation,
        received=received,
        day_one=date.fromordinal(r.day_one),
        acknowledge_by=day(r.acknowledge_by),
        respond_by=date.fromordinal(r.respond_by),
        respond_by_extended=day(r.respond_by_extended),
        provisional=r.provisional,
        acknowledged=acknowledged,
        responded=responded,
        acknowledgement_late_by=(
            working_days_late(cal, date.fromordinal(r.acknowledge_by), acknowledged)
            if acknowledged is not None and r.acknowledge_by != NO_DATE else None),
        response_late_by=(working_days_late(cal, date.fromordinal(r.respond_by), responded)
                          if responded is not None else None),
    )


def add_months(d: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's end (31 Aug + 6 months = 28/29 Feb)."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    last = gregorian.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last))


def window_closes(window: Window, events: Mapping[str, date]) -> date | None:
    """The last day of a time window: the latest of its limits whose start date is known.

    ``events`` maps "awareness", "event", "stage-1-response" to dates. None when the policy sets
    no window, or none of the dates it counts from is known.
    """
    closes: list[date] = []
    for limit in window.limits:
        start = events.get(limit.counts_from)
        if start is None:
            continue
        if limit.unit == "months":
            closes.append(add_months(start, limit.amount))
        else:
            closes.append(start + timedelta(days=limit.amount))
    return max(closes) if closes else None
