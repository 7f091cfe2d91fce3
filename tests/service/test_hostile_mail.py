"""Issue 7: the inbound path under hostile and unusual mail, one or more tests per defect class.

Given a message as SES stores it (raw bytes, SES's verdict headers on top), when the mailroom
receives it, then the outcome AND the stored state say what happened: the case and its
timeline, flags and letters, the messages stored on it, the quarantine, and the outbox.
Defect 1's full spoofing matrix lives in its own suite; here only the headline case. On the
in-memory ports; DynamoDB's item limit met by real mail: tests/integration/test_store_limits.py.
Defect 13 (template.yaml) is not mail and is not tested here.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import random
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from types import FrameType
from typing import Any

import pytest

from complaints.adapters.memory import InMemoryRawMail, InMemoryStore
from complaints.bootstrap import mailroom_for
from complaints.domain.case import Complaint
from complaints.mail.inbound import MAX_ATTACHMENTS, MAX_TEXT, parse
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery, Mailroom, Outcome
from complaints.service.ports import Sender
from complaints.service.records import SendError, StoreError
from tests import mailfactory as mf
from tests.conftest import MAIL_CONFIG, Outbox

TEAM = "complaints-team@landlord.example"
# One fixed instant for tests that read the loop-guard counter (its key is the hour).
NOW = datetime(2026, 5, 20, 10, 30, tzinfo=UTC)


# --- helpers -----------------------------------------------------------------------------


class Hang(BaseException):
    """The safety net fired: something took far longer than any message may take (a
    BaseException, so that no `except Exception` on the way swallows it)."""


@pytest.fixture(autouse=True)
def safety_net() -> Iterator[None]:
    """Not a timing assertion: a hang (the defect-3 class) fails the test instead of the run."""
    def fire(signum: int, frame: FrameType | None) -> None:
        raise Hang("no single test here may take 120 s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.alarm(120)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def letter(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def loaded(store: InMemoryStore, reference: str | None) -> Complaint:
    assert reference is not None
    case = store.load(reference)
    assert case is not None, reference
    return case


def events(store: InMemoryStore, reference: str | None) -> list[tuple[str, str]]:
    return [(e.event, e.detail) for e in loaded(store, reference).timeline]


def event_names(store: InMemoryStore, reference: str | None) -> list[str]:
    return [e for e, _ in events(store, reference)]


def statuses(store: InMemoryStore, reference: str | None) -> dict[str, str]:
    return {k: x.status.value for k, x in loaded(store, reference).letters.items()}


def inbound_messages(store: InMemoryStore, reference: str | None) -> list[dict[str, Any]]:
    assert reference is not None
    return [m for m in store.messages(reference) if m["direction"] == "in"]


def all_cases(store: InMemoryStore) -> list[str]:
    return sorted(store.all_references())


def receive(room: Mailroom, raw_mail: InMemoryRawMail, raw: bytes, key: str,
            recipients: tuple[str, ...] = (), at: datetime = NOW) -> Outcome:
    """As the `deliver` fixture, for a mailroom built by the test (and envelope recipients)."""
    raw_key = raw_mail.key_for(key)
    raw_mail.put(raw_key, raw)
    delivery = Delivery(key, raw_key, at, recipients=recipients) if recipients else Delivery(
        key, raw_key, at)
    return room.receive(delivery)


def at_once(receive_one: Callable[[Any], Outcome], args: Iterable[Any]) -> list[Outcome]:
    """Each call in its own thread, all released at the same moment; outcomes in order."""
    todo = list(args)
    start = threading.Barrier(len(todo))

    def go(arg: Any) -> Outcome:
        start.wait()
        return receive_one(arg)

    with ThreadPoolExecutor(len(todo)) as pool:
        return list(pool.map(go, todo))


def room_with(store: InMemoryStore, raw_mail: InMemoryRawMail, clock: StatutoryClock, sender: Any,
              **config: Any) -> Mailroom:
    return mailroom_for(store, raw_mail, sender, clock, replace(MAIL_CONFIG, **config),
                    now=lambda: NOW)


def raw_message(*headers: str, body: bytes = b"The heating has been off for a week.",
                ses_domain: str = "example.org") -> bytes:
    head = "".join(f"{h}\r\n" for h in headers).encode("utf-8")
    return mf.ses_headers(ses_domain) + head + b"\r\n" + body


class RecordingSender:
    """Accepts every letter into the outbox, and keeps what it accepted."""

    def __init__(self, inner: Sender) -> None:
        self.inner = inner
        self.accepted: list[EmailMessage] = []
        self.lock = threading.Lock()

    def send(self, message: EmailMessage) -> str:
        with self.lock:
            self.accepted.append(message)
        return self.inner.send(message)


class AcceptedThenCrashed(RecordingSender):
    """The mail service accepts the first letter, then the process dies before recording it."""

    def __init__(self, inner: Sender) -> None:
        super().__init__(inner)
        self.crashed = False

    def send(self, message: EmailMessage) -> str:
        sent_id = super().send(message)
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("injected fault: the letter was accepted, then the process died")
        return sent_id


class AlwaysRefused:
    """A mail service that refuses every letter (an outage, or an address it will not take)."""

    def __init__(self) -> None:
        self.attempts = 0

    def send(self, message: EmailMessage) -> str:
        self.attempts += 1
        raise SendError("554 Message rejected: temporary outage")


# --- 1. spoofed staff identity (the headline case; the matrix is in its own suite) ----------

def test_defect_1_encoded_display_name_naming_staff_does_not_make_a_stranger_staff(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """Given Jane's case, when mallory@evil.example (DMARC pass for evil.example) writes with
    the display name "Sam <sam@landlord.example>" as an RFC 2047 encoded word and the case
    reference, then the message is not added to Jane's case: it opens its own case, as
    mallory, and the timeline says why."""
    created = deliver(mf.message())
    spoof = raw_message(
        "From: =?utf-8?q?Sam_=3Csam=40landlord=2Eexample=3E?= <mallory@evil.example>",
        "To: complaints@landlord.example",
        f"Subject: Re: [{created.reference}] We have received your complaint",
        "Message-ID: <spoof-1@evil.example>",
        body=b"#close\r\nResolved, closing.\r\n", ses_domain="evil.example")
    assert parse(spoof).sender == "mallory@evil.example"

    outcome = deliver(spoof)

    assert outcome.outcome == "created" and outcome.reference != created.reference
    jane = loaded(store, created.reference)
    assert jane.status == "received"
    assert "message added" not in event_names(store, created.reference)
    assert all("mallory" not in d and "sam@" not in d for _, d in events(store, created.reference))
    assert len(inbound_messages(store, created.reference)) == 1
    intruder = loaded(store, outcome.reference)
    assert (intruder.resident, intruder.parties) == ("mallory@evil.example", {"mallory@evil.example"})
    why = dict(events(store, outcome.reference))["threading decision"]
    assert created.reference in why and "not a party" in why


# --- 2. strangers through the auto-reply and bounce branches --------------------------------

def test_defect_2_a_strangers_auto_reply_to_our_letter_is_quarantined_not_added(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """Given Jane's case and its receipt letter, when a stranger's Auto-Submitted: auto-replied
    message arrives In-Reply-To that letter, then it is quarantined with the reason and Jane's
    case is untouched."""
    created = deliver(mf.message())
    [receipt] = outbox.letters()
    before = events(store, created.reference)

    outcome = deliver(mf.out_of_office(receipt, sender="mallory@elsewhere.example"))

    assert (outcome.outcome, outcome.reference) == ("quarantined", None)
    assert created.reference in outcome.reason and "not added" in outcome.reason
    assert events(store, created.reference) == before
    assert len(inbound_messages(store, created.reference)) == 1
    [entry] = store.quarantined()
    assert entry["from"] == "mallory@elsewhere.example" and entry["reason"] == outcome.reason
    assert all_cases(store) == [created.reference]
    assert len(outbox.letters()) == 1


def _bounce_quoting(quoted_headers: str) -> bytes:
    boundary = "BND"
    return mf.ses_headers("example.org") + (
        "From: Mail Delivery Subsystem <mailer-daemon@example.org>\r\n"
        "To: complaints@landlord.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.example.org>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\nYour message could not be "
        "delivered.\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; jane@example.org\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n{quoted_headers}\r\n\r\n"
        f"--{boundary}--\r\n").encode()


def test_defect_2_a_bounce_quoting_only_the_case_reference_is_quarantined(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """Given Jane's case, when a bounce quotes its reference (which anyone can type) but no
    Message-ID of a letter we sent, then it is quarantined and the case is not flagged."""
    created = deliver(mf.message())
    before = events(store, created.reference)

    outcome = deliver(_bounce_quoting(
        f"Subject: [{created.reference}] We have received your complaint\r\n"
        f"References: {created.reference}"))

    assert outcome.outcome == "quarantined" and "quotes no letter we sent" in outcome.reason
    case = loaded(store, created.reference)
    assert "letter-undelivered" not in case.flags
    assert events(store, created.reference) == before
    [entry] = store.quarantined()
    assert entry["reason"] == outcome.reason
    assert statuses(store, created.reference) == {"receipt-1": "sent"}


def test_defect_2_a_bounce_quoting_the_residents_own_message_id_is_quarantined(
        deliver: Callable[..., Any], store: InMemoryStore) -> None:
    """Given Jane's case, when a bounce quotes the Message-ID of Jane's complaint (which every
    recipient of her mail has seen) rather than one of our letters, then it is quarantined."""
    complaint = mf.message()
    created = deliver(complaint)
    jane_id = mf._headers(complaint)["message-id"]

    outcome = deliver(_bounce_quoting(f"Message-ID: {jane_id}\r\nSubject: Damp in my flat"))

    assert outcome.outcome == "quarantined"
    assert "letter-undelivered" not in loaded(store, created.reference).flags
    assert "bounce" not in event_names(store, created.reference)


def test_defect_2_a_bounce_quoting_our_letters_message_id_flags_the_case(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """Given Jane's case and its receipt letter, when a bounce quotes that letter's
    Message-ID, then it is appended to the case, the case is flagged letter-undelivered and
    nothing is sent in answer."""
    created = deliver(mf.message())
    [receipt] = outbox.letters()
    ours = letter(receipt)["Message-ID"]
    assert ours in loaded(store, created.reference).sent_message_ids()

    outcome = deliver(_bounce_quoting(f"Message-ID: {ours}\r\nSubject: whatever"))

    assert (outcome.outcome, outcome.reference) == ("appended", created.reference)
    case = loaded(store, created.reference)
    assert "letter-undelivered" in case.flags
    bounce_detail = dict(events(store, created.reference))["bounce"]
    assert ours in bounce_detail and "receipt" in bounce_detail
    assert [m["verdict"] for m in inbound_messages(store, created.reference)].count("bounce") == 1
    assert store.quarantined() == []
    assert len(outbox.letters()) == 1


# --- 3. HTML that made the parser quadratic ---------------------------------------------------

HOSTILE_HTML = {
    "script-openers": b"<script>" * 30_000,
    "unclosed-anchors-1.2MB": b"<a " * 400_000,
    "comment-openers-1.2MB": b"<!-- <p>" * 150_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE_HTML))
def test_defect_3_hostile_html_only_bodies_are_read_and_become_cases(
        name: str, deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """Given an HTML-only body built to make a naive tag stripper quadratic, when it is parsed
    and delivered, then parse returns, a case exists with the receipt letter sent, and the
    body text stored on the case is bounded (the raw message keeps all of it)."""
    raw = raw_message("From: Jane Resident <jane@example.org>", "To: complaints@landlord.example",
                      f"Subject: HTML complaint {name}", "MIME-Version: 1.0",
                      "Content-Type: text/html; charset=utf-8", body=HOSTILE_HTML[name])

    mail = parse(raw)
    assert mail.verdict == "complaint" and len(mail.text) <= MAX_TEXT

    outcome = deliver(raw)

    assert outcome.outcome == "created"
    [stored] = inbound_messages(store, outcome.reference)
    assert len(stored["text"]) <= MAX_TEXT and "<script>" not in stored["text"]
    assert statuses(store, outcome.reference) == {"receipt-1": "sent"}
    assert len(outbox.letters()) == 1


@pytest.mark.parametrize("charset", ["idna", "punycode", "undefined"])
def test_defect_3_a_part_in_a_codec_that_cannot_replace_still_becomes_a_case(
        charset: str, deliver: Callable[..., Any], store: InMemoryStore) -> None:
    """Given a complaint whose text part declares a charset that is a Python codec but not a
    text charset, when delivered, then parse does not raise and a case holds the text. (From
    52df611 through 5f4064a parse raised UnicodeError, so Lambda retried and the complaint went
    to the DLQ with no case and no quarantine.)"""
    raw = raw_message("From: Jane <jane@example.org>", "To: complaints@landlord.example",
                      f"Subject: charset {charset}", f"Message-ID: <cs-{charset}@example.org>",
                      f"Content-Type: text/plain; charset={charset}",
                      body=b"Black mould in the bathroom \xe9\xff since June.")

    outcome = deliver(raw)

    assert outcome.outcome == "created"
    [stored] = inbound_messages(store, outcome.reference)
    assert "mould in the bathroom" in stored["text"]


def test_defect_3_an_unclosed_tag_with_a_long_name_does_not_hang(
        deliver: Callable[..., Any], store: InMemoryStore) -> None:
    """Given an HTML-only complaint of about 1 MB: a paragraph, then '<a' and a million letters
    with no '>', when delivered, then a case holds the paragraph's text. A linear reading takes
    well under a second; the 10 s alarm is a hang detector, not a timing assertion.

    Hung from 52df611 through e4d203d: html_text._TAG, <(/?)([A-Za-z][A-Za-z0-9]*)[^<>]*>,
    backtracked quadratically on '<' + a long run of letters with no '>' (40 KB: ~4.4 s; 1 MB:
    hours), and PARSE_SECONDS is checked only between parts. Fixed in 6410fe9 (possessive
    quantifiers)."""
    raw = raw_message("From: Jane Resident <jane@example.org>", "To: complaints@landlord.example",
                      "Subject: HTML complaint with a long tag", "MIME-Version: 1.0",
                      "Content-Type: text/html; charset=utf-8",
                      body=b"<p>The roof leaks into the bedroom.</p><a" + b"a" * 1_000_000)
    signal.alarm(10)

    outcome = deliver(raw)

    signal.alarm(120)
    assert outcome.outcome == "created"
    [stored] = inbound_messages(store, outcome.reference)
    assert stored["text"].startswith("The roof leaks into the bedroom.")


# --- 4. many forwarded messages and attachments -----------------------------------------------

def test_defect_4_sixty_forwarded_messages_and_eighty_attachments_make_one_case(
        deliver: Callable[..., Any], store: InMemoryStore, raw_mail: InMemoryRawMail,
        outbox: Outbox) -> None:
    """Given a complaint carrying 60 forwarded messages (each with its own attachment) and 80
    photos, interleaved, when it is delivered, then exactly one case exists, 50 attachments are
    listed, each forwarded message once as a whole .eml (its inner attachment not listed again),
    each stored beside the raw message, and the timeline says the rest are in the raw message."""
    m = EmailMessage()
    m["From"], m["To"] = "Jane Resident <jane@example.org>", "complaints@landlord.example"
    m["Subject"], m["Message-ID"] = "Fwd: every email about the leak", "<many-fwd@example.org>"
    m.set_content("All the emails I sent you about the leak, and photos.")
    forwarded: list[bytes] = []
    for i in range(80):
        if i < 60:
            inner = EmailMessage()
            inner["From"], inner["Subject"] = f"neighbour{i}@example.org", f"leak report {i}"
            inner["Message-ID"] = f"<inner-{i}@example.org>"
            inner.set_content(f"The roof leaks again, report {i}.")
            inner.add_attachment(b"\x89PNG" + bytes([i]) * 20, maintype="image", subtype="png",
                                 filename=f"inner-{i}.png")
            m.add_attachment(inner)
            forwarded.append(inner.as_bytes())
        m.add_attachment(f"photo {i}".encode() * 10, maintype="image", subtype="jpeg",
                         filename=f"photo-{i:02d}.jpg")
    raw = mf.ses_headers("example.org") + m.as_bytes()

    outcome = deliver(raw)

    assert outcome.outcome == "created"
    assert all_cases(store) == [outcome.reference]
    listed = store.attachments(outcome.reference)
    assert len(listed) == MAX_ATTACHMENTS == 50
    names = [a["filename"] for a in listed]
    assert not any(n.startswith("inner-") for n in names)  # inside a forwarded message: not again
    assert [n for n in names if n.startswith("photo-")] == [f"photo-{i:02d}.jpg" for i in range(25)]
    emls = [a for a in listed if a["content_type"] == "message/rfc822"]
    assert len(emls) == 25 and len({a["sha256"] for a in emls}) == 25  # each listed once
    for n, a in enumerate(emls):
        kept = raw_mail.get(a["key"])
        assert hashlib.sha256(kept).hexdigest() == a["sha256"]
        assert f"<inner-{n}@example.org>".encode() in kept
    notes = dict(events(store, outcome.reference))["parsing notes"]
    assert "140 attachments" in notes and "raw message" in notes
    [stored] = inbound_messages(store, outcome.reference)
    assert "leak report 59" in stored["text"]  # every forwarded message's text is on the case
    assert statuses(store, outcome.reference) == {"receipt-1": "sent"}
    assert len(outbox.letters()) == 1


# --- 5. raw UTF-8 headers, unsendable addresses, the loop-guard counter ------------------------

UTF8_SUBJECT = "Humedad en el baño: ¿cuándo lo arreglarán?"


def _utf8_complaint() -> bytes:
    return raw_message("From: José Núñez <jose@example.es>", "To: complaints@landlord.example",
                       f"Subject: {UTF8_SUBJECT}", "Message-ID: <utf8-1@example.es>",
                       "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                       body="Hay moho negro en el baño desde junio.".encode(),
                       ses_domain="example.es")


def test_defect_5_raw_utf8_headers_read_correctly_and_the_letter_goes(
        store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox, clock: StatutoryClock) -> None:
    """Given RFC 6532 headers sent as raw 8-bit UTF-8 (no encoded words), when delivered, then
    the case's subject and resident name read as written, the receipt letter is sent with a
    readable subject, and the loop guard counts that one letter."""
    room = room_with(store, raw_mail, clock, outbox.sender)
    raw = _utf8_complaint()
    assert "José".encode() in raw  # 8-bit, not an encoded word

    outcome = receive(room, raw_mail, raw, "ses-utf8")

    assert outcome.outcome == "created"
    case = loaded(store, outcome.reference)
    assert case.subject == UTF8_SUBJECT
    assert (case.resident, case.resident_name) == ("jose@example.es", "José Núñez")
    assert statuses(store, outcome.reference) == {"receipt-1": "sent"}
    assert "letter-failed" not in case.flags
    [sent] = outbox.letters()
    m = letter(sent)
    # every word of the subject reads as written (no mojibake, no surrogate escapes); the
    # spacing is checked on its own below (CPython's folder, gh-144156)
    assert "".join(UTF8_SUBJECT.split()) in "".join(str(m["Subject"]).split())
    assert m["To"].addresses[0].display_name == "José Núñez"
    assert store.sent_in_the_last_hour("jose@example.es", NOW) == 1


def test_defect_5_the_receipt_letter_subject_keeps_its_spacing(
        store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox, clock: StatutoryClock) -> None:
    """Given the UTF-8 complaint above, when its receipt letter is read back by a mail client,
    then the subject is exactly ours.

    Failed through e4d203d: folding the Subject dropped the space between two adjacent RFC 2047
    encoded words ('baño: ¿cuándo' read back as 'baño:¿cuándo'; CPython gh-144156, present in
    3.11.7). Fixed in 6410fe9 (letters' headers folded at 998)."""
    room = room_with(store, raw_mail, clock, outbox.sender)
    outcome = receive(room, raw_mail, _utf8_complaint(), "ses-utf8-spacing")
    [sent] = outbox.letters()
    assert str(letter(sent)["Subject"]) == (
        f"[{outcome.reference}] We have received your complaint: {UTF8_SUBJECT}")


def test_defect_5_a_non_ascii_local_part_opens_a_case_with_the_letter_failed_visibly(
        store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox, clock: StatutoryClock) -> None:
    """Given a complaint from josé@example.es (a local part SES cannot send to), when
    delivered, then the case exists, its receipt letter is "failed" with the reason, the case is
    flagged letter-failed in what `complaints list` shows, nothing is sent, and the loop guard
    counted nothing."""
    room = room_with(store, raw_mail, clock, outbox.sender)
    raw = raw_message("From: José <josé@example.es>", "To: complaints@landlord.example",
                      "Subject: Ventana rota", "Message-ID: <utf8-2@example.es>",
                      ses_domain="example.es")

    outcome = receive(room, raw_mail, raw, "ses-idn-local")

    assert outcome.outcome == "created"
    listed = loaded(store, outcome.reference).to_json(with_timeline=False)
    assert listed["resident"] == "josé@example.es"
    assert "letter-failed" in listed["flags"]
    [receipt] = listed["letters"]
    assert receipt["status"] == "failed" and "non-ASCII" in receipt["error"]
    assert any(e == "flagged" and d.startswith("letter-failed")
               for e, d in events(store, outcome.reference))
    assert outbox.letters() == []
    assert store.sent_in_the_last_hour("josé@example.es", NOW) == 0


def test_defect_5_the_loop_guard_counts_letters_sent_not_attempts(
        store: InMemoryStore, raw_mail: InMemoryRawMail, clock: StatutoryClock) -> None:
    """Given a mail service that refuses every letter, when a complaint is delivered and Lambda
    retries it until the attempts run out, then the letter is "failed" and flagged after
    MAX_ATTEMPTS tries, nothing was counted against the loop guard, and it never went silent."""
    refused = AlwaysRefused()
    room = room_with(store, raw_mail, clock, refused)
    raw = mf.message(sender="Ann <ann@example.org>")
    outcomes: list[str] = []
    for _ in range(5):
        try:
            outcomes.append(receive(room, raw_mail, raw, "ses-refused").outcome)
        except Exception as exc:  # LetterNotSent: the delivery asks to be retried
            outcomes.append(type(exc).__name__)

    assert outcomes == ["LetterNotSent", "LetterNotSent", "duplicate", "duplicate", "duplicate"]
    assert refused.attempts == 3
    [reference] = store.cases_for_sender("ann@example.org")
    case = loaded(store, reference)
    receipt = case.letters["receipt-1"]
    assert (receipt.status.value, receipt.attempts) == ("failed", 3)
    assert "554" in receipt.error and "letter-failed" in case.flags
    assert store.sent_in_the_last_hour("ann@example.org", NOW) == 0


# --- 6. automatic mail by headers and prefix shapes, not by words --------------------------

@pytest.mark.parametrize("subject", [
    "Out of office repairs never done",
    "On holiday and the boiler broke",
    "Away from the office? My landlord is never there",
    "Auto repairs: my car park is flooded",
])
def test_defect_6_a_person_whose_subject_sounds_automatic_gets_a_case(
        subject: str, deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """Given a resident's complaint whose subject starts like an out-of-office, when delivered,
    then it is a complaint: a case with that subject and the receipt letter sent."""
    outcome = deliver(mf.message(subject=subject))

    assert outcome.outcome == "created"
    assert loaded(store, outcome.reference).subject == subject
    assert statuses(store, outcome.reference) == {"receipt-1": "sent"}
    assert store.quarantined() == []
    assert len(outbox.letters()) == 1


@pytest.mark.parametrize("subject", [
    "Automatic reply: Damp in my flat",
    "Out of Office: back on Monday",
    "Autosvar: Fuktskader",
    "Réponse automatique : absent",
])
def test_defect_6_client_auto_reply_subjects_are_not_complaints(
        subject: str, deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """Given mail whose subject has the prefix shape mail clients put on automatic replies (with
    the colon) and no case to go to, when delivered, then it is quarantined, unanswered."""
    assert parse(mf.message(subject=subject)).verdict == "auto_reply"

    outcome = deliver(mf.message(subject=subject))

    assert outcome.outcome == "quarantined" and "automatic-reply subject" in outcome.reason
    assert all_cases(store) == []
    [entry] = store.quarantined()
    assert entry["subject"] == subject
    assert outbox.letters() == []


def test_defect_6_auto_generated_mail_for_no_case_is_quarantined_for_review_and_staff_told(
        store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox, clock: StatutoryClock) -> None:
    """Given a web-form gateway's message (Auto-Submitted: auto-generated) carrying a person's
    complaint and no case reference, when delivered, then it is quarantined marked for review,
    and the team address gets a notice with the raw message attached byte for byte; the
    gateway gets no receipt letter."""
    room = room_with(store, raw_mail, clock, outbox.sender,
                     team_address=TEAM)
    raw = mf.message(sender="Web Forms <forms@portal.example>",
                     subject="New submission: Contact us",
                     body="Name: Priya Shah\nMessage: my front door has not locked for 3 weeks.",
                     headers={"Auto-Submitted": "auto-generated"})

    outcome = receive(room, raw_mail, raw, "ses-webform")

    assert outcome.outcome == "quarantined" and "a person should read it" in outcome.reason
    assert all_cases(store) == []
    [entry] = store.quarantined()
    assert entry["review"] is True and entry["from"] == "forms@portal.example"
    assert raw_mail.get(entry["raw_key"]) == raw
    [notice_raw] = outbox.letters()
    notice = letter(notice_raw)
    assert notice["To"].addresses[0].addr_spec == TEAM
    assert "New submission: Contact us" in str(notice["Subject"])
    body = notice.get_body(preferencelist=("plain",))
    assert body is not None and "front door" in str(body.get_content())
    [attached] = list(notice.iter_attachments())
    assert attached.get_filename() == "quarantined-message.eml"
    assert attached.get_payload(decode=True) == raw


# --- 7. one message under two SES ids --------------------------------------------------------

def test_defect_7_the_same_message_under_two_ses_ids_is_one_case_and_one_letter(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """Given a complaint that the sender's server resent after a dropped connection (same bytes,
    new SES messageId), when both arrive, then one case and one letter; the second is a
    duplicate of the first."""
    raw = mf.message()

    first = deliver(raw, key="ses-a")
    second = deliver(raw, key="ses-b")

    assert first.outcome == "created"
    assert (second.outcome, second.reference) == ("duplicate", first.reference)
    assert store.cases_for_sender("jane@example.org") == [first.reference]
    assert len(inbound_messages(store, first.reference)) == 1
    assert statuses(store, first.reference) == {"receipt-1": "sent"}
    assert len(outbox.letters()) == 1


def test_defect_7_the_same_message_under_two_ses_ids_at_once_is_one_case(
        mailroom: Mailroom, raw_mail: InMemoryRawMail, store: InMemoryStore, outbox: Outbox) -> None:
    """Given the same complaint under two SES ids, when two threads receive them at the same
    moment (three rounds, three messages), then each message is one case and one letter."""
    for n in range(3):
        raw = mf.message(subject=f"Resent complaint {n}")
        keys = (f"ses-race-{n}-a", f"ses-race-{n}-b")
        for key in keys:
            raw_mail.put(raw_mail.key_for(key), raw)
        outcomes = at_once(lambda key: mailroom.receive(
            Delivery(key, raw_mail.key_for(key), datetime.now(UTC))), keys)

        assert sorted(o.outcome for o in outcomes) == ["created", "duplicate"]
        assert len({o.reference for o in outcomes}) == 1
        assert statuses(store, outcomes[0].reference) == {"receipt-1": "sent"}
    assert len(store.cases_for_sender("jane@example.org")) == 3
    assert len(outbox.letters()) == 3


# --- 8. a letter accepted, then a crash before it was recorded --------------------------------

def test_defect_8_a_letter_is_recorded_before_sending_and_a_retry_reuses_its_message_id(
        store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox, clock: StatutoryClock) -> None:
    """Given a mail service that accepts the receipt letter and a process that dies before
    recording it, when Lambda retries the same SES id, then the letter was recorded "sending"
    with a fixed Message-ID before the attempt, the retry resends it under that same
    Message-ID, and a different delivery of the same message (another SES id) sends nothing."""
    sender = AcceptedThenCrashed(outbox.sender)
    moment = [NOW]
    room = mailroom_for(store, raw_mail, sender, clock, MAIL_CONFIG, now=lambda: moment[0])
    raw = mf.message()

    with pytest.raises(RuntimeError, match="injected fault"):
        receive(room, raw_mail, raw, "ses-first")
    moment[0] += timedelta(minutes=1)  # Lambda retries a minute or more later
    [reference] = store.cases_for_sender("jane@example.org")
    pending = loaded(store, reference).letters["receipt-1"]
    assert (pending.status.value, pending.claimed_by) == ("sending", "ses-first")
    assert pending.message_id == sender.accepted[0]["Message-ID"]
    assert store.reference_for_message_id(pending.message_id) == reference

    other = receive(room, raw_mail, raw, "ses-other")  # the sender's server resent it
    assert (other.outcome, other.reference) == ("duplicate", reference)
    assert len(sender.accepted) == 1
    assert loaded(store, reference).letters["receipt-1"].status.value == "sending"

    retry = receive(room, raw_mail, raw, "ses-first")  # Lambda's retry
    assert (retry.outcome, retry.reference) == ("duplicate", reference)
    assert [m["Message-ID"] for m in sender.accepted] == [pending.message_id] * 2
    sent = loaded(store, reference).letters["receipt-1"]
    assert (sent.status.value, sent.message_id, sent.sent_message_id) == (
        "sent", pending.message_id, pending.message_id)
    assert receive(room, raw_mail, raw, "ses-first").outcome == "duplicate"
    assert len(sender.accepted) == 2 and len(outbox.letters()) == 2  # the window, no wider
    assert [e for e in event_names(store, reference) if e == "receipt letter sent"] == [
        "receipt letter sent"]


# --- 9. no usable sender -----------------------------------------------------------------------

NO_SENDER = {
    "empty": b"",
    "random-bytes": random.Random(9).randbytes(4096),
    "no-from": b"To: complaints@landlord.example\r\nSubject: who am I\r\n\r\nthe lift is broken",
    "two-addresses-in-from": b"From: Ann <ann@example.org>, Bob <bob@example.org>\r\n"
                             b"To: complaints@landlord.example\r\nSubject: us\r\n\r\nno heating",
    "two-from-headers": b"From: ann@example.org\r\nFrom: bob@example.org\r\n"
                        b"To: complaints@landlord.example\r\nSubject: us\r\n\r\nno heating",
    "empty-from": b"From: \r\nTo: complaints@landlord.example\r\nSubject: hi\r\n\r\nmould",
}


@pytest.mark.parametrize("name", sorted(NO_SENDER))
def test_defect_9_mail_with_no_usable_sender_is_quarantined_never_a_case(
        name: str, deliver: Callable[..., Any], store: InMemoryStore, raw_mail: InMemoryRawMail,
        outbox: Outbox) -> None:
    """Given bytes with no single usable From address, when delivered, then they are
    quarantined with a reason saying so, the raw kept byte for byte, and no case opened."""
    raw = NO_SENDER[name]

    outcome = deliver(raw, key=f"ses-nosender-{name}")

    assert (outcome.outcome, outcome.reference) == ("quarantined", None)
    assert "sender" in outcome.reason
    [entry] = store.quarantined()
    assert entry["reason"] == outcome.reason and entry["from"] == ""
    assert raw_mail.get(entry["raw_key"]) == raw
    assert all_cases(store) == []
    assert outbox.letters() == []


# --- 10. README claims: body text, parsing notes, mailbox policies -----------------------------

def test_defect_10_the_body_text_is_stored_on_the_case_and_bounded(
        deliver: Callable[..., Any], store: InMemoryStore) -> None:
    """Given a complaint of about 250,000 characters, when delivered, then its text is on the
    case's message, cut to MAX_TEXT characters, and the timeline says it was cut."""
    line = "The bathroom ceiling is black with mould and drips onto the floor.\n"
    body = line * (250_000 // len(line) + 1)

    outcome = deliver(mf.message(body=body))

    [stored] = inbound_messages(store, outcome.reference)
    assert len(stored["text"]) == MAX_TEXT and stored["text"] == body[:MAX_TEXT]
    notes = dict(events(store, outcome.reference))["parsing notes"]
    assert f"to {MAX_TEXT} characters" in notes


def test_defect_10_a_short_body_is_stored_whole(deliver: Callable[..., Any], store: InMemoryStore) -> None:
    outcome = deliver(mf.message(body="No hot water since Tuesday.\nFlat 4, 9 High St."))
    [stored] = inbound_messages(store, outcome.reference)
    assert stored["text"] == "No hot water since Tuesday.\nFlat 4, 9 High St."
    assert "parsing notes" not in event_names(store, outcome.reference)


def test_defect_10_a_mime_defect_is_noted_on_the_timeline(
        deliver: Callable[..., Any], store: InMemoryStore) -> None:
    """Given a multipart message whose closing boundary never comes (an attachment cut off),
    when delivered, then the case exists with the text and a "parsing notes" event names the
    defect."""
    raw = raw_message(
        "From: Jane <jane@example.org>", "To: complaints@landlord.example", "Subject: cut off",
        "Message-ID: <cut@example.org>", 'Content-Type: multipart/mixed; boundary="B"',
        body=b"--B\r\nContent-Type: text/plain\r\n\r\nthe repair is late\r\n--B\r\n"
             b"Content-Type: application/pdf; name=x.pdf\r\n"
             b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK")

    outcome = deliver(raw)

    assert outcome.outcome == "created"
    notes = dict(events(store, outcome.reference))["parsing notes"]
    assert "CloseBoundaryNotFoundDefect" in notes
    [stored] = inbound_messages(store, outcome.reference)
    assert stored["text"] == "the repair is late"


_UNDECODABLE = {
    "invalid-base64-text-part": b"--B\r\nContent-Type: text/plain\r\n\r\nsee below\r\n--B\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"!!!! this is not base64 ====\r\n--B--\r\n",
    "nested-multipart-without-its-boundary": b"--B\r\nContent-Type: text/plain\r\n\r\nsee below"
    b"\r\n--B\r\nContent-Type: multipart/alternative; boundary=\"C\"\r\n\r\nthe boundary C never "
    b"comes\r\n--B--\r\n",
    "bytes-invalid-in-the-declared-charset": b"--B\r\nContent-Type: text/plain\r\n\r\nsee below"
    b"\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\xff\xfe\xc3\x28 damp\r\n--B--\r\n",
}


@pytest.mark.parametrize("name", sorted(_UNDECODABLE))
def test_defect_10_an_undecodable_part_is_noted_on_the_timeline(
        name: str, deliver: Callable[..., Any], store: InMemoryStore) -> None:
    """Given a part the parser cannot decode as declared, when delivered, then the case exists
    and a "parsing notes" event says which part and why (README: whatever parsing noticed is
    on the timeline).

    Failed through e4d203d: only the top-level message's defects were noted; defects registered
    on sub-parts (InvalidBase64CharactersDefect from get_payload(decode=True),
    StartBoundaryNotFoundDefect on a nested multipart) and bytes replaced while decoding a text
    part were dropped silently. Fixed in 6410fe9."""
    raw = raw_message("From: Jane <jane@example.org>", "To: complaints@landlord.example",
                      f"Subject: {name}", f"Message-ID: <{name}@example.org>",
                      'Content-Type: multipart/mixed; boundary="B"', body=_UNDECODABLE[name])

    outcome = deliver(raw)

    assert outcome.outcome == "created"
    assert "parsing notes" in event_names(store, outcome.reference)


def test_defect_10_the_envelope_recipient_mailbox_chooses_the_policy(
        mailroom: Mailroom, raw_mail: InMemoryRawMail, store: InMemoryStore) -> None:
    """Given a complaint whose To header says complaints@ but which SES delivered to the
    scotland@ mailbox (Bcc, or an alias), when received, then the mailbox's policy applies."""
    raw = mf.message(to="complaints@landlord.example",
                     body="The close door entry system is broken.")  # no postcode

    outcome = receive(mailroom, raw_mail, raw, "ses-scotland",
                      recipients=("scotland@landlord.example",), at=datetime.now(UTC))

    assert outcome.outcome == "created"
    case = loaded(store, outcome.reference)
    assert (case.policy, case.nation) == ("spso-mchp", "scotland")
    assert dict(events(store, outcome.reference))["policy chosen"] == (
        "spso-mchp: sent to the scotland@landlord.example mailbox")


# --- 11. concurrent replies to one case ----------------------------------------------------

def test_defect_11_eight_concurrent_replies_to_one_case_all_land(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """Given Jane's case, when she sends 8 replies that arrive at the same moment, then all 8
    are added: 8 "message added" events, 8 replies stored, no delivery fails."""
    created = deliver(mf.message())
    [receipt] = outbox.letters()
    replies = [mf.reply(receipt, body=f"Photo {n} of the mould.") for n in range(8)]

    outcomes = at_once(lambda n: deliver(replies[n], key=f"ses-reply-{n}"), range(8))

    assert [(o.outcome, o.reference) for o in outcomes] == [("appended", created.reference)] * 8
    assert event_names(store, created.reference).count("message added") == 8
    stored = [m for m in inbound_messages(store, created.reference) if m["verdict"] == "reply"]
    assert sorted(m["text"] for m in stored) == sorted(f"Photo {n} of the mould." for n in range(8))
    assert len(outbox.letters()) == 1


# --- 12. deep MIME nesting --------------------------------------------------------------------

def _nested(levels: int) -> bytes:
    """Each level's Content-Type opens the next: the first is in the message's own headers."""
    return mf.ses_headers("example.org") + (
        "From: Jane Resident <jane@example.org>\r\nTo: complaints@landlord.example\r\n"
        f"Subject: Nested {levels} deep\r\nMessage-ID: <deep-{levels}@example.org>\r\n"
        "MIME-Version: 1.0\r\n").encode() + b"".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
        for i in range(levels)) + b"Content-Type: text/plain\r\n\r\ndeep\r\n"


@pytest.mark.parametrize("levels", [1_000, 5_000])
def test_defect_12_deep_mime_nesting_is_quarantined_with_its_headers_kept(
        levels: int, deliver: Callable[..., Any], store: InMemoryStore, raw_mail: InMemoryRawMail,
        outbox: Outbox) -> None:
    """Given MIME nested 1,000 or 5,000 levels deep, when delivered, then no RecursionError:
    it is quarantined for review with a reason naming the nesting, its sender and subject kept
    from the headers, the raw kept, and no case opened."""
    raw = _nested(levels)
    mail = parse(raw)
    assert (mail.too_deep, mail.sender, mail.subject) == (True, "jane@example.org",
                                                          f"Nested {levels} deep")

    outcome = deliver(raw)

    assert outcome.outcome == "quarantined" and "nested" in outcome.reason.lower()
    [entry] = store.quarantined()
    assert (entry["from"], entry["subject"], entry["review"]) == (
        "jane@example.org", f"Nested {levels} deep", True)
    assert raw_mail.get(entry["raw_key"]) == raw
    assert all_cases(store) == []
    assert outbox.letters() == []



# --- found by the outside review (after issue 7 landed) -------------------------------------------


def refuse(*args: Any, **kwargs: Any) -> Complaint:
    """As DynamoDB refuses an oversized item: for good."""
    raise StoreError("creating a case failed: ValidationException: Item size has exceeded")


def test_a_message_the_store_refuses_is_quarantined_for_a_person_not_lost(
        store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox, clock: StatutoryClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "create_case", refuse)  # every new case refused
    config = replace(MAIL_CONFIG, team_address="complaints-team@landlord.example")
    room = mailroom_for(store, raw_mail, outbox.sender, clock, config)
    raw = mf.message()
    raw_mail.put(raw_mail.key_for("ses-big"), raw)
    outcome = room.receive(Delivery("ses-big", raw_mail.key_for("ses-big"), datetime.now(UTC)))
    assert outcome.outcome == "quarantined" and "could not be stored" in outcome.reason
    [entry] = store.quarantined()
    assert entry["review"] and raw_mail.get(entry["raw_key"]) == raw
    [notice] = outbox.letters()
    assert b"Quarantined message to check (Q-" in notice


def test_a_flood_of_quarantined_mail_does_not_flood_the_team(
        store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox, clock: StatutoryClock) -> None:
    from complaints.service.mailroom import QUARANTINE_NOTICES_PER_HOUR

    config = replace(MAIL_CONFIG, team_address="complaints-team@landlord.example")
    room = mailroom_for(store, raw_mail, outbox.sender, clock, config)
    outcomes = []
    for n in range(QUARANTINE_NOTICES_PER_HOUR + 3):  # no usable sender: held for review
        raw = f"To: complaints@landlord.example\r\nSubject: flood {n}\r\n\r\nx".encode()
        key = f"ses-flood-{n}"
        raw_mail.put(raw_mail.key_for(key), raw)
        outcomes.append(room.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC))))
    assert all(o.outcome == "quarantined" for o in outcomes)
    assert len(store.quarantined()) == QUARANTINE_NOTICES_PER_HOUR + 3  # every one listed
    assert len(outbox.letters()) == QUARANTINE_NOTICES_PER_HOUR  # the team's mailbox capped
    assert "staff not emailed" in outcomes[-1].reason
