"""The service on its in-memory ports (adapters/memory.py): no Java, no SMTP server.

The same fixture names as tests/integration, so a test reads the same on either: `store` is an
InMemoryStore indexed for the sweep as the bootstrap does it, `raw_mail` an InMemoryRawMail,
`outbox` an InMemoryOutbox (the sender, keeping each letter's bytes as sent).
"""

from __future__ import annotations

import pytest

from complaints.adapters.memory import InMemoryOutbox, InMemoryRawMail, InMemoryStore
from complaints.domain.agenda import AgendaRules
from complaints.service.clock import StatutoryClock, waker


@pytest.fixture()
def store(clock: StatutoryClock) -> InMemoryStore:
    return InMemoryStore(wake=waker(clock, AgendaRules()))


@pytest.fixture()
def raw_mail() -> InMemoryRawMail:
    return InMemoryRawMail()


@pytest.fixture()
def outbox() -> InMemoryOutbox:
    return InMemoryOutbox()
