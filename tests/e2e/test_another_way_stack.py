"""End to end on the local stack (issue 20): a staff forward of a resident's email and a staff
log of a phone complaint, over real SMTP into DynamoDB Local, read back with the CLI and from
the outbox.

Given the stack running (its SES-style verdicts pass DMARC for landlord.example when the
envelope sender is on that domain), when Sam forwards Jane's email, or logs Jo's call, then the
case is the resident's, received when the landlord first had it, the receipt letter goes to the
resident (or is held, with a PDF for the post in the team's notice) and Sam is told.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from complaints.domain.calendar import LONDON
from tests import forwards as fw
from tests.e2e.test_local_stack import Stack, started

SAM = "sam@landlord.example"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = started(tmp_path_factory, "another-way")
    yield running
    running.stop()


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def text_of(m: EmailMessage) -> str:
    body = m.get_body(preferencelist=("plain",))
    assert body is not None
    return " ".join(str(body.get_content()).split())


def to(raw: bytes) -> str:
    return str(parsed(raw)["To"].addresses[0].addr_spec)


def test_a_forwarded_email_becomes_the_residents_case_from_its_date(stack: Stack) -> None:
    sent = (datetime.now(UTC) - timedelta(days=2)).astimezone(LONDON).replace(second=0,
                                                                              microsecond=0)
    raw = fw.staff_mail(text=fw.outlook_text("en-gb", date=f"{sent:%d %B %Y %H:%M}"),
                        subject="FW: Damp (forwarded e2e)", ses=False)
    stack.send(raw, sender=SAM)
    [case] = [c for c in stack.cli("list", "--json") if c["subject"] == fw.SUBJECT]
    shown = stack.cli("show", case["reference"], "--json")
    assert shown["resident"] == "jane@example.org" and shown["channel"] == (
        "email, forwarded by sam@landlord.example")
    assert datetime.fromisoformat(shown["received_at"]) == sent
    events = {e["event"]: e["detail"] for e in shown["timeline"]}
    assert events["forwarded by staff"].startswith(f"{SAM} forwarded the email jane@example.org")
    [receipt] = [r for r in stack.letters("receipt") if case["reference"].encode() in r]
    assert to(receipt) == "jane@example.org"
    assert f"{sent:%A} {sent.day} {sent:%B %Y}" in text_of(parsed(receipt))
    [confirmation] = [r for r in stack.letters("command_result")
                      if case["reference"].encode() in r]
    assert to(confirmation) == SAM and "forwarded complaint: done" in text_of(parsed(confirmation))


def test_a_logged_phone_complaint_without_email_is_printed_for_the_post(stack: Stack) -> None:
    called = (datetime.now(UTC) - timedelta(days=1)).astimezone(LONDON).date()
    raw = fw.logged(f"#complainant Jo Caller, 4 Elm Row, Newcastle NE1 4ST\n"
                    f"#received {called.isoformat()}\n#channel phone",
                    body="Jo rang: the front door lock has been broken for a month.",
                    subject="Phone complaint (logged e2e)", ses=False)
    stack.send(raw, sender=SAM)
    [case] = [c for c in stack.cli("list", "--json")
              if c["subject"] == "Phone complaint (logged e2e)"]
    shown = stack.cli("show", case["reference"], "--json")
    assert shown["resident"] == "" and shown["contact"]["address"] == "4 Elm Row, Newcastle NE1 4ST"
    assert shown["channel"] == "phone, logged by sam@landlord.example"
    assert shown["received_on"] == called.isoformat()
    assert "letter-held" in shown["flags"]
    [notice] = [parsed(r) for r in stack.letters("staff_new_case")
                if case["reference"].encode() in r]
    [pdf] = [p for p in notice.iter_attachments() if p.get_content_type() == "application/pdf"]
    data = pdf.get_content()
    assert data.startswith(b"%PDF") and b"(Jo Caller) Tj" in data and b"(4 Elm Row) Tj" in data
    [confirmation] = [parsed(r) for r in stack.letters("command_result")
                      if case["reference"].encode() in r]
    assert "#complainant: done" in text_of(confirmation)
    assert "a printable copy goes to the team to post" in text_of(confirmation)


def test_a_staff_log_dated_tomorrow_opens_nothing_and_says_why(stack: Stack) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).astimezone(LONDON).date()
    raw = fw.logged(f"#complainant Jane <jane@example.org>\n#received {tomorrow.isoformat()}",
                    subject="Tomorrow's complaint (e2e)", ses=False)
    stack.send(raw, sender=SAM)
    assert not [c for c in stack.cli("list", "--json")
                if c["subject"] == "Tomorrow's complaint (e2e)"]
    [notice] = [parsed(r) for r in stack.letters("not_opened") if b"Tomorrow's complaint" in r]
    assert str(notice["To"].addresses[0].addr_spec) == SAM
    assert "is in the future" in text_of(notice)
