"""Staff words reach residents only as the handler wrote them (issue 20), on the in-memory ports.

Given a case and its staff notice, when a handler replies from a German Outlook with a greeting,
a sign-off, a signature and the quoted notice (a third party's address in its header block),
then the acknowledgement letter carries the complaint definition and nothing else of the reply.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
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
RESIDENT = "Priya Shah <priya.shah@example.org>"
DEFINITION = ("Mrs Shah complains that the black mould in her bedroom has come back three times "
              "since January, and that two repair appointments were missed. She wants the mould "
              "treated at its cause and the missed appointments put right.")


@pytest.fixture()
def send(store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
         clock: StatutoryClock) -> Callable[..., Any]:
    config = dataclasses.replace(MAIL_CONFIG, team_address=TEAM, letters_per_hour=1000)
    room: Mailroom = mailroom_for(store, raw_mail, outbox.sender, clock, config)

    def go(raw: bytes) -> Any:
        key = f"ses-{uuid.uuid4().hex[:12]}"
        raw_mail.put(raw_mail.key_for(key), raw)
        return room.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC)))
    return go


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def letter_of(outbox: Outbox, kind: str) -> bytes:
    [raw] = [r for r in outbox.letters() if f"X-Complaints-Letter: {kind}".encode() in r]
    return raw


def text(raw: bytes) -> str:
    body = parsed(raw).get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def test_a_german_outlook_acknowledgement_sends_only_the_definition(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    # given a case and the team's notice about it
    created = send(mf.message(sender=RESIDENT, body="The mould in my bedroom is back again."))
    notice = letter_of(outbox, "staff_new_case")
    assert "#acknowledge" in text(notice)  # the quoted notice carries # lines of its own
    # when the handler acknowledges from German Outlook, greeting and signing off
    own = (f"#acknowledge\n\nDear Mrs Shah,\n\n{DEFINITION}\n\nKind regards\nSam Officer\n"
           "Complaints Officer | Homes Plus\nTel: 0191 496 0000 | sam@landlord.example")
    outcome = send(mf.german_outlook_reply(notice, own))
    # then the acknowledgement is sent with the definition alone
    assert outcome.outcome == "appended"
    case = store.load(created.reference)
    assert case is not None and case.status.value == "acknowledged"
    assert case.definitions[case.stage] == DEFINITION
    ack = " ".join(text(letter_of(outbox, "acknowledgement")).split())
    assert DEFINITION in ack
    for not_the_handlers in ("bob.jones@neighbour.example", "Bob Jones", "Mrs Shah,",
                             "Kind regards", "Complaints Officer | Homes Plus",
                             "0191 496 0000", "Gesendet", "Betreff", TEAM, "#acknowledge"):
        assert not_the_handlers not in ack, not_the_handlers
    # the letter names Sam by the name he writes under (its own words, never his signature,
    # never a bare address), once as the handler and once above the sign-off
    assert "Sam Officer is dealing with your complaint" in ack
    assert ack.count("Sam Officer") == 2 and "sam@landlord.example" not in ack
    # and nothing quoted was run or reported as the handler's
    confirmation = text(letter_of(outbox, "command_result"))
    assert "not read as a command" not in confirmation
    assert not any(e.event == "command refused" for e in case.timeline)


def test_an_acknowledgement_of_courtesies_only_is_refused_with_the_reason(
        send: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    # given
    created = send(mf.message(sender=RESIDENT))
    notice = letter_of(outbox, "staff_new_case")
    # when the text below #acknowledge is only a greeting and a sign-off
    send(mf.german_outlook_reply(notice, "#acknowledge\n\nDear Mrs Shah,\n\nKind regards\nSam"))
    # then no empty letter: the command is refused, on the timeline and to the handler, saying why
    case = store.load(created.reference)
    assert case is not None and case.status.value == "received"
    assert [x.kind for x in case.letters.values()].count("acknowledgement") == 0
    [refused] = [e.detail for e in case.timeline if e.event == "command refused"]
    assert "only a greeting, sign-off or signature" in refused
    assert "only a greeting, sign-off or signature" in " ".join(
        text(letter_of(outbox, "command_result")).split())
