"""Policy presets: reading a landlord's policy file (policies/<id>.toml) into a Policy.

A preset is data. This module turns the parsed mapping into the frozen objects of
domain/policy_terms.py (re-exported here, where the rest of the service imports them) and
refuses anything it does not understand, naming the file and the field: an unknown key, a
negative period, a missing Ombudsman block.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from typing import Any, TypeVar

from complaints.domain.calendar import NATIONS, CalendarError, CalendarRules, expand_days
from complaints.domain.policy_terms import (
    AGREEMENT,
    COUNTS_FROM,
    DAY_ONE_RULES,
    EXTENSION_CAPS,
    MAX_PERIOD,
    SIGNPOST,
    WINDOW_FROM,
    Anonymous,
    Clock,
    DayOne,
    Extension,
    Limit,
    Ombudsman,
    OnLimit,
    Policy,
    PolicyError,
    RegimeRules,
    Source,
    Stage,
    Window,
)

_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
T = TypeVar("T")


# --- parsing -----------------------------------------------------------------------------


class _Reader:
    """Walks one table of the parsed file, remembering its path for error messages."""

    def __init__(self, file: str, path: str, data: object) -> None:
        if not isinstance(data, Mapping):
            raise PolicyError(f"{file}: {path or 'file'}: expected a table")
        self.file, self.path, self.data = file, path, data
        self._seen: set[str] = set()

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, message: str) -> PolicyError:
        return PolicyError(f"{self.file}: {self.where(key)}: {message}")

    def _get(self, key: str, kind: type[T], required: bool) -> T | None:
        self._seen.add(key)
        if key not in self.data:
            if required:
                raise self.fail(key, "missing")
            return None
        value = self.data[key]
        # bool is an int in Python; a period of `true` days is a mistake
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    def req(self, key: str, kind: type[T]) -> T:
        value = self._get(key, kind, True)
        assert value is not None
        return value

    def opt(self, key: str, kind: type[T]) -> T | None:
        return self._get(key, kind, False)

    def text(self, key: str, required: bool = True) -> str:
        value = self._get(key, str, required)
        if value is not None and not value.strip():
            raise self.fail(key, "must not be empty")
        return value or ""

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in options:
            raise self.fail(key, f"{value!r} is not one of {', '.join(options)}")
        return value

    def period(self, key: str, required: bool = True, minimum: int = 1) -> int | None:
        value = self._get(key, int, required)
        if value is not None and not (minimum <= value <= MAX_PERIOD):
            raise self.fail(key, f"must be between {minimum} and {MAX_PERIOD}, got {value}")
        return value

    def table(self, key: str, required: bool = True) -> _Reader | None:
        self._seen.add(key)
        if key not in self.data:
            if required:
                raise self.fail(key, "missing")
            return None
        return _Reader(self.file, self.where(key), self.data[key])

    def tables(self, key: str) -> list[_Reader]:
        items = self.req(key, list)
        return [_Reader(self.file, f"{self.where(key)}[{i}]", x) for i, x in enumerate(items)]

    def done(self) -> None:
        unknown = sorted(set(self.data) - self._seen)
        if unknown:
            raise self.fail(unknown[0], "unknown key")


def _source(r: _Reader) -> Source:
    t = r.table("source")
    assert t is not None
    src = Source(t.text("seed"), t.text("where"), t.text("quote"), t.text("reading", False) or None)
    t.done()
    return src


def _clock(r: _Reader, stage_number: int) -> Clock:
    days = r.period("working_days")
    assert days is not None
    counts_from = r.choice("from", COUNTS_FROM)
    if stage_number == 1 and counts_from == "escalation-request":
        raise r.fail("from", "stage 1 cannot count from an escalation request")
    if stage_number > 1 and counts_from == "receipt":
        raise r.fail("from", "stage 2 counts from the escalation request (its receipt)")
    clock = Clock(days, counts_from, _source(r))
    r.done()
    return clock


def _extension(r: _Reader, respond: Clock) -> Extension:
    cap = r.choice("cap", EXTENSION_CAPS)
    days = r.period("working_days", required=cap != "uncapped")
    if cap == "uncapped" and days is not None:
        raise r.fail("working_days", "an uncapped extension has no working_days")
    if cap == "total" and days is not None and days <= respond.working_days:
        raise r.fail(
            "working_days",
            f"a total of {days} leaves no room beyond the {respond.working_days}-day response",
        )
    ext = Extension(
        cap,
        days,
        r.choice("agreement", AGREEMENT),
        _source(r),
        r.period("update_every_working_days", required=False),
    )
    r.done()
    return ext


def _stage(r: _Reader, expected_number: int) -> Stage:
    number = r.req("number", int)
    if number != expected_number:
        raise r.fail("number", f"stages must be numbered 1, 2, ... in order; expected {expected_number}")
    day_one_table = r.table("day_one")
    assert day_one_table is not None
    day_one = DayOne(day_one_table.choice("rule", DAY_ONE_RULES), _source(day_one_table))
    day_one_table.done()
    ack_table = r.table("acknowledge", required=False)
    acknowledge = _clock(ack_table, number) if ack_table is not None else None
    if acknowledge is not None and acknowledge.counts_from == "acknowledgement":
        raise r.fail("acknowledge.from", "an acknowledgement cannot count from itself")
    respond_table = r.table("respond")
    assert respond_table is not None
    respond = _clock(respond_table, number)
    if respond.counts_from == "acknowledgement" and acknowledge is None:
        raise r.fail("respond.from", "counts from an acknowledgement the stage does not have")
    ext_table = r.table("extension")
    assert ext_table is not None
    extension = _extension(ext_table, respond)
    limit_table = r.table("on_limit", required=False)
    on_limit = None
    if limit_table is not None:
        on_limit = OnLimit(limit_table.choice("action", ("escalate",)), _source(limit_table))
        if extension.cap != "total":
            raise limit_table.fail("action", "a stage's limit is its total extension cap "
                                   "(extension.cap = \"total\")")
        limit_table.done()
    stage = Stage(number, r.text("name"), day_one, acknowledge, respond, extension, on_limit)
    r.done()
    return stage


def _window(r: _Reader, lapse: bool = False) -> Window:
    """``lapse``: the table may say what happens when the window ends (escalation only)."""
    on_lapse, closure_letter = "none", False
    if lapse:
        if "on_lapse" in r.data:
            on_lapse = r.choice("on_lapse", ("none", "close"))
        closure_letter = bool(r.opt("closure_letter", bool))
    limits = []
    for item in r.tables("limits"):
        units = [u for u in ("days", "months") if u in item.data]
        if len(units) != 1:
            raise item.fail("days", "give exactly one of days or months")
        amount = item.period(units[0], minimum=1)
        assert amount is not None
        limits.append(Limit(amount, units[0], item.choice("from", WINDOW_FROM)))
        item.done()
    if on_lapse != "none" and not limits:
        raise r.fail("on_lapse", "a window with no limits never ends")
    window = Window(tuple(limits), _source(r), on_lapse, closure_letter)
    r.done()
    return window


def _ombudsman(r: _Reader, presets: Mapping[str, Policy], own_id: str) -> Ombudsman:
    same_as = r.opt("same_as", str)
    if same_as is not None:
        # Seeds that name the Ombudsman without contact details take a generic preset's block.
        if same_as == own_id or same_as not in presets:
            raise r.fail("same_as", f"{same_as!r} is not a loaded preset")
        base = presets[same_as].ombudsman
        block = Ombudsman(
            base.name, base.address, base.phone, base.web, base.email,
            base.complaint_form, base.freepost, _source(r), base.signpost,
        )
        r.done()
        return block
    address = r.req("address", list)
    if not address or not all(isinstance(x, str) and x.strip() for x in address):
        raise r.fail("address", "expected a non-empty list of address lines")
    block = Ombudsman(
        name=r.text("name"),
        address=tuple(address),
        phone=r.text("phone"),
        web=r.text("web"),
        email=r.text("email", False) or None,
        complaint_form=r.text("complaint_form", False) or None,
        freepost=r.text("freepost", False) or None,
        source=_source(r),
        signpost=r.choice("signpost", SIGNPOST) if "signpost" in r.data else "any-time",
    )
    for key, value in (("web", block.web), ("complaint_form", block.complaint_form)):
        if value is not None and not value.startswith("https://"):
            raise r.fail(key, "must be an https:// address")
    r.done()
    return block


def _calendar(r: _Reader | None, nation: str) -> tuple[CalendarRules, time | None]:
    if r is None:
        return CalendarRules(nation), None
    try:
        closures = expand_days(_strings(r, "closure_days"))
        working = expand_days(_strings(r, "working_holidays"))
    except CalendarError as exc:
        raise PolicyError(f"{r.file}: {r.path}: {exc}") from None
    cutoff_text = r.opt("receipt_cutoff", str)
    cutoff = None
    if cutoff_text is not None:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", cutoff_text):
            raise r.fail("receipt_cutoff", f"{cutoff_text!r} is not a time HH:MM")
        cutoff = time.fromisoformat(cutoff_text)
    r.done()
    return CalendarRules(nation, closures, working), cutoff


def _strings(r: _Reader, key: str) -> list[str]:
    items = r.opt(key, list) or []
    if not all(isinstance(x, str) for x in items):
        raise r.fail(key, "expected a list of dates YYYY-MM-DD or ranges YYYY-MM-DD..YYYY-MM-DD")
    return items


def parse_policy(data: Mapping[str, Any], file: str, presets: Mapping[str, Policy]) -> Policy:
    """Build a Policy from a parsed preset file; ``presets`` resolves ``ombudsman.same_as``."""
    r = _Reader(file, "", data)
    policy_id = r.text("id")
    if not _ID.match(policy_id):
        raise r.fail("id", f"{policy_id!r} must be lower-case words joined by hyphens")
    stem = file.rsplit("/", 1)[-1].removesuffix(".toml")
    if stem != policy_id:
        raise r.fail("id", f"{policy_id!r} must match the file name ({stem}.toml)")
    nation = r.choice("nation", NATIONS)
    stages = tuple(_stage(t, i + 1) for i, t in enumerate(r.tables("stages")))
    if not stages:
        raise r.fail("stages", "a policy needs at least one stage")
    escalation = r.table("escalation_window")
    time_limit = r.table("complaint_time_limit")
    anonymous = r.table("anonymous")
    ombudsman = r.table("ombudsman")
    assert escalation and time_limit and anonymous and ombudsman
    anon = Anonymous(anonymous.req("accepted", bool), _source(anonymous))
    anonymous.done()
    calendar, cutoff = _calendar(r.table("calendar", required=False), nation)
    policy = Policy(
        id=policy_id,
        name=r.text("name"),
        landlord=r.text("landlord"),
        nation=nation,
        regulator=r.text("regulator"),
        source=_source(r),
        stages=stages,
        escalation_window=_window(escalation, lapse=True),
        complaint_time_limit=_window(time_limit),
        anonymous=anon,
        ombudsman=_ombudsman(ombudsman, presets, policy_id),
        calendar=calendar,
        receipt_cutoff=cutoff,
        file=file,
    )
    r.done()
    return policy


def ombudsman_dependency(data: Mapping[str, Any]) -> str | None:
    """The preset whose Ombudsman block this file borrows, so loaders can order the work."""
    block = data.get("ombudsman")
    if isinstance(block, Mapping):
        value = block.get("same_as")
        return value if isinstance(value, str) else None
    return None


__all__ = ["AGREEMENT", "COUNTS_FROM", "DAY_ONE_RULES", "EXTENSION_CAPS", "MAX_PERIOD", "SIGNPOST",
           "WINDOW_FROM", "Anonymous", "Clock", "DayOne", "Extension", "Limit", "Ombudsman", "OnLimit",
           "Policy", "PolicyError", "RegimeRules", "Source", "Stage", "Window", "ombudsman_dependency",
           "parse_policy"]
