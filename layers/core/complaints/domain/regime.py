"""The regime is the floor: a landlord's policy may be stricter than its nation's regime, never
looser.

A regime (regimes/<id>.toml: the HOS Complaint Handling Code 2024 for England, the SPSO model
CHP for Scotland) states, per stage, the latest a clock may run (its working days and what it
counts from), day one, the largest extension and who must approve it, and the shortest time
limits. Applying it to a preset replaces every looser rule by the regime's and records each
replacement as a Conflict citing both sources. "Looser" always means worse for the resident:
a later deadline, a later counting start, a bigger or missing extension cap, a weaker approval,
a shorter or earlier-starting time limit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from complaints.domain.policy import (
    COUNTS_FROM,
    DAY_ONE_RULES,
    SIGNPOST,
    Clock,
    DayOne,
    Extension,
    Limit,
    Policy,
    PolicyError,
    RegimeRules,
    Source,
    Stage,
    Window,
    _clock,
    _extension,
    _Reader,
    _source,
    _window,
)


@dataclass(frozen=True)
class StageFloor:
    number: int
    day_one: DayOne | None
    acknowledge: Clock | None
    respond: Clock | None
    extension: Extension | None


_WHEN_KEYS = {"agreement": str, "hard_cap": bool, "signpost": str, "stage": int}


@dataclass(frozen=True)
class LetterRule:
    """What a letter of one kind must say (``requires``: any one pattern, or all with ``all``)
    or must not say (``forbids``: none of the patterns), under conditions ``when``."""

    id: str
    what: str
    requires: tuple[str, ...]
    forbids: tuple[str, ...]
    all: bool
    when: tuple[tuple[str, Any], ...]
    source: Source


@dataclass(frozen=True)
class Regime:
    id: str
    name: str
    nations: tuple[str, ...]
    signpost: str
    signpost_source: Source
    stages: tuple[StageFloor, ...]
    complaint_time_limit: Window | None
    escalation_window: Window | None
    file: str
    letters: Mapping[str, tuple[LetterRule, ...]] = field(default_factory=dict)
    rules: RegimeRules = field(default_factory=RegimeRules)
    reports: tuple[str, ...] = ()  # the regulators' returns its cases count in

    def stage(self, number: int) -> StageFloor | None:
        return next((s for s in self.stages if s.number == number), None)


@dataclass(frozen=True)
class Conflict:
    """One point where the preset was looser than its regime: the regime's rule applies."""

    field: str
    preset: str
    preset_source: Source
    regime: str
    regime_source: Source

    def to_json(self) -> dict[str, Any]:
        def cite(s: Source) -> dict[str, Any]:
            return {"seed": s.seed, "where": s.where, "quote": s.quote, "reading": s.reading}

        return {"field": self.field, "applies": "regime",
                "preset": {"rule": self.preset, "source": cite(self.preset_source)},
                "regime": {"rule": self.regime, "source": cite(self.regime_source)}}


def parse_regime(data: Mapping[str, Any], file: str) -> Regime:
    r = _Reader(file, "", data)
    regime_id = r.text("id")
    nations = r.req("nations", list)
    signpost = r.table("signpost")
    assert signpost is not None
    when = signpost.choice("when", SIGNPOST)
    signpost_source = _source(signpost)
    signpost.done()
    stages = []
    for i, t in enumerate(r.tables("stages")):
        number = t.req("number", int)
        if number != i + 1:
            raise t.fail("number", f"stages must be numbered 1, 2, ... in order; expected {i + 1}")
        day_one_table = t.table("day_one", required=False)
        day_one = None
        if day_one_table is not None:
            day_one = DayOne(day_one_table.choice("rule", DAY_ONE_RULES), _source(day_one_table))
            day_one_table.done()
        ack = t.table("acknowledge", required=False)
        respond = t.table("respond", required=False)
        respond_clock = _clock(respond, number) if respond is not None else None
        ext = t.table("extension", required=False)
        extension = None
        if ext is not None:
            if respond_clock is None:
                raise ext.fail("cap", "an extension floor needs the stage's respond floor")
            extension = _extension(ext, respond_clock)
        stages.append(StageFloor(number, day_one, _clock(ack, number) if ack is not None else None,
                                 respond_clock, extension))
        t.done()
    time_limit = r.table("complaint_time_limit", required=False)
    window = r.table("escalation_window", required=False)
    letters_table = r.table("letters", required=False)
    letters: dict[str, tuple[LetterRule, ...]] = {}
    if letters_table is not None:
        for kind in list(letters_table.data):
            letters[kind] = tuple(_letter_rule(t) for t in letters_table.tables(kind))
        letters_table.done()
    regime = Regime(regime_id, r.text("name"), tuple(str(n) for n in nations), when,
                    signpost_source, tuple(stages),
                    _window(time_limit) if time_limit is not None else None,
                    _window(window) if window is not None else None, file, letters, _rules(r),
                    _reports(r))
    r.done()
    return regime


REPORTS = ("tsm", "scottish-indicators")  # `complaints report tsm|scotland`


def _reports(r: _Reader) -> tuple[str, ...]:
    names = r.opt("reports", list) or []
    for name in names:
        if name not in REPORTS:
            raise r.fail("reports", f"{name!r} is not one of {', '.join(REPORTS)}")
    return tuple(names)


def _rules(r: _Reader) -> RegimeRules:
    """[ombudsman] (its short name and time limit), [later_stage_handler], [escalate_unanswered],
    [[advice]] (independent advice and advocacy the final response names)."""
    short_name = time_limit = ""
    ombudsman = r.table("ombudsman", required=False)
    if ombudsman is not None:
        short_name = ombudsman.text("short_name")
        time_limit = ombudsman.text("time_limit", required=False)
        _source(ombudsman)
        ombudsman.done()
    whys = {}
    for key in ("later_stage_handler", "escalate_unanswered"):
        t = r.table(key, required=False)
        if t is not None:
            whys[key] = t.text("why")
            _source(t)
            t.done()
    advice = []
    for t in (r.tables("advice") if "advice" in r.data else ()):  # who else can help, free
        advice.append((t.text("name"), t.text("contact", required=False),
                       t.text("url", required=False)))
        _source(t)
        t.done()
    return RegimeRules(short_name, time_limit, advice=tuple(advice), **whys)


def _letter_rule(r: _Reader) -> LetterRule:
    requires = tuple(r.opt("requires", list) or ())
    forbids = tuple(r.opt("forbids", list) or ())
    if bool(requires) == bool(forbids):
        raise r.fail("requires", "a rule gives either requires or forbids")
    for pattern in (*requires, *forbids):
        try:
            re.compile(re.sub(r"\{[a-z_]+\}", "x", str(pattern)))
        except re.error as exc:
            raise r.fail("requires", f"{pattern!r} is not a regular expression: {exc}") from None
    when_table = r.table("when", required=False)
    when: list[tuple[str, Any]] = []
    if when_table is not None:
        for key, kind in _WHEN_KEYS.items():
            value = when_table.opt(key, kind)
            if value is not None:
                when.append((key, value))
        when_table.done()
    rule = LetterRule(r.text("id"), r.text("what"), tuple(map(str, requires)),
                      tuple(map(str, forbids)), bool(r.opt("all", bool)), tuple(when), _source(r))
    r.done()
    return rule


# --- comparing --------------------------------------------------------------------------------

_START_RANK = {"receipt": 0, "escalation-request": 0, "acknowledgement": 1}
_AGREEMENT_RANK = {"notice": 0, "resident-agreement": 1, "manager-approval": 1}
assert set(_START_RANK) == set(COUNTS_FROM)


def _clock_text(c: Clock | None) -> str:
    return "none" if c is None else f"{c.working_days} working days from {c.counts_from}"


def _extra_days(ext: Extension, respond: Clock) -> float:
    """Working days an extension may add beyond the response deadline (inf: no cap)."""
    if ext.cap == "uncapped" or ext.working_days is None:
        return float("inf")
    return ext.working_days if ext.cap == "beyond-deadline" else ext.working_days - respond.working_days


def _ext_text(ext: Extension) -> str:
    cap = ("no fixed cap" if ext.cap == "uncapped" else
           f"up to {ext.working_days} working days beyond the deadline" if ext.cap == "beyond-deadline"
           else f"up to {ext.working_days} working days in total")
    return f"{cap}; {ext.agreement.replace('-', ' ')}"


def _covers(mine: Limit, floor: Limit) -> bool:
    """Whether a preset limit is never earlier than the floor's limit."""
    starts_ok = mine.counts_from == floor.counts_from or (
        floor.counts_from == "event" and mine.counts_from == "awareness")  # awareness >= event
    if not starts_ok:
        return False
    if mine.unit == floor.unit:
        return mine.amount >= floor.amount
    if mine.unit == "days":  # a month is at most 31 days
        return mine.amount >= floor.amount * 31
    return mine.amount * 28 >= floor.amount  # a month is at least 28 days


def _limits_text(w: Window) -> str:
    if not w.limits:
        return "none"
    return ", or ".join(f"{lim.amount} {lim.unit} from {lim.counts_from}" for lim in w.limits) + (
        ", whichever is later" if len(w.limits) > 1 else "")


def apply_floor(policy: Policy, regime: Regime) -> Policy:
    conflicts: list[Conflict] = []

    def note(field: str, preset: str, preset_source: Source, floor: str, floor_source: Source) -> None:
        conflicts.append(Conflict(field, preset, preset_source, floor, floor_source))

    stages = []
    for stage in policy.stages:
        floor = regime.stage(stage.number)
        stages.append(stage if floor is None else _stage(stage, floor, note))

    time_limit = _window_floor("complaint_time_limit", policy.complaint_time_limit,
                               regime.complaint_time_limit, note, empty_is_generous=True)
    escalation = _window_floor("escalation_window", policy.escalation_window,
                               regime.escalation_window, note, empty_is_generous=True)
    ombudsman = policy.ombudsman
    if ombudsman.signpost != regime.signpost:
        note("ombudsman.signpost", ombudsman.signpost, ombudsman.source, regime.signpost,
             regime.signpost_source)
        ombudsman = replace(ombudsman, signpost=regime.signpost)
    return replace(policy, stages=tuple(stages), complaint_time_limit=time_limit,
                   escalation_window=escalation, ombudsman=ombudsman, regime=regime.id,
                   regime_name=regime.name, conflicts=tuple(conflicts), rules=regime.rules)


def _stage(stage: Stage, floor: StageFloor, note: Any) -> Stage:
    where = f"stages[{stage.number}]"
    day_one, acknowledge, respond, ext = (stage.day_one, stage.acknowledge, stage.respond,
                                          stage.extension)
    if floor.day_one and floor.day_one.rule == "same-day" and day_one.rule == "day-after":
        note(f"{where}.day_one", day_one.rule, day_one.source, floor.day_one.rule,
             floor.day_one.source)
        day_one = floor.day_one
    if floor.acknowledge and (acknowledge is None or
                              acknowledge.working_days > floor.acknowledge.working_days):
        note(f"{where}.acknowledge", _clock_text(acknowledge),
             acknowledge.source if acknowledge else stage.respond.source,
             _clock_text(floor.acknowledge), floor.acknowledge.source)
        acknowledge = floor.acknowledge
    if floor.respond and (
            _START_RANK[respond.counts_from] > _START_RANK[floor.respond.counts_from]
            or respond.working_days > floor.respond.working_days):
        note(f"{where}.respond", _clock_text(respond), respond.source,
             _clock_text(floor.respond), floor.respond.source)
        respond = floor.respond
        if respond.counts_from == "acknowledgement" and acknowledge is None:
            raise PolicyError(f"{where}: the regime counts from an acknowledgement the stage lacks")
    if floor.extension and floor.respond:
        f = floor.extension
        # compared by the latest day each allows, counted from the clock's start
        if (respond.working_days + _extra_days(ext, respond)
                > floor.respond.working_days + _extra_days(f, floor.respond)):
            note(f"{where}.extension", _ext_text(ext), ext.source, _ext_text(f), f.source)
            ext = replace(ext, cap=f.cap, working_days=f.working_days, source=f.source)
        if _AGREEMENT_RANK[ext.agreement] < _AGREEMENT_RANK[f.agreement] or (
                f.agreement == "manager-approval" and ext.agreement != "manager-approval"):
            note(f"{where}.extension.agreement", ext.agreement, ext.source, f.agreement, f.source)
            ext = replace(ext, agreement=f.agreement)
        if f.update_every_working_days and (
                ext.update_every_working_days is None
                or ext.update_every_working_days > f.update_every_working_days):
            note(f"{where}.extension.update_every_working_days",
                 str(ext.update_every_working_days or "none"), ext.source,
                 str(f.update_every_working_days), f.source)
            ext = replace(ext, update_every_working_days=f.update_every_working_days)
    return replace(stage, day_one=day_one, acknowledge=acknowledge, respond=respond, extension=ext)


def _window_floor(field: str, mine: Window, floor: Window | None, note: Any,
                  empty_is_generous: bool) -> Window:
    if floor is None or (empty_is_generous and not mine.limits):
        return mine
    missing = [lim for lim in floor.limits if not any(_covers(m, lim) for m in mine.limits)]
    if not missing:
        return mine
    kept = [m for m in mine.limits if not any(_covers(f, m) for f in floor.limits)]
    merged = replace(mine, limits=(*kept, *missing))
    note(field, _limits_text(mine), mine.source, _limits_text(merged), floor.source)
    return merged
