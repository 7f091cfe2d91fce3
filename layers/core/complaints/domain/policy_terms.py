"""What a complaints policy says: its stages, clocks, extension caps, windows and Ombudsman
details, as frozen objects, and the values each may take.

Every rule carries the `source` it comes from. Reading a preset file (policies/<id>.toml) into
these, refusing what they cannot hold, is domain/policy.py's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any, Final

from complaints.domain.calendar import CalendarRules

# Day one of a clock. "day-after": the event day is day 0, the deadline is the N-th working day
# after it (HOS practice). "same-day": the event day is day one if it is a working day, else the
# next working day, and the deadline is day N (SPSO model CHP ¶103, ¶137).
DAY_ONE_RULES: Final = ("day-after", "same-day")
COUNTS_FROM: Final = ("receipt", "acknowledgement", "escalation-request")
EXTENSION_CAPS: Final = ("beyond-deadline", "total", "uncapped")
AGREEMENT: Final = ("notice", "resident-agreement", "manager-approval")
WINDOW_FROM: Final = ("awareness", "event", "stage-1-response")
# When letters may give the Ombudsman's contact details: HOS at any point; SPSO only in the
# final response (SPSO model CHP ¶108, ¶151).
SIGNPOST: Final = ("any-time", "final-response")
MAX_PERIOD: Final = 400  # working days; anything longer is a typo, not a policy


class PolicyError(ValueError):
    """A preset file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Source:
    seed: str
    where: str
    quote: str
    reading: str | None = None


@dataclass(frozen=True)
class DayOne:
    rule: str
    source: Source


@dataclass(frozen=True)
class Clock:
    working_days: int
    counts_from: str
    source: Source


@dataclass(frozen=True)
class Extension:
    cap: str
    working_days: int | None  # beyond the deadline, or the total from the clock's start
    agreement: str
    source: Source
    update_every_working_days: int | None = None

    @property
    def hard_cap(self) -> bool:
        """A total cap is a maximum (SPSO ¶104); a cap beyond the deadline may be exceeded with
        good reason (HOS Code 6.4), so letters never promise it as a latest date."""
        return self.cap == "total"


@dataclass(frozen=True)
class OnLimit:
    """What happens when a stage is not answered by its latest date (respond_by_extended):
    "escalate" moves it to the next stage (SPSO model CHP ¶106)."""

    action: str
    source: Source


@dataclass(frozen=True)
class Stage:
    number: int
    name: str
    day_one: DayOne
    acknowledge: Clock | None
    respond: Clock
    extension: Extension
    on_limit: OnLimit | None = None


@dataclass(frozen=True)
class Limit:
    amount: int
    unit: str  # "days" (calendar) or "months"
    counts_from: str


@dataclass(frozen=True)
class Window:
    """The latest of its limits applies; no limits means the policy sets none."""

    limits: tuple[Limit, ...]
    source: Source
    # An escalation window's end: "close" closes a stage 1 answered and not escalated in time
    # (the deadline sweep does it), with a closure letter only where the policy sends one.
    on_lapse: str = "none"
    closure_letter: bool = False


@dataclass(frozen=True)
class Anonymous:
    accepted: bool
    source: Source


@dataclass(frozen=True)
class Ombudsman:
    name: str
    address: tuple[str, ...]
    phone: str
    web: str
    email: str | None
    complaint_form: str | None
    freepost: str | None
    source: Source
    signpost: str = "any-time"


@dataclass(frozen=True)
class RegimeRules:
    """What the regime says beyond the clocks, copied onto each of its policies by the floor
    (domain/regime.py). A policy with no regime has none of these rules."""

    ombudsman_short_name: str = ""  # the Ombudsman in running text ("the X's contact details")
    ombudsman_time_limit: str = ""  # how long the resident has to go to it, in words
    # Why a later stage must be answered by someone other than stage 1's handler, if it must.
    later_stage_handler: str = ""
    # Why staff may escalate a stage not yet answered, if they may.
    escalate_unanswered: str = ""
    # Free independent advice and advocacy the final response names: (name, contact, url).
    advice: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Policy:
    id: str
    name: str
    landlord: str
    nation: str
    regulator: str
    source: Source
    stages: tuple[Stage, ...]
    escalation_window: Window
    complaint_time_limit: Window
    anonymous: Anonymous
    ombudsman: Ombudsman
    calendar: CalendarRules
    receipt_cutoff: time | None
    file: str
    # Set by the regime floor (domain/regime.py): which regime, and where the preset was looser.
    regime: str | None = None
    regime_name: str | None = None
    conflicts: tuple[Any, ...] = ()
    rules: RegimeRules = RegimeRules()

    def stage(self, number: int) -> Stage:
        for stage in self.stages:
            if stage.number == number:
                return stage
        valid = ", ".join(str(s.number) for s in self.stages)
        raise PolicyError(f"policy {self.id} has no stage {number} (stages: {valid})")

    def summary(self) -> dict[str, Any]:
        """The JSON shape `complaints policies --json` prints."""
        return {
            "id": self.id,
            "name": self.name,
            "landlord": self.landlord,
            "nation": self.nation,
            "regulator": self.regulator,
            "ombudsman": _ombudsman_json(self.ombudsman),
            "stages": [_stage_json(s) for s in self.stages],
            "escalation_window": _window_json(self.escalation_window),
            "complaint_time_limit": _window_json(self.complaint_time_limit),
            "anonymous_complaints": self.anonymous.accepted,
            "receipt_cutoff": self.receipt_cutoff.strftime("%H:%M") if self.receipt_cutoff else None,
            "closure_days": sorted(d.isoformat() for d in self.calendar.closure_days),
            "working_holidays": sorted(d.isoformat() for d in self.calendar.working_holidays),
            "file": self.file,
            "regime": self.regime,
            "regime_name": self.regime_name,
            "conflicts": [c.to_json() for c in self.conflicts],
        }


def _clock_json(clock: Clock | None) -> dict[str, Any] | None:
    if clock is None:
        return None
    return {"working_days": clock.working_days, "from": clock.counts_from}


def _stage_json(stage: Stage) -> dict[str, Any]:
    ext = stage.extension
    return {
        "stage": stage.number,
        "name": stage.name,
        "day_one": stage.day_one.rule,
        "acknowledge": _clock_json(stage.acknowledge),
        "respond": _clock_json(stage.respond),
        "extension": {
            "cap": ext.cap,
            "working_days": ext.working_days,
            "agreement": ext.agreement,
            "hard_cap": ext.hard_cap,
            "update_every_working_days": ext.update_every_working_days,
        },
        "on_limit": stage.on_limit.action if stage.on_limit else None,
    }


def _window_json(window: Window) -> list[dict[str, Any]]:
    return [{l.unit: l.amount, "from": l.counts_from} for l in window.limits]  # noqa: E741


def _ombudsman_json(o: Ombudsman) -> dict[str, Any]:
    return {
        "name": o.name,
        "address": list(o.address),
        "phone": o.phone,
        "web": o.web,
        "email": o.email,
        "complaint_form": o.complaint_form,
        "freepost": o.freepost,
        "signpost": o.signpost,
    }


__all__ = ["AGREEMENT", "COUNTS_FROM", "DAY_ONE_RULES", "EXTENSION_CAPS", "MAX_PERIOD", "SIGNPOST",
           "WINDOW_FROM", "Anonymous", "Clock", "DayOne", "Extension", "Limit", "Ombudsman", "OnLimit",
           "Policy", "PolicyError", "RegimeRules", "Source", "Stage", "Window"]
