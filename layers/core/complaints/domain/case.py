"""The complaint aggregate: its lifecycle, deadlines and timeline.

received -> acknowledged (stage 1) -> [extended] -> responded -> escalated -> acknowledged
(stage 2) -> [extended] -> responded -> closed; refused and withdrawn end a case early. Every
transition and every automatic decision appends a timeline event saying who, what and why.
Messages that are not yet a case are quarantined elsewhere, not held here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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

# Which step may follow which. Stage-specific rules (no acknowledgement at SPSO stage 1, no
# escalation after the final stage) are checked in the methods.
_NEXT: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.ACKNOWLEDGED, Status.RESPONDED, Status.REFUSED,
                                Status.WITHDRAWN, Status.CLOSED, Status.EXTENDED,
                                Status.ESCALATED}),
    Status.ACKNOWLEDGED: frozenset({Status.EXTENDED, Status.RESPONDED, Status.WITHDRAWN,
                                    Status.ESCALATED}),
    Status.EXTENDED: frozenset({Status.EXTENDED, Status.RESPONDED, Status.WITHDRAWN,
                                Status.ESCALATED}),
    Status.RESPONDED: frozenset({Status.ESCALATED, Status.CLOSED}),
    Status.ESCALATED: frozenset({Status.ACKNOWLEDGED, Status.RESPONDED, Status.REFUSED,
                                 Status.WITHDRAWN, Status.EXTENDED}),
    # a stage answered and closed may still go on to the next stage: the resident asked within
    # the escalation window, or staff used their discretion on a late request
    Status.CLOSED: frozenset({Status.ESCALATED}),
    Status.REFUSED: frozenset(),
    Status.WITHDRAWN: frozenset(),
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
    stage_handlers: dict[int, str] = field(default_factory=dict)  # who responded at each stage
    definitions: dict[int, str] = field(default_factory=dict)  # the complaint definition per stage
    outcomes: dict[int, str] = field(default_factory=dict)
    responded_on: dict[int, date] = field(default_factory=dict)
    remedies: list[dict[str, Any]] = field(default_factory=list)  # {stage, text, due, done}
    extensions: list[dict[str, Any]] = field(default_factory=list)  # {stage, working_days, ...}
    agreements: dict[int, list[str]] = field(default_factory=dict)  # "agreed" / "approved"
    extended_to: date | None = None  # the current stage's extended response date
    disposition: str = ""  # "not-a-complaint" for a service request
    # how it reached us, and what the resident told us beyond the message itself (the web form
    # asks for these; a complaint by email leaves them empty)
    channel: str = "email"  # email | web form
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
    version: int = 0  # the store's optimistic lock
    saved_events: int = field(default=0, repr=False, compare=False)  # events already stored
    # letter Message-IDs the store has indexed (MSGID items), so each is written once
    indexed_message_ids: set[str] = field(default_factory=set, repr=False, compare=False)
    # the record (domain/record.py) as last filed on the store's month index
    indexed_record: str = field(default="", repr=False, compare=False)

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

    def _move(self, to: Status, at: datetime, actor: str, detail: str) -> None:
        if to not in _NEXT[self.status]:
            raise CaseError(f"{self.reference}: cannot go from {self.status} to {to}")
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
        self._move(Status.ACKNOWLEDGED, at, actor, f"stage {self.stage} acknowledged on {on}")
        self.acknowledged_on = on
        self.acknowledgements[self.stage] = on
        self.deadlines = rule(self.stage, received, on)
        self._record_breaches(at, self.deadlines)
        self.record(at, SYSTEM, "deadlines recomputed",
                    f"respond by {iso_day(self.deadlines.respond_by)} counted from the "
                    f"acknowledgement on {on}")

    def respond(self, at: datetime, actor: str, final_stage: int, on: date | None = None,
                rule: DeadlineRule | None = None, late_after_extension: int | None = None) -> None:
        self._move(Status.RESPONDED, at, actor, f"stage {self.stage} response sent")
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
        self._move(Status.ESCALATED, at, actor, f"escalation to stage {self.stage + 1} requested"
                   + (f": {reason}" if reason else ""))
        self.stage += 1
        self.stage_received_on = on
        self.acknowledged_on = None
        self.open_stage(at, rule)

    def close(self, at: datetime, actor: str, why: str, on: date | None = None) -> None:
        self._move(Status.CLOSED, at, actor, why)
        self.closed_on = on

    def refuse(self, at: datetime, actor: str, why: str, on: date | None = None) -> None:
        self._move(Status.REFUSED, at, actor, why)
        self.refused_on, self.refusal_reason = on, why

    def withdraw(self, at: datetime, actor: str, why: str) -> None:
        self._move(Status.WITHDRAWN, at, actor, why)

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

    def particulars(self) -> dict[str, Any]:
        """How it reached us, what the resident told us beyond the message, and the record the
        reports count: as `show --json` shows them and the store keeps them."""
        return {
            "channel": self.channel, "contact": dict(self.contact), "home": dict(self.home),
            "outcome_sought": self.outcome_sought, "representative": dict(self.representative),
            "anonymous": self.anonymous,
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
            "remedies": list(self.remedies),
            "extensions": list(self.extensions),
            "disposition": self.disposition,
            "sweep_done": sorted(self.sweep_done),
            **self.particulars(),
        }
        if with_timeline:
            out["timeline"] = [e.to_json() for e in self.timeline]
        return out


def iso_day(d: date | None) -> str | None:
    return d.isoformat() if d else None


def utc_text(at: datetime) -> str:
    """An instant as stored and shown everywhere: UTC, ISO-8601, with Z."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
