"""Receiving email: every delivered message ends in a new case, on a case, or in quarantine.

The SES messageId (locally, a hash of the message) is the idempotency key. A delivery that
crashed after its case was stored is finished on redelivery: the store's INBOUND marker says the
case exists, and any letter still pending is sent then.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from complaints.adapters.raw_mail import RawMail, attachment_key
from complaints.adapters.sender import Sender
from complaints.adapters.store import (
    ConcurrentUpdate,
    DuplicateDelivery,
    MessageRecord,
    Quarantined,
    Store,
)
from complaints.domain.calendar import receipt_date
from complaints.domain.case import RESIDENT, SYSTEM, Complaint, iso_day, utc_text
from complaints.domain.deadlines import StageDeadlines
from complaints.domain.policy import Policy
from complaints.mail import letters
from complaints.mail.inbound import REFERENCE, InboundMail, find_reference, parse
from complaints.service.clock import StatutoryClock

# Postcode areas wholly or mainly in Scotland (TD straddles the border; it counts as Scottish
# here and the timeline says which postcode decided).
_SCOTTISH_POSTCODE = re.compile(
    r"\b(AB|DD|DG|EH|FK|G|HS|IV|KA|KW|KY|ML|PA|PH|TD|ZE)\d{1,2}[A-Z]?\s*\d[A-Z]{2}\b")
_NO_REPLY = re.compile(r"^(no-?reply|do-?not-?reply|mailer-daemon|postmaster)\b", re.IGNORECASE)


@dataclass(frozen=True)
class MailConfig:
    landlord: str
    complaints_address: str
    staff_domains: frozenset[str]
    default_policy: str
    scottish_policy: str
    mailbox_policies: dict[str, str] = field(default_factory=dict)  # address -> preset id
    letters_per_hour: int = 5  # to one address, before letters are held (loop guard)


@dataclass(frozen=True)
class Delivery:
    """One message as the mail system handed it over."""

    key: str  # SES messageId, or the local stack's equivalent
    raw_key: str  # where the raw MIME is stored
    received_at: datetime  # when it arrived (aware)
    back_dated: bool = False  # `complaints ingest --received`: reached us another way


@dataclass(frozen=True)
class Outcome:
    outcome: str  # created | appended | duplicate | quarantined
    reference: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "reference": self.reference, "reason": self.reason}


class Mailroom:
    def __init__(self, store: Store, raw_mail: RawMail, sender: Sender, clock: StatutoryClock,
                 config: MailConfig, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store, self.raw_mail, self.sender = store, raw_mail, sender
        self.clock, self.config, self.now = clock, config, now

    # --- entry ------------------------------------------------------------------------------

    def receive(self, delivery: Delivery) -> Outcome:
        # No read-before-write: every outcome is written with a condition on the INBOUND marker,
        # so a redelivery is caught by the write itself (DuplicateDelivery) and finished there.
        mail = parse(self.raw_mail.get(delivery.raw_key))
        try:
            return self._route(delivery, mail)
        except DuplicateDelivery as dup:  # a concurrent delivery of the same message won
            return self._redelivered(dup.outcome)

    def _redelivered(self, earlier: dict[str, Any]) -> Outcome:
        reference = earlier.get("reference")
        if reference:
            self.send_pending_letters(reference)
        return Outcome("duplicate", reference, f"already handled: {earlier.get('outcome')}")

    def _route(self, delivery: Delivery, mail: InboundMail) -> Outcome:
        # A bounce often has no usable From: it is matched on what it quotes, below.
        if not mail.sender and mail.verdict != "bounce":
            return self._quarantine(delivery, mail, "no sender address could be read")
        if mail.verdict == "rejected":
            return self._quarantine(delivery, mail, mail.reason)
        if base_address(mail.sender) == self.config.complaints_address.lower():
            return self._quarantine(delivery, mail, "mail from our own complaints address "
                                    "(loop guard): nothing is answered")
        case, how = self._thread(mail)
        if mail.verdict == "bounce":
            case = case or self._case_named_in(mail)
            if case is None:
                return self._quarantine(delivery, mail, f"{mail.reason}, for no known case")
            return self._append(delivery, mail, case, "bounce",
                                f"{mail.reason}: the resident may not have received our letter")
        if mail.verdict == "auto_reply":
            if case is None:
                return self._quarantine(delivery, mail, f"{mail.reason}, for no known case; "
                                        "not answered")
            return self._append(delivery, mail, case, "automatic reply",
                                f"{mail.reason}; recorded, not answered")
        if case is not None and self._may_add_to(case, mail):
            who = "staff" if not case.is_party(mail.sender) else "resident"
            return self._append(delivery, mail, case, "message added",
                                f"{who} {mail.sender} wrote ({how}); {len(mail.attachments)} "
                                "attachment(s)")
        why = None
        if case is not None:
            why = (f"the message quotes {case.reference} ({how}) but {mail.sender} is not a party "
                   "to that case, so it was not added to it: opened as a new complaint")
        elif mail.reference:
            why = f"the message quotes {mail.reference}, which is not a case here: opened as new"
        return self._create(delivery, mail, why)

    # --- threading ------------------------------------------------------------------------

    def _thread(self, mail: InboundMail) -> tuple[Complaint | None, str]:
        for message_id in (*mail.in_reply_to, *mail.references):
            reference = self.store.reference_for_message_id(message_id)
            if reference:
                return self.store.load(reference), f"in reply to our message {message_id}"
        if mail.reference:
            case = self.store.load(mail.reference)
            if case is not None:
                return case, f"reference {mail.reference} in the subject or address"
        return None, ""

    def _case_named_in(self, mail: InboundMail) -> Complaint | None:
        """A bounce quotes our letter: its Message-ID, or the reference in its subject."""
        for quoted in mail.quoted:
            reference = quoted if REFERENCE.fullmatch(quoted) else \
                self.store.reference_for_message_id(quoted)
            case = self.store.load(reference) if reference else None
            if case is not None:
                return case
        return None

    def _may_add_to(self, case: Complaint, mail: InboundMail) -> bool:
        if case.is_party(mail.sender):
            return True
        domain = mail.sender.partition("@")[2]
        return domain in self.config.staff_domains and mail.auth.aligned

    # --- outcomes -------------------------------------------------------------------------

    def _quarantine(self, delivery: Delivery, mail: InboundMail, reason: str) -> Outcome:
        entry = Quarantined(delivery.key, self.now(), reason, delivery.raw_key, mail.sender,
                            mail.subject[:200])
        if not self.store.quarantine(entry):
            return self._redelivered(self.store.inbound(delivery.key) or {})
        return Outcome("quarantined", None, reason)

    def _append(self, delivery: Delivery, mail: InboundMail, case: Complaint, event: str,
                detail: str) -> Outcome:
        record = self._message_record(delivery, mail)
        # Robots' mail is recorded by the system; people's under their own name.
        robot = mail.verdict in ("bounce", "auto_reply")
        actor = SYSTEM if robot else RESIDENT if mail.sender == case.resident else mail.sender
        for _ in range(5):  # optimistic lock: reload and re-apply on a concurrent change
            at = self.now()
            case.record(at, actor, event, detail)
            if mail.verdict == "bounce":
                case.flag(at, "letter-undelivered", "a bounce came back: check the resident's "
                          "address and send the letter another way")
            for note in mail.notes:
                case.record(at, SYSTEM, "parsing note", note)
            try:
                self.store.save(case, (record,), inbound_key=delivery.key, outcome="appended")
                return Outcome("appended", case.reference, detail)
            except ConcurrentUpdate:
                fresh = self.store.load(case.reference)
                assert fresh is not None
                case = fresh
        raise ConcurrentUpdate(f"{case.reference}: five concurrent updates in a row")

    def _create(self, delivery: Delivery, mail: InboundMail, why: str | None) -> Outcome:
        policy, policy_reason = self._policy_for(mail)
        calendar = self.clock.calendar_for(policy)
        received_on = receipt_date(delivery.received_at, policy.receipt_cutoff, calendar)
        at = self.now()
        case = Complaint(
            reference="", landlord=self.config.landlord, policy=policy.id, nation=policy.nation,
            resident=mail.sender, resident_name=mail.sender_name, subject=mail.subject[:200],
            received_at=delivery.received_at.astimezone(UTC), received_on=received_on,
            source_message=delivery.key, parties={mail.sender},
        )
        how = "back-dated by staff: it reached us another way" if delivery.back_dated else "email"
        case.record(at, RESIDENT, "received",
                    f"by {how} from {mail.sender} at {utc_text(delivery.received_at)}, counted as "
                    f"received on {received_on:%a %d %b %Y} (London); subject "
                    f"{mail.subject[:120]!r}; {len(mail.attachments)} attachment(s)")
        if why:
            case.record(at, SYSTEM, "threading decision", why)
        case.record(at, SYSTEM, "policy chosen", f"{policy.id}: {policy_reason}")
        for note in mail.notes:
            case.record(at, SYSTEM, "parsing note", note)
        for attachment in mail.attachments:
            if attachment.note:
                case.record(at, SYSTEM, "attachment note", f"{attachment.filename}: {attachment.note}")
        case.open_stage(at, self._deadline_rule(policy))
        hold = self._hold_reason(mail)
        if hold:
            case.letters["receipt"] = "held"
            case.flag(at, "letter-held", hold)
        else:
            case.letters["receipt"] = "pending"
        record = self._message_record(delivery, mail)
        self.store.create_case(case, delivery.key, record, received_on.year)
        self.send_pending_letters(case.reference, case, (mail, record))
        return Outcome("created", case.reference, why or "new complaint")

    # --- letters --------------------------------------------------------------------------

    def send_pending_letters(self, reference: str, case: Complaint | None = None,
                             first: tuple[InboundMail, MessageRecord] | None = None) -> None:
        """Send any letter the case marks pending; safe to call again after a crash.

        ``first`` is the message that opened the case, when the caller has it parsed already;
        a redelivery reads it back from the store and the raw-mail store instead.
        """
        case = case or self.store.load(reference)
        if case is None or case.letters.get("receipt") != "pending":
            return
        if self.store.letters_sent_this_hour(case.resident, self.now()) > self.config.letters_per_hour:
            case.letters["receipt"] = "held"
            case.flag(self.now(), "letter-held",
                      f"more than {self.config.letters_per_hour} letters to {case.resident} "
                      "this hour (loop guard): send it by hand if the address is genuine")
            self.store.save(case)
            return
        policy = self.clock.presets.get(case.policy)
        envelope, context = self._receipt(case, policy, first or self._first_message(case))
        message = letters.build(envelope, "receipt", context)
        message_id = self.sender.send(message)
        at = self.now()
        case.letters["receipt"] = "sent"
        d = case.deadlines
        assert d is not None
        case.record(at, SYSTEM, "receipt letter sent",
                    f"to {case.resident}: acknowledge by {iso_day(d.acknowledge_by) or '-'}, "
                    f"respond by {iso_day(d.respond_by)}"
                    f"{' (provisional)' if d.provisional else ''}")
        record = MessageRecord("out", f"receipt-{case.reference}", at,
                               self.config.complaints_address, (case.resident,),
                               str(message["Subject"]), "", message_id, "receipt")
        try:
            self.store.save(case, (record,))
        except ConcurrentUpdate:
            # The letter has gone; a concurrent change must not lose that fact.
            fresh = self.store.load(case.reference)
            assert fresh is not None
            fresh.letters["receipt"] = "sent"
            fresh.record(at, SYSTEM, "receipt letter sent", f"to {case.resident} ({message_id})")
            self.store.save(fresh, (record,))

    def _first_message(self, case: Complaint) -> tuple[InboundMail, MessageRecord]:
        stored = next(m for m in self.store.messages(case.reference)
                      if m["key"] == case.source_message)
        record = MessageRecord("in", stored["key"], datetime.fromisoformat(stored["at"]),
                               stored["from"], tuple(stored["to"]), stored["subject"],
                               stored["raw_key"], stored["message_id"], stored["verdict"],
                               tuple(stored["attachments"]))
        return parse(self.raw_mail.get(record.raw_key)), record

    def _receipt(self, case: Complaint, policy: Policy,
                 first: tuple[InboundMail, MessageRecord]) -> tuple[letters.Envelope, dict[str, Any]]:
        d = case.deadlines
        assert d is not None
        stage = policy.stage(case.stage)
        mail, record = first
        envelope = letters.Envelope(
            landlord=self.config.landlord, complaints_address=self.config.complaints_address,
            to=case.resident, to_name=case.resident_name, reference=case.reference,
            subject=f"We have received your complaint: {case.subject or '(no subject)'}"[:200],
            in_reply_to=record.message_id or None,
        )
        context = {
            "landlord": self.config.landlord, "complaints_address": self.config.complaints_address,
            "reference": case.reference, "resident_name": case.resident_name,
            "received_on": case.received_on, "subject": case.subject,
            "summary": letters.summary_of(mail.text), "attachments": list(record.attachments),
            "policy_name": policy.name, "stage_name": stage.name,
            "acknowledge_by": d.acknowledge_by, "respond_by": d.respond_by,
            "respond_by_extended": d.respond_by_extended, "provisional": d.provisional,
            "ombudsman": policy.summary()["ombudsman"],
        }
        return envelope, context

    # --- helpers ----------------------------------------------------------------------------

    def _policy_for(self, mail: InboundMail) -> tuple[Policy, str]:
        for address in mail.recipients:
            policy_id = self.config.mailbox_policies.get(base_address(address))
            if policy_id:
                return self.clock.presets.get(policy_id), f"sent to the {address} mailbox"
        match = _SCOTTISH_POSTCODE.search(f"{mail.subject}\n{mail.text}".upper())
        if match:
            return (self.clock.presets.get(self.config.scottish_policy),
                    f"Scottish postcode {match.group(0)} in the message")
        return self.clock.presets.get(self.config.default_policy), "the landlord's default policy"

    def _deadline_rule(self, policy: Policy) -> Callable[[int, date, date | None], StageDeadlines]:
        def rule(stage: int, received: date, acknowledged: date | None) -> StageDeadlines:
            return self.clock.deadlines(policy.id, stage, received, acknowledged)
        return rule

    def _hold_reason(self, mail: InboundMail) -> str | None:
        if _NO_REPLY.match(mail.sender):
            return f"{mail.sender} does not take replies: no receipt letter sent"
        return None

    def _message_record(self, delivery: Delivery, mail: InboundMail) -> MessageRecord:
        attachments = []
        for n, a in enumerate(mail.attachments):
            key = attachment_key(delivery.raw_key, n, a.filename)
            self.raw_mail.put(key, a.payload, a.content_type)
            attachments.append({"filename": a.filename, "content_type": a.content_type,
                                "size": a.size, "sha256": a.sha256, "key": key,
                                "note": a.note})
        return MessageRecord("in", delivery.key, delivery.received_at.astimezone(UTC),
                             mail.sender, mail.recipients, mail.subject[:200], delivery.raw_key,
                             mail.message_id, mail.verdict, tuple(attachments))


def base_address(address: str) -> str:
    """complaints+CMP-2026-000001@landlord.example -> complaints@landlord.example"""
    local, _, domain = address.lower().partition("@")
    return f"{local.split('+')[0]}@{domain}"


__all__ = ["Delivery", "MailConfig", "Mailroom", "Outcome", "find_reference"]
