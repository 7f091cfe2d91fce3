"""What happened to a complaint, as typed values: the answer to a command.

The Complaint returns these from `handle` (domain/lifecycle.py); the service sends the letters
that follow them (service/letters.py registry) and the timeline shows `describe()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from complaints.domain.commands import Remedy


@dataclass(frozen=True)
class DomainEvent:
    stage: int

    @property
    def name(self) -> str:
        return type(self).__name__

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True)
class Acknowledged(DomainEvent):
    on: date
    definition: str
    respond_by: date

    def describe(self) -> str:
        return f"stage {self.stage} acknowledged on {self.on}; respond by {self.respond_by}"


@dataclass(frozen=True)
class Extended(DomainEvent):
    working_days: int
    reason: str
    old_date: date
    new_date: date
    agreement: str  # how it was agreed: notice | resident agreed | manager approved

    def describe(self) -> str:
        return (f"stage {self.stage} extended by {self.working_days} working days to "
                f"{self.new_date} ({self.agreement}): {self.reason}")


@dataclass(frozen=True)
class AgreementRecorded(DomainEvent):
    kind: str  # "agreed" (the resident) or "approved" (a manager)
    detail: str

    def describe(self) -> str:
        who = "the resident agreed to an extension" if self.kind == "agreed" else \
            "a manager approved an extension"
        return f"{who}{': ' + self.detail if self.detail else ''}"


@dataclass(frozen=True)
class Responded(DomainEvent):
    on: date
    outcome: str
    text: str
    remedies: tuple[Remedy, ...]
    final: bool

    def describe(self) -> str:
        kind = "final response" if self.final else f"stage {self.stage} response"
        return f"{kind} sent on {self.on}: {self.outcome}; {len(self.remedies)} remedy(ies)"


@dataclass(frozen=True)
class Escalated(DomainEvent):
    on: date
    reason: str
    by_resident: bool
    acknowledge_by: date | None
    respond_by: date

    by_system: bool = False  # the sweep, as the policy says (SPSO model ¶106)

    def describe(self) -> str:
        who = "the resident" if self.by_resident else "the sweep" if self.by_system else "staff"
        return (f"escalated to stage {self.stage} by {who} on {self.on}: {self.reason}; "
                f"acknowledge by {self.acknowledge_by or '-'}, respond by {self.respond_by}")


@dataclass(frozen=True)
class EscalationOutOfTime(DomainEvent):
    """A resident asked for stage 2 after the window: recorded and put to staff, not refused."""

    on: date
    window_closed: date
    reason: str

    def describe(self) -> str:
        return (f"the resident asked for stage 2 on {self.on}, after the escalation window closed "
                f"on {self.window_closed}: put to staff to decide (#escalate to accept)")


@dataclass(frozen=True)
class Refused(DomainEvent):
    reason: str

    def describe(self) -> str:
        return f"not accepted at stage {self.stage}: {self.reason}"


@dataclass(frozen=True)
class NotAComplaintDecided(DomainEvent):
    reason: str

    def describe(self) -> str:
        return f"not a complaint (a service request): {self.reason}"


@dataclass(frozen=True)
class Withdrawn(DomainEvent):
    reason: str

    def describe(self) -> str:
        return f"withdrawn{': ' + self.reason if self.reason else ''}"


@dataclass(frozen=True)
class Closed(DomainEvent):
    reason: str
    notify: bool = True  # whether the resident is written to

    def describe(self) -> str:
        return f"closed{': ' + self.reason if self.reason else ''}"


@dataclass(frozen=True)
class RemedyDone(DomainEvent):
    number: int
    text: str
    detail: str = ""

    def describe(self) -> str:
        return f"remedy {self.number} done: {self.text}" + (f" ({self.detail})" if self.detail
                                                              else "")


@dataclass(frozen=True)
class Noted(DomainEvent):
    text: str
    unmarked: bool = False

    def describe(self) -> str:
        if self.unmarked:
            return ("kept as an internal note, NOT sent to the resident: a reply with no # "
                    "lines goes to them only when it answers their forwarded message. To "
                    f"write to them, put #message on the first line, then your text. Note: {self.text}")
        return f"internal note: {self.text}"


@dataclass(frozen=True)
class Assigned(DomainEvent):
    address: str

    def describe(self) -> str:
        return f"assigned to {self.address}"


@dataclass(frozen=True)
class PolicyChanged(DomainEvent):
    old: str
    new: str
    respond_by: date

    def describe(self) -> str:
        return (f"policy corrected from {self.old} to {self.new}; stage {self.stage} "
                f"respond by {self.respond_by}")


@dataclass(frozen=True)
class AdjustmentsRecorded(DomainEvent):
    text: str

    def describe(self) -> str:
        return f"reasonable adjustments / support needs recorded: {self.text}"


@dataclass(frozen=True)
class Categorised(DomainEvent):
    old: str
    new: str

    def describe(self) -> str:
        return f"category: {self.new}" + (f" (was {self.old})" if self.old else "")


@dataclass(frozen=True)
class TenureRecorded(DomainEvent):
    old: str
    new: str

    def describe(self) -> str:
        return f"tenure: {self.new}" + (f" (was {self.old})" if self.old else "")


@dataclass(frozen=True)
class MessageSent(DomainEvent):
    text: str

    def describe(self) -> str:
        return f"message to the resident: {self.text[:200]}"
