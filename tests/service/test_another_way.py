"""Complaints that reached the landlord another way (issue 20), on the in-memory ports.

Given a staff forward of a resident's email, or a staff log of a complaint made by phone, in
person, by letter or on social media, when the mailroom receives it, then the case is the
resident's, dated when the landlord first had it, the receipt letter is theirs (or held, and
printed for the post), the member of staff is told what was opened, and every mail that must
not open a case (an unauthenticated "staff" sender, a stranger naming a complainant, a forward
of a colleague's mail, a date in the future or too far back) has a clear outcome.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import uuid
from datetime import UTC, date, datetime
from email.message import EmailMessage

import pytest

from complaints.adapters.memory import InMemoryOutbox, InMemoryRawMail, InMemoryStore
from complaints.bootstrap import mailroom_for
from complaints.domain.agenda import AgendaRules
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery, Mailroom, Outcome
from complaints.service.sweep import Sweep, SweepConfig
from tests import forwards as fw
from tests import mailfactory as mf
from tests.conftest import MAIL_CONFIG

TEAM = "team@landlord.example"
MANAGER = "manager@landlord.example"
ARRIVAL = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)  # Wednesday 3 June 2026, 10:00 BST
SENT = datetime(2026, 6, 1, 8, 14, tzinfo=UTC)  # the forwarded email: Monday 1 June, 09:14 BST


class Desk:
    def __init__(self, store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: InMemoryOutbox,
                 clock: StatutoryClock) -> None:
        self.store, self.raw_mail, self.outbox = store, raw_mail, outbox
        self.at = ARRIVAL
        config = dataclasses.replace(MAIL_CONFIG, team_address=TEAM)
        self.room: Mailroom = mailroom_for(store, raw_mail, outbox.sender, clock, config,
                                           now=lambda: self.at)

    def deliver(self, raw: bytes, at: datetime | None = None, key: str | None = None) -> Outcome:
        self.at = at or self.at
        key = key or f"ses-{uuid.uuid4().hex[:12]}"
        self.raw_mail.put(self.raw_mail.key_for(key), raw)
        return self.room.receive(Delivery(key, self.raw_mail.key_for(key), self.at))

    def letters(self) -> list[EmailMessage]:
        return [email.message_from_bytes(r, policy=email.policy.default)
                for r in self.outbox.letters()]

    def sent(self, kind: str) -> list[EmailMessage]:
        return [m for m in self.letters() if m["X-Complaints-Letter"] == kind]

    def events(self, reference: str) -> dict[str, str]:
        case = self.store.load(reference)
        assert case is not None
        return {e.event: e.detail for e in case.timeline}


def text_of(m: EmailMessage) -> str:
    body = m.get_body(preferencelist=("plain",))
    assert body is not None
    return " ".join(str(body.get_content()).split())


def to(m: EmailMessage) -> str:
    return str(m["To"].addresses[0].addr_spec)


@pytest.fixture()
def desk(store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: InMemoryOutbox,
         clock: StatutoryClock) -> Desk:
    return Desk(store, raw_mail, outbox, clock)


# --- 1. forwarded by staff ------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    fw.staff_mail(text=fw.outlook_text("en-gb")),
    fw.staff_mail(html_body=fw.outlook_html("de")),
    fw.staff_mail(text=fw.gmail_text(), html_body=fw.gmail_html()),
    fw.staff_mail(html_body=fw.apple_html()),
    fw.staff_mail(text=fw.NOTE, attached=fw.original()),
], ids=["outlook", "outlook-html-de", "gmail", "apple-html", "attached"])
def test_a_staff_forward_opens_the_residents_case_from_when_staff_had_it(
        desk: Desk, raw: bytes) -> None:
    outcome = desk.deliver(raw)
    assert outcome.outcome == "created", outcome
    case = desk.store.load(str(outcome.reference))
    assert case is not None
    assert (case.resident, case.resident_name) == ("jane@example.org", "Jane Resident")
    assert case.received_at == SENT and case.received_on == date(2026, 6, 1)
    assert case.channel == "email, forwarded by sam@landlord.example"
    assert case.subject == fw.SUBJECT and case.is_party("jane@example.org")
    assert not case.is_party("sam@landlord.example")
    assert case.deadlines is not None and case.deadlines.acknowledge_by == date(2026, 6, 8)
    [receipt] = desk.sent("receipt")
    assert to(receipt) == "jane@example.org" and "Monday 8 June 2026" in text_of(receipt)
    assert "black mould is back" in text_of(receipt) and fw.NOTE not in text_of(receipt)
    events = desk.events(case.reference)
    assert "forwarded by sam@landlord.example" in events["received"]
    assert events["forwarded by staff"].startswith(
        "sam@landlord.example forwarded the email jane@example.org sent")
    assert fw.NOTE in events["forwarded by staff"]
    # the forwarder is told what was opened; the team gets its notice
    [confirmation] = desk.sent("command_result")
    assert to(confirmation) == "sam@landlord.example"
    said = text_of(confirmation)
    assert case.reference in said and "forwarded complaint: done" in said
    assert "opened for Jane Resident <jane@example.org>; received on Monday 1 June 2026" in said
    assert "receipt letter sent to jane@example.org" in said
    assert [to(m) for m in desk.sent("staff_new_case")] == [TEAM]


def test_the_receipt_to_an_attached_original_answers_it(desk: Desk) -> None:
    desk.deliver(fw.staff_mail(text=fw.NOTE, attached=fw.original()))
    [receipt] = desk.sent("receipt")
    assert receipt["In-Reply-To"] == "<original-1@example.org>"


def test_an_unauthenticated_staff_forward_is_held_for_review(desk: Desk) -> None:
    outcome = desk.deliver(fw.staff_mail(text=fw.outlook_text("en-gb"), dmarc="fail"))
    assert outcome.outcome == "quarantined" and "DMARC did not pass" in outcome.reason
    assert list(desk.store.all_references()) == []
    assert [m["X-Complaints-Letter"] for m in desk.letters()] == ["quarantine_notice"]
    assert [to(m) for m in desk.letters()] == [TEAM]  # never to Jane, never to "Sam"


def test_a_resident_forwarding_a_neighbours_email_is_the_residents_own_complaint(
        desk: Desk) -> None:
    raw = fw.staff_mail(text=fw.outlook_text("en-gb"), sender="Joe Bloggs <joe@example.net>")
    outcome = desk.deliver(raw)
    case = desk.store.load(str(outcome.reference))
    assert case is not None and case.resident == "joe@example.net"
    assert case.channel == "email" and case.received_at == ARRIVAL
    assert [to(m) for m in desk.sent("receipt")] == ["joe@example.net"]
    assert desk.sent("command_result") == []


@pytest.mark.parametrize(("sender", "why"), [
    ("Lee Colleague <lee@landlord.example>", "is from lee@landlord.example, a staff address"),
    ("Complaints <complaints@landlord.example>", "a staff address"),
    ("Resident, Jane", "names no email address"),
])
def test_a_forward_naming_no_resident_opens_no_case_and_says_why(
        desk: Desk, sender: str, why: str) -> None:
    outcome = desk.deliver(fw.staff_mail(text=fw.outlook_text("en-gb", sender=sender)))
    assert outcome.outcome == "quarantined" and why in outcome.reason, outcome
    assert list(desk.store.all_references()) == []
    [entry] = desk.store.quarantined()
    assert why in entry["reason"] and not entry["review"]
    [notice] = desk.letters()
    assert notice["X-Complaints-Letter"] == "not_opened" and to(notice) == "sam@landlord.example"
    assert why in text_of(notice) and "#complainant Name <email>" in text_of(notice)


def test_a_forward_through_a_colleague_is_the_residents(desk: Desk) -> None:
    lee = fw.outlook_text("en-gb", sender="Lee Colleague <lee@landlord.example>",
                          date="02 June 2026 10:00").replace(fw.BODY, "Sam, one for you.")
    text = lee + "\n" + fw.outlook_text("en-gb").split("\n\n", 1)[1]
    outcome = desk.deliver(fw.staff_mail(text=text, subject="FW: FW: Damp"))
    case = desk.store.load(str(outcome.reference))
    assert case is not None and case.resident == "jane@example.org" and case.received_at == SENT
    assert "after lee@landlord.example forwarded it to them" in desk.events(
        case.reference)["forwarded by staff"]


def test_a_forward_dated_after_it_arrived_counts_from_its_arrival(desk: Desk) -> None:
    raw = fw.staff_mail(text=fw.outlook_text("en-gb", date="05 June 2026 09:14"))
    outcome = desk.deliver(raw)
    case = desk.store.load(str(outcome.reference))
    assert case is not None and case.received_at == ARRIVAL
    assert "after the forward arrived" in desk.events(case.reference)["receipt date"]


def test_a_forward_with_no_readable_date_counts_from_its_arrival(desk: Desk) -> None:
    raw = fw.staff_mail(text=fw.outlook_text("en-gb", date="the other day"))
    case = desk.store.load(str(desk.deliver(raw).reference))
    assert case is not None and case.received_at == ARRIVAL
    assert "could not be read" in desk.events(case.reference)["receipt date"]


def test_a_forward_dated_too_far_back_opens_no_case(desk: Desk) -> None:
    outcome = desk.deliver(fw.staff_mail(text=fw.outlook_text("en-gb", date="01 June 2025 09:14")))
    assert outcome.outcome == "quarantined" and "more than 90 days ago" in outcome.reason
    assert list(desk.store.all_references()) == [] and [m["X-Complaints-Letter"] for m in desk.letters()] \
        == ["not_opened"]


def test_a_forward_delivered_twice_is_one_case_and_one_confirmation(desk: Desk) -> None:
    raw = fw.staff_mail(text=fw.outlook_text("en-gb"))
    first, again = desk.deliver(raw), desk.deliver(raw)
    assert again.outcome == "duplicate" and again.reference == first.reference
    assert len(desk.sent("command_result")) == 1 and len(desk.sent("receipt")) == 1


def test_a_refused_forward_delivered_twice_tells_staff_once(desk: Desk) -> None:
    raw = fw.staff_mail(text=fw.outlook_text("en-gb", sender="Resident, Jane"))
    desk.deliver(raw)
    assert desk.deliver(raw).outcome == "duplicate"
    assert len(desk.sent("not_opened")) == 1


# --- 2. logged by staff ---------------------------------------------------------------------

def test_a_logged_phone_complaint_opens_with_its_date_and_channel(desk: Desk) -> None:
    outcome = desk.deliver(fw.logged(
        "#complainant Jane Resident <jane@example.org>\n#received 2026-06-02\n#channel phone"))
    assert outcome.outcome == "created", outcome
    case = desk.store.load(str(outcome.reference))
    assert case is not None and case.resident == "jane@example.org"
    assert case.received_on == date(2026, 6, 2)
    assert case.channel == "phone, logged by sam@landlord.example"
    [receipt] = desk.sent("receipt")
    assert to(receipt) == "jane@example.org"
    assert "Jane rang: the black mould" in text_of(receipt) and "Housing officer" not in \
        text_of(receipt)
    events = desk.events(case.reference)
    assert events["logged by staff"] == ("sam@landlord.example logged a complaint Jane Resident "
                                         "made by phone on Tuesday 2 June 2026")
    [confirmation] = desk.sent("command_result")
    assert to(confirmation) == "sam@landlord.example"
    assert "#complainant: done" in text_of(confirmation)
    assert "received on Tuesday 2 June 2026 (phone, logged by sam@landlord.example)" in \
        text_of(confirmation)


def test_a_logged_letter_with_no_email_is_held_and_printed_for_the_post(desk: Desk) -> None:
    outcome = desk.deliver(fw.logged(
        "#complainant Jane Resident, 4 Elm Row, Newcastle NE1 4ST\n#channel letter",
        body="Jane's letter: the black mould is back."))
    case = desk.store.load(str(outcome.reference))
    assert case is not None and case.resident == "" and case.received_at == ARRIVAL
    assert case.contact["address"] == "4 Elm Row, Newcastle NE1 4ST"
    assert {x.kind: x.status.value for x in case.letters.values()}["receipt"] == "held"
    assert "letter-held" in case.flags and desk.sent("receipt") == []
    [notice] = desk.sent("staff_new_case")
    [pdf] = [p for p in notice.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == f"receipt-letter-{case.reference}.pdf"
    data = pdf.get_content()
    assert data.startswith(b"%PDF") and case.reference.encode() in data
    assert b"(4 Elm Row) Tj" in data and b"(Newcastle NE1 4ST) Tj" in data
    assert "Print the attached PDF" in text_of(notice)
    [confirmation] = desk.sent("command_result")
    assert "receipt letter HELD (the resident gave no email address: contact them by post); " \
           "a printable copy goes to the team to post" in text_of(confirmation)


def test_a_logged_phone_complaint_with_a_number_only(desk: Desk) -> None:
    outcome = desk.deliver(fw.logged("#complainant Jane Resident, 07700 900123\n#channel phone"))
    case = desk.store.load(str(outcome.reference))
    assert case is not None and case.contact["phone"] == "07700 900123"
    receipt = next(x for x in case.letters.values() if x.kind == "receipt")
    assert receipt.error == "the resident gave no email address: contact them by phone " \
                            "(07700 900123)"


@pytest.mark.parametrize(("received", "why"), [
    ("2026-06-04", "is in the future"),
    ("2026-06-03 11:30", "is in the future"),  # later today than the log arrived
    ("2026-02-01", "more than 90 days ago"),
])
def test_a_logged_date_in_the_future_or_too_far_back_is_refused(
        desk: Desk, received: str, why: str) -> None:
    outcome = desk.deliver(fw.logged(f"#complainant Jane <jane@example.org>\n#received {received}"))
    assert outcome.outcome == "quarantined" and why in outcome.reason
    assert list(desk.store.all_references()) == []
    [notice] = desk.letters()
    assert notice["X-Complaints-Letter"] == "not_opened" and to(notice) == "sam@landlord.example"
    assert why in text_of(notice)


def test_a_log_with_problems_says_each(desk: Desk) -> None:
    outcome = desk.deliver(fw.logged("#complainant Jane\n#channel fax\n#acknowledge"))
    assert outcome.outcome == "quarantined"
    said = text_of(desk.sent("not_opened")[0])
    assert "a way to reach them" in said and "'fax' is not one of" in said
    assert "#acknowledge is not a line" in said


def test_a_log_naming_a_staff_address_as_complainant_is_refused(desk: Desk) -> None:
    outcome = desk.deliver(fw.logged("#complainant Lee <lee@landlord.example>"))
    assert outcome.outcome == "quarantined" and "one of our own addresses" in outcome.reason


def test_a_stranger_naming_a_complainant_opens_only_their_own_case(desk: Desk) -> None:
    raw = mf.message(sender="Mallory <mallory@evil.example>", subject="Complaint",
                     body="#complainant Jane Resident <jane@example.org>\n#received 2026-03-10"
                          "\n\nJane is unhappy.")
    outcome = desk.deliver(raw)
    case = desk.store.load(str(outcome.reference))
    assert case is not None and case.resident == "mallory@evil.example"
    assert case.received_at == ARRIVAL and case.channel == "email"
    assert [to(m) for m in desk.letters() if m["X-Complaints-Letter"] != "staff_new_case"] == [
        "mallory@evil.example"]


def test_an_unauthenticated_staff_log_is_held_for_review(desk: Desk) -> None:
    outcome = desk.deliver(fw.logged("#complainant Jane <jane@example.org>", dmarc="fail"))
    assert outcome.outcome == "quarantined" and "DMARC did not pass" in outcome.reason
    assert list(desk.store.all_references()) == [] and [to(m) for m in desk.letters()] == [TEAM]


def test_a_log_in_html_that_can_hide_text_is_refused(desk: Desk) -> None:
    html_body = ('<html><head><style>.x{color:white}</style></head><body><p>#complainant Jane '
                 '&lt;jane@example.org&gt;</p><p class="x">Jane rang.</p></body></html>')
    outcome = desk.deliver(fw.staff_mail(html_body=html_body, subject="Phone complaint"))
    assert outcome.outcome == "quarantined" and "send it again as plain text" in outcome.reason


# --- 3. a back-dated receipt never promises a date gone by ----------------------------------

def test_a_receipt_back_dated_past_its_acknowledgement_says_as_soon_as_possible(
        desk: Desk, clock: StatutoryClock) -> None:
    # received Monday 1 June; the acknowledgement was due Monday 8 June; logged on 10 June
    outcome = desk.deliver(fw.logged("#complainant Jane <jane@example.org>\n#received 2026-06-01"
                                     "\n#channel in-person"),
                           at=datetime(2026, 6, 10, 9, 0, tzinfo=UTC))
    case = desk.store.load(str(outcome.reference))
    assert case is not None and case.deadlines is not None
    assert case.deadlines.acknowledge_by == date(2026, 6, 8)
    said = text_of(desk.sent("receipt")[0])
    assert "our written acknowledgement was due by Monday 8 June 2026. We are sorry it is " \
           "late: we will send it as soon as possible" in said
    assert "We will acknowledge your complaint in writing by" not in said
    assert "We will send you our response by Monday 22 June 2026" in said  # still ahead
    assert "it is due now" in desk.events(case.reference)["due on opening"]
    assert "already due on opening: the acknowledgement" in text_of(
        desk.sent("command_result")[0])
    # the case shows the step as due: the next sweep records it overdue and alerts the manager
    sweep = Sweep(desk.room.casework, SweepConfig(
        landlord=MAIL_CONFIG.landlord, team_address=TEAM, manager_address=MANAGER,
        rules=AgendaRules()), desk.store)
    report = sweep.run(datetime(2026, 6, 10, 10, 0, tzinfo=UTC)).to_json()
    done = {(a["task"], a["step"]) for a in report["actions"] if a["reference"] == case.reference}
    assert ("overdue", "acknowledgement") in done, report
    assert [to(m) for m in desk.sent("overdue_alert")] == [MANAGER]


def test_a_receipt_back_dated_past_its_response_date_promises_no_date(desk: Desk) -> None:
    # Scotland (SPSO model): no acknowledgement at stage 1, respond by day 5 from receipt
    outcome = desk.deliver(fw.logged(
        "#complainant Jane <jane@example.org>\n#received 2026-06-01\n#channel phone",
        body="Jane rang about the damp at 3 Belmont Road, Cambuslang G72 8PG."),
        at=datetime(2026, 6, 12, 9, 0, tzinfo=UTC))
    case = desk.store.load(str(outcome.reference))
    assert case is not None and case.policy == "spso-mchp"
    said = text_of(desk.sent("receipt")[0])
    assert "Our response was due by Friday 5 June 2026. We are sorry: we will send it as soon " \
           "as we can." in said
    assert "We will give you our response by" not in said


def test_an_ordinary_receipt_is_unchanged(desk: Desk) -> None:
    desk.deliver(mf.message())
    said = text_of(desk.sent("receipt")[0])
    assert "We will acknowledge your complaint in writing by Wednesday 10 June 2026" in said
    assert "as soon as possible" not in said

