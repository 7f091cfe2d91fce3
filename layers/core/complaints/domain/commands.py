"""What staff, residents, the web form and the scheduler ask a complaint to do: typed values.

Every channel turns what it receives into these; the Complaint decides whether each is allowed
in its status under its policy (domain/case.py) and answers with typed events
(domain/events.py). Nothing here does anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

OUTCOMES: Final = ("upheld", "partly-upheld", "not-upheld", "resolved")
CALENDAR_UNITS: Final = ("calendar days", "weeks", "months")  # what #extend does not count in


@dataclass(frozen=True)
class Command:
    """Base: every command says who asked."""


@dataclass(frozen=True)
class Open(Command):
    """A new complaint, from any channel (service/intake.py): the mailroom sends one for each
    new complaint by email, the web form one for each accepted submission."""

    channel: str  # "email" | "web form"
    key: str  # the delivery's own id: the message's, or the form submission's
    received_at: datetime  # aware
    resident: str  # the address letters go to; "" when the resident gave none
    resident_name: str
    subject: str
    text: str  # what the resident wrote
    policy: str  # the preset chosen (domain/nation.py), and why
    policy_reason: str
    nation_to_confirm: bool
    back_dated: bool = False
    how: str = ""  # the "received" event's words for the channel, e.g. "by email from x"
    contact: Mapping[str, str] = field(default_factory=dict)
    home: Mapping[str, str] = field(default_factory=dict)  # the property: address, postcode
    outcome_sought: str = ""
    representative: Mapping[str, str] = field(default_factory=dict)
    support_needs: str = ""
    anonymous: bool = False
    attachments: tuple[Mapping[str, object], ...] = ()  # {filename, size} for the letters
    in_reply_to: str = ""  # the receipt answers the message (email)


@dataclass(frozen=True)
class Acknowledge(Command):
    definition: str  # the complaint as understood, and the outcomes sought
    on: date | None = None  # defaults to today (London)


@dataclass(frozen=True)
class Extend(Command):
    working_days: int
    reason: str


@dataclass(frozen=True)
class ExtendInCalendarTime(Command):
    """#extend written in calendar time ("2 weeks", "14 days", "a month"): never taken as that
    many working days; refused with the working days it comes to from today, counted on the
    case's calendar (domain/lifecycle.py), so the handler writes the number they mean."""

    amount: int
    unit: str  # one of CALENDAR_UNITS
    reason: str
    written: str  # as the reply wrote it ("2 weeks", "a fortnight"), for the refusal


@dataclass(frozen=True)
class Preview(Command):
    """#preview: run the reply's other commands on a copy of the case and show the sender what
    they would do and the letters they would send; nothing is changed or sent."""


@dataclass(frozen=True)
class RecordAgreement(Command):
    """The resident agreed to an extension (#agreed)."""

    detail: str = ""


@dataclass(frozen=True)
class RecordApproval(Command):
    """A manager approved an extension (#approved)."""

    detail: str = ""


@dataclass(frozen=True)
class Remedy:
    text: str
    due: date | None = None  # an outstanding action's date, if the text gives one


@dataclass(frozen=True)
class Respond(Command):
    outcome: str  # one of OUTCOMES
    text: str  # the response: the decision on each point, with reasons
    remedies: tuple[Remedy, ...] = ()
    on: date | None = None


@dataclass(frozen=True)
class Escalate(Command):
    reason: str
    by_resident: bool = False
    on: date | None = None  # the day the request was received


@dataclass(frozen=True)
class Refuse(Command):
    reason: str


@dataclass(frozen=True)
class NotAComplaint(Command):
    reason: str  # what happens instead (the service request), said to the resident


@dataclass(frozen=True)
class Withdraw(Command):
    reason: str = ""


@dataclass(frozen=True)
class Close(Command):
    reason: str = ""
    notify: bool = True  # False: no closure letter (a lapsed escalation window, where the policy sends none)


@dataclass(frozen=True)
class RemedyDone(Command):
    """A promised action is done (#done N): numbered as in the response, from 1."""

    number: int
    detail: str = ""


@dataclass(frozen=True)
class Note(Command):
    text: str  # internal: never sent
    # a reply with no # lines to staff mail (not a resident's forwarded message): kept as a
    # note, and the confirmation says how to write to the resident instead
    unmarked: bool = False


@dataclass(frozen=True)
class Assign(Command):
    address: str


@dataclass(frozen=True)
class SetPolicy(Command):
    policy: str  # preset id: corrects the nation/policy and recomputes the clocks


@dataclass(frozen=True)
class RecordAdjustments(Command):
    text: str  # support needs / reasonable adjustments: letters respect them


@dataclass(frozen=True)
class Categorise(Command):
    """What the complaint is about, for the annual report (a few words: "repairs - damp")."""

    category: str


@dataclass(frozen=True)
class SetTenure(Command):
    """The resident's tenure, for the Tenant Satisfaction Measures: one of TENURES."""

    tenure: str


@dataclass(frozen=True)
class SendMessage(Command):
    """A staff reply with no commands: sent to the resident as a message on the case."""

    text: str


@dataclass(frozen=True)
class Unreadable(Command):
    """A # line that could not be read: refused with the reason, never guessed at."""

    problem: str


COMMAND_NAMES: Final[dict[str, str]] = {
    "acknowledge": "Acknowledge", "extend": "Extend", "agreed": "RecordAgreement",
    "approved": "RecordApproval", "respond": "Respond", "remedy": "Remedy",
    "escalate": "Escalate", "refuse": "Refuse", "not-a-complaint": "NotAComplaint",
    "withdraw": "Withdraw", "close": "Close", "note": "Note", "assign": "Assign",
    "policy": "SetPolicy", "adjustments": "RecordAdjustments", "done": "RemedyDone",
    "category": "Categorise", "tenure": "SetTenure", "message": "SendMessage",
    "preview": "Preview",
}

# The TSM tenures (low-cost rental, low-cost home ownership), as written on the record.
TENURES: Final[dict[str, str]] = {"lcra": "LCRA", "lcho": "LCHO", "other": "other"}
MAX_CATEGORY: Final = 100  # characters: a category is a few words, one line
