"""Staff run a case from their mailbox (issue 9), on the in-memory ports.

Given a case and its staff notice, when staff (or someone pretending to be staff) reply with
#-commands, then only authenticated staff move the case, every result is confirmed to the
sender and on the timeline, and concurrent or copied-in replies land once each.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest

from complaints.adapters.memory import InMemoryRawMail, InMemoryStore
from complaints.bootstrap import mailroom_for
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery, Mailroom
from tests import mailfactory as mf
from tests.conftest import MAIL_CONFIG, Outbox

TEAM = "complaints-team@landlord.example"
SAM = "Sam Officer <sam@landlord.example>"


@pytest.fixture()
def room(store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
         clock: StatutoryClock) -> Mailroom:
    config = dataclasses.replace(MAIL_CONFIG, team_address=TEAM, letters_per_hour=1000)
    return mailroom_for(store, raw_mail, outbox.sender, clock, config)


@pytest.fixture()
def send(room: Mailroom, raw_mail: InMemoryRawMail) -> Callable[..., Any]:
    def go(raw: bytes) -> Any:
        key = f"ses-{uuid.uuid4().hex[:12]}"
        raw_mail.put(raw_mail.key_for(key), raw)
        return room.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC)))
    return go


def kinds(outbox: Outbox) -> list[tuple[str, str]]:
    out = []
    for raw in outbox.letters():
        m = email.message_from_bytes(raw, policy=email.policy.default)
        out.append((str(m["X-Complaints-Letter"]), m["To"].addresses[0].addr_spec))
    return out


def letter_of(outbox: Outbox, kind: str) -> bytes:
    [raw] = [r for r in outbox.letters() if f"X-Complaints-Letter: {kind}".encode() in r]
    return raw


def text(raw: bytes) -> str:
    m = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(m, EmailMessage)
    body = m.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def test_a_new_case_tells_the_team_with_the_complaint_attached(
        send: Callable[..., Any], outbox: Outbox) -> None:
    created = send(mf.message(body="Mould at 4 Elm Row, Newcastle NE1 4ST."))
    assert sorted(kinds(outbox)) == [("receipt", "jane@example.org"), ("staff_new_case", TEAM)]
    notice = email.message_from_bytes(letter_of(outbox, "staff_new_case"), policy=email.policy.default)
    assert notice["Reply-To"] == f"complaints+{created.reference}@landlord.example"
    assert isinstance(notice, EmailMessage)
    assert [p.get_filename() for p in notice.iter_attachments()] == ["complaint.eml"]
    body = text(letter_of(outbox, "staff_new_case"))
    assert "#acknowledge" in body and "nation-to-confirm" in body


def test_staff_commands_run_and_each_result_is_confirmed(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    created = send(mf.message())
    notice = letter_of(outbox, "staff_new_case")
    outcome = send(mf.reply(notice, sender=SAM, body="#note called Jane\n#respond upheld\n"
                            "We agree the repair was late."))
    assert outcome.outcome == "appended"
    case = store.load(created.reference)
    assert case is not None and case.status.value == "received"
    events = [(e.event, e.detail) for e in case.timeline]
    assert ("noted", "internal note: called Jane") in events
    # out of order: respond before acknowledging is refused, and says why
    assert any(ev == "command refused" and "#acknowledge first" in d for ev, d in events)
    confirmation = text(letter_of(outbox, "command_result"))
    assert "#note" in confirmation and "refused" in confirmation.lower()
    assert ("stage1_response", "jane@example.org") not in kinds(outbox)


def test_a_staff_command_failing_dmarc_is_not_executed(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    created = send(mf.message())
    notice = letter_of(outbox, "staff_new_case")
    forged = mf.reply(notice, sender=SAM, body="#withdraw\n#close")
    forged = forged.replace(b"dmarc=pass header.from=landlord.example",
                            b"dmarc=fail header.from=landlord.example")
    outcome = send(forged)
    case = store.load(created.reference)
    assert case is not None and case.status.value == "received"
    # a staff address its domain does not vouch for: held for review, never a case of its own
    # whose receipt would mail the real Sam (issue 18, 3)
    assert outcome.outcome == "quarantined" and "possibly forged" in outcome.reason
    assert store.cases_for_sender(SAM) == []
    assert not any(e.event in ("withdrawn", "closed") for e in case.timeline)


def test_a_staff_reply_all_that_copies_the_resident_is_one_record(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    created = send(mf.message())
    notice = letter_of(outbox, "staff_new_case")
    before = len(outbox.letters())
    reply_all = mf.reply(notice, sender=SAM, body="Jane, we will visit on Tuesday.")
    reply_all = reply_all.replace(b"\nSubject:", b"\nCc: Jane <jane@example.org>\nSubject:", 1)
    assert b"Cc: Jane" in reply_all
    send(reply_all)
    case = store.load(created.reference)
    assert case is not None
    assert [e.event for e in case.timeline].count("message added") == 1
    assert len(outbox.letters()) == before  # Jane has it already: no second copy
    # without the copy, #message sends the words to Jane as a message on the case
    send(mf.reply(notice, sender=SAM, body="#message\nJane, the plumber comes on Friday."))
    assert "plumber comes on Friday" in text(letter_of(outbox, "resident_message"))


def test_concurrent_note_and_extend_on_one_case_both_land(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    created = send(mf.message())
    notice = letter_of(outbox, "staff_new_case")
    send(mf.reply(notice, sender=SAM, body="#acknowledge\nDamp; wants the repair."))
    replies = [mf.reply(notice, sender=SAM, body="#note rang the contractor"),
               mf.reply(notice, sender=SAM, body="#extend 5 waiting for a damp survey")]
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def go(raw: bytes) -> None:
        barrier.wait()
        outcomes.append(send(raw))

    threads = [threading.Thread(target=go, args=(r,)) for r in replies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.outcome for o in outcomes) == ["appended", "appended"]
    case = store.load(created.reference)
    assert case is not None and case.status.value == "extended"
    events = [e.event for e in case.timeline]
    assert "noted" in events and "extended" in events
    assert ("extension", "jane@example.org") in kinds(outbox)


def test_a_closed_case_refuses_politely(send: Callable[..., Any], store: InMemoryStore,
                                        outbox: Outbox) -> None:
    created = send(mf.message())
    notice = letter_of(outbox, "staff_new_case")
    send(mf.reply(notice, sender=SAM, body="#withdraw Jane says it is sorted"))
    send(mf.reply(notice, sender=SAM, body="#note one more thing"))
    case = store.load(created.reference)
    assert case is not None and case.status.value == "withdrawn"
    refusals = [e.detail for e in case.timeline if e.event == "command refused"]
    assert refusals and "withdrawn, so nothing was changed" in refusals[0]


def test_the_staff_sender_is_told_when_a_letter_could_not_go(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    # a raw UTF-8 (RFC 6532) address: a case, but SES cannot send to it
    created = send(mf.ses_headers("example.es") + "From: José <josé@example.es>\r\n"
                   "To: complaints@landlord.example\r\nSubject: Damp\r\n"
                   "Message-ID: <utf8-1@example.es>\r\n\r\nThe damp is back.\r\n".encode())
    assert created.outcome == "created", created
    notice = letter_of(outbox, "staff_new_case")
    send(mf.reply(notice, sender=SAM, body="#acknowledge\nDamp; wants the repair."))
    case = store.load(created.reference)
    assert case is not None and case.status.value == "acknowledged"
    [ack] = [x for x in case.letters.values() if x.kind == "acknowledgement"]
    assert ack.status.value == "failed" and "non-ASCII" in ack.error
    told = text(letter_of(outbox, "command_result"))
    assert "acknowledgement letter" in told and "NOT SENT" in told and "non-ASCII" in told


# --- found by the outside review of the lifecycle ------------------------------------------------


def test_quoted_history_in_an_html_only_reply_never_runs_as_commands(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    created = send(mf.message(body="#withdraw\nThe fence is broken."))
    notice = letter_of(outbox, "staff_new_case")
    html = ('<div>#note rang Jane</div><div style="display:none">#close</div><br>'
            '<div class="gmail_quote"><blockquote class="gmail_quote">#withdraw<br>#close<br>'
            'The fence is broken.</blockquote></div>')
    reply = mf.reply(notice, sender=SAM, body="x")
    head = reply.split(b"\n\n", 1)[0].replace(b'Content-Type: text/plain; charset="utf-8"',
                                              b'Content-Type: text/html; charset="utf-8"')
    send(head + b"\n\n" + html.encode())
    case = store.load(created.reference)
    assert case is not None and case.status.value == "received"
    assert [e.event for e in case.timeline].count("noted") == 1
    assert not any(e.event in ("withdrawn", "closed") for e in case.timeline)


@pytest.mark.parametrize("hidden", [
    '<div style="display:none"><div>x</div>#withdraw</div>',  # the outside attack (issue 18)
    "<div hidden><p>unclosed<br><div><div>x</div></div>#withdraw</div>",
    '<div style="display:none"><!-- </div> -->#withdraw</div>',
    '<span style="mso-hide:all"><span></span>#withdraw</span>',
])
def test_a_command_hidden_in_nested_html_never_runs(
        hidden: str, send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """Given an HTML-only staff reply whose hidden element nests other elements, then nothing
    inside it runs: the skip ends at the hidden element's own end, not a child's."""
    created = send(mf.message(body="The fence is broken."))
    notice = letter_of(outbox, "staff_new_case")
    reply = mf.reply(notice, sender=SAM, body="x")
    head = reply.split(b"\n\n", 1)[0].replace(b'Content-Type: text/plain; charset="utf-8"',
                                              b'Content-Type: text/html; charset="utf-8"')
    send(head + b"\n\n" + (hidden + "<div>#note rang Jane</div>").encode())
    case = store.load(created.reference)
    assert case is not None and case.status.value == "received"
    assert not any(e.event in ("withdrawn", "closed") for e in case.timeline)
    assert [e.event for e in case.timeline].count("noted") == 1  # the visible command ran


def test_a_case_is_assigned_only_to_staff(send: Callable[..., Any], store: InMemoryStore,
                                          outbox: Outbox) -> None:
    created = send(mf.message())
    notice = letter_of(outbox, "staff_new_case")
    send(mf.reply(notice, sender=SAM, body="#assign bob@evil.example"))
    case = store.load(created.reference)
    assert case is not None and case.handler == ""
    assert any(e.event == "command refused" and "not a staff address" in e.detail
               for e in case.timeline)


def test_the_loop_guard_never_holds_a_letter_staff_asked_for(
        store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox, clock: StatutoryClock) -> None:
    config = dataclasses.replace(MAIL_CONFIG, team_address=TEAM, letters_per_hour=1)
    room = mailroom_for(store, raw_mail, outbox.sender, clock, config)

    def go(raw: bytes) -> Any:
        key = f"ses-{uuid.uuid4().hex[:12]}"
        raw_mail.put(raw_mail.key_for(key), raw)
        return room.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC)))

    created = go(mf.message())  # the receipt: 1 of 1 this hour
    notice = letter_of(outbox, "staff_new_case")
    go(mf.reply(notice, sender=SAM, body="#acknowledge\nDamp; wants it fixed."))
    go(mf.reply(notice, sender=SAM, body="#extend 2 waiting for a survey"))
    case = store.load(created.reference)
    assert case is not None
    assert {x.kind: x.status.value for x in case.letters.values()
            if x.to == "jane@example.org"} == {"receipt": "sent", "acknowledgement": "sent",
                                                "extension": "sent"}
    second = go(mf.message(subject="Another thing"))  # a second receipt is still held
    held = store.load(second.reference)
    assert held is not None and "letter-held" in held.flags


def test_mail_forged_from_a_staff_address_is_held_for_review_not_answered(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    forged = mf.message(sender=SAM, ses=mf.ses_headers("landlord.example", dmarc="fail"))
    outcome = send(forged)
    assert outcome.outcome == "quarantined" and "possibly forged" in outcome.reason
    assert kinds(outbox) == [("quarantine_notice", TEAM)]  # the team reads it; Sam gets nothing


CONCEALING = [  # an outside attack (issue 18): ways of hiding text no list of hidden marks has
    '<style>.h{display:none}</style><div class="h">#note HIDDEN</div>',
    '<div style="--x:none"><div style="display:var(--x)">#note HIDDEN</div></div>',
    '<div style="color:transparent">#note HIDDEN</div>',
    '<div style="font-size:1px">#note HIDDEN</div>',
    '<div style="color:#fff;background:#fff">#note HIDDEN</div>',
    '<div style="height:0;overflow:hidden">#note HIDDEN</div>',
    '<div style="position:absolute;left:-9999px">#note HIDDEN</div>',
    '<div style="clip:rect(0 0 0 0)">#note HIDDEN</div>',
    '<div style="transform:scale(0)">#note HIDDEN</div>',
    '<div style="text-indent:-9999px">#note HIDDEN</div>',
    '<svg width="0" height="0"><text>#note HIDDEN</text></svg>',
    '<font color="white">#note HIDDEN</font>',
    '<div/style="opacity:0.01">#note HIDDEN</div>',
]


@pytest.mark.parametrize("concealing", CONCEALING)
def test_an_html_only_staff_reply_that_could_hide_text_runs_and_sends_nothing(
        concealing: str, send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """Given an HTML-only staff reply whose styles can hide text (a class rule, a colour, a
    size, a position...), then none of its lines is run, visible or not, and nothing of it goes
    to the resident: the sender is told why and to send plain text."""
    created = send(mf.message(body="The fence is broken."))
    notice = letter_of(outbox, "staff_new_case")
    reply = mf.reply(notice, sender=SAM, body="x")
    head = reply.split(b"\n\n", 1)[0].replace(b'Content-Type: text/plain; charset="utf-8"',
                                              b'Content-Type: text/html; charset="utf-8"')
    before = len(outbox.letters())
    send(head + b"\n\n" + ("<div>#note visible</div>" + concealing + "<div>Body</div>").encode())
    case = store.load(created.reference)
    assert case is not None
    assert not [e for e in case.timeline if e.event == "noted"]
    assert any(e.event == "command refused" and "HTML only" in e.detail for e in case.timeline)
    sent = kinds(outbox)[before:]
    assert sent == [("command_result", "sam@landlord.example")]  # to Sam; nothing to Jane


def test_an_html_only_staff_reply_in_plain_styles_still_runs(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    """What mail clients write to lay text out (fonts, margins, a readable size) hides nothing:
    its commands run."""
    created = send(mf.message(body="The fence is broken."))
    notice = letter_of(outbox, "staff_new_case")
    reply = mf.reply(notice, sender=SAM, body="x")
    head = reply.split(b"\n\n", 1)[0].replace(b'Content-Type: text/plain; charset="utf-8"',
                                              b'Content-Type: text/html; charset="utf-8"')
    send(head + b"\n\n" + (b'<div style="font-family:Calibri;font-size:11pt;margin:0">'
                           b"#note rang Jane</div>"))
    case = store.load(created.reference)
    assert case is not None and [e.event for e in case.timeline].count("noted") == 1
