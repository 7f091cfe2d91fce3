"""Reading the outbox as the people of a case see it: the letters of a kind, their text, who
they went to (the service tests of issue 20 share these)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from complaints.adapters.memory import InMemoryStore
from complaints.domain.case import Complaint
from tests.conftest import Outbox

TEAM = "complaints-team@landlord.example"
SAM = "Sam Officer <sam@landlord.example>"
JANE = "Jane Resident <jane@example.org>"


def parsed(raw: bytes) -> EmailMessage:
    m = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(m, EmailMessage)
    return m


def letters(outbox: Outbox, kind: str) -> list[EmailMessage]:
    return [parsed(r) for r in outbox.letters()
            if f"X-Complaints-Letter: {kind}\r\n".encode() in r]


def raw_of(outbox: Outbox, kind: str) -> bytes:
    [raw] = [r for r in outbox.letters() if f"X-Complaints-Letter: {kind}\r\n".encode() in r]
    return raw


def text(m: EmailMessage) -> str:
    body = m.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def to(m: EmailMessage) -> str:
    return str(m["To"].addresses[0].addr_spec)


def loaded(store: InMemoryStore, reference: str) -> Complaint:
    case = store.load(reference)
    assert case is not None
    return case
