"""What an outside attack on issue 20's mailbox loop found, each tried again from outside on the
in-memory ports (docs/threat-model.md, "An outside look at issue 20").
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest

from complaints.adapters.memory import InMemoryRawMail, InMemoryStore
from complaints.bootstrap import mailroom_for
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery, Mailroom
from tests import forwards as fw
from tests import mailfactory as mf
from tests.conftest import MAIL_CONFIG, Outbox
from tests.service.mailbox import parsed, text
from tests.service.test_resident_loop import resident_reply

TEAM = "complaints-team@landlord.example"
JANE = "Jane Resident <jane@example.org>"
SAM = "Sam Officer <sam@landlord.example>"
ARRIVAL = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)


class Desk:
    def __init__(self, store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
                 clock: StatutoryClock) -> None:
        self.store, self.raw_mail, self.outbox = store, raw_mail, outbox
        config = dataclasses.replace(MAIL_CONFIG, team_address=TEAM, letters_per_hour=1000)
        self.room: Mailroom = mailroom_for(store, raw_mail, outbox.sender, clock, config,
                                           now=lambda: ARRIVAL)

    def deliver(self, raw: bytes) -> Any:
        key = f"ses-{uuid.uuid4().hex[:12]}"
        self.raw_mail.put(self.raw_mail.key_for(key), raw)
        return self.room.receive(Delivery(key, self.raw_mail.key_for(key), ARRIVAL))

    def raws(self, kind: str) -> list[bytes]:
        return [r for r in self.outbox.letters() if f"X-Complaints-Letter: {kind}\r\n".encode() in r]

    def sent(self, kind: str) -> list[EmailMessage]:
        return [parsed(r) for r in self.raws(kind)]


@pytest.fixture()
def desk(store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
         clock: StatutoryClock) -> Desk:
    return Desk(store, raw_mail, outbox, clock)


def test_a_forward_whose_sender_cannot_be_read_never_falls_to_a_block_written_below_it(
        desk: Desk) -> None:
    """Mallory's display name holds an address, so the From line staff forward names two; the
    block made up in her body (a victim, back-dated) must never become the complainant."""
    made_up = ("-----Original Message-----\nFrom: Victim Person <victim@example.net>\n"
               "Sent: 10 March 2026 09:00\nTo: Sam Officer <sam@landlord.example>\n"
               "Subject: Damp\n\nDamp everywhere.\n")
    forwarded = (fw.NOTE + "\n\n-----Original Message-----\n"
                 "From: x <victim@example.net> <mallory@evil.example>\n"
                 "Sent: 02 June 2026 10:00\nTo: Sam Officer <sam@landlord.example>\n"
                 "Subject: Damp\n\nPlease see below\n\n" + made_up)
    outcome = desk.deliver(fw.staff_mail(text=forwarded, subject="FW: Damp"))
    assert outcome.outcome != "created"
    assert not [m for m in desk.sent("receipt") if "victim@example.net" in str(m["To"])]


def test_a_colleagues_reply_all_further_down_the_forwards_thread_stays_with_staff(
        desk: Desk) -> None:
    desk.deliver(mf.message(sender=JANE))
    desk.deliver(resident_reply(desk.raws("receipt")[0], "When is someone going to ring me?"))
    forward = parsed(desk.raws("resident_wrote")[0])
    sam = mf.message(sender=SAM, subject="Re: " + str(forward["Subject"]),
                     to=f"{forward['Reply-To']}, {TEAM}", body="Jane, someone will ring tomorrow.",
                     headers={"In-Reply-To": str(forward["Message-ID"]),
                              "References": str(forward["Message-ID"])})
    desk.deliver(sam)
    found = re.search(rb"Message-ID: (<[^>]+>)", sam)
    assert found is not None
    sams = found.group(1).decode()
    lee = mf.message(sender="Lee <lee@landlord.example>", subject="Re: " + str(forward["Subject"]),
                     to=f"sam@landlord.example, {forward['Reply-To']}, {TEAM}",
                     body="Sam - don't promise a call, she shouts at whoever rings.",
                     headers={"In-Reply-To": sams, "References": f"{forward['Message-ID']} {sams}"})
    desk.deliver(lee)
    to_jane = [text(m) for m in desk.sent("resident_message")]
    assert len(to_jane) == 1 and "ring tomorrow" in to_jane[0]  # Sam's answer to the forward
    assert not any("shouts" in t for t in to_jane)


def test_staff_mail_that_is_neither_a_forward_nor_a_log_opens_no_case(desk: Desk) -> None:
    """A reply to the week's digest (its Reply-To is the complaints address) is staff mail
    naming no case: never a complaint with the officer as complainant."""
    outcome = desk.deliver(mf.message(sender=SAM, subject="Re: Your complaints this week",
                                      body="Will do.", ses=mf.ses_headers("landlord.example")))
    assert outcome.outcome == "quarantined"
    assert desk.sent("receipt") == [] and desk.store.cases_for_sender("sam@landlord.example") == []
    [told] = desk.sent("not_opened")
    assert str(told["To"].addresses[0].addr_spec) == "sam@landlord.example"


def test_a_logged_phone_complaint_tells_the_team(desk: Desk, store: InMemoryStore) -> None:
    outcome = desk.deliver(fw.logged("#complainant Jane Resident, 07700 900123\n#channel phone"))
    case = store.load(outcome.reference)
    assert case is not None
    notice = case.letters["staff_new_case-1"]
    assert (notice.to, notice.status.value) == (TEAM, "sent")
    [sent] = desk.sent("staff_new_case")
    assert any(str(p.get_filename() or "").endswith(".pdf") for p in sent.iter_attachments())


def test_a_case_is_never_assigned_to_one_of_our_own_mailboxes(
        desk: Desk, store: InMemoryStore) -> None:
    created = desk.deliver(mf.message(sender=JANE))
    notice = desk.raws("staff_new_case")[0]
    for own in ("complaints@landlord.example", TEAM, "scotland@landlord.example"):
        desk.deliver(mf.reply(notice, sender=SAM, body=f"#assign {own}"))
        case = store.load(created.reference)
        assert case is not None and case.handler != own
    refused = [text(m) for m in desk.sent("command_result")]
    assert all("not a staff address" in t for t in refused[-3:])


def test_unhappy_replies_to_a_not_a_complaint_decision_open_one_complaint(
        desk: Desk, store: InMemoryStore) -> None:
    first = desk.deliver(mf.message(sender=JANE, subject="Dripping tap"))
    desk.deliver(mf.reply(desk.raws("staff_new_case")[0], sender=SAM,
                          body="#not-a-complaint booked as a repair for Tuesday"))
    decision = desk.raws("not_a_complaint")[0]
    outcomes = [desk.deliver(resident_reply(decision, words))
                for words in ("Still broken.", "Nobody came", "Unacceptable!", "No")]
    assert [o.outcome for o in outcomes] == ["created", "appended", "appended", "appended"]
    assert len({o.reference for o in outcomes}) == 2
    assert len(store.cases_for_sender("jane@example.org")) == 2
    assert len(desk.sent("resident_wrote")) == 3  # the later ones reach a person
    assert first.reference in {o.reference for o in outcomes[1:]}


def test_a_photo_with_no_words_to_a_decision_is_more_to_say(desk: Desk) -> None:
    desk.deliver(mf.message(sender=JANE, subject="Dripping tap"))
    desk.deliver(mf.reply(desk.raws("staff_new_case")[0], sender=SAM,
                          body="#not-a-complaint booked as a repair for Tuesday"))
    photo = resident_reply(desk.raws("not_a_complaint")[0], "",
                           [("tap.jpg", "image/jpeg", b"\xff\xd8" + b"j" * 500)])
    assert desk.deliver(photo).outcome == "created"


def test_stage_2_leaves_the_stage_1_responder_and_goes_to_the_team(
        desk: Desk, store: InMemoryStore) -> None:
    """Code 6.13: once the resident asks for stage 2, their messages go to the team until
    someone who did not answer stage 1 is assigned."""
    created = desk.deliver(mf.message(sender=JANE))
    notice = desk.raws("staff_new_case")[0]
    for body in ("#assign sam@landlord.example", "#acknowledge\nDamp; wants it treated.",
                 "#respond not-upheld\nCondensation: advice enclosed."):
        desk.deliver(mf.reply(notice, sender=SAM, body=body))
    desk.deliver(resident_reply(desk.raws("stage1_response")[0], "I want stage 2."))
    case = store.load(created.reference)
    assert case is not None and case.stage == 2 and case.handler == ""
    assert any(t.event == "handler cleared" for t in case.timeline)
    desk.deliver(resident_reply(desk.raws("escalation_receipt")[0], "My surveyor's report."))
    later = [m for m in desk.sent("resident_wrote") if "surveyor" in text(m)]
    assert [str(m["To"].addresses[0].addr_spec) for m in later] == [TEAM]
