"""Every kind of letter we write, one row each: its templates, its subject, who reads it,
who it goes to, and the regime rules that judge it.

Casework, the post, the sweep, the mailroom and the letter linter read this table; none keeps
its own list. A kind's templates are ``templates/<name>.txt.j2`` and ``<name>.html.j2``; its
rules are each regime file's ``[[letters.<name>]]`` (regimes/*.toml), run on every letter
before it is sent and by `complaints check-letter`. A kind no regime judges says why.
tests/unit/test_letter_kinds.py checks the table against the templates and every regime.

To add a kind: a row here, its two templates, its rules in every regime file, and the code
that records it (casework for a letter that follows an event, the sweep for one it sends).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from complaints.domain.regime import LetterRule, Regime


class Audience(StrEnum):
    RESIDENT = "resident"  # a letter to the resident: statutory wording, the Ombudsman block
    STAFF = "staff"  # a note to staff: enough for a reply to reach the case


class Recipient(StrEnum):
    """Who a letter is addressed to, as the case and the configuration name them."""

    RESIDENT = "resident"  # the case's resident
    SENDER = "sender"  # the member of staff whose commands it answers
    HANDLER = "handler"  # the case's handler
    TEAM = "team"  # the complaints team (per policy or mailbox where configured)
    MANAGER = "manager"  # the complaints manager (overdue alerts)


class UnknownLetterKind(KeyError):
    """A letter kind not in the table: a bug, never a letter sent without its rules."""


@dataclass(frozen=True)
class LetterKind:
    name: str
    subject: str  # before ": <the case's subject>"
    audience: Audience
    recipients: tuple[Recipient, ...]  # the first the letter has an address for
    # Why no regime rule judges this kind; "" means each regime's [[letters.<name>]] do.
    no_rules: str = ""
    # Counted by the loop guard: sent automatically in answer to mail, so a robot answering
    # our letters could make us write without end (the letters staff ask for are not).
    loop_guarded: bool = False

    @property
    def templates(self) -> tuple[str, str]:
        """The text and HTML templates, in that order."""
        return f"{self.name}.txt.j2", f"{self.name}.html.j2"

    @property
    def for_staff(self) -> bool:
        return self.audience is Audience.STAFF

    def rules_in(self, regime: Regime) -> tuple[LetterRule, ...] | None:
        """The rules ``regime`` applies to this kind: () when none apply by design (no_rules),
        None when the regime lacks the rules it should have."""
        if self.no_rules:
            return ()
        return regime.letters.get(self.name)

    def address(self, resident: str = "", sender: str = "", handler: str = "", team: str = "",
                manager: str = "") -> str:
        """The first of this kind's recipients given an address ("" when none is)."""
        given = {Recipient.RESIDENT: resident, Recipient.SENDER: sender,
                 Recipient.HANDLER: handler, Recipient.TEAM: team, Recipient.MANAGER: manager}
        return next((given[r] for r in self.recipients if given[r]), "")


_R, _S = Audience.RESIDENT, Audience.STAFF
_RESIDENT = (Recipient.RESIDENT,)
_HANDLER_ELSE_TEAM = (Recipient.HANDLER, Recipient.TEAM)

KINDS: Final[Mapping[str, LetterKind]] = {k.name: k for k in (
    # to the resident
    LetterKind("receipt", "We have received your complaint", _R, _RESIDENT, loop_guarded=True),
    LetterKind("acknowledgement", "We have acknowledged your complaint", _R, _RESIDENT),
    LetterKind("escalation_acknowledgement", "Your complaint at stage 2", _R, _RESIDENT),
    # a resident's request for the next stage, answered at once as the first complaint is (not
    # loop-guarded: a stage is opened once, so no robot can make it write again)
    LetterKind("escalation_receipt", "We have your request", _R, _RESIDENT),
    LetterKind("extension", "We need more time for your complaint", _R, _RESIDENT),
    LetterKind("stage1_response", "Our response to your complaint", _R, _RESIDENT),
    LetterKind("final_response", "Our final response to your complaint", _R, _RESIDENT),
    LetterKind("refusal", "Your complaint", _R, _RESIDENT),
    LetterKind("not_a_complaint", "Your request", _R, _RESIDENT),
    LetterKind("closure", "Your complaint is closed", _R, _RESIDENT),
    LetterKind("resident_message", "About your complaint", _R, _RESIDENT),
    # to staff
    LetterKind("staff_new_case", "New complaint", _S, (Recipient.TEAM,)),
    # every message a resident sends on a case, forwarded at once: "<resident> wrote: ..."
    # (its subject is written from the message); a request for the next stage goes to the team
    LetterKind("resident_wrote", "wrote", _S, _HANDLER_ELSE_TEAM),
    # #assign: the case summary to its new handler
    LetterKind("handover", "Assigned to you", _S, (Recipient.HANDLER,)),
    # what a staff reply's commands did; a resident's request for stage 2, to the handler
    LetterKind("command_result", "Done / refused", _S, (Recipient.SENDER, *_HANDLER_ELSE_TEAM)),
    LetterKind("reminder", "Reminder", _S, _HANDLER_ELSE_TEAM),
    LetterKind("overdue_alert", "OVERDUE", _S, (Recipient.MANAGER,)),
    LetterKind("staff_notice", "For your attention", _S, _HANDLER_ELSE_TEAM),
    # the week's open cases, to the complaints manager (all) and each handler (their own)
    LetterKind("digest", "Complaints this week", _S, (Recipient.MANAGER, Recipient.HANDLER),
               no_rules="it is about many cases, not one: no single case's policy or regime "
                        "applies, it quotes no case's subject, and it is never sent to a "
                        "resident"),
    LetterKind("quarantine_notice", "Quarantined message to check", _S, (Recipient.TEAM,),
               no_rules="it is about mail held in quarantine, not a case: it has no case "
                        "reference to quote, and a reply reaches the held message by its "
                        "Q- token, never a case"),
    # a staff forward or log that opened no case, back to the member of staff who sent it
    LetterKind("not_opened", "No case opened", _S, (Recipient.SENDER,),
               no_rules="it answers a staff message that opened no case: there is no case "
                        "reference to quote, and its sender sends the complaint again"),
)}
STAFF_KINDS: Final = frozenset(name for name, k in KINDS.items() if k.for_staff)


def kind(name: str) -> LetterKind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownLetterKind(f"{name!r} is not a letter kind (mail/letter_kinds.py has "
                                f"{', '.join(KINDS)})") from None


__all__ = ["KINDS", "STAFF_KINDS", "Audience", "LetterKind", "Recipient", "UnknownLetterKind",
           "kind"]
