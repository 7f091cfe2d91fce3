"""Where complaints are kept, as the lifecycle sees it: a port with two implementations.

`adapters.store.Store` is the DynamoDB one; `InMemoryCases` keeps cases in a dict with the same
optimistic lock, so the lifecycle is unit-tested without Java. The unit of work
(service/unit_of_work.py) is written against this protocol.
"""

from __future__ import annotations

import copy
import threading
from datetime import datetime
from typing import Any, Protocol

from complaints.adapters.store import ConcurrentUpdate, MessageRecord, StoreError
from complaints.domain.case import Complaint


class CaseRepository(Protocol):
    def load(self, reference: str) -> Complaint | None: ...

    def save(self, complaint: Complaint, messages: tuple[MessageRecord, ...] = (),
             inbound_key: str | None = None, outcome: str = "appended",
             letter_sent_to: tuple[tuple[str, datetime], ...] = ()) -> None: ...

    def create_case(self, complaint: Complaint, inbound_key: str, message: MessageRecord,
                    year: int, rng: Any = None) -> Complaint: ...


class InMemoryCases:
    """The repository for unit tests: copies in and out, versions checked like DynamoDB's."""

    def __init__(self) -> None:
        self._cases: dict[str, Complaint] = {}
        self._messages: dict[str, list[MessageRecord]] = {}
        self._inbound: set[str] = set()
        self._counter = 0
        self._lock = threading.Lock()

    def load(self, reference: str) -> Complaint | None:
        with self._lock:
            case = self._cases.get(reference)
            return copy.deepcopy(case) if case is not None else None

    def save(self, complaint: Complaint, messages: tuple[MessageRecord, ...] = (),
             inbound_key: str | None = None, outcome: str = "appended",
             letter_sent_to: tuple[tuple[str, datetime], ...] = ()) -> None:
        with self._lock:
            stored = self._cases.get(complaint.reference)
            if stored is None:
                raise StoreError(f"no complaint {complaint.reference}")
            if stored.version != complaint.version:
                raise ConcurrentUpdate(f"{complaint.reference} changed meanwhile")
            if inbound_key is not None and inbound_key in self._inbound:
                raise StoreError(f"{inbound_key} was handled before")
            complaint.version += 1
            complaint.saved_events = len(complaint.timeline)
            self._cases[complaint.reference] = copy.deepcopy(complaint)
            self._messages.setdefault(complaint.reference, []).extend(messages)
            if inbound_key is not None:
                self._inbound.add(inbound_key)

    def create_case(self, complaint: Complaint, inbound_key: str, message: MessageRecord,
                    year: int, rng: Any = None) -> Complaint:
        with self._lock:
            self._counter += 1
            complaint.reference = f"CMP-{year}-{self._counter:06d}"
            complaint.version = 1
            complaint.saved_events = len(complaint.timeline)
            self._cases[complaint.reference] = copy.deepcopy(complaint)
            self._messages[complaint.reference] = [message]
            self._inbound.add(inbound_key)
            return complaint

    def messages(self, reference: str) -> list[MessageRecord]:
        with self._lock:
            return list(self._messages.get(reference, []))
