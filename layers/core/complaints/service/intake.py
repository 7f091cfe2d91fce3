"""Opening a complaint: one use case for every channel (docs/architecture.md). The mailroom
and the web form each turn what they received into an `Open` command; this makes the case,
starts its clock, records the receipt letter and the staff notice, and stores it all in one
transaction with the channel's idempotency marker, then sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from complaints.domain.calendar import london_date, receipt_date
from complaints.domain.case import RESIDENT, SYSTEM, Complaint, utc_text
from complaints.domain.commands import Open
from complaints.domain.teams import case_team, team_mailbox
from complaints.mail import letters
from complaints.service.casework import Casework
from complaints.service.clock import StatutoryClock
from complaints.service.ports import Cases
from complaints.service.records import MessageRecord


@dataclass(frozen=True)
class IntakeConfig:
    landlord: str
    complaints_address: str
    team_address: str = ""  # told of every new case
    # a team per policy id or mailbox address, where it is not the one team_address
    team_addresses: dict[str, str] = field(default_factory=dict)


class Intake:
    def __init__(self, store: Cases, clock: StatutoryClock, casework: Casework,
                 config: IntakeConfig) -> None:
        self.store, self.clock, self.casework, self.config = store, clock, casework, config

    def open(self, command: Open, idempotency_key: str, record: MessageRecord, at: datetime, *,
             why: str | None = None, hold: str | None = None, team_keys: tuple[str, ...] = (),
             raw_key: str = "", register: dict[str, Any] | None = None,
             notes: tuple[tuple[str, str], ...] = (), confirm_to: str = "",
             confirm_as: str = "") -> Complaint:
        """Store the new case (DuplicateDelivery if ``idempotency_key`` was used) and send its
        letters. ``hold``: why the receipt letter must not go (it is kept, flagged);
        ``team_keys``: mailboxes to route the staff notice by, before the policy id;
        ``register``: the resident register's entry for the sender, where there is one;
        ``notes``: what the channel noticed reading it, as (event, detail) for the timeline;
        ``confirm_to``: the member of staff who forwarded or logged it, told what was opened
        (``confirm_as``: what they sent, as the confirmation names it)."""
        policy = self.clock.policy(command.policy)
        calendar = self.clock.calendar_for(policy)
        received_on = receipt_date(command.received_at, policy.receipt_cutoff, calendar)
        case = Complaint(
            reference="", landlord=self.config.landlord, policy=policy.id, nation=policy.nation,
            resident=command.resident, resident_name=command.resident_name,
            subject=command.subject[:200], received_at=command.received_at.astimezone(UTC),
            received_on=received_on, source_message=command.key,
            parties={command.resident} if command.resident else set(),
            channel=command.channel, contact=dict(command.contact),
            home=dict(command.home), outcome_sought=command.outcome_sought,
            representative=dict(command.representative), anonymous=command.anonymous,
        )
        case.record(at, RESIDENT, "received",
                    f"{command.how} at {utc_text(command.received_at)}, counted as received on "
                    f"{received_on:%a %d %b %Y} (London); subject {command.subject[:120]!r}; "
                    f"{len(command.attachments)} attachment(s)")
        if why:
            case.record(at, SYSTEM, "threading decision", why)
        case.record(at, SYSTEM, "policy chosen", f"{policy.id}: {command.policy_reason}")
        if command.nation_to_confirm:
            case.flag(at, "nation-to-confirm", command.policy_reason)
        if command.representative:
            case.record(at, RESIDENT, "representative", "; ".join(
                f"{k.replace('_', ' ')}: {v}" for k, v in command.representative.items()))
        if command.anonymous:
            case.flag(at, "anonymous", f"no name or contact given; {policy.id} accepts "
                      "anonymous complaints: pursue it if there is enough detail")
        if command.support_needs:
            case.support_needs = command.support_needs
            case.flag(at, "support-needs", f"from the resident: {command.support_needs[:300]}")
        if register is not None:
            case.tenancy_reference = register["tenancy_reference"]
            case.record(at, SYSTEM, "resident recognised",
                        f"{command.resident} is the tenant of {register['tenancy_reference']} "
                        f"({register['postcode']}) in the resident register")
            if register.get("support_needs"):
                case.support_needs = register["support_needs"]
                case.flag(at, "support-needs", f"from the register: {register['support_needs']}")
        for event_name, said in notes:
            case.record(at, SYSTEM, event_name, said)
        case.open_stage(at, self.casework.rule_for(policy))
        first = {"summary": letters.summary_of(command.text), "in_reply_to": command.in_reply_to,
                 "attachments": [dict(a) for a in command.attachments]}
        passed = _passed(case, at)
        if not command.resident:
            hold = hold or _no_email(command)
        receipt = self.casework.record(case, "receipt", command.resident, command.key, at, hold,
                                       context={**first, **passed})
        # the mailbox with a team of its own is kept, so every later note goes to that team
        case.mailbox = team_mailbox(self.config.team_addresses, team_keys)
        team = case_team(self.config.team_addresses, self.config.team_address, case.mailbox,
                         policy.id)
        if team:  # staff are told, with the complaint as received attached
            self.casework.record(case, "staff_new_case", team, command.key, at, context={
                            **first, "in_reply_to": "", "raw_key": raw_key,
                            "flags": [{"name": ev.detail.split(":", 1)[0],
                                       "why": ev.detail.split(":", 1)[-1].strip()}
                                      for ev in case.timeline if ev.event == "flagged"],
                            # no email to send it to: the team posts a printed copy
                            "print_receipt": receipt.id if not command.resident else ""})
        if confirm_to:
            self.casework.record(case, "command_result", confirm_to, command.key, at, context={
                "results": [{"command": confirm_as or "new complaint", "done": True,
                             "detail": _confirmation(case, command, received_on, hold, passed,
                                                     printed=bool(team))}]})
        self.store.create_case(case, idempotency_key, record, received_on.year)
        return self.casework.send(case, command.key)


def _passed(case: Complaint, at: datetime) -> dict[str, bool]:
    """Which of the stage's due dates are already behind us when the case opens (a receipt
    back-dated to when the landlord first had the complaint): the receipt letter then says what
    happens next from today, never a date gone by, and the timeline says the step is due now
    (the next sweep records it overdue and alerts the manager, domain/agenda.py)."""
    d, today = case.deadlines, london_date(at)
    assert d is not None
    out = {"acknowledgement_passed": bool(d.acknowledge_by and d.acknowledge_by < today),
           "response_passed": (case.extended_to or d.respond_by) < today}
    for step, due in (("acknowledgement", d.acknowledge_by), ("response", d.respond_by)):
        if out[f"{step}_passed"] and due is not None:
            case.record(at, SYSTEM, "due on opening",
                        f"the {step} was due by {due:%a %d %b %Y}, before the case was opened "
                        f"(received on {case.received_on:%a %d %b %Y}): it is due now")
    return out


def _confirmation(case: Complaint, command: Open, received_on: date, hold: str | None,
                  passed: dict[str, bool], printed: bool) -> str:
    """What a member of staff who forwarded or logged a complaint is told was opened."""
    who = " ".join(x for x in (command.resident_name, f"<{command.resident}>"
                               if command.resident else "") if x) or "(no name)"
    receipt = (f"HELD ({hold}); a printable copy goes to the team to post" if hold and printed
               and not command.resident else f"HELD ({hold})" if hold else
               f"sent to {command.resident}")
    due = [step for step in ("acknowledgement", "response") if passed.get(f"{step}_passed")]
    day = f"{received_on:%A} {received_on.day} {received_on:%B %Y}"
    return (f"opened for {who}; received on {day} ({command.channel}); receipt letter {receipt}"
            + (f"; already due on opening: the {' and the '.join(due)}" if due else ""))


def _no_email(command: Open) -> str:
    """Why a case opened without an email address has its receipt kept, not sent."""
    if command.anonymous:
        return "anonymous: the resident gave no way to contact them"
    preferred = command.contact.get("preferred", "")
    how = {"phone": f"by phone ({command.contact.get('phone', '')})",
           "post": "by post"}.get(preferred, "by post or phone")
    return f"the resident gave no email address: contact them {how}"


__all__ = ["Intake", "IntakeConfig"]
