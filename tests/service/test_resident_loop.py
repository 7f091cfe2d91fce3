"""Issue 20, "residents' words reach a person" and "staff words reach residents only on
purpose", on the in-memory ports.

Given a case opened by email, when the resident writes again, then a person is told at once
(the handler, else the team) with the resident's own words and files; a reply to that forward
reaches the resident, a reply to any other staff mail is an internal note; a request for stage 2
is answered at once and put to the team, not only to the stage 1 responder; a reply unhappy
with a not-a-complaint decision opens a complaint; `#assign` hands the case over by email.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from complaints.adapters.memory import InMemoryRawMail, InMemoryStore
from complaints.bootstrap import mailroom_for
from complaints.domain import commands as c
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery, Mailroom
from tests import mailfactory as mf
from tests.conftest import MAIL_CONFIG, Outbox
from tests.service.mailbox import letters, loaded, parsed, raw_of, text, to

TEAM = "complaints-team@landlord.example"
SAM = "Sam Officer <sam@landlord.example>"
LEE = "lee@landlord.example"
JANE = "Jane Resident <jane@example.org>"


@pytest.fixture()
def room(store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
         clock: StatutoryClock) -> Mailroom:
    config = dataclasses.replace(MAIL_CONFIG, team_address=TEAM, letters_per_hour=1000)
    return mailroom_for(store, raw_mail, outbox.sender, clock, config)


@pytest.fixture()
def send(room: Mailroom, raw_mail: InMemoryRawMail) -> Callable[..., Any]:
    def go(raw: bytes, at: datetime | None = None) -> Any:
        key = f"ses-{uuid.uuid4().hex[:12]}"
        raw_mail.put(raw_mail.key_for(key), raw)
        return room.receive(Delivery(key, raw_mail.key_for(key), at or datetime.now(UTC)))
    return go








def resident_reply(to_letter: bytes, body: str, files: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
                   sender: str = JANE) -> bytes:
    """The resident answering one of our letters, quoting it below, files attached."""
    m = parsed(to_letter)
    quoted = "\n".join("> " + line for line in text(m).splitlines()[:30])
    return mf.message(sender=sender, subject="Re: " + str(m["Subject"]),
                      body=f"{body}\n\nOn Mon, 7 Dec 2026 at 09:12, {m['From']} wrote:\n{quoted}",
                      to=str(m["Reply-To"]), attachments=list(files),
                      headers={"In-Reply-To": str(m["Message-ID"]),
                               "References": str(m["Message-ID"])})


def test_a_residents_follow_up_reaches_the_team_then_the_handler_with_their_words_and_files(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    created = send(mf.message(sender=JANE))
    receipt = raw_of(outbox, "receipt")
    photo = b"\x89PNG" + b"p" * 2000
    send(resident_reply(receipt, "When is someone going to ring me?",
                        [("mould.png", "image/png", photo)]))
    [forward] = letters(outbox, "resident_wrote")
    assert to(forward) == TEAM  # nobody assigned yet
    assert forward["Subject"] == (f"[{created.reference}] Jane Resident wrote: When is someone "
                                  "going to ring me?")
    assert forward["Reply-To"] == f"complaints+{created.reference}@landlord.example"
    body = text(forward)
    assert "When is someone going to ring me?" in body
    assert "Thank you for contacting" not in body and "wrote:" not in body  # the quote is cut
    assert "Status:        received" in body and "Next step:     acknowledgement by" in body
    assert "mould.png" in body
    [attached] = [p for p in forward.iter_attachments() if p.get_filename() == "mould.png"]
    assert attached.get_content() == photo
    # once assigned, the handler hears it, the team does not
    send(mf.reply(raw_of(outbox, "staff_new_case"), sender=SAM,
                  body="#assign sam@landlord.example"))
    send(resident_reply(receipt, "Also the extractor fan is broken."))
    later = [m for m in letters(outbox, "resident_wrote") if "extractor" in text(m)]
    assert [to(m) for m in later] == ["sam@landlord.example"]
    case = loaded(store, created.reference)
    assert [x.status.value for x in case.letters.values() if x.kind == "resident_wrote"] == [
        "sent", "sent"]


def test_a_message_on_a_closed_case_is_forwarded_too(
        send: Callable[..., Any], outbox: Outbox) -> None:
    created = send(mf.message(sender=JANE))
    send(mf.reply(raw_of(outbox, "staff_new_case"), sender=SAM, body="#withdraw resident asked"))
    send(resident_reply(raw_of(outbox, "receipt"), "Thank you for your help."))
    [forward] = letters(outbox, "resident_wrote")
    assert created.reference in str(forward["Subject"]) and "Status:        withdrawn" in text(forward)


def test_files_past_the_cap_are_listed_not_attached(
        send: Callable[..., Any], outbox: Outbox) -> None:
    from complaints.service import casework

    send(mf.message(sender=JANE))
    big = b"v" * 6_000_000
    send(resident_reply(raw_of(outbox, "receipt"), "Videos of the leak.",
                        [("one.mp4", "video/mp4", big), ("two.mp4", "video/mp4", big)]))
    [forward] = letters(outbox, "resident_wrote")
    names = [p.get_filename() for p in forward.iter_attachments()]
    assert names == ["one.mp4"]  # 6 MB fits the 10 MB cap, 12 MB does not
    assert "two.mp4" in text(forward) and "not attached" in text(forward)
    assert casework.FORWARD_ATTACHMENTS_MAX == 10_000_000


def test_a_reply_to_the_forward_reaches_the_resident_a_reply_to_the_notice_does_not(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    created = send(mf.message(sender=JANE))
    # "I'll pick this one up" to the team's notice: for colleagues, never for the resident
    send(mf.reply(raw_of(outbox, "staff_new_case"), sender=SAM,
                  body="I'll pick this one up - Sam"))
    assert letters(outbox, "resident_message") == []
    [confirmation] = letters(outbox, "command_result")
    assert to(confirmation) == "sam@landlord.example"
    said = " ".join(text(confirmation).split())
    assert "NOT sent to the resident" in said and "#message" in said
    case = loaded(store, created.reference)
    assert any("I'll pick this one up" in t.detail and "internal note" in t.detail
               for t in case.timeline)
    # the resident writes; the handler answers the forward with no # lines: it goes to her
    send(resident_reply(raw_of(outbox, "receipt"), "Is anyone coming?"))
    forward = raw_of(outbox, "resident_wrote")
    send(mf.reply(forward, sender=SAM, body="Yes: the surveyor comes on Tuesday at 10."))
    [message] = letters(outbox, "resident_message")
    assert to(message) == "jane@example.org"
    assert "the surveyor comes on Tuesday at 10" in text(message)


def test_a_request_for_stage_2_is_answered_at_once_and_put_to_the_team(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """HOS Code 6.11 (acknowledged within 5 working days of the request), 6.12 (no reasons
    needed), 6.13 (stage 2 by someone not involved at stage 1)."""
    created = send(mf.message(sender=JANE))
    notice = raw_of(outbox, "staff_new_case")
    send(mf.reply(notice, sender=SAM, body="#assign sam@landlord.example"))
    send(mf.reply(notice, sender=SAM, body="#acknowledge\nDamp; wants it treated."))
    send(mf.reply(notice, sender=SAM,
                  body="#respond not-upheld\nThe damp is condensation; advice enclosed."))
    response = raw_of(outbox, "stage1_response")
    send(resident_reply(response, "I want to take this to stage 2, it is not condensation."))
    case = loaded(store, created.reference)
    assert (case.status.value, case.stage) == ("escalated", 2)
    [receipt] = letters(outbox, "escalation_receipt")
    assert to(receipt) == "jane@example.org"
    said = " ".join(text(receipt).split())
    assert case.deadlines is not None and case.deadlines.acknowledge_by is not None
    assert f"{case.deadlines.acknowledge_by:%-d %B %Y}" in said
    assert f"{case.deadlines.respond_by:%-d %B %Y}" in said
    assert "do not need to give us reasons" in said and "did not deal with your complaint" in said
    assert "tell us what you are still unhappy about" not in said
    [forward] = letters(outbox, "resident_wrote")
    assert to(forward) == TEAM  # never only to Sam, who answered stage 1
    assert "asked for the next stage" in str(forward["Subject"])
    # the reason kept is her own words, not the response she quoted
    [escalated] = [t for t in case.timeline if "stage 2" in t.detail and "condensation" in t.detail]
    assert "advice enclosed" not in escalated.detail


def test_an_unhappy_reply_to_a_not_a_complaint_decision_opens_a_complaint(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """Code 1.3: a resident need not use the word "complaint"; the Code's FAQ: dissatisfaction
    with how a service request was handled is raised at stage 1."""
    first = send(mf.message(sender=JANE, subject="Dripping tap"))
    send(mf.reply(raw_of(outbox, "staff_new_case"), sender=SAM,
                  body="#not-a-complaint booked as a repair: a plumber comes on Tuesday"))
    decision = raw_of(outbox, "not_a_complaint")
    assert loaded(store, first.reference).status.value == "closed"
    thanks = send(resident_reply(decision, "Thanks, that's great."))
    assert (thanks.outcome, thanks.reference) == ("appended", first.reference)
    unhappy = send(resident_reply(decision, "Nobody came on Tuesday and the tap still drips."))
    assert unhappy.outcome == "created" and unhappy.reference != first.reference
    new = loaded(store, unhappy.reference)
    assert new.resident == "jane@example.org" and new.status.value == "received"
    assert first.reference not in new.subject and not new.subject.lower().startswith("re:")
    assert any("Code 1.3" in t.detail and first.reference in t.detail for t in new.timeline)
    old = loaded(store, first.reference)
    assert any(unhappy.reference in t.detail for t in old.timeline if t.event == "complaint opened")
    receipts = [m for m in letters(outbox, "receipt") if unhappy.reference in str(m["Subject"])]
    assert [to(m) for m in receipts] == ["jane@example.org"]
    # the thanks was forwarded, not lost
    assert any("Thanks, that's great." in text(m) for m in letters(outbox, "resident_wrote"))


def test_assign_hands_the_case_over_by_email(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    created = send(mf.message(sender=JANE, body="Black mould in the bathroom since June."))
    notice = raw_of(outbox, "staff_new_case")
    send(mf.reply(notice, sender=SAM, body="#assign sam@landlord.example"))
    assert letters(outbox, "handover") == []  # taking it yourself needs no email
    send(mf.reply(notice, sender=SAM, body=f"#assign {LEE}\nLee knows the block."))
    [handover] = letters(outbox, "handover")
    assert to(handover) == LEE
    assert handover["Reply-To"] == f"complaints+{created.reference}@landlord.example"
    said = text(handover)
    assert "sam@landlord.example assigned this complaint to you" in said
    assert "Next step:     acknowledgement by" in said
    assert "Black mould in the bathroom since June." in said  # the latest message's words
    assert loaded(store, created.reference).handler == LEE


def test_the_forward_and_the_handover_are_recorded_in_the_same_save_as_the_message(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox, room: Mailroom,
        raw_mail: InMemoryRawMail) -> None:
    """A redelivery of the resident's message forwards nothing twice."""
    send(mf.message(sender=JANE))
    raw = resident_reply(raw_of(outbox, "receipt"), "Any news?")
    raw_mail.put(raw_mail.key_for("ses-again"), raw)
    delivery = Delivery("ses-again", raw_mail.key_for("ses-again"),
                        datetime.now(UTC) - timedelta(minutes=5))
    room.receive(delivery)
    room.receive(delivery)
    assert len(letters(outbox, "resident_wrote")) == 1


def test_letters_name_the_handler_by_the_name_they_write_under_never_a_bare_address(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox, room: Mailroom) -> None:
    created = send(mf.message(sender=JANE))
    # acted on from the shell (no name known): the letter names the team, not the address
    room.casework.run(created.reference, (c.Assign(address=LEE),), LEE, "cli-1",
                      datetime.now(UTC))
    room.casework.run(created.reference, (c.Acknowledge(definition="Damp; wants it treated."),),
                      LEE, "cli-2", datetime.now(UTC))
    said = " ".join(text(letters(outbox, "acknowledgement")[0]).split())
    assert LEE not in said and "Our complaints team (complaints@landlord.example)" in said
    # Sam writes from his mailbox as "Sam Officer" and takes it: his name from then on
    notice = raw_of(outbox, "staff_new_case")
    send(mf.reply(notice, sender=SAM, body="#assign sam@landlord.example\n#extend 5 survey due"))
    said = " ".join(text(letters(outbox, "extension")[0]).split())
    assert "Sam Officer is dealing with your complaint" in said and "sam@landlord.example" not in said
    assert loaded(store, created.reference).staff_names == {"sam@landlord.example": "Sam Officer"}


def test_a_handlers_name_never_stops_their_letter(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """The letter rules judge our words: a name that reads like a signpost ("Ombudsman") is
    the handler's, so it never holds a Scottish letter back (SPSO model CHP ¶108)."""
    created = send(mf.message(sender=JANE, to="scotland@landlord.example",
                              body="Mould at 4 Elm Row, Glasgow G72 8PG."))
    assert loaded(store, created.reference).policy == "spso-mchp"
    send(mf.reply(raw_of(outbox, "staff_new_case"),
                  sender="Ombudsman Liaison Sam <sam@landlord.example>",
                  body="#assign sam@landlord.example\n#escalate complex: straight to stage 2"))
    send(mf.reply(raw_of(outbox, "staff_new_case"),
                  sender="Ombudsman Liaison Sam <sam@landlord.example>",
                  body="#acknowledge\nDamp in the bedroom; wants it treated."))
    [ack] = letters(outbox, "escalation_acknowledgement")
    assert "Ombudsman Liaison Sam is dealing with your complaint" in " ".join(text(ack).split())


def test_words_written_between_the_lines_of_our_letter_reach_the_forward(
        send: Callable[..., Any], outbox: Outbox) -> None:
    send(mf.message(sender=JANE))
    m = parsed(raw_of(outbox, "receipt"))
    quoted = [f"> {line}" for line in text(m).splitlines()[:6]]
    body = "\n".join([*quoted[:3], "", "My son has asthma.", "", *quoted[3:], "",
                      "I am deaf: please do not phone me."])
    send(mf.message(sender=JANE, subject="Re: " + str(m["Subject"]), to=str(m["Reply-To"]),
                    body=body, headers={"In-Reply-To": str(m["Message-ID"])}))
    [forward] = letters(outbox, "resident_wrote")
    said = text(forward)
    assert "My son has asthma." in said and "I am deaf: please do not phone me." in said
