"""Receiving email: every delivered message ends in a new case, on a case, or in quarantine.

Idempotency has one rule and one mechanism. The key is the message's RFC Message-ID with its
sender where it has one, else the delivery's own id (the SES messageId): the same message
delivered twice, under one SES id or two, is one delivery. Every outcome is written with a
condition on the INBOUND#<key> marker in the same transaction as the case change it records,
so a redelivery is caught by the write itself and only finishes what the first left undone
(a letter still to send).

Who may touch an existing case (docs/threat-model.md): a party to it, or staff
(mail/identity.py). That rule holds for replies, automatic replies and bounces alike; a bounce
is tied to a case only by quoting the Message-ID of a letter we sent.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from complaints.domain.calendar import LONDON, back_dating_problem, london_date
from complaints.domain.case import RESIDENT, SYSTEM, Complaint, utc_text
from complaints.domain.commands import Command, Escalate, Note, Open, Unreadable
from complaints.domain.nation import (
    NationChoice,
    NationPolicies,
    choose,
    postcodes_in,
    residents_words,
)
from complaints.mail import letter_kinds, letters
from complaints.mail.addresses import mailbox, plus_tag, takes_no_replies
from complaints.mail.complainant import Logged, read_logged
from complaints.mail.forwarded import Forward, read_forward, strip_forward_prefix
from complaints.mail.identity import StaffDirectory, staff_verdict
from complaints.mail.inbound import REFERENCE, InboundMail, parse
from complaints.mail.requests import only_thanks
from complaints.service.casework import Casework, ResidentMessage, Result, forwarded_files
from complaints.service.clock import StatutoryClock
from complaints.service.intake import Intake
from complaints.service.ports import MailroomStore, RawMail
from complaints.service.post import Post
from complaints.service.records import (
    ConcurrentUpdate,
    Contention,
    DuplicateDelivery,
    MessageRecord,
    Quarantined,
    StoreError,
    attachment_key,
)
from complaints.service.unit_of_work import Change, attempts

_THREAD_LOOKUPS = 10  # Message-IDs looked up to find the case a reply answers
QUARANTINE_NOTICES_PER_HOUR = 20  # to the team, before the rest wait in the quarantine list
# A quarantine notice's token, in its subject and its Reply-To's +tag: unguessable, and no
# case reference, so a reply to the notice can only be kept with the quarantined message.
_NOTICE_TOKEN = re.compile(r"\bQ-([0-9a-f]{24})\b", re.IGNORECASE)


@dataclass(frozen=True)
class MailConfig:
    landlord: str
    complaints_address: str
    staff_domains: frozenset[str]  # domains, and single staff addresses (with an @)
    policies: NationPolicies  # nation -> preset, shared with the web form
    mailbox_policies: dict[str, str] = field(default_factory=dict)  # address -> preset id
    letters_per_hour: int = 5  # to one address, before letters are held (loop guard)
    team_address: str = ""  # told of every new case, and of quarantined mail for review
    signature: str = ""  # the letters' sign-off (default: "<landlord> complaints team")
    landlord_address: tuple[str, ...] = ()  # the letterhead: address lines and logo
    logo_url: str = ""
    # a team per policy id or mailbox address, where it is not the one team_address
    team_addresses: dict[str, str] = field(default_factory=dict)
    manager_address: str = ""  # told of a request for the next stage where there is no team

    @property
    def staff(self) -> StaffDirectory:
        return StaffDirectory.parse(self.staff_domains)

    @property
    def own_addresses(self) -> set[str]:
        return {self.complaints_address.lower(), *self.mailbox_policies}


@dataclass(frozen=True)
class Delivery:
    """One message as the mail system handed it over."""

    key: str  # the SES messageId (or `ingest`'s hash of the bytes): this delivery's own id
    raw_key: str  # where the raw MIME is stored ("": the raw store's key for ``key``)
    received_at: datetime  # when it arrived (aware)
    back_dated: bool = False  # `complaints ingest --received`: reached us another way
    receipt: dict[str, Any] | None = None  # the SES event's receipt: its verdicts win
    recipients: tuple[str, ...] = ()  # envelope recipients (SES receipt.recipients)
    ses_from: tuple[str, ...] = ()  # the From header as SES read it (mail.commonHeaders.from)


@dataclass(frozen=True)
class Outcome:
    outcome: str  # created | appended | duplicate | quarantined
    reference: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "reference": self.reference, "reason": self.reason}


def idempotency_key(mail: InboundMail, delivery: Delivery) -> str:
    """The RFC Message-ID with the sender where present, else the delivery's own id."""
    if mail.message_id and "@" in mail.message_id:
        digest = hashlib.sha256(f"{mail.sender}\n{mail.message_id}".encode()).hexdigest()
        return f"mid-{digest[:40]}"
    return f"delivery-{delivery.key}"


class Mailroom:
    """Receiving email: classify each delivered message and route it (a new case through
    intake, an addition or staff commands through casework, or quarantine). It builds nothing:
    bootstrap.assemble gives it Post, Casework and Intake."""

    def __init__(self, store: MailroomStore, raw_mail: RawMail, clock: StatutoryClock,
                 config: MailConfig, post: Post, casework: Casework, intake: Intake,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store, self.raw_mail, self.clock, self.config, self.now = (
            store, raw_mail, clock, config, now)
        self.staff = config.staff
        self.post, self.casework, self.intake = post, casework, intake

    # --- entry ------------------------------------------------------------------------------

    def receive(self, delivery: Delivery) -> Outcome:
        if not delivery.raw_key:  # stored by the mail service under its own id (SES -> S3)
            delivery = replace(delivery, raw_key=self.raw_mail.key_for(delivery.key))
        mail = parse(self.raw_mail.get(delivery.raw_key), receipt=delivery.receipt,
                     ses_from=list(delivery.ses_from))
        key = idempotency_key(mail, delivery)
        try:
            return self._route(delivery, key, mail)
        except DuplicateDelivery as dup:  # handled before, or a concurrent delivery won
            return self._redelivered(dup.outcome, delivery)
        except (ConcurrentUpdate, Contention):
            raise  # another try may get past it: Lambda retries the delivery
        except StoreError as exc:  # the store refused it for good: never lose it silently
            return self._quarantine(delivery, key, mail, (
                f"the message could not be stored on a case ({str(exc)[:300]}); the raw "
                "message is kept"), review=True)

    def _redelivered(self, earlier: dict[str, Any], delivery: Delivery) -> Outcome:
        reference = earlier.get("reference")
        if reference:
            case = self.store.load(reference)
            if case is not None:  # a copy at once leaves the letters to the one sending them
                self.casework.send(case, delivery.key, redelivery=True)
        return Outcome("duplicate", reference, f"already handled: {earlier.get('outcome')}")

    def _route(self, delivery: Delivery, key: str, mail: InboundMail) -> Outcome:
        if mail.too_deep:
            return self._quarantine(delivery, key, mail, (
                f"{mail.unread or 'MIME nested too deeply'}: too costly to read safely; "
                "headers kept, raw message kept"), review=True)
        if mail.verdict == "rejected":
            return self._quarantine(delivery, key, mail, mail.reason)
        if mail.verdict == "bounce":
            return self._bounce(delivery, key, mail)
        if not mail.sender:
            return self._quarantine(delivery, key, mail, f"no usable sender address: "
                                    f"{mail.sender_problem}", review=True)
        if mailbox(mail.sender) in self.config.own_addresses:
            return self._quarantine(delivery, key, mail, "mail from our own complaints address "
                                    "(loop guard): nothing is answered")
        noticed = self._notice_answered(mail)
        if noticed is not None:
            return self._notice_reply(delivery, key, mail, *noticed)
        case, how = self._thread(mail)
        if case is not None:
            role, why = self._role(case, mail)
            if role in ("resident", "staff"):
                if mail.verdict == "auto_reply":
                    return self._append(delivery, key, mail, case, "automatic reply",
                                        f"{mail.reason} from {mail.sender} ({how}); recorded, "
                                        "not answered", SYSTEM)
                actor = RESIDENT if mail.sender == case.resident else mail.sender
                if role == "resident" and _reopens(case, mail):
                    return self._reopen(delivery, key, mail, case, how)
                commands = (self._staff_commands(case, mail, delivery) if role == "staff"
                            else self._resident_commands(case, mail, delivery))
                return self._append(delivery, key, mail, case, "message added",
                                    f"{why}; wrote {how}; {len(mail.attachments)} attachment(s)",
                                    actor, commands=commands, staff=role == "staff",
                                    forward=role == "resident")
            if role == "forged":
                return self._quarantine(delivery, key, mail, why, review=True)
            if mail.verdict == "auto_reply":
                return self._quarantine(delivery, key, mail, f"{mail.reason} quoting "
                                        f"{case.reference}, but {why}: not added to the case")
            return self._create(delivery, key, mail, f"the message quotes {case.reference} "
                                f"({how}) but {why}, so it was not added to that case: "
                                "opened as a new complaint")
        if self.staff.covers(mail.sender) and not staff_verdict(mail.sender_from, mail.auth,
                                                                 self.staff)[0]:
            # our own staff's address, not vouched for by its domain: forged or broken, and a
            # case opened for it would mail the real member of staff
            return self._quarantine(delivery, key, mail, (
                f"{mail.sender} is a staff address but DMARC did not pass for it: possibly "
                "forged, not opened as a complaint"), review=True)
        if mail.verdict == "auto_reply":
            if mail.auto_generated:
                return self._quarantine(delivery, key, mail, (
                    f"{mail.reason}: automatic mail for no known case. Web-form gateways send "
                    "residents' complaints this way: a person should read it"), review=True)
            return self._quarantine(delivery, key, mail, f"{mail.reason}, for no known case; "
                                    "not answered")
        if staff_verdict(mail.sender_from, mail.auth, self.staff)[0]:
            made = self._made_another_way(delivery, key, mail)
            if made is not None:
                return made
            # a reply to the week's digest or a "No case opened" note, or any staff mail that is
            # neither a forward nor a log: never a complaint with the officer as complainant
            return self._not_opened(delivery, key, mail, (
                f"mail from {mail.sender} (staff) that names no case and is neither a forwarded "
                "email nor a logged complaint: no case opened"))
        return self._create(delivery, key, mail, (
            f"the message quotes {mail.reference}, which is not a case here: opened as new"
            if mail.reference else None))

    # --- who may touch a case ---------------------------------------------------------------

    def _role(self, case: Complaint, mail: InboundMail) -> tuple[str, str]:
        """resident | staff | forged | stranger, and why (for the timeline)."""
        is_staff, staff_why = staff_verdict(mail.sender_from, mail.auth, self.staff)
        if is_staff:
            return "staff", staff_why
        if case.is_party(mail.sender):
            if mail.auth.dmarc == "fail":
                return "forged", (f"{mail.sender} is a party to {case.reference} but DMARC "
                                  f"failed for {mail.sender_from.domain}: the From may be forged")
            return "resident", f"{mail.sender} is a party to {case.reference}"
        if self.staff.covers(mail.sender):
            # our own staff's address, not vouched for by its domain: a case opened for it
            # would mail the real member of staff, so it is held, as it is with no reference
            return "forged", (f"{staff_why}: possibly forged, not added to {case.reference} "
                              "nor opened as a complaint")
        return "stranger", f"{mail.sender} is not a party to {case.reference}"

    def _thread(self, mail: InboundMail) -> tuple[Complaint | None, str]:
        for message_id in _answered_ids(mail):
            reference = self.store.reference_for_message_id(message_id)
            if reference:
                return self.store.load(reference), f"in reply to our letter {message_id}"
        if mail.reference:
            case = self.store.load(mail.reference)
            if case is not None:
                return case, f"quoting {mail.reference} in the subject or address"
        return None, ""

    def _notice_answered(self, mail: InboundMail) -> tuple[str, str] | None:
        """(the quarantined message's key, how) when this answers a quarantine notice: by its
        Message-ID, or its token in the subject or the +tag it was sent to."""
        for message_id in _answered_ids(mail):
            about = self.store.noticed(message_id=message_id)
            if about:
                return about, f"in reply to the quarantine notice {message_id}"
        tags = [plus_tag(a) for a in mail.recipients]
        for token in dict.fromkeys(_NOTICE_TOKEN.findall(" ".join([mail.subject, *tags]))):
            about = self.store.noticed(token=token)
            if about:
                return about, f"quoting the quarantine notice Q-{token.lower()}"
        return None

    def _notice_reply(self, delivery: Delivery, key: str, mail: InboundMail, about: str,
                      how: str) -> Outcome:
        """A reply to a quarantine notice is the handler's, about that message: kept with it,
        never threaded to a case whatever reference it carries, never noticed again."""
        is_staff, staff_why = staff_verdict(mail.sender_from, mail.auth, self.staff)
        who = staff_why if is_staff else f"{mail.sender}, not authenticated staff ({staff_why})"
        return self._quarantine(delivery, key, mail, (
            f"a reply to the notice about quarantined message {about} ({how}; from {who}): "
            "kept with that message, never added to a case"), about=about)

    def _bounce(self, delivery: Delivery, key: str, mail: InboundMail) -> Outcome:
        """A bounce counts only when it quotes the Message-ID of a letter we sent."""
        for quoted in mail.quoted:
            reference = self.store.reference_for_message_id(quoted)
            case = self.store.load(reference) if reference else None
            if case is None or quoted not in case.sent_message_ids():
                continue
            letter = next(x for x in case.letters.values() if quoted in x.message_ids)
            return self._append(
                delivery, key, mail, case, "bounce",
                f"{mail.reason}: our {letter.kind} letter to {letter.to} ({quoted}) came back",
                SYSTEM, flag=("letter-undelivered", f"the {letter.kind} letter to {letter.to} "
                              "bounced: check the address and send it another way"))
        return self._quarantine(delivery, key, mail, f"{mail.reason}: it quotes no letter we "
                                "sent, so it is tied to no case")

    # --- outcomes -------------------------------------------------------------------------

    def _quarantine(self, delivery: Delivery, key: str, mail: InboundMail, reason: str,
                    review: bool = False, about: str | None = None) -> Outcome:
        if mail.notes:
            reason += f". Parsing noted: {'; '.join(mail.notes)}"
        team, now = self.config.team_address, self.now()
        notify = bool(review and team)
        if notify:
            # A flood of hostile mail must not become a flood in the team's mailbox: past the
            # cap the quarantine list (complaints quarantine) still has every message, and
            # says which were not emailed. The place is taken in one atomic count before the
            # notice goes, so deliveries at once cannot all pass the cap.
            cap = QUARANTINE_NOTICES_PER_HOUR
            if self.store.count_attempt(team, now) > cap:
                self.store.uncount_attempt(team, now)
                notify = False
                reason += (f" (staff not emailed: {cap} quarantine notices in the last hour "
                           "already; it waits in the quarantine list)")
        entry = Quarantined(key, now, reason, delivery.raw_key, mail.sender,
                            mail.subject[:200], review, about)
        if not self.store.quarantine(entry):
            if notify:
                self.store.uncount_attempt(team, now)
            return self._redelivered(self.store.inbound(key) or {}, delivery)
        if notify:
            try:
                self._tell_staff(entry, mail, delivery)
            except Exception as exc:  # the quarantine entry stands; say the notice failed
                self.store.uncount_attempt(team, now)
                return Outcome("quarantined", None, f"{reason} (telling staff failed: {exc})")
        return Outcome("quarantined", None, reason)

    def _tell_staff(self, entry: Quarantined, mail: InboundMail, delivery: Delivery) -> None:
        """A quarantined message that may be a person's complaint goes to the team, raw
        attached (up to 10 MB), so it is read by a person rather than lost in a list."""
        raw = self.raw_mail.get(delivery.raw_key)
        attached = (("quarantined-message.eml", "message/rfc822", raw),) if len(raw) < 10_000_000 else ()
        # The notice's own Subject carries its token first and the sender's subject with any
        # reference in it blanked: a reply must never thread to the case the sender quoted
        # (the body shows the subject as it came).
        token = secrets.token_hex(12)
        local, _, domain = self.config.complaints_address.partition("@")
        message_id = letters.new_message_id(f"Q-{token}", self.config.complaints_address)
        echoed = re.sub(REFERENCE.pattern, "[reference]", mail.subject[:80],
                        flags=re.IGNORECASE) or "(no subject)"
        envelope = letters.Envelope(
            landlord=self.config.landlord, complaints_address=self.config.complaints_address,
            to=self.config.team_address, to_name=f"{self.config.landlord} complaints team",
            reference="", subject=f"{letter_kinds.kind('quarantine_notice').subject} "
                                  f"(Q-{token}): {echoed}",
            reply_to=f"{local}+Q-{token}@{domain}",
            message_id=message_id)
        context = {"landlord": self.config.landlord, "reason": entry.reason,
                   "sender": mail.sender or mail.sender_problem or "(unknown)",
                   "subject": mail.subject, "received_at": utc_text(delivery.received_at),
                   "raw_key": delivery.raw_key, "summary": letters.summary_of(mail.text),
                   "attached": bool(attached)}
        # recorded before it is sent: a reply can never arrive for a notice not on record
        self.store.record_notice(token, entry.key, (message_id,), self.now())
        sent_id = self.post.send_notice("quarantine_notice", envelope, context, attached,
                                        f"quarantine/{token}")
        if sent_id and sent_id != message_id:  # SES gives the mail its own Message-ID
            self.store.record_notice(token, entry.key, (sent_id,), self.now())

    def _append(self, delivery: Delivery, key: str, mail: InboundMail, case: Complaint,
                event: str, detail: str, actor: str, flag: tuple[str, str] | None = None,
                commands: tuple[Command, ...] = (), staff: bool = False,
                forward: bool = False) -> Outcome:
        """Add the message to the case and run what it asks, in ONE save with its inbound
        marker: a redelivery finds it done, and never runs the commands twice. ``forward``: a
        resident's message, forwarded at once to a person (in the same save)."""
        record = self._message_record(delivery, mail)
        results: list[Result] = []
        message = ResidentMessage(
            mail.sender_name or mail.sender, mail.subject[:200], mail.own_words[:20_000],
            forwarded_files(list(record.attachments)),
            _below_the_quote(mail.text, mail.own_words)[:40_000]) if forward else None

        def apply(fresh: Complaint) -> Change:
            at = self.now()
            fresh.record(at, actor, event, detail)
            if staff and mail.sender_name:  # how letters name them (never a bare address)
                fresh.staff_names[mail.sender] = " ".join(mail.sender_name.split())[:80]
            if flag:
                fresh.flag(at, *flag)
            for event_name, said in parsing_notes(mail):
                fresh.record(at, SYSTEM, event_name, said)
            results[:] = self.casework.apply(fresh, commands, mail.sender if staff else actor,
                                             delivery.key, at, staff)
            if message is not None:
                self.casework.resident_wrote(fresh, message, results, delivery.key, at)
            return Change(messages=(record,), inbound_key=key, outcome="appended")

        for attempt in attempts(self.store, case.reference, case):
            if attempt.save(apply(attempt.case)):
                break
        saved = attempt.case
        self.casework.send(saved, delivery.key)
        done = [f"{r.command}: {'done' if r.done else 'refused'}" for r in results]
        return Outcome("appended", case.reference, detail + (f"; {', '.join(done)}" if done else ""))

    def _staff_commands(self, case: Complaint, mail: InboundMail,
                        delivery: Delivery) -> tuple[Command, ...]:
        """#-lines at the top of a staff reply; none: the reply goes to the resident, unless the
        resident was copied in already (reply-all), which needs no second copy."""
        from complaints.mail.staff_reply import parse_reply

        reply = parse_reply(mail.text, london_date(delivery.received_at),
                            (mail.sender_name, mail.sender))
        if mail.concealed and (reply.has_commands or reply.commands):
            # what the reader saw cannot be told from HTML whose styles can hide text: nothing
            # in it is run or sent to the resident; the sender is told why and what to do
            return (Unreadable(
                f"this reply came as HTML only, with {mail.concealed}, which can hide text "
                "from the reader: nothing in it was run or sent to the resident. Send the "
                "commands (or the message) again as plain text"),)
        commands = reply.to_run
        if not reply.has_commands and case.resident in mail.recipients:
            return ()
        if not reply.has_commands and reply.body.strip() and not self._answers_forward(case, mail):
            # words to staff mail (the team's notice, a confirmation, a reminder) are meant for
            # colleagues: "I'll pick this one up" must never reach the resident as a letter
            return (Note(text=reply.body, unmarked=True),)
        return commands

    def _answers_forward(self, case: Complaint, mail: InboundMail) -> bool:
        """Whether the reply answers a resident's message we forwarded, itself (In-Reply-To): a
        colleague's reply-all to a reply to the forward is for colleagues."""
        answered = set(mail.in_reply_to)  # what it answers itself, not its thread's References
        return any(x.kind == "resident_wrote" and answered & set(x.message_ids)
                   for x in case.letters.values())

    def _resident_commands(self, case: Complaint, mail: InboundMail,
                           delivery: Delivery) -> tuple[Command, ...]:
        """A resident asking for stage 2 after a response (the letter's mailto link, or words)."""
        from complaints.mail.requests import asks_for_next_stage

        words = mail.own_words
        asks = asks_for_next_stage(mail.subject, words)
        # closed too: the sweep closes a stage 1 whose window lapsed, and a late request is
        # put to staff (their discretion), never refused unseen. The reason is the resident's
        # own words (no reasons are needed: Code 6.12), never the letter they quote.
        if case.status.value in ("responded", "closed") and asks:
            return (Escalate(reason=words[:2000] or mail.subject, by_resident=True,
                             on=london_date(delivery.received_at)),)
        return ()

    def _reopen(self, delivery: Delivery, key: str, mail: InboundMail, case: Complaint,
                how: str) -> Outcome:
        """A resident unhappy with how a service request was handled is making a complaint
        (Code 1.3, 1.4 and the Code's FAQ: it is raised at stage 1): a new case, linked both
        ways, with its own receipt letter and clock from today."""
        # its own subject: the decision's, without our reference (a reply's subject must name
        # the new case only) or the Re: of answering it
        subject = re.sub(REFERENCE.pattern, "", mail.subject, flags=re.IGNORECASE)
        subject = re.sub(r"^\s*(?:(?:re|aw|sv|antw)\s*:\s*|\[\s*\]\s*)+", "", subject,
                         flags=re.IGNORECASE).strip() or case.subject
        opened = self._create(delivery, key, replace(mail, subject=subject), (
            f"a reply to {case.reference}, which was closed as not a complaint (a service "
            f"request), wrote {how} and is not only thanks: dissatisfaction with how the "
            "request was handled is a complaint (Code 1.3; raised at stage 1, Code FAQ)"))
        if opened.reference:
            def link(fresh: Complaint) -> Change:
                fresh.record(self.now(), SYSTEM, "complaint opened", (
                    f"the resident replied to the not-a-complaint decision, unhappy: opened "
                    f"as complaint {opened.reference} (Code 1.3)"))
                return Change()

            for attempt in attempts(self.store, case.reference):
                if attempt.save(link(attempt.case)):
                    break
        return opened

    def _create(self, delivery: Delivery, key: str, mail: InboundMail, why: str | None) -> Outcome:
        choice, resident = self._policy_for(mail, delivery)
        how = "back-dated by staff: it reached us another way" if delivery.back_dated else "email"
        record = self._message_record(delivery, mail)
        command = Open(
            channel="email", key=delivery.key, received_at=delivery.received_at,
            resident=mail.sender, resident_name=mail.sender_name, subject=mail.subject,
            text=mail.text, policy=choice.policy, policy_reason=choice.reason,
            nation_to_confirm=choice.to_confirm, back_dated=delivery.back_dated,
            how=f"by {how} from {mail.sender}", in_reply_to=mail.message_id,
            attachments=tuple({"filename": a["filename"], "size": a["size"]}
                              for a in record.attachments))

        hold = (f"{mail.sender} does not take replies: no receipt letter sent"
                if takes_no_replies(mail.sender) else None)
        case = self.intake.open(
            command, key, record, self.now(), why=why, hold=hold, raw_key=delivery.raw_key,
            # the envelope says which mailbox it reached; the headers (Cc, Delivered-To) are
            # the sender's to write, so they choose the team only where there is no envelope
            team_keys=tuple(mailbox(r) for r in delivery.recipients or mail.recipients),
            register=resident, notes=parsing_notes(mail))
        return Outcome("created", case.reference, why or "new complaint")

    # --- complaints made another way: forwarded or logged by staff ---------------------------
    # HOS Complaint Handling Code 2024, 3.2: residents complain "in any way and with any member
    # of staff"; 6.2: the stage 1 clock runs from when the complaint was received. Only mail
    # from authenticated staff (mail/identity.staff_verdict) reaches these: a resident's
    # forward, or a stranger's #complainant line, is that sender's own complaint (_create).

    def _made_another_way(self, delivery: Delivery, key: str, mail: InboundMail) -> Outcome | None:
        """A staff log (#complainant at the top) or a staff forward of a resident's email opens
        the resident's case; anything else is None (staff mail like anyone's)."""
        from complaints.mail.staff_reply import is_preview_line

        if any(is_preview_line(x) for x in mail.text.splitlines()[:60]):
            return self._not_opened(delivery, key, mail, (
                "a #preview: a forward or a log is not previewed, so nothing was opened. Send "
                "it again without the #preview line to open the case"))
        logged = read_logged(mail.text)
        if logged is not None:
            return self._logged(delivery, key, mail, logged)
        forward = read_forward(mail.subject, mail.text, mail.attachments)
        if forward is not None:
            return self._forwarded(delivery, key, mail, forward)
        return None

    def _ours(self, address: str) -> bool:
        return self.staff.ours(address) or mailbox(address) in self.config.own_addresses

    def _forwarded(self, delivery: Delivery, key: str, mail: InboundMail,
                   forward: Forward) -> Outcome:
        """The complainant is the original sender, the receipt the original's date (when the
        landlord first had it), the receipt letter theirs; the forwarder is on the timeline."""
        staff, arrival = mail.sender, delivery.received_at
        if forward.problem:
            return self._not_opened(delivery, key, mail, f"a forward from {staff}: "
                                    f"{forward.problem}")
        # the first message in the chain not from us: a colleague may have forwarded it first
        # A block whose From cannot be read ends the search: what lies below it is text the
        # sender of that block wrote, and may be a header block made up to name someone else.
        original, unusable = None, None
        for block in forward.chain:
            if not block.sender:
                unusable = block
                break
            if not self._ours(block.sender):
                original = block
                break
        if original is None:
            why = (unusable.sender_problem if unusable is not None else
                   f"the forwarded message is from {forward.chain[0].sender}, a staff address, "
                   "not a resident: a case is opened for the resident who complained (log a "
                   "complaint made to you another way with #complainant)")
            return self._not_opened(delivery, key, mail, f"a forward from {staff}: {why}")
        received_at, said = original.sent_at, []
        if received_at is None:
            said.append(f"{original.date_note}: counted as received when the forward arrived")
            received_at = arrival
        elif received_at > arrival:
            said.append(f"dated {utc_text(received_at)}, after the forward arrived: counted as "
                        "received when the forward arrived")
            received_at = arrival
        too_old = back_dating_problem(received_at, arrival)
        if too_old:
            return self._not_opened(delivery, key, mail, (
                f"a forward from {staff}: the forwarded email from {original.sender} is dated "
                f"{too_old}"))
        through = [o.sender for o in forward.chain[:forward.chain.index(original)]]
        detail = (f"{staff} forwarded the email {original.sender} sent "
                  f"({original.shape}; dated {original.date_text or '-'!r}, {original.date_note})"
                  + (f", after {', '.join(through)} forwarded it to them" if through else "")
                  + (f"; their note: {forward.note[:500]!r}" if forward.note else ""))
        if mail.concealed:
            said.append(f"the forward came as HTML only, with {mail.concealed}: check the "
                        "complaint against the raw message")
        words = f"{original.subject}\n{original.text[:20_000]}"
        return self._open_for(delivery, key, mail, Open(
            channel=f"email, forwarded by {staff}", key=delivery.key, received_at=received_at,
            resident=original.sender, resident_name=original.sender_name,
            subject=original.subject or strip_forward_prefix(mail.subject),
            text=original.text or mail.text, policy="", policy_reason="",
            nation_to_confirm=False, back_dated=received_at != arrival,
            how=f"by email from {original.sender}, forwarded by {staff} at {utc_text(arrival)}",
            in_reply_to=original.message_id),
            ("forwarded by staff", detail), said, words, "forwarded complaint",
            hold=(f"{original.sender} does not take replies: no receipt letter sent"
                  if takes_no_replies(original.sender) else None))

    def _logged(self, delivery: Delivery, key: str, mail: InboundMail, logged: Logged) -> Outcome:
        """#complainant / #received / #channel: the case opens on the day the resident
        complained, on the channel they used; without an email the receipt is held (intake)."""
        staff, arrival = mail.sender, delivery.received_at
        if mail.concealed:
            return self._not_opened(delivery, key, mail, (
                f"this log came as HTML only, with {mail.concealed}, which can hide text from "
                "the reader: send it again as plain text"))
        if logged.problems:
            return self._not_opened(delivery, key, mail, "; ".join(logged.problems))
        if logged.email and self._ours(logged.email):
            return self._not_opened(delivery, key, mail, (
                f"#complainant {logged.email} is one of our own addresses: a case is opened for "
                "the resident who complained"))
        received_at = logged.received_at(LONDON) or arrival
        problem = back_dating_problem(received_at, arrival)
        if problem:
            return self._not_opened(delivery, key, mail, f"#received: {problem}")
        way = f"by {logged.channel}" if logged.channel else "another way (no #channel given)"
        who = logged.name or logged.email
        words = f"{mail.subject}\n{logged.postal}\n{logged.text[:20_000]}"
        return self._open_for(delivery, key, mail, Open(
            channel=f"{logged.channel or 'not email'}, logged by {staff}", key=delivery.key,
            received_at=received_at, resident=logged.email, resident_name=logged.name,
            subject=mail.subject or f"Complaint from {who}", text=logged.text, policy="",
            policy_reason="", nation_to_confirm=False, back_dated=received_at != arrival,
            how=f"{way} from {who}, logged by {staff} at {utc_text(arrival)}",
            contact=logged.contact, home={"address": logged.postal} if logged.postal else {}),
            ("logged by staff", f"{staff} logged a complaint {who} made {way}"
             + (f" on {logged.received_on:%A} {logged.received_on.day} {logged.received_on:%B %Y}"
                if logged.received_on else "")),
            [], words, "#complainant",
            hold=(f"{logged.email} does not take replies: no receipt letter sent"
                  if logged.email and takes_no_replies(logged.email) else None))

    def _open_for(self, delivery: Delivery, key: str, mail: InboundMail, command: Open,
                  said_by_staff: tuple[str, str], said: list[str], words: str, confirm_as: str,
                  hold: str | None) -> Outcome:
        """Open the complainant's case (not the sender's): the policy by the mailbox, else the
        complainant's register entry, else their words; the staff member gets a confirmation."""
        choice, resident = self._policy_for(mail, delivery, sender=command.resident, words=words)
        record = self._message_record(delivery, mail)
        command = replace(
            command, policy=choice.policy, policy_reason=choice.reason,
            nation_to_confirm=choice.to_confirm,
            attachments=tuple({"filename": a["filename"], "size": a["size"]}
                              for a in record.attachments))
        notes = (said_by_staff, *(("receipt date", s) for s in said), *parsing_notes(mail))
        case = self.intake.open(
            command, key, record, self.now(), hold=hold, raw_key=delivery.raw_key,
            team_keys=tuple(mailbox(r) for r in (*delivery.recipients, *mail.recipients)),
            register=resident, notes=notes, confirm_to=mail.sender, confirm_as=confirm_as)
        return Outcome("created", case.reference, f"{said_by_staff[1][:300]}")

    def _not_opened(self, delivery: Delivery, key: str, mail: InboundMail, reason: str) -> Outcome:
        """A staff forward or log that cannot open a case: kept in the quarantine list with the
        reason, and its sender told why and how to send it again (no more than
        QUARANTINE_NOTICES_PER_HOUR notices an hour to one address)."""
        if mail.notes:
            reason += f". Parsing noted: {'; '.join(mail.notes)}"
        now = self.now()
        entry = Quarantined(key, now, reason, delivery.raw_key, mail.sender, mail.subject[:200],
                            False, None)
        if not self.store.quarantine(entry):
            return self._redelivered(self.store.inbound(key) or {}, delivery)
        if self.store.count_attempt(mail.sender, now) > QUARANTINE_NOTICES_PER_HOUR:
            self.store.uncount_attempt(mail.sender, now)
            return Outcome("quarantined", None, f"{reason} ({mail.sender} not told: "
                           f"{QUARANTINE_NOTICES_PER_HOUR} notices in the last hour already)")
        echoed = re.sub(REFERENCE.pattern, "[reference]", mail.subject[:80],
                        flags=re.IGNORECASE) or "(no subject)"
        address = self.config.complaints_address
        envelope = letters.Envelope(
            landlord=self.config.landlord, complaints_address=address, to=mail.sender,
            to_name=mail.sender_name, reference="", reply_to=address,
            subject=f"{letter_kinds.kind('not_opened').subject}: {echoed}",
            in_reply_to=mail.message_id or None,
            message_id=letters.new_message_id("not-opened", address))
        context = {"landlord": self.config.landlord, "complaints_address": address,
                   "reason": reason, "subject": mail.subject,
                   "received_at": utc_text(delivery.received_at), "raw_key": delivery.raw_key}
        try:
            self.post.send_notice("not_opened", envelope, context, (), f"not-opened/{key}")
        except Exception as exc:  # the quarantine entry stands; say the notice failed
            self.store.uncount_attempt(mail.sender, now)
            return Outcome("quarantined", None, f"{reason} (telling {mail.sender} failed: {exc})")
        return Outcome("quarantined", None, reason)

    # --- letters --------------------------------------------------------------------------

    # --- helpers ----------------------------------------------------------------------------

    def _policy_for(self, mail: InboundMail, delivery: Delivery, sender: str | None = None,
                    words: str | None = None) -> tuple[NationChoice, dict[str, Any] | None]:
        """The mailbox, else the resident register, else the postcodes the resident gave
        (``sender`` and ``words``: the complainant's, where staff forwarded or logged it)."""
        sent_to = None
        # The envelope recipients first (a Bcc'd mailbox is in no header), then the headers.
        for address in (*delivery.recipients, *mail.recipients):
            policy_id = self.config.mailbox_policies.get(mailbox(address))
            if policy_id:
                sent_to = (address, policy_id)
                break
        complainant = mail.sender if sender is None else sender
        resident = self.store.resident(complainant) if sent_to is None and complainant else None
        default = self.clock.policy(self.config.policies.default)
        said = residents_words(f"{mail.subject}\n{mail.text[:20_000]}" if words is None else words)
        return choose(sent_to, resident["nation"] if resident else None, postcodes_in(said),
                      self.config.policies, default.nation), resident

    def _message_record(self, delivery: Delivery, mail: InboundMail) -> MessageRecord:
        """Attachments are stored beside the raw message (create-only, idempotent), listed in
        the message's one item: nothing a message carries grows the transaction."""
        attachments = []
        for n, a in enumerate(mail.attachments):
            key = attachment_key(delivery.raw_key, n, a.filename)
            self.raw_mail.put(key, a.payload, a.content_type)
            attachments.append({"filename": a.filename, "content_type": a.content_type,
                                "size": a.size, "sha256": a.sha256, "key": key,
                                "note": a.note})
        return MessageRecord("in", delivery.key, delivery.received_at.astimezone(UTC),
                             mail.sender, mail.recipients, mail.subject[:200], delivery.raw_key,
                             mail.message_id, mail.verdict, tuple(attachments), mail.text)


def _answered_ids(mail: InboundMail) -> tuple[str, ...]:
    """The Message-IDs a message answers, nearest first, as many as are looked up."""
    return (*mail.in_reply_to, *reversed(mail.references))[:_THREAD_LOOKUPS]


def _below_the_quote(text: str, own: str) -> str:
    """The whole text when the writer's words go on below the first quoted line (a reply
    written between the lines of the one it answers), else "". ``own``: its own words."""
    rest = text.strip()[len(own):] if text.strip().startswith(own) else text
    unquoted = [x for x in rest.splitlines() if x.strip() and not x.lstrip().startswith(">")]
    # words of theirs after the quote, not only a quoting header and a signature
    return text.strip() if len(unquoted) > 1 else ""


def _reopens(case: Complaint, mail: InboundMail) -> bool:
    """A resident's reply to a case closed as not a complaint that is more than thanks: the
    not-a-complaint letter promised a reply saying they are unhappy opens a complaint, and the
    Code needs no particular word for one (1.3)."""
    if case.disposition != "not-a-complaint" or case.status.value != "closed":
        return False
    if mail.verdict == "auto_reply" or any(t.event == "complaint opened" for t in case.timeline):
        return False  # opened once: later replies are forwarded (and the new case has its own)
    words = mail.own_words
    # a photo of the tap still dripping, sent with no words, is more to say
    return bool(mail.attachments) if not words.strip() else not only_thanks(words)


def parsing_notes(mail: InboundMail) -> tuple[tuple[str, str], ...]:
    """What parsing noticed, and notes on attachments, as timeline events (name, detail): one
    event each, however many."""
    events: list[tuple[str, str]] = []
    if mail.notes:
        events.append(("parsing notes", "; ".join(mail.notes)))
    noted = [f"{a.filename}: {a.note}" for a in mail.attachments if a.note]
    if noted:
        events.append(("attachment notes", "; ".join(noted[:20]) + (
            f"; and {len(noted) - 20} more" if len(noted) > 20 else "")))
    return tuple(events)


__all__ = ["Delivery", "MailConfig", "Mailroom", "Outcome", "idempotency_key"]
