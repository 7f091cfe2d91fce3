"""Changing a stored complaint: load, change, save, and on a conflict load and change again.

The optimistic-lock retry lives here and nowhere else. The caller drives it, so the unit of
work never calls back into the caller:

    for attempt in attempts(store, reference):
        if attempt.save(change(attempt.case)):
            break
    saved, change = attempt.case, attempt.change

``change`` must be safe to run again on a freshly loaded case (it reads the case it is given,
never one captured earlier).
"""

from __future__ import annotations

from collections.abc import Iterator
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
    extra: dict[str, Any] = field(default_factory=dict)  # whatever the caller hands back


class Attempt:
    """One try: change ``case`` (as loaded for this try), then ``save`` the change."""

    def __init__(self, store: Cases, case: Complaint) -> None:
        self._store, self.case = store, case
        self.change: Change | None = None
        self.done = False

    def save(self, change: Change | None) -> bool:
        """Write the change (None: nothing to write). True when done; False when someone else
        saved first, and the next attempt has the case as it is now stored."""
        self.change = change
        if change is not None:
            try:
                self._store.save(self.case, change.messages, inbound_key=change.inbound_key,
                                 outcome=change.outcome)
            except (ConcurrentUpdate, Contention):
                return False
        self.done = True
        return True


def attempts(store: Cases, reference: str, case: Complaint | None = None,
             rng: Any = None) -> Iterator[Attempt]:
    """Tries at changing the case, each on the case as stored (``case``: the first try's,
    already loaded); raises Contention when every try met a conflict."""
    for attempt in range(ATTEMPTS):
        if case is None:
            case = store.load(reference)
            if case is None:
                raise StoreError(f"no complaint {reference}")
        current = Attempt(store, case)
        yield current
        if current.done:
            return
        # someone else saved first, or DynamoDB refused a conflicting transaction: pause
        # (jittered, so concurrent writers spread out), reload, change what is stored
        case = None
        backoff(attempt, rng)
    raise Contention(f"{reference}: {ATTEMPTS} conflicting updates in a row")
