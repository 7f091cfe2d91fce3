"""Issue 20 through the local stack (real SMTP in, DynamoDB Local, the outbox read back): a
resident's follow-up reaches a person; staff words reach the resident only on purpose; #assign
hands over by email; a reply unhappy with a not-a-complaint decision opens a complaint.
"""

from __future__ import annotations

import email
import email.policy
import os
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests import mailfactory as mf
from tests.e2e.test_journeys import strip_ses
from tests.e2e.test_local_stack import Stack

pytestmark = pytest.mark.slow

TEAM = "complaints-team@landlord.example"
SAM, LEE = "sam@landlord.example", "lee@landlord.example"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("loop")
    env = dict(os.environ, COMPLAINTS_CACHE_DIR=str(data_dir / "cache"),
               COMPLAINTS_LETTERS_PER_HOUR="1000", POWERTOOLS_LOG_LEVEL="WARNING")
    running = Stack(data_dir, env)
    yield running
    if running.process.poll() is None:
        running.stop()


class Mailbox:
    """The outbox as one case's people see it."""

    def __init__(self, stack: Stack) -> None:
        self.stack, self.seen = stack, set[Path]()

    def new(self, reference: str = "") -> list[tuple[str, str, EmailMessage, bytes]]:
        out = []
        for path in sorted((self.stack.data_dir / "outbox").glob("*.eml")):
            if path in self.seen:
                continue
            raw = path.read_bytes()
            m = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(m, EmailMessage)
            if reference and reference not in str(m["Subject"]):
                continue
            self.seen.add(path)
            out.append((str(m["X-Complaints-Letter"]), str(m["To"].addresses[0].addr_spec), m, raw))
        return out


def body(m: EmailMessage) -> str:
    part = m.get_body(preferencelist=("plain",))
    assert part is not None
    return " ".join(str(part.get_content()).split())


def opened(stack: Stack, box: Mailbox, resident: str, subject: str) -> tuple[str, bytes, bytes]:
    """A new complaint: (reference, its receipt, the team's notice)."""
    stack.send(strip_ses(mf.message(sender=f"Jo <{resident}>", subject=subject)), sender=resident)
    got = {k: raw for k, _, _, raw in box.new()}
    receipt = got["receipt"]
    m = email.message_from_bytes(receipt, policy=email.policy.default)
    reference = str(m["Subject"]).split("]")[0].lstrip("[")
    return reference, receipt, got["staff_new_case"]


def staff(stack: Stack, to_letter: bytes, sender: str, text: str, reference: str) -> None:
    stack.send(strip_ses(mf.reply(to_letter, sender=f"Staff <{sender}>", body=text)),
               sender=sender, to=f"complaints+{reference}@landlord.example")


def test_residents_words_reach_a_person_and_staff_words_reach_them_only_on_purpose(
        stack: Stack) -> None:
    box = Mailbox(stack)
    resident = "jo.loop@example.org"
    reference, receipt, notice = opened(stack, box, resident, "Damp again")
    # a colleague's aside to the team's notice stays with staff
    staff(stack, notice, SAM, "I'll pick this one up - Sam", reference)
    got = box.new(reference)
    assert [k for k, _, _, _ in got] == ["command_result"]
    assert "NOT sent to the resident" in body(got[0][2])
    # the resident writes again: the team is told at once, with her words
    stack.send(strip_ses(mf.reply(receipt, sender=f"Jo <{resident}>",
                                  body="When is someone going to ring me?")),
               sender=resident, to=f"complaints+{reference}@landlord.example")
    [(kind, to, forward, raw)] = box.new(reference)
    assert (kind, to) == ("resident_wrote", TEAM)
    assert str(forward["Subject"]).startswith(f"[{reference}] Jo wrote: When is someone")
    # Sam answers the forward with no # lines: it goes to her
    staff(stack, raw, SAM, "I will ring you at 2pm today.", reference)
    kinds = {k: (to, m) for k, to, m, _ in box.new(reference)}
    assert kinds["resident_message"][0] == resident
    assert "I will ring you at 2pm today." in body(kinds["resident_message"][1])
    # Sam hands it to Lee, who is emailed the case
    staff(stack, notice, SAM, f"#assign {LEE}", reference)
    kinds = {k: (to, m) for k, to, m, _ in box.new(reference)}
    assert kinds["handover"][0] == LEE
    assert "Reminders and the resident's messages come to you" in body(kinds["handover"][1])
    # and the resident's next message goes to Lee
    stack.send(strip_ses(mf.reply(receipt, sender=f"Jo <{resident}>", body="Thanks.")),
               sender=resident, to=f"complaints+{reference}@landlord.example")
    assert [(k, to) for k, to, _, _ in box.new(reference)] == [("resident_wrote", LEE)]


def test_an_unhappy_reply_to_a_not_a_complaint_decision_opens_a_complaint(stack: Stack) -> None:
    box = Mailbox(stack)
    resident = "jo.tap@example.org"
    reference, _, notice = opened(stack, box, resident, "Dripping tap")
    staff(stack, notice, SAM, "#not-a-complaint booked as a repair for Tuesday", reference)
    [decision] = [raw for k, _, _, raw in box.new(reference) if k == "not_a_complaint"]
    stack.send(strip_ses(mf.reply(decision, sender=f"Jo <{resident}>",
                                  body="Nobody came and the tap still drips.")),
               sender=resident, to=f"complaints+{reference}@landlord.example")
    deadline = time.monotonic() + 30
    receipts: list[tuple[str, EmailMessage]] = []
    while time.monotonic() < deadline and not receipts:
        receipts = [(to, m) for k, to, m, _ in box.new() if k == "receipt"]
        time.sleep(0.2)
    [(to, receipt)] = receipts
    assert to == resident and reference not in str(receipt["Subject"])
    new_reference = str(receipt["Subject"]).split("]")[0].lstrip("[")
    shown = stack.cli("show", reference, "--json")
    assert any(new_reference in e["detail"] for e in shown["timeline"])
