"""The complaint aggregate: its lifecycle, deadlines and timeline.

received -> acknowledged (stage 1) -> [extended] -> responded -> escalated -> acknowledged
(stage 2) -> [extended] -> responded -> closed; refused and withdrawn end a case early. One
table, TRANSITIONS, says which step may be taken in which status and the status it leaves; the
Complaint's methods are the only code that changes a status, and each checks the table. Every
transition and every automatic decision appends a timeline event saying who, what and why.
Messages that are not yet a case are quarantined elsewhere, not held here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from complaints.domain.deadlines import StageDeadlines


class Status(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    EXTENDED = "extended"
    RESPONDED = "responded"
    ESCALATED = "escalated"
    CLOSED = "closed"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


OPEN = frozenset({Status.RECEIVED, Status.ACKNOWLEDGED, Status.EXTENDED, Status.ESCALATED})
SYSTEM = "system"
RESIDENT = "resident"

ENDED = frozenset({Status.CLOSED, Status.REFUSED, Status.WITHDRAWN})


class Step(StrEnum):
    """What may be asked of a complaint: the staff commands (their #words), which the resident,
    the web form and the sweep ask for too (an escalation, a closure)."""

    ACKNOWLEDGE = "acknowledge"
    EXTEND = "extend"
    AGREED = "agreed"
    APPROVED = "approved"
    RESPOND = "respond"
    ESCALATE = "escalate"
    REFUSE = "refuse"
    NOT_A_COMPLAINT = "not-a-complaint"
    WITHDRAW = "withdraw"
    CLOSE = "close"
    NOTE = "note"
    ASSIGN = "assign"
    POLICY = "policy"
    ADJUSTMENTS = "adjustments"
    MESSAGE = "message"
    DONE = "done"
    CATEGORY = "category"
    TENURE = "tenure"


# Steps that leave the status as it is: allowed on any case still in hand (open or answered).
_IN_HAND = (Step.AGREED, Step.APPROVED, Step.NOTE, Step.ASSIGN, Step.POLICY, Step.ADJUSTMENTS,
            Step.MESSAGE, Step.DONE, Step.CATEGORY, Step.TENURE)
# The record's category and tenure may be put right on any case: every ended case still counts
# in the reports.
_RECORD = (Step.CATEGORY, Step.TENURE)


def _stay(status: Status, steps: tuple[Step, ...]) -> dict[Step, Status]:
    return dict.fromkeys(steps, status)


# The one transition table: status x step -> the status the step leaves. A step not listed is
# not allowed in that status. Rules beyond the status (the policy's stages, acknowledgements,
# extension caps, the SPSO's direct escalation) are the lifecycle's (domain/lifecycle.py).
#
# #withdraw after a response: not allowed; the case is closed (#close) instead. A stage answered
# is answered: the Housing Ombudsman's Complaint Handling Code 2024 has the response given "when
# the answer to the complaint is known" (6.6), and a resident not satisfied with it goes to stage
# 2 (6.10); one who is, or who does not take it further, has had the stage's answer, which
# counts as a response in the reports (CH02), so their complaint is closed, not withdrawn. The
# landlords' policies say so: "A complaint is considered closed when the matter has been
# investigated and responded to and the complainant has not notified [us] that they wish to
# escalate" (seed 002, Housing Solutions, 7.2). The SPSO model CHP is the same: after the
# frontline response "the complaint should then be closed" (seed 003, West Whitlawburn, para
# 111, and 146-148 at stage 2), and it records the date closed at each stage (para 163). The
# Code itself has no paragraph on withdrawal; withdrawing stays for a complaint the resident
# takes back before it is answered (at stage 1, or at stage 2 once escalated).
TRANSITIONS: Mapping[Status, Mapping[Step, Status]] = {
    Status.RECEIVED: {
        Step.ACKNOWLEDGE: Status.ACKNOWLEDGED, Step.EXTEND: Status.EXTENDED,
        Step.RESPOND: Status.RESPONDED, Step.ESCALATE: Status.ESCALATED,
        Step.REFUSE: Status.REFUSED, Step.NOT_A_COMPLAINT: Status.CLOSED,
        Step.WITHDRAW: Status.WITHDRAWN, **_stay(Status.RECEIVED, _IN_HAND)},
    Status.ACKNOWLEDGED: {
        Step.EXTEND: Status.EXTENDED, Step.RESPOND: Status.RESPONDED,
        Step.ESCALATE: Status.ESCALATED, Step.WITHDRAW: Status.WITHDRAWN,
        **_stay(Status.ACKNOWLEDGED, _IN_HAND)},
    Status.EXTENDED: {
        Step.EXTEND: Status.EXTENDED, Step.RESPOND: Status.RESPONDED,
        Step.ESCALATE: Status.ESCALATED, Step.WITHDRAW: Status.WITHDRAWN,
        **_stay(Status.EXTENDED, _IN_HAND)},
    Status.RESPONDED: {
        Step.ESCALATE: Status.ESCALATED, Step.CLOSE: Status.CLOSED,
        **_stay(Status.RESPONDED, _IN_HAND)},
    Status.ESCALATED: {
        Step.ACKNOWLEDGE: Status.ACKNOWLEDGED, Step.EXTEND: Status.EXTENDED,
        Step.RESPOND: Status.RESPONDED, Step.REFUSE: Status.REFUSED,
        Step.WITHDRAW: Status.WITHDRAWN, **_stay(Status.ESCALATED, _IN_HAND)},
    # a stage answered and closed may still go on to the next stage: the resident asked within
    # the escalation window, or staff used their discretion on a late request; a promised action
    # is tracked after closure (#done)
    Status.CLOSED: {Step.ESCALATE: Status.ESCALATED, **_stay(Status.CLOSED, (Step.DONE, *_RECORD))},
    Status.REFUSED: _stay(Status.REFUSED, _RECORD),
    Status.WITHDRAWN: _stay(Status.WITHDRAWN, _RECORD),
}

# (stage, received, acknowledged[, responded]) -> deadlines; the caller binds the policy and
# calendar. Given the date a step was taken, the deadlines say how late it was.
DeadlineRule = Callable[..., StageDeadlines]


class CaseError(ValueError):
    """An illegal step in a complaint's lifecycle."""


@dataclass(frozen=True)
class Event:
    at: datetime  # UTC
    actor: str  # "resident", "system", or a staff address
    event: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"at": utc_text(self.at), "actor": self.actor, "event": self.event,
                "detail": self.detail}


@dataclass
class Breach:
    """A step not taken by its statutory date: what reporting counts as not within timescale.

    Recorded when the step is taken late, or by the sweep on the first working day after the
    date passed with the step not taken (``done`` None until it is; ``working_days_late`` then
    says how late it was when last seen). ``due`` is the statutory date before any extension;
    where an extension was in place, ``extended_to`` and ``late_after_extension`` say how the
    step stood against it too (whether an allowed extension counts as on time is the report's
    choice: both are kept).
    """

    stage: int
    step: str  # "acknowledgement", "response" or "progress update"
    due: date
    done: date | None
    working_days_late: int
    extended_to: date | None = None
    late_after_extension: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"stage": self.stage, "step": self.step, "due": self.due.isoformat(),
                "done": iso_day(self.done), "working_days_late": self.working_days_late,
                "extended_to": iso_day(self.extended_to),
                "late_after_extension": self.late_after_extension}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Breach:
        late_ext = d.get("late_after_extension")
        return cls(int(d["stage"]), d["step"], date.fromisoformat(d["due"]),
                   date.fromisoformat(d["done"]) if d.get("done") else None,
                   int(d["working_days_late"]),
                   date.fromisoformat(d["extended_to"]) if d.get("extended_to") else None,
                   None if late_ext is None else int(late_ext))


_POUNDS = re.compile(r"£\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?")


def pounds(text: str) -> float:
    """The money a remedy offers (£150, £1,200.50), for the compensation the reports count."""
    return sum(float(m.group(1).replace(",", "") + (m.group(2) or ""))
               for m in _POUNDS.finditer(text))


@dataclass(frozen=True)
class RemedyOffered:
    """A #remedy line of a response: what the landlord will do to put things right, by when
    (if the text gives a date), and when it was recorded done (#done N)."""

    stage: int
    text: str
    due: date | None = None
    done: bool = False
    done_on: date | None = None

    @property
    def compensation(self) -> float:
        """The money it offers, in pounds (0 where it offers none)."""
        return pounds(self.text)

    def completed(self, on: date) -> RemedyOffered:
        return replace(self, done=True, done_on=on)

    def to_json(self) -> dict[str, Any]:
        # the stored shape: {stage, text, due, done} and, once done, done_on
        out: dict[str, Any] = {"stage": self.stage, "text": self.text, "due": iso_day(self.due),
                               "done": self.done}
        if self.done_on is not None:
            out["done_on"] = self.done_on.isoformat()
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> RemedyOffered:
        return cls(int(d.get("stage", 1)), str(d.get("text", "")), _day(d.get("due")),
                   bool(d.get("done")), _day(d.get("done_on")))


class Agreement(StrEnum):
    """What an extension needs where the policy asks for more than notice."""

    AGREED = "agreed"  # the resident agreed (#agreed)
    APPROVED = "approved"  # a manager approved (#approved)


@dataclass(frozen=True)
class Extension:
    """An #extend: the working days added at a stage, why, the new response date, and who."""

    stage: int
    working_days: int
    reason: str
    new_date: date | None  # None only where an older record kept no date
    by: str

    def to_json(self) -> dict[str, Any]:
        return {"stage": self.stage, "working_days": self.working_days, "reason": self.reason,
                "new_date": iso_day(self.new_date), "by": self.by}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Extension:
        return cls(int(d["stage"]), int(d.get("working_days", 0)), str(d.get("reason", "")),
                   _day(d.get("new_date")), str(d.get("by", "")))


class LetterStatus(StrEnum):
    SENDING = "sending"  # claimed by a delivery; its id and Message-ID are fixed before the attempt
    SENT = "sent"
    HELD = "held"  # deliberately not sent (no-reply address, loop guard): staff decide
    FAILED = "failed"  # an attempt failed; ``error`` says why, ``attempts`` how often


@dataclass
class Letter:
    """One letter to send, recorded before the attempt so a retry resends the same letter.

    ``message_id`` is ours, fixed when the letter is first recorded; ``sent_message_id`` is
    what the sending service returned (SES replaces ours). Replies and bounces are matched on
    both.
    """

    kind: str
    id: str
    to: str
    message_id: str
    status: LetterStatus
    claimed_by: str = ""  # the delivery that is sending it (a redelivery of it may resend)
    attempts: int = 0
    sent_message_id: str = ""
    error: str = ""
    # What this letter says beyond the case itself (the response text, the extension's reason
    # and dates), JSON-able, so a retry writes exactly the same letter.
    context: dict[str, Any] = field(default_factory=dict)
    claimed_at: str = ""  # UTC ISO instant of the claim: a stale claim may be taken over
    attempted_at: str = ""  # UTC ISO instant of the last attempt (for a sent letter: sent)
    retry: bool = False  # failed for a reason another try may get past (the sweep retries)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "to": self.to, "message_id": self.message_id,
                "status": self.status.value, "claimed_by": self.claimed_by,
                "attempts": self.attempts, "sent_message_id": self.sent_message_id,
                "error": self.error, "context": self.context, "claimed_at": self.claimed_at,
                "attempted_at": self.attempted_at, "retry": self.retry}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Letter:
        return cls(d["kind"], d["id"], d["to"], d["message_id"], LetterStatus(d["status"]),
                   d.get("claimed_by", ""), int(d.get("attempts", 0)),
                   d.get("sent_message_id", ""), d.get("error", ""), dict(d.get("context", {})),
                   d.get("claimed_at", ""), d.get("attempted_at", ""), bool(d.get("retry")))

    @property
    def message_ids(self) -> tuple[str, ...]:
        return tuple(m for m in (self.message_id, self.sent_message_id) if m)

    # --- its states: only these change them ------------------------------------------------

    @classmethod
    def recorded(cls, kind: str, letter_id: str, to: str, message_id: str, claimant: str,
                 at: datetime, hold: str = "", problem: str = "",
                 context: Mapping[str, Any] | None = None) -> Letter:
        """A letter put on the case before any attempt: ``sending`` under this claim; ``held``
        where it is deliberately not sent (why: ``hold``); ``failed`` where it cannot go
        (``problem``, e.g. an address the mail service cannot take)."""
        status = (LetterStatus.HELD if hold else LetterStatus.FAILED if problem
                  else LetterStatus.SENDING)
        return cls(kind, letter_id, to, message_id, status, claimed_by=claimant,
                   error=hold or problem, context=dict(context or {}), claimed_at=utc_text(at))

    @property
    def settled(self) -> bool:
        """Sent, or held for staff: no delivery or sweep sends it again."""
        return not _LETTER_NEXT[self.status]

    def claim(self, claimant: str, at: datetime) -> None:
        """Taken over by ``claimant`` to send again (the sweep's retry of a stuck or failed
        letter)."""
        if self.settled:
            raise CaseError(f"letter {self.id} is {self.status.value}: it is not sent again")
        self.claimed_by, self.claimed_at = claimant, utc_text(at)

    def sent(self, sent_message_id: str, at: datetime) -> None:
        """The mail service took it, under ``sent_message_id``."""
        self._check(LetterStatus.SENT, "recorded sent")
        self.status, self.sent_message_id = LetterStatus.SENT, sent_message_id
        self.attempts += 1
        self.error, self.retry, self.attempted_at = "", False, utc_text(at)

    def failed(self, why: str, at: datetime, attempted: bool = False,
               retry: bool = False) -> None:
        """Not sent: ``attempted`` when the mail service was tried (an attempt counted);
        ``retry`` when another try may get past it (the sweep retries it)."""
        self._check(LetterStatus.FAILED, "recorded failed")
        self.status, self.error, self.retry = LetterStatus.FAILED, why, retry
        self.attempts += 1 if attempted else 0
        self.attempted_at = utc_text(at)

    def held(self, why: str, at: datetime) -> None:
        """Deliberately not sent (the loop guard): staff decide."""
        self._check(LetterStatus.HELD, "held")
        self.status, self.error, self.retry = LetterStatus.HELD, why, False
        self.attempted_at = utc_text(at)

    def _check(self, to: LetterStatus, what: str) -> None:
        if to not in _LETTER_NEXT[self.status]:
            raise CaseError(f"letter {self.id} is {self.status.value}: it cannot be {what}")


# A letter's states: sending (claimed) -> sent | failed | held; a failed letter may be claimed
# again and retried (sent, failed again, or held by the loop guard); sent and held are final.
_LETTER_NEXT: Mapping[LetterStatus, frozenset[LetterStatus]] = {
    LetterStatus.SENDING: frozenset({LetterStatus.SENT, LetterStatus.FAILED, LetterStatus.HELD}),
    LetterStatus.FAILED: frozenset({LetterStatus.SENT, LetterStatus.FAILED, LetterStatus.HELD}),
    LetterStatus.SENT: frozenset(),
    LetterStatus.HELD: frozenset(),
}


@dataclass
class Complaint:
    reference: str
    landlord: str
    policy: str
    nation: str
    resident: str  # the address letters go to
    resident_name: str
    subject: str
    received_at: datetime  # UTC instant the complaint arrived
    received_on: date  # the London date the clock counts from
    source_message: str  # idempotency key of the message that opened the case
    stage: int = 1
    status: Status = Status.RECEIVED
    deadlines: StageDeadlines | None = None
    stage_received_on: date | None = None  # stage 2: the escalation request's date
    acknowledged_on: date | None = None
    parties: set[str] = field(default_factory=set)
    tenancy_reference: str | None = None  # from the resident register
    support_needs: str = ""  # from the register or the resident: letters respect them
    flags: set[str] = field(default_factory=set)
    letters: dict[str, Letter] = field(default_factory=dict)  # by letter id
    breaches: list[Breach] = field(default_factory=list)
    # the lifecycle's record (domain/lifecycle.py)
    handler: str = ""  # the staff member dealing with it
    # the names staff wrote under (their From), by address: letters name the handler by it,
    # never by a bare address
    staff_names: dict[str, str] = field(default_factory=dict)
    stage_handlers: dict[int, str] = field(default_factory=dict)  # who responded at each stage
    definitions: dict[int, str] = field(default_factory=dict)  # the complaint definition per stage
    outcomes: dict[int, str] = field(default_factory=dict)
    responded_on: dict[int, date] = field(default_factory=dict)
    remedies: list[RemedyOffered] = field(default_factory=list)  # numbered from 1 for #done
    extensions: list[Extension] = field(default_factory=list)
    agreements: dict[int, list[Agreement]] = field(default_factory=dict)  # per stage
    extended_to: date | None = None  # the current stage's extended response date
    disposition: str = ""  # "not-a-complaint" for a service request
    # how it reached us, and what the resident told us beyond the message itself (the web form
    # asks for these; a complaint by email leaves them empty)
    channel: str = "email"  # email | web form
    # the mailbox it was sent to that has its own team (COMPLAINTS_TEAM_ADDRESSES), "" for
    # none: every later note to staff goes to the team the first one went to
    mailbox: str = ""
    contact: dict[str, str] = field(default_factory=dict)  # email, phone, postal_address, preferred
    home: dict[str, str] = field(default_factory=dict)  # the property: address, postcode
    outcome_sought: str = ""
    representative: dict[str, str] = field(default_factory=dict)  # for whom, relationship, consent
    anonymous: bool = False
    # the record the reports count (domain/record.py), beside what the lifecycle above keeps
    acknowledgements: dict[int, date] = field(default_factory=dict)  # per stage
    refused_on: date | None = None
    refusal_reason: str = ""
    closed_on: date | None = None
    compensation: dict[int, float] = field(default_factory=dict)  # GBP offered, per stage
    category: str = ""
    tenure: str = ""  # LCRA | LCHO | other
    imported: bool = False  # loaded from a previous system (complaints import)
    # what the deadline sweep has done or passed over (service/sweep.py), by task key, so each
    # reminder and alert goes once per case, step, date and offset
    sweep_done: set[str] = field(default_factory=set)
    timeline: list[Event] = field(default_factory=list)
    # the store's own note of what it last wrote (service/records.Stored: its lock version,
    # the events and indexes already written), carried for the store and opaque here
    stored: Any = field(default=None, repr=False, compare=False)

    # --- recording ----------------------------------------------------------------------

    def record(self, at: datetime, actor: str, event: str, detail: str) -> Event:
        entry = Event(at, actor, event, detail)
        self.timeline.append(entry)
        return entry

    def flag(self, at: datetime, name: str, why: str) -> None:
        if name not in self.flags:
            self.flags.add(name)
            self.record(at, SYSTEM, "flagged", f"{name}: {why}")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def is_party(self, address: str) -> bool:
        return address.lower() in self.parties

    def sent_message_ids(self) -> set[str]:
        """Every Message-ID a letter of this case went out under (bounces must quote one)."""
        return {m for letter in self.letters.values() for m in letter.message_ids}

    # --- lifecycle ----------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    def allows(self, step: Step) -> bool:
        """Whether ``step`` may be taken now, by the transition table (and, for a closed case's
        escalation, whether the stage was answered before it closed: a service request or an
        unanswered stage is not reopened)."""
        if step not in TRANSITIONS[self.status]:
            return False
        if step == Step.ESCALATE and self.status == Status.CLOSED:
            return self.stage in self.responded_on and not self.disposition
        return True

    def _move(self, step: Step, at: datetime, actor: str, detail: str) -> None:
        if not self.allows(step):
            raise CaseError(f"{self.reference}: cannot go from {self.status} by #{step.value} "
                            f"(stage {self.stage})")
        to = TRANSITIONS[self.status][step]
        self.status = to
        self.record(at, actor, to.value, detail)

    def open_stage(self, at: datetime, rule: DeadlineRule) -> None:
        """Set the new stage's deadlines; called when the case is created or escalated."""
        received = self.stage_received_on or self.received_on
        self.deadlines = rule(self.stage, received, None)
        d = self.deadlines
        self.record(at, SYSTEM, "deadlines set",
                    f"stage {self.stage} under {self.policy}: acknowledge by "
                    f"{iso_day(d.acknowledge_by)}, respond by {iso_day(d.respond_by)}"
                    f"{' (provisional until acknowledged)' if d.provisional else ''}")

    def acknowledge(self, on: date, at: datetime, actor: str, rule: DeadlineRule,
                    has_acknowledgement: bool) -> None:
        if not has_acknowledgement:
            raise CaseError(f"{self.reference}: stage {self.stage} has no acknowledgement")
        received = self.stage_received_on or self.received_on
        if on < received:
            raise CaseError(f"{self.reference}: acknowledged {on} before received {received}")
        self._move(Step.ACKNOWLEDGE, at, actor, f"stage {self.stage} acknowledged on {on}")
        self.acknowledged_on = on
        self.acknowledgements[self.stage] = on
        self.deadlines = rule(self.stage, received, on)
        self._record_breaches(at, self.deadlines)
        self.record(at, SYSTEM, "deadlines recomputed",
                    f"respond by {iso_day(self.deadlines.respond_by)} counted from the "
                    f"acknowledgement on {on}")

    def respond(self, at: datetime, actor: str, final_stage: int, on: date | None = None,
                rule: DeadlineRule | None = None, late_after_extension: int | None = None) -> None:
        self._move(Step.RESPOND, at, actor, f"stage {self.stage} response sent")
        if on is not None and rule is not None:
            received = self.stage_received_on or self.received_on
            self._record_breaches(at, rule(self.stage, received, self.acknowledged_on, on),
                                  late_after_extension)
        if self.stage >= final_stage:
            self.record(at, SYSTEM, "final response", "the landlord's process is complete")

    def escalate(self, on: date, at: datetime, actor: str, rule: DeadlineRule,
                 final_stage: int, reason: str = "") -> None:
        if self.stage >= final_stage:
            raise CaseError(f"{self.reference}: stage {self.stage} is the final stage")
        self._move(Step.ESCALATE, at, actor, f"escalation to stage {self.stage + 1} requested"
                   + (f": {reason}" if reason else ""))
        self.stage += 1
        self.stage_received_on = on
        self.acknowledged_on = None
        self.extended_to = None
        self.open_stage(at, rule)

    def extend(self, at: datetime, actor: str, extension: Extension, detail: str) -> None:
        """Extend this stage's response date to ``extension.new_date``; each further extension
        needs its own agreement or approval, so those on record are used up."""
        self._move(Step.EXTEND, at, actor, detail)
        self.extended_to = extension.new_date
        self.extensions.append(extension)
        self.agreements[self.stage] = []

    def close(self, at: datetime, actor: str, why: str, on: date | None = None) -> None:
        self._move(Step.CLOSE, at, actor, why)
        self.closed_on = on

    def not_a_complaint(self, at: datetime, actor: str, why: str) -> None:
        """Closed as a service request: it is dealt with as one, not as a complaint."""
        self._move(Step.NOT_A_COMPLAINT, at, actor, f"a service request: {why}")
        self.disposition = "not-a-complaint"

    def refuse(self, at: datetime, actor: str, why: str, on: date | None = None) -> None:
        self._move(Step.REFUSE, at, actor, why)
        self.refused_on, self.refusal_reason = on, why

    def withdraw(self, at: datetime, actor: str, why: str) -> None:
        self._move(Step.WITHDRAW, at, actor, why)

    def offer(self, remedies: list[RemedyOffered]) -> None:
        """The remedies a response offers, and the compensation they add up to at its stage."""
        self.remedies.extend(remedies)
        offered = sum(r.compensation for r in remedies)
        if offered:
            self.compensation[self.stage] = offered

    def extensions_at(self, stage: int) -> list[Extension]:
        return [x for x in self.extensions if x.stage == stage]

    def _record_breaches(self, at: datetime, deadlines: StageDeadlines,
                         late_after_extension: int | None = None) -> None:
        for step, due, done, late in deadlines.breaches:
            self.record_breach(at, step, due, done, late, self.extended_to if step == "response"
                               else None, late_after_extension if step == "response" else None)
        # A miss the sweep recorded for a step now shown to have been taken in time (recorded
        # late, back-dated to a phone call; or a response date that moved with a late
        # acknowledgement): the breach is withdrawn, and the timeline says why.
        taken = {"acknowledgement": deadlines.acknowledged, "response": deadlines.responded}
        late_steps = {step for step, *_ in deadlines.breaches}
        for breach in list(self.breaches):
            on = taken.get(breach.step)
            if breach.stage == self.stage and breach.done is None and on is not None \
                    and breach.step not in late_steps:
                self.breaches.remove(breach)
                self.record(at, SYSTEM, "breach withdrawn",
                            f"stage {self.stage} {breach.step} was done on {on}, in time; "
                            f"the miss recorded for {breach.due} no longer stands")

    def record_breach(self, at: datetime, step: str, due: date, done: date | None, late: int,
                      extended_to: date | None = None,
                      late_after_extension: int | None = None) -> Breach:
        """Record (or complete) the breach of ``step`` at this stage: one per stage and step."""
        for breach in self.breaches:
            if (breach.stage, breach.step) == (self.stage, step):
                if breach.done is None:
                    breach.done, breach.working_days_late = done, late
                    breach.extended_to = extended_to or breach.extended_to
                    breach.late_after_extension = late_after_extension
                    if done is not None:
                        self.record(at, SYSTEM, "breach completed",
                                    f"stage {self.stage} {step} done on {done}: {late} working "
                                    f"day{'s' if late != 1 else ''} after its date, {due}")
                return breach
        breach = Breach(self.stage, step, due, done, late, extended_to, late_after_extension)
        self.breaches.append(breach)
        when = f"on {done} was" if done else "not done:"
        self.record(at, SYSTEM, "breach", f"stage {self.stage} {step} {when} {late} working "
                    f"day{'s' if late != 1 else ''} after its date, {due}"
                    + (f" (extended to {extended_to})" if extended_to else ""))
        return breach

    # --- views --------------------------------------------------------------------------

    def next_step(self) -> tuple[str, date] | None:
        """The open case's next statutory step and its date (the extended date when extended);
        None once nothing is due (responded, closed, refused, withdrawn)."""
        d = self.deadlines
        if d is None or self.status not in OPEN:
            return None
        if self.status in (Status.RECEIVED, Status.ESCALATED) and d.acknowledge_by:
            return "acknowledgement", d.acknowledge_by
        return "response", self.extended_to or d.respond_by

    def particulars(self) -> dict[str, Any]:
        """How it reached us, what the resident told us beyond the message, and the record the
        reports count: as `show --json` shows them and the store keeps them."""
        return {
            "channel": self.channel, "mailbox": self.mailbox, "contact": dict(self.contact),
            "home": dict(self.home), "outcome_sought": self.outcome_sought,
            "representative": dict(self.representative), "anonymous": self.anonymous,
            "acknowledgements": {str(k): v.isoformat() for k, v in self.acknowledgements.items()},
            "refused_on": iso_day(self.refused_on), "refusal_reason": self.refusal_reason,
            "closed_on": iso_day(self.closed_on),
            "compensation": {str(k): v for k, v in self.compensation.items()},
            "category": self.category, "tenure": self.tenure, "imported": self.imported,
        }

    def to_json(self, with_timeline: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "reference": self.reference,
            "status": self.status.value,
            "stage": self.stage,
            "policy": self.policy,
            "nation": self.nation,
            "landlord": self.landlord,
            "resident": self.resident,
            "subject": self.subject,
            "received_at": utc_text(self.received_at),
            "received_on": self.received_on.isoformat(),
            "acknowledged_on": iso_day(self.acknowledged_on),
            "deadlines": self.deadlines.to_json() if self.deadlines else {},
            "flags": sorted(self.flags),
            "tenancy_reference": self.tenancy_reference,
            "support_needs": self.support_needs,
            "letters": [self.letters[k].to_json() for k in sorted(self.letters)],
            "breaches": [b.to_json() for b in self.breaches],
            "parties": sorted(self.parties),
            "handler": self.handler,
            "extended_to": iso_day(self.extended_to),
            "outcomes": {str(k): v for k, v in sorted(self.outcomes.items())},
            "remedies": [r.to_json() for r in self.remedies],
            "extensions": [x.to_json() for x in self.extensions],
            "disposition": self.disposition,
            "sweep_done": sorted(self.sweep_done),
            **self.particulars(),
        }
        if with_timeline:
            out["timeline"] = [e.to_json() for e in self.timeline]
        return out


def iso_day(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _day(text: object) -> date | None:
    return date.fromisoformat(str(text)) if text else None


def utc_text(at: datetime) -> str:
    """An instant as stored and shown everywhere: UTC, ISO-8601, with Z."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
