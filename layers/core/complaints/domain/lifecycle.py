"""The complaint decides: whether a command is allowed in its status under its policy, what it
changes, and which typed events follow. Refusals say why, in words a handler can act on.

Whether a command may be taken in the case's status is the Complaint's transition table
(domain/case.py TRANSITIONS), asked once here before anything else; every status change is made
by a Complaint method, which checks the table again. What is decided here is the rest: the
policy's and the regime's rules, and the command's own arguments.

Guards from the policies and regimes: steps in order (acknowledge before responding where the
stage has an acknowledgement); extensions within the policy's cap and with the resident's
agreement or a manager's approval where the policy needs it; the stage 2 responder is not the
stage 1 responder in England (HOS Code 6.13); nothing changes on a closed case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from complaints.domain import commands as c
from complaints.domain import events as e
from complaints.domain.calendar import WorkingCalendar
from complaints.domain.case import (
    SYSTEM,
    Agreement,
    CaseError,
    Complaint,
    DeadlineRule,
    Extension,
    RemedyOffered,
    Status,
    Step,
)
from complaints.domain.deadlines import window_closes, working_days_late
from complaints.domain.policy import Policy

# Staff texts carried into letters live on the case item (DynamoDB: 400 KB an item): a
# response longer than this belongs in an attachment, not in the letter's body.
MAX_STAFF_TEXT = 30_000


class Refusal(CaseError):
    """The command is not allowed now; the message says why and what would be."""


class NotNow(Refusal):
    """Refused by the transition table: not in the case's status (domain/case.py)."""


@dataclass(frozen=True)
class Context:
    at: datetime  # when (UTC)
    today: date  # the London date
    actor: str  # a staff address, "resident" or "system"
    policy: Policy
    rule: DeadlineRule
    calendar: WorkingCalendar
    # for #policy: the preset by id (raises on an unknown id) and its deadline rule
    policy_named: Callable[[str], Policy] | None = None
    rule_for: Callable[[Policy], DeadlineRule] | None = None
    # who may be assigned a case: staff only (a typo must not send a case outside)
    is_staff: Callable[[str], bool] | None = None


def handle(case: Complaint, command: c.Command, ctx: Context) -> list[e.DomainEvent]:
    handler = _HANDLERS.get(type(command))
    if handler is None:
        raise Refusal(f"{type(command).__name__} is not a command this service knows")
    step = _STEPS.get(type(command))  # None: a line that was not a command (Unreadable)
    if (step is None and case.ended) or (step is not None and not case.allows(step)):
        raise NotNow(_not_now(case, step, ctx))
    for name in ("definition", "text", "reason"):
        value = getattr(command, name, "")
        if isinstance(value, str) and len(value) > MAX_STAFF_TEXT:
            raise Refusal(f"the {name} is {len(value):,} characters; letters carry at most "
                          f"{MAX_STAFF_TEXT:,}: shorten it and send a longer report separately")
    events = handler(case, command, ctx)
    for event in events:
        if not isinstance(event, _RECORDED_BY_THE_MOVE):
            case.record(ctx.at, ctx.actor, _label(event), event.describe())
    return events


def _not_now(case: Complaint, step: Step | None, ctx: Context) -> str:
    """Why the transition table refuses ``step`` now, and what would do instead."""
    ref, status, stage = case.reference, case.status.value, case.stage
    if case.ended:
        return (f"{ref} is {status}, so nothing was changed. If the resident raises something "
                "new, it is a new complaint.")
    if step == Step.ACKNOWLEDGE:
        if ctx.policy.stage(stage).acknowledge is None:
            return (f"stage {stage} under {ctx.policy.id} has no written acknowledgement: "
                    "respond within its deadline instead (#respond)")
        return f"stage {stage} of {ref} is already acknowledged"
    if step in (Step.EXTEND, Step.RESPOND):
        what = "extend" if step == Step.EXTEND else "respond to"
        return f"{ref} is {status} at stage {stage}: there is nothing to {what}"
    if step == Step.ESCALATE:
        if stage >= len(ctx.policy.stages):
            return (f"stage {stage} is {ctx.policy.id}'s final stage: there is no further "
                    "stage; the Ombudsman route is in the final response")
        return f"stage {stage} of {ref} has not been answered yet: respond first"
    if step == Step.REFUSE:
        return (f"only a complaint not yet acknowledged or answered can be refused ({ref} is "
                f"{status}); #withdraw or #close instead")
    if step == Step.NOT_A_COMPLAINT:
        return "only a new stage 1 complaint can be treated as a service request"
    if step == Step.CLOSE:
        return (f"{ref} has not been answered at stage {stage}: #respond first, or #withdraw / "
                "#refuse")
    if step == Step.WITHDRAW:  # answered: domain/case.py TRANSITIONS says why, by the Code
        return (f"stage {stage} of {ref} has been answered, so it is not withdrawn: a resident "
                "who does not take it further has had the answer, and the case is closed "
                "(#close); if they want it looked at again, #escalate")
    return (f"{ref} is {status} at stage {stage}: #{step.value if step else 'this'} is not "
            "allowed now")


# status changes the Complaint records itself (with deadlines and breaches) as it makes them
_RECORDED_BY_THE_MOVE = (e.Acknowledged, e.Extended, e.Responded, e.Escalated, e.Refused,
                         e.Closed, e.NotAComplaintDecided, e.Withdrawn)


def _label(event: e.DomainEvent) -> str:
    return "".join(f" {ch.lower()}" if ch.isupper() else ch for ch in event.name).strip()


def _stage(case: Complaint, ctx: Context) -> tuple[bool, int]:
    stage = ctx.policy.stage(case.stage)
    return stage.acknowledge is not None, len(ctx.policy.stages)


def _ready_to_answer(case: Complaint, ctx: Context, what: str) -> None:
    has_ack, _ = _stage(case, ctx)
    waiting = case.status in (Status.RECEIVED, Status.ESCALATED)
    if has_ack and waiting:
        raise Refusal(f"stage {case.stage} of {case.reference} has not been acknowledged: "
                      f"#acknowledge first, then {what}")


def _independent(case: Complaint, ctx: Context, what: str) -> None:
    earlier = case.stage_handlers.get(1)
    why = ctx.policy.rules.later_stage_handler
    if case.stage >= 2 and earlier and earlier == ctx.actor and why:
        raise Refusal(f"{ctx.actor} answered stage 1, so cannot {what} stage 2: {why}; "
                      "#assign a colleague")


# --- one handler per command -----------------------------------------------------------------


def _acknowledge(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.Acknowledge)
    has_ack, _ = _stage(case, ctx)
    if not has_ack:
        raise Refusal(f"stage {case.stage} under {ctx.policy.id} has no written acknowledgement: "
                      "respond within its deadline instead (#respond)")
    if not cmd.definition.strip():
        raise Refusal("#acknowledge needs the complaint definition below it: the complaint as "
                      "you understand it and the outcome the resident is looking for")
    _independent(case, ctx, "acknowledge")
    on = cmd.on or ctx.today
    case.acknowledge(on, ctx.at, ctx.actor, ctx.rule, True)
    case.definitions[case.stage] = cmd.definition.strip()
    case.handler = case.handler or ctx.actor
    assert case.deadlines is not None
    return [e.Acknowledged(case.stage, on, cmd.definition.strip(), case.deadlines.respond_by)]


def _extend(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.Extend)
    _ready_to_answer(case, ctx, "extend")
    if not cmd.reason.strip():
        raise Refusal("#extend needs a reason: the resident must be told why")
    ext = ctx.policy.stage(case.stage).extension
    d = case.deadlines
    assert d is not None
    used = sum(x.working_days for x in case.extensions_at(case.stage))
    total = used + cmd.working_days
    old = case.extended_to or d.respond_by
    new = ctx.calendar.add_working_days(d.respond_by, total)
    if ext.cap == "beyond-deadline" and ext.working_days is not None and total > ext.working_days:
        raise Refusal(f"{ctx.policy.id} allows at most {ext.working_days} working days of "
                      f"extension at stage {case.stage} ({used} used): {cmd.working_days} more "
                      f"is beyond the cap{_latest(case, ctx, cmd.reason)}")
    if ext.cap == "total" and d.respond_by_extended is not None and new > d.respond_by_extended:
        raise Refusal(f"{ctx.policy.id} allows no response later than {d.respond_by_extended} at "
                      f"stage {case.stage}; {cmd.working_days} working days would make it {new}"
                      f"{_latest(case, ctx, cmd.reason)}")
    agreed = case.agreements.get(case.stage, [])
    if ext.agreement == "resident-agreement" and Agreement.AGREED not in agreed:
        raise Refusal(f"{ctx.policy.id} extends only with the resident's agreement: once they "
                      "have agreed, record it with #agreed (earlier, or above #extend in the "
                      "same reply)")
    if ext.agreement == "manager-approval" and Agreement.APPROVED not in agreed:
        raise Refusal(f"{ctx.policy.id} extends only with a manager's approval: a manager "
                      "records it with #approved")
    how = {"notice": "notice given", "resident-agreement": "the resident agreed",
           "manager-approval": "a manager approved"}[ext.agreement]
    event = e.Extended(case.stage, cmd.working_days, cmd.reason.strip(), old, new, how)
    case.extend(ctx.at, ctx.actor, Extension(case.stage, cmd.working_days, cmd.reason.strip(),
                                             new, ctx.actor), event.describe())
    return [event]


def _extension_room(case: Complaint, ctx: Context) -> tuple[int, date] | None:
    """(working days of extension left at the stage, the latest response date the policy's cap
    allows), on the case's working calendar; None where the policy sets no cap."""
    ext = ctx.policy.stage(case.stage).extension
    d = case.deadlines
    assert d is not None
    used = sum(x.working_days for x in case.extensions_at(case.stage))
    if ext.cap == "beyond-deadline" and ext.working_days is not None:
        return (max(ext.working_days - used, 0),
                ctx.calendar.add_working_days(d.respond_by, ext.working_days))
    if ext.cap == "total" and d.respond_by_extended is not None:
        allowed = ctx.calendar.working_days_between(d.respond_by, d.respond_by_extended)
        return max(allowed - used, 0), d.respond_by_extended
    return None


def _latest(case: Complaint, ctx: Context, reason: str) -> str:
    """What the cap still allows, in words a handler can act on (after a refusal's reason)."""
    room = _extension_room(case, ctx)
    if room is None:
        return ""
    left, latest = room
    if left == 0:
        return f": no more extension is allowed; the latest date allowed is {_long(latest)}"
    return (f": the latest date allowed is {_long(latest)}, {left} more working day"
            f"{'' if left == 1 else 's'} (#extend {left} {_shown(reason)})")


def _extend_in_calendar_time(case: Complaint, cmd: c.Command,
                             ctx: Context) -> list[e.DomainEvent]:
    """Never taken as that many working days ("#extend 2 weeks" is not 2 working days with the
    reason "weeks ..."): refused with the number to write. #extend N adds N working days to
    the response date now due, so the span is counted on from that date, on the case's calendar
    (a response date is a working day: the span ends on the first one on or after it), and the
    refusal names the date that number gives."""
    assert isinstance(cmd, c.ExtendInCalendarTime)
    _ready_to_answer(case, ctx, "extend")
    assert case.deadlines is not None
    due = case.extended_to or case.deadlines.respond_by
    end = ctx.calendar.working_day_on_or_after(_later(due, cmd.amount, cmd.unit))
    n = max(1, ctx.calendar.working_days_between(due, end))
    end = ctx.calendar.add_working_days(due, n)  # what #extend n gives: the same date
    why = (f"{cmd.written} on from the response date now due ({_long(due)}) is {n} working "
           f"day{'' if n == 1 else 's'}, to {_long(end)}: write #extend {n} "
           f"{_shown(cmd.reason)} (#extend counts working days)")
    room = _extension_room(case, ctx)
    if room is not None and n > room[0]:
        why += (f". {ctx.policy.id} allows {room[0]} more working day"
                f"{'' if room[0] == 1 else 's'} at stage {case.stage}: the latest date allowed "
                f"is {_long(room[1])}")
    raise Refusal(why)


def _later(today: date, amount: int, unit: str) -> date:
    """``amount`` calendar days, weeks or months after ``today`` (a month on: the same day of
    the month, or its last day where the month is shorter)."""
    if unit == "weeks":
        return today + timedelta(weeks=amount)
    if unit == "months":
        month = today.month - 1 + amount
        year, month = today.year + month // 12, month % 12 + 1
        last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        return date(year, month, min(today.day, last))
    return today + timedelta(days=amount)


def _long(d: date) -> str:
    return f"{d:%A} {d.day} {d:%B %Y}"


def _shown(reason: str) -> str:
    """The handler's reason, to write again (a long one is not echoed whole)."""
    reason = " ".join(reason.split())
    return reason if reason and len(reason) <= 120 else "<reason>"


def _agreement(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    kind = Agreement.AGREED if isinstance(cmd, c.RecordAgreement) else Agreement.APPROVED
    detail = getattr(cmd, "detail", "")
    case.agreements.setdefault(case.stage, []).append(kind)
    return [e.AgreementRecorded(case.stage, kind, detail)]


def _respond(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.Respond)
    _ready_to_answer(case, ctx, "respond to")
    if cmd.outcome not in c.OUTCOMES:
        raise Refusal(f"#respond needs one of {', '.join(c.OUTCOMES)}")
    if not cmd.text.strip():
        raise Refusal("#respond needs the response below it: the decision on each point, with "
                      "reasons")
    _independent(case, ctx, "respond to")
    _, stages = _stage(case, ctx)
    on = cmd.on or ctx.today
    final = case.stage >= stages
    late_ext = (working_days_late(ctx.calendar, case.extended_to, on)
                if case.extended_to else None)
    case.respond(ctx.at, ctx.actor, stages, on=on, rule=ctx.rule, late_after_extension=late_ext)
    case.stage_handlers[case.stage] = ctx.actor
    case.outcomes[case.stage] = cmd.outcome
    case.responded_on[case.stage] = on
    case.offer([RemedyOffered(case.stage, r.text, r.due) for r in cmd.remedies])
    return [e.Responded(case.stage, on, cmd.outcome, cmd.text.strip(), cmd.remedies, final)]


def _escalate(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.Escalate)
    _, stages = _stage(case, ctx)
    if case.stage >= stages:
        raise Refusal(f"stage {case.stage} is {ctx.policy.id}'s final stage: there is no further "
                      "stage; the Ombudsman route is in the final response")
    on = cmd.on or ctx.today
    unanswered = ctx.policy.rules.escalate_unanswered  # why staff may, where they may
    direct = bool(unanswered) and case.status in (
        Status.RECEIVED, Status.ACKNOWLEDGED, Status.EXTENDED)
    answered = case.status in (Status.RESPONDED, Status.CLOSED)
    if not answered and not (direct and not cmd.by_resident):
        raise Refusal(f"stage {case.stage} of {case.reference} has not been answered yet: "
                      "respond first" + (f" (or, {unanswered})" if unanswered else ""))
    if cmd.by_resident:
        responded = case.responded_on.get(case.stage)
        closes = window_closes(ctx.policy.escalation_window,
                               {"stage-1-response": responded} if responded else {})
        if closes is not None and on > closes:
            return [e.EscalationOutOfTime(case.stage, on, closes, cmd.reason)]
    case.escalate(on, ctx.at, ctx.actor, ctx.rule, stages, cmd.reason.strip())
    rule = ctx.policy.rules.later_stage_handler
    if rule and case.handler and case.handler in case.stage_handlers.values():
        # whoever answered a stage may not answer the next: the resident's messages and the
        # reminders go to the team until someone else is assigned
        case.record(ctx.at, SYSTEM, "handler cleared", (
            f"{case.handler} answered an earlier stage, and {rule}: the team hears of the "
            "case until another member of staff is assigned"))
        case.handler = ""
    d = case.deadlines
    assert d is not None
    return [e.Escalated(case.stage, on, cmd.reason.strip(), cmd.by_resident, d.acknowledge_by,
                        d.respond_by, by_system=ctx.actor == SYSTEM)]


def _refuse(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.Refuse)
    if not cmd.reason.strip():
        raise Refusal("#refuse needs the reason: the resident must be told why (Code 2.4)")
    case.refuse(ctx.at, ctx.actor, cmd.reason.strip(), ctx.today)
    return [e.Refused(case.stage, cmd.reason.strip())]


def _not_a_complaint(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.NotAComplaint)
    if not cmd.reason.strip():
        raise Refusal("#not-a-complaint needs what happens instead (the service request)")
    case.not_a_complaint(ctx.at, ctx.actor, cmd.reason.strip())
    return [e.NotAComplaintDecided(case.stage, cmd.reason.strip())]


def _withdraw(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.Withdraw)
    event = e.Withdrawn(case.stage, cmd.reason.strip())
    case.withdraw(ctx.at, ctx.actor, event.describe())
    return [event]


def _close(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.Close)
    case.close(ctx.at, ctx.actor, cmd.reason.strip() or "closed", ctx.today)
    return [e.Closed(case.stage, cmd.reason.strip(), cmd.notify)]


def _note(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.Note)
    if not cmd.text.strip():
        raise Refusal("#note needs its text")
    return [e.Noted(case.stage, cmd.text.strip(), cmd.unmarked)]


def _assign(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.Assign)
    address = cmd.address.strip().lower()
    if ctx.is_staff is not None and not ctx.is_staff(address):
        raise Refusal(f"{address} is not a staff address: a case is assigned only to staff "
                      "(COMPLAINTS_STAFF_DOMAINS)")
    case.handler = address
    return [e.Assigned(case.stage, case.handler)]


def _set_policy(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.SetPolicy)
    if ctx.policy_named is None or ctx.rule_for is None:
        raise Refusal("the policy cannot be changed here")
    try:
        new = ctx.policy_named(cmd.policy)
    except ValueError as exc:
        raise Refusal(str(exc)) from None
    old = case.policy
    case.policy, case.nation = new.id, new.nation
    rule = ctx.rule_for(new)
    received = case.stage_received_on or case.received_on
    acknowledged = case.acknowledged_on if new.stage(case.stage).acknowledge else None
    case.deadlines = rule(case.stage, received, acknowledged)
    case.extended_to = None
    case.flags.discard("nation-to-confirm")
    return [e.PolicyChanged(case.stage, old, new.id, case.deadlines.respond_by)]


def _adjustments(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.RecordAdjustments)
    if not cmd.text.strip():
        raise Refusal("#adjustments needs the support needs or adjustments to record")
    case.support_needs = cmd.text.strip()
    case.flags.add("support-needs")
    return [e.AdjustmentsRecorded(case.stage, case.support_needs)]


def _categorise(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.Categorise)
    category = " ".join(cmd.category.split())
    if not category:
        raise Refusal("#category needs a few words on its line, e.g. #category repairs - damp")
    if len(category) > c.MAX_CATEGORY or not category.isprintable():
        raise Refusal(f"a category is one line of at most {c.MAX_CATEGORY} printable characters")
    if category == case.category:
        raise Refusal(f"{case.reference} is already in the category {category}")
    old, case.category = case.category, category
    return [e.Categorised(case.stage, old, category)]


def _tenure(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.SetTenure)
    tenure = c.TENURES.get(cmd.tenure.strip().lower())
    if tenure is None:
        raise Refusal("#tenure is one of " + ", ".join(c.TENURES.values()))
    if tenure == case.tenure:
        raise Refusal(f"{case.reference} is already recorded as {tenure}")
    old, case.tenure = case.tenure, tenure
    return [e.TenureRecorded(case.stage, old, tenure)]


def _remedy_done(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.RemedyDone)
    if not case.remedies:
        raise Refusal(f"{case.reference} has no remedies: they are the #remedy lines of a "
                      "response")
    if not 1 <= cmd.number <= len(case.remedies):
        listed = "; ".join(f"{i} {r.text[:60]}" for i, r in enumerate(case.remedies, 1))
        raise Refusal(f"there is no remedy {cmd.number}: {listed}")
    remedy = case.remedies[cmd.number - 1]
    if remedy.done:
        raise Refusal(f"remedy {cmd.number} was recorded done on {remedy.done_on}")
    case.remedies[cmd.number - 1] = remedy.completed(ctx.today)
    return [e.RemedyDone(case.stage, cmd.number, remedy.text, cmd.detail.strip())]


def _unreadable(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.Unreadable)
    raise Refusal(cmd.problem)


def _message(case: Complaint, cmd: c.Command, ctx: Context) -> list[e.DomainEvent]:
    assert isinstance(cmd, c.SendMessage)
    if not cmd.text.strip():
        raise Refusal("the reply had no commands and no text to send to the resident")
    return [e.MessageSent(case.stage, cmd.text.strip())]


# each command's step in the transition table (Unreadable has none: it is refused with its problem)
_STEPS: dict[type, Step] = {
    c.Acknowledge: Step.ACKNOWLEDGE, c.Extend: Step.EXTEND, c.ExtendInCalendarTime: Step.EXTEND,
    c.RecordAgreement: Step.AGREED,
    c.RecordApproval: Step.APPROVED, c.Respond: Step.RESPOND, c.Escalate: Step.ESCALATE,
    c.Refuse: Step.REFUSE, c.NotAComplaint: Step.NOT_A_COMPLAINT, c.Withdraw: Step.WITHDRAW,
    c.Close: Step.CLOSE, c.Note: Step.NOTE, c.Assign: Step.ASSIGN, c.SetPolicy: Step.POLICY,
    c.RecordAdjustments: Step.ADJUSTMENTS, c.SendMessage: Step.MESSAGE,
    c.RemedyDone: Step.DONE, c.Categorise: Step.CATEGORY, c.SetTenure: Step.TENURE,
}

_HANDLERS: dict[type, Callable[[Complaint, c.Command, Context], list[e.DomainEvent]]] = {
    c.Acknowledge: _acknowledge, c.Extend: _extend,
    c.ExtendInCalendarTime: _extend_in_calendar_time, c.RecordAgreement: _agreement,
    c.RecordApproval: _agreement, c.Respond: _respond, c.Escalate: _escalate,
    c.Refuse: _refuse, c.NotAComplaint: _not_a_complaint, c.Withdraw: _withdraw,
    c.Close: _close, c.Note: _note, c.Assign: _assign, c.SetPolicy: _set_policy,
    c.RecordAdjustments: _adjustments, c.SendMessage: _message, c.Unreadable: _unreadable,
    c.RemedyDone: _remedy_done, c.Categorise: _categorise, c.SetTenure: _tenure,
}
