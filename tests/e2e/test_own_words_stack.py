"""Staff words reach residents only as the handler wrote them (issue 20), through the local stack.

Given the stack running and a complaint in, when a handler acknowledges it by replying over SMTP
from a German Outlook (greeting, sign-off, signature, the notice quoted below a Von/Gesendet
block copying in a third party), then the acknowledgement in the outbox carries the
definition alone, and the case is acknowledged with nothing refused.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from tests import mailfactory as mf
from tests.e2e.test_local_stack import Stack, started

pytestmark = pytest.mark.slow

DEFINITION = ("Mrs Shah complains that the black mould in her bedroom has come back three times "
              "since January. She wants it treated at its cause.")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = started(tmp_path_factory, "own-words", COMPLAINTS_LETTERS_PER_HOUR="1000")
    yield running
    if running.process.poll() is None:
        running.stop()


def text_of(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return " ".join(str(body.get_content()).split())


def test_a_german_outlook_acknowledgement_sends_the_definition_alone(stack: Stack) -> None:
    # given a complaint, and the team's notice about it
    stack.send(mf.message(sender="Priya Shah <priya.shah@example.org>", subject="Mould is back",
                          body="The mould in my bedroom is back again.", ses=b""),
               sender="priya.shah@example.org")
    [case] = [c for c in stack.cli("list", "--json") if c["subject"] == "Mould is back"]
    reference = case["reference"]
    [notice] = [r for r in stack.letters("staff_new_case") if reference.encode() in r]
    # when the handler acknowledges from German Outlook
    own = (f"#acknowledge\n\nDear Mrs Shah,\n\n{DEFINITION}\n\nMit freundlichen Grüßen\n"
           "Sam Officer\nComplaints Officer | Homes Plus\nTel: 0191 496 0000")
    stack.send(mf.german_outlook_reply(notice, own, ses=b""), sender="sam@landlord.example",
               to=f"complaints+{reference}@landlord.example")
    # then the acknowledgement carries the definition and nothing else of the reply
    [ack] = [r for r in stack.letters("acknowledgement") if reference.encode() in r]
    letter = text_of(ack)
    assert DEFINITION in letter
    for not_the_handlers in ("bob.jones@neighbour.example", "Mrs Shah,", "Grüßen",
                             "Complaints Officer | Homes Plus", "0191 496 0000", "Gesendet",
                             "complaints-team@", "#acknowledge"):
        assert not_the_handlers not in letter, not_the_handlers
    # the letter names Sam by the name he writes under, in its own words, never his signature
    assert "Sam Officer is dealing with your complaint" in " ".join(letter.split())
    shown = stack.cli("show", reference, "--json")
    assert shown["status"] == "acknowledged"
    assert not any(e["event"] == "command refused" for e in shown["timeline"])
    assert [e["event"] for e in shown["timeline"]].count("acknowledged") == 1
