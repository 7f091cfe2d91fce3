"""Changing a stored complaint: load, apply, save, and on a conflict load and apply again.

The optimistic-lock retry lives here and nowhere else. ``apply`` must be safe to run again on a
freshly loaded case (it reads the case it is given, never one captured earlier).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from complaints.domain.case import Complaint
from complaints.service.ports import Cases
from complaints.service.records import (
    ConcurrentUpdate,
    Contention,
    MessageRecord,
    StoreError,
    backoff,
)

ATTEMPTS = 12  # 8 concurrent writers to one case all land well inside this


@dataclass
class Change:
    """What to write with the case, beside its new events."""

    messages: tuple[MessageRecord, ...] = ()
    inbound_key: str | None = None
    outcome: str = "appended"
    extra: dict[str, Any] = field(default_factory=dict)  # whatever apply wants to hand back


def change_case(store: Cases, reference: str, apply: Callable[[Complaint], Change | None],
                case: Complaint | None = None, rng: Any = None) -> tuple[Complaint, Change | None]:
    """Apply and save; returns the saved case and the change (None: nothing to write)."""
    for attempt in range(ATTEMPTS):
        if case is None:
            case = store.load(reference)
            if case is None:
                raise StoreError(f"no complaint {reference}")
        change = apply(case)
        if change is None:
            return case, None
        try:
            store.save(case, change.messages, inbound_key=change.inbound_key,
                       outcome=change.outcome)
            return case, change
        except (ConcurrentUpdate, Contention):
            # someone else saved first, or DynamoDB refused a conflicting transaction: pause
            # (jittered, so concurrent writers spread out), reload, apply to what is stored
            case = None
            backoff(attempt, rng)
    raise Contention(f"{reference}: {ATTEMPTS} conflicting updates in a row")
