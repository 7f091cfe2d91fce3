"""Spoofing through the mailroom, on the in-memory ports.

Given a resident's case and its receipt letter, when mail quoting the case's reference (or
answering the letter) arrives from genuine staff, from a spoofer, from the resident under a
failed DMARC, or from a stranger's robot, then only genuine staff and the resident's own
authenticated mail reach the case; everything else opens its own case (saying why) or is
quarantined, and the victim's case gains nothing from the attacker.
"""

from __future__ import annotations

import email
import email.policy
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from complaints.adapters.memory import InMemoryRawMail, InMemoryStore
from complaints.bootstrap import mailroom_for
from complaints.domain.case import RESIDENT, Complaint
from complaints.service.mailroom import Delivery, Mailroom, Outcome
from tests import mailfactory as mf
from tests.conftest import Outbox

ISSUE_EXAMPLE = "=?utf-8?q?Sam_=3Csam=40landlord=2Eexample=3E?= <mallory@evil.example>"
_ids = itertools.count(1)


def raw_mail_from(from_header: str, subject: str, ses: bytes, body: str = "#close",
                  headers: dict[str, str] | None = None) -> bytes:
    """A message exactly as written (no library re-encodes its From header)."""
    n = next(_ids)
    lines = [f"From: {from_header}", "To: complaints@landlord.example", f"Subject: {subject}",
             "Date: Fri, 22 May 2026 10:00:00 +0100", f"Message-ID: <spoof-{n}@sender.example>",
             *(f"{k}: {v}" for k, v in (headers or {}).items()),
             "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ses + ("\r\n".join(lines) + f"\r\n\r\n{body}\r\n").encode()


@dataclass
class Victim:
    """The resident's case, its receipt letter, and what was stored before the attack."""

    reference: str
    letter: bytes
    timeline: list[tuple[str, str, str]]
    messages: int

    @property
    def letter_id(self) -> str:
        return str(email.message_from_bytes(self.letter, policy=email.policy.default)["Message-ID"])

    @property
    def letter_subject(self) -> str:
        return str(email.message_from_bytes(self.letter, policy=email.policy.default)["Subject"])

    def replying(self) -> dict[str, str]:
        return {"In-Reply-To": self.letter_id, "References": self.letter_id}


def loaded(store: InMemoryStore, reference: str) -> Complaint:
    case = store.load(reference)
    assert case is not None
    return case


def timeline(store: InMemoryStore, reference: str) -> list[tuple[str, str, str]]:
    return [(e.actor, e.event, e.detail) for e in loaded(store, reference).timeline]



def arrivals(store: InMemoryStore, reference: str, before: Any) -> list[tuple[str, str, str]]:
    """What arrived on the case since ``before``: the messages added, not what they then did
    (a staff reply with no commands goes on to the resident as a message: issue 9)."""
    return [x for x in timeline(store, reference)[len(before.timeline):]
            if x[1] in ("message added", "automatic reply", "bounce")]

@pytest.fixture()
def victim(deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> Victim:
    created = deliver(mf.message(subject="Damp and mould in the bedroom"))
    assert created.outcome == "created"
    [letter] = outbox.letters()
    return Victim(created.reference, letter, timeline(store, created.reference),
                  len(store.messages(created.reference)))


@pytest.fixture()
def deliver_event(mailroom: Mailroom, raw_mail: InMemoryRawMail) -> Callable[..., Outcome]:
    """As the Lambda handler does: the SES event's receipt (its verdicts) with the delivery."""
    def go(raw: bytes, receipt: dict[str, Any]) -> Outcome:
        key = f"ses-event-{next(_ids):06d}"
        raw_key = raw_mail.key_for(key)
        raw_mail.put(raw_key, raw)
        return mailroom.receive(Delivery(key, raw_key, datetime.now(UTC), receipt=receipt,
                                         recipients=("complaints@landlord.example",)))
    return go


def receipt(dmarc: str) -> dict[str, Any]:
    return {"recipients": ["complaints@landlord.example"], "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"}, "spfVerdict": {"status": "PASS"},
            "dkimVerdict": {"status": "PASS"}, "dmarcVerdict": {"status": dmarc}}


def assert_untouched(store: InMemoryStore, victim: Victim) -> None:
    """The victim's case gained nothing: same timeline, same messages, nothing from evil."""
    assert timeline(store, victim.reference) == victim.timeline
    assert len(store.messages(victim.reference)) == victim.messages


def assert_refused_with_reason(store: InMemoryStore, victim: Victim, outcome: Outcome,
                               *why: str) -> None:
    """Not appended: a new case whose threading decision says why, or quarantine saying why."""
    assert outcome.outcome in ("created", "quarantined"), outcome
    assert outcome.reference != victim.reference
    if outcome.outcome == "created":
        assert outcome.reference is not None
        opened = timeline(store, outcome.reference)
        decisions = [d for _, e, d in opened if e == "threading decision"]
        assert len(decisions) == 1, opened
        said = decisions[0]
        assert victim.reference in said and "not added to that case" in said
    else:
        [entry] = [q for q in store.quarantined() if q["reason"] == outcome.reason]
        said = entry["reason"]
    for fragment in why:
        assert fragment in said, said
    assert_untouched(store, victim)


# --- who may write into the case ---------------------------------------------------------------


@pytest.mark.parametrize("how", ["reference-in-subject", "reply-to-the-receipt-letter"])
def test_a_genuine_staff_reply_with_aligned_dmarc_is_appended_as_staff(
        how: str, victim: Victim, deliver: Callable[..., Any], store: InMemoryStore,
        outbox: Outbox) -> None:
    # given Sam, on the staff domain, with DMARC pass for landlord.example
    headers = victim.replying() if how == "reply-to-the-receipt-letter" else {}
    subject = (f"Re: {victim.letter_subject}" if headers else
               f"Update on {victim.reference}")
    raw = raw_mail_from("Sam Officer <sam@landlord.example>", subject,
                        mf.ses_headers("landlord.example"), "#message\nSurveyor booked for Tuesday.",
                        headers)
    # when it arrives
    outcome = deliver(raw)
    # then it is on the case, written by Sam
    assert (outcome.outcome, outcome.reference) == ("appended", victim.reference)
    added = arrivals(store, victim.reference, victim)
    assert [(actor, event) for actor, event, _ in added] == [("sam@landlord.example", "message added")]
    assert "staff sam@landlord.example: DMARC pass for landlord.example" in added[0][2]
    stored = [m for m in store.messages(victim.reference) if m["from"] == "sam@landlord.example"]
    assert len(stored) == 1 and stored[0]["direction"] == "in"
    # staff mail is not answered with a receipt: its #message goes to the resident (issue 9),
    # and the staff member is told it went
    sent = [r.split(b"X-Complaints-Letter: ", 1)[1].split(b"\r\n", 1)[0] for r in outbox.letters()]
    assert sorted(sent) == [b"command_result", b"receipt", b"resident_message"]


@pytest.mark.parametrize("dmarc", ["pass", "none"])
def test_the_residents_own_reply_is_appended_as_the_resident(
        dmarc: str, victim: Victim, deliver: Callable[..., Any], store: InMemoryStore) -> None:
    raw = raw_mail_from("Jane Resident <jane@example.org>", f"Re: {victim.letter_subject}",
                        mf.ses_headers("example.org", dmarc=dmarc), "More photos.",
                        victim.replying())
    outcome = deliver(raw)
    assert (outcome.outcome, outcome.reference) == ("appended", victim.reference)
    added = arrivals(store, victim.reference, victim)
    assert [(actor, event) for actor, event, _ in added] == [(RESIDENT, "message added")]


@pytest.mark.parametrize("from_header", [
    ISSUE_EXAMPLE,
    '"Sam <sam@landlord.example>" <mallory@evil.example>',
    "mallory@evil.example (sam@landlord.example)",
])
@pytest.mark.parametrize("how", ["reference-in-subject", "reply-to-the-receipt-letter"])
def test_the_display_name_spoof_opens_its_own_case_and_says_why(
        from_header: str, how: str, victim: Victim, deliver: Callable[..., Any], store: InMemoryStore,
        outbox: Outbox) -> None:
    # given Mallory, with a genuine DMARC pass for evil.example, showing Sam's address
    headers = victim.replying() if how == "reply-to-the-receipt-letter" else {}
    subject = f"Re: {victim.letter_subject}" if headers else f"Re: {victim.reference}"
    raw = raw_mail_from(from_header, subject, mf.ses_headers("evil.example"), "#close", headers)
    # when it arrives
    outcome = deliver(raw)
    # then it is a new case of Mallory's, whose timeline says why it was not threaded
    assert outcome.outcome == "created" and outcome.reference is not None
    assert_refused_with_reason(store, victim, outcome, "mallory@evil.example",
                               "not a party to " + victim.reference)
    assert loaded(store, outcome.reference).resident == "mallory@evil.example"
    assert not any("mallory" in d or "evil" in d for _, _, d in timeline(store, victim.reference))
    # and its receipt letter goes to Mallory, not to Sam or Jane
    to = email.message_from_bytes(outbox.letters()[-1], policy=email.policy.default)["To"]
    assert to.addresses[0].addr_spec == "mallory@evil.example"


def test_the_display_name_spoof_with_the_ses_events_pass_is_not_appended(
        victim: Victim, deliver_event: Callable[..., Outcome], store: InMemoryStore) -> None:
    # SES's DMARC PASS is for the From domain it evaluated: evil.example
    raw = raw_mail_from(ISSUE_EXAMPLE, f"Re: {victim.reference}", mf.ses_headers("evil.example"))
    outcome = deliver_event(raw, receipt("PASS"))
    assert outcome.outcome == "created"
    assert_refused_with_reason(store, victim, outcome, "mallory@evil.example")


def test_the_staff_address_with_dmarc_fail_is_not_appended(
        victim: Victim, deliver: Callable[..., Any], store: InMemoryStore) -> None:
    raw = raw_mail_from("Sam Officer <sam@landlord.example>", f"Re: {victim.letter_subject}",
                        mf.ses_headers("landlord.example", dmarc="fail"), "#close",
                        victim.replying())
    outcome = deliver(raw)
    assert_refused_with_reason(store, victim, outcome, "sam@landlord.example",
                               "DMARC did not pass (fail")


def test_the_staff_address_with_dmarc_pass_for_another_domain_is_not_appended(
        victim: Victim, deliver: Callable[..., Any], store: InMemoryStore) -> None:
    # DMARC passed, but for evil.example (header.from), not the From's landlord.example
    raw = raw_mail_from("Sam Officer <sam@landlord.example>", f"Re: {victim.letter_subject}",
                        mf.ses_headers("evil.example", header_from="evil.example"), "#close",
                        victim.replying())
    outcome = deliver(raw)
    assert_refused_with_reason(store, victim, outcome, "sam@landlord.example",
                               "DMARC passed for evil.example, not landlord.example")


@pytest.mark.parametrize("from_header", [
    "Sam <sam@landlord.example> <mallory@evil.example>",
    "mallory@evil.example <sam@landlord.example>",
])
def test_an_ambiguous_from_never_reaches_the_case(
        from_header: str, victim: Victim, deliver: Callable[..., Any], store: InMemoryStore) -> None:
    raw = raw_mail_from(from_header, f"Re: {victim.reference}", mf.ses_headers("landlord.example"))
    outcome = deliver(raw)
    assert outcome.outcome == "quarantined" and "ambiguous" in outcome.reason
    assert_refused_with_reason(store, victim, outcome, "no usable sender address")


def test_two_from_headers_never_reach_the_case(
        victim: Victim, deliver: Callable[..., Any], store: InMemoryStore) -> None:
    raw = raw_mail_from("Sam <sam@landlord.example>\r\nFrom: mallory@evil.example",
                        f"Re: {victim.reference}", mf.ses_headers("landlord.example"))
    outcome = deliver(raw)
    assert outcome.outcome == "quarantined"
    assert_refused_with_reason(store, victim, outcome, "2 From headers")


def test_the_residents_address_with_dmarc_fail_is_quarantined_as_forged(
        victim: Victim, deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    # given mail claiming to be Jane, which her domain's DMARC says is not hers
    raw = raw_mail_from("Jane Resident <jane@example.org>", f"Re: {victim.letter_subject}",
                        mf.ses_headers("example.org", dmarc="fail"), "Please withdraw my complaint.",
                        victim.replying())
    # when it arrives
    outcome = deliver(raw)
    # then it is held for a person to check, not added, not answered
    assert outcome.outcome == "quarantined"
    assert_refused_with_reason(store, victim, outcome, "jane@example.org is a party to "
                               f"{victim.reference} but DMARC failed", "forged")
    [entry] = store.quarantined()
    assert entry["review"] is True and entry["from"] == "jane@example.org"
    assert len(outbox.letters()) == 1


def test_a_strangers_automatic_reply_is_quarantined(
        victim: Victim, deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    # given a stranger's out-of-office answering our letter (and so quoting its reference)
    raw = mf.out_of_office(victim.letter, sender="mallory@elsewhere.example")
    outcome = deliver(raw)
    assert outcome.outcome == "quarantined"
    assert_refused_with_reason(store, victim, outcome, victim.reference,
                               "mallory@elsewhere.example is not a party",
                               "not added to the case")
    assert len(outbox.letters()) == 1  # robots are never answered


def test_a_strangers_bounce_quoting_only_the_reference_is_quarantined(
        victim: Victim, deliver: Callable[..., Any], store: InMemoryStore) -> None:
    # a "bounce" that names the case but quotes no Message-ID of a letter we sent
    raw = raw_mail_from("Mail Delivery Subsystem <mailer-daemon@elsewhere.example>",
                        f"Undelivered Mail Returned to Sender: {victim.reference}",
                        mf.ses_headers("elsewhere.example"),
                        f"Your message about {victim.reference} could not be delivered.",
                        {"In-Reply-To": "<not-ours@elsewhere.example>"})
    outcome = deliver(raw)
    assert outcome.outcome == "quarantined" and "quotes no letter we sent" in outcome.reason
    assert_untouched(store, victim)
    assert "letter-undelivered" not in loaded(store, victim.reference).flags


# --- the SES event's verdicts win where it carries them ----------------------------------------


def test_the_events_dmarc_fail_wins_over_a_stored_pass(
        victim: Victim, deliver_event: Callable[..., Outcome], store: InMemoryStore) -> None:
    # given the stored headers say pass for landlord.example, the event says FAIL
    raw = raw_mail_from("Sam Officer <sam@landlord.example>", f"Re: {victim.letter_subject}",
                        mf.ses_headers("landlord.example", dmarc="pass"), "#close",
                        victim.replying())
    outcome = deliver_event(raw, receipt("FAIL"))
    assert_refused_with_reason(store, victim, outcome, "DMARC did not pass (fail, ses-event")


def test_the_events_dmarc_pass_wins_over_a_stored_fail(
        victim: Victim, deliver_event: Callable[..., Outcome], store: InMemoryStore) -> None:
    # given the stored headers say fail, the event (authoritative) says PASS for the From domain
    raw = raw_mail_from("Sam Officer <sam@landlord.example>", f"Re: {victim.letter_subject}",
                        mf.ses_headers("landlord.example", dmarc="fail"),
                        "Surveyor booked for Tuesday.", victim.replying())
    outcome = deliver_event(raw, receipt("PASS"))
    assert (outcome.outcome, outcome.reference) == ("appended", victim.reference)
    added = arrivals(store, victim.reference, victim)
    assert [(a, e) for a, e, _ in added] == [("sam@landlord.example", "message added")]
    assert "ses-event verdict" in added[0][2]


def test_the_events_dmarc_fail_makes_the_residents_reply_forged(
        victim: Victim, deliver_event: Callable[..., Outcome], store: InMemoryStore) -> None:
    raw = raw_mail_from("Jane Resident <jane@example.org>", f"Re: {victim.letter_subject}",
                        mf.ses_headers("example.org", dmarc="pass"), "Withdraw it.",
                        victim.replying())
    outcome = deliver_event(raw, receipt("FAIL"))
    assert outcome.outcome == "quarantined"
    assert_refused_with_reason(store, victim, outcome, "forged")


def test_the_events_gray_verdict_is_not_a_pass(
        victim: Victim, deliver_event: Callable[..., Outcome], store: InMemoryStore) -> None:
    raw = raw_mail_from("Sam Officer <sam@landlord.example>", f"Re: {victim.reference}",
                        mf.ses_headers("landlord.example", dmarc="pass"))
    outcome = deliver_event(raw, receipt("GRAY"))
    assert_refused_with_reason(store, victim, outcome, "DMARC did not pass (gray")


# --- regression: found by this suite, fixed in e971429 ------------------------------------------


def test_a_genuine_staff_reply_with_a_folded_from_header_is_appended(
        victim: Victim, deliver: Callable[..., Any], store: InMemoryStore) -> None:
    raw = raw_mail_from("Sam Officer\r\n <sam@landlord.example>", f"Re: {victim.letter_subject}",
                        mf.ses_headers("landlord.example"), "Surveyor booked.", victim.replying())
    outcome = deliver(raw)
    assert (outcome.outcome, outcome.reference) == ("appended", victim.reference)
    added = arrivals(store, victim.reference, victim)
    assert [(a, e) for a, e, _ in added] == [("sam@landlord.example", "message added")]


def test_a_forged_staff_from_quoting_a_reference_is_held_never_opened_however_often(
        victim: Victim, deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """Given a staff From that DMARC fails (issue 18, 3: quoting any reference, 8 in a row each
    opened a case whose receipt mailed the real Sam, the loop guard exempting staff), when it
    quotes the victim's reference by subject, by plus-address or by replying to the letter, then
    every one is quarantined for review: no case, no letter to Sam, the victim's case untouched."""
    shapes = [({}, f"Re: {victim.reference}", "complaints@landlord.example"),
              (victim.replying(), f"Re: {victim.letter_subject}", "complaints@landlord.example"),
              ({}, "About my case", f"complaints+{victim.reference}@landlord.example")]
    before = store.quarantined()
    outcomes = []
    for n in range(8):
        headers, subject, to = shapes[n % len(shapes)]
        raw = raw_mail_from("Sam Officer <sam@landlord.example>", subject,
                            mf.ses_headers("landlord.example", dmarc="fail"),
                            f"Please call me on 07700 900{n:03d}", headers).replace(
                                b"To: complaints@landlord.example", f"To: {to}".encode())
        outcomes.append(deliver(raw))
    assert [o.outcome for o in outcomes] == ["quarantined"] * 8
    held = store.quarantined()[len(before):]
    assert len(held) == 8 and all(q["review"] for q in held)
    assert all("possibly forged" in q["reason"] and victim.reference in q["reason"] for q in held)
    assert store.cases_for_sender("sam@landlord.example") == []
    assert not [x for x in outbox.letters()
                if "sam@landlord.example" in str(email.message_from_bytes(x)["To"])]
    assert_untouched(store, victim)


# --- issue 18, 4: a reply to a quarantine notice is about the quarantined message -------------


@pytest.mark.parametrize("kept", ["in-reply-to", "subject only", "reply-to address only"])
def test_a_staff_reply_to_a_quarantine_notice_never_reaches_a_case(
        kept: str, store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
        clock: Any) -> None:
    """Given a victim's case and an attacker's mail quoting its reference that is quarantined
    for review (the notice echoed the attacker's subject, Reply-To the complaints address), when
    a genuine member of staff replies to the notice with internal words and a command, then
    the reply is kept with the quarantined message: the victim's case and resident get nothing."""
    from dataclasses import replace as replaced

    from tests.conftest import MAIL_CONFIG

    config = replaced(MAIL_CONFIG, team_address="complaints-team@landlord.example")
    room = mailroom_for(store, raw_mail, outbox.sender, clock, config)

    def go(raw: bytes) -> Outcome:
        key = f"ses-notice-{next(_ids):06d}"
        raw_mail.put(raw_mail.key_for(key), raw)
        return room.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC)))

    created = go(mf.message(subject="Damp and mould in the bedroom"))
    assert created.outcome == "created" and created.reference is not None
    victim = Victim(created.reference, outbox.letters()[-1], timeline(store, created.reference),
                    len(store.messages(created.reference)))
    sent_before = len(outbox.letters())
    # the attacker: an ambiguous From quoting the victim's reference, held for review
    held = go(raw_mail_from("Sam <sam@landlord.example> <mallory@evil.example>",
                            f"Re: [{victim.reference}] x", mf.ses_headers("evil.example"), "hi"))
    assert held.outcome == "quarantined"
    [notice_raw] = outbox.letters()[sent_before:]
    notice = email.message_from_bytes(notice_raw, policy=email.policy.default)
    assert victim.reference not in str(notice["Subject"]) + str(notice["Reply-To"])
    # sent through Post like every letter: kept as sent, byte for byte
    notices_kept = raw_mail.keys("outbound/quarantine/")
    assert len(notices_kept) == 1 and raw_mail.get(notices_kept[0]) == notice_raw
    # the handler answers it from their own mailbox, DMARC passing
    headers = {"In-Reply-To": str(notice["Message-ID"]), "References": str(notice["Message-ID"])}
    subject = f"Re: {notice['Subject']}"
    if kept == "subject only":
        headers = {}
    if kept == "reply-to address only":
        headers, subject = {}, f"Re: [{victim.reference}] x"  # as a client might rebuild it
    reply = raw_mail_from("Sam Officer <sam@landlord.example>", subject,
                          mf.ses_headers("landlord.example"),
                          "#withdraw\nSpam again, it is the neighbour: ignore.", headers)
    if kept == "reply-to address only":
        reply = reply.replace(b"To: complaints@landlord.example",
                              f"To: {notice['Reply-To']}".encode())
    outcome = go(reply)
    assert outcome.outcome == "quarantined" and outcome.reference is None
    [entry] = [q for q in store.quarantined() if q["reason"] == outcome.reason]
    assert entry["about"] == [q for q in store.quarantined() if q["review"]][-1]["key"]
    assert not entry["review"] and "never added to a case" in entry["reason"]
    assert_untouched(store, victim)
    assert loaded(store, victim.reference).status == "received"
    assert len(outbox.letters()) == sent_before + 1  # the one notice; nothing to Jane, no loop


# --- issue 18, 12: what DMARC vouched for must be the address we act on -----------------------


@pytest.mark.parametrize("ses_saw", ["its header names another domain", "its event names another From"])
def test_an_ses_pass_for_a_from_read_differently_vouches_for_no_one(
        ses_saw: str, victim: Victim, mailroom: Mailroom, raw_mail: InMemoryRawMail,
        store: InMemoryStore) -> None:
    """Given a reply to the victim's letter whose From we read as sam@landlord.example, and an
    SES event saying DMARC PASS, when SES read the From header differently (its stored
    Authentication-Results says it evaluated evil.example, or its event's commonHeaders.from
    names mallory@evil.example), then the PASS is not lent to Sam's address: not staff, never on
    the case, held for review as a staff address not vouched for."""
    stored = (mf.ses_headers("evil.example") if ses_saw == "its header names another domain"
              else mf.ses_headers("landlord.example"))
    ses_from = (("Sam Officer <sam@landlord.example>",) if ses_saw.startswith("its header")
                else ('"Sam Officer" <mallory@evil.example>',))
    raw = raw_mail_from("Sam Officer <sam@landlord.example>", f"Re: {victim.letter_subject}",
                        stored, "#close", victim.replying())
    key = f"ses-event-{next(_ids):06d}"
    raw_mail.put(raw_mail.key_for(key), raw)
    outcome = mailroom.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC),
                                        receipt=receipt("PASS"), ses_from=ses_from,
                                        recipients=("complaints@landlord.example",)))
    assert outcome.outcome == "quarantined", outcome
    assert "possibly forged" in outcome.reason and "vouches for no one" in outcome.reason
    assert_untouched(store, victim)
    assert loaded(store, victim.reference).status != "closed"


def test_an_ses_pass_for_the_same_from_still_makes_staff(
        victim: Victim, mailroom: Mailroom, raw_mail: InMemoryRawMail, store: InMemoryStore) -> None:
    """The same reply where SES read the same From (display name and all): staff, appended."""
    raw = raw_mail_from("Sam Officer <sam@landlord.example>", f"Re: {victim.letter_subject}",
                        mf.ses_headers("landlord.example"), "Surveyor booked.", victim.replying())
    key = f"ses-event-{next(_ids):06d}"
    raw_mail.put(raw_mail.key_for(key), raw)
    outcome = mailroom.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC),
                                        receipt=receipt("PASS"),
                                        ses_from=("Sam Officer <sam@landlord.example>",)))
    assert (outcome.outcome, outcome.reference) == ("appended", victim.reference)
