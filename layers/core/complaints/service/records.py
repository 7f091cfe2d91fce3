"""What the service and its stores hand each other: message records, quarantine entries, the
store's errors, and the retry pause. No adapter here: the DynamoDB store (adapters/store.py)
and the in-memory one (adapters/memory.py) both speak these, and so does every service module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any


class StoreError(RuntimeError):
    """The store refused or lost a write; the caller may retry the whole step."""


class ConcurrentUpdate(StoreError):
    """Someone else saved the complaint first (optimistic lock): reload and apply again."""


class Contention(StoreError):
    """A conflicting transaction or throttling: the same write may succeed after a pause."""


class DuplicateDelivery(StoreError):
    """This inbound message was handled before; ``outcome`` says how."""

    def __init__(self, outcome: dict[str, Any]) -> None:
        super().__init__(f"already handled: {outcome}")
        self.outcome = outcome


class RawMailError(RuntimeError):
    """The raw message could not be read or written."""


class SendError(RuntimeError):
    """The letter was not accepted for delivery."""


@dataclass
class Stored:
    """A store's bookkeeping for one loaded case: what it last wrote, so the next save writes
    only what changed and only onto the version it read. Both stores keep it on the case
    (``Complaint.stored``), which carries it and never reads it."""

    version: int = 0  # the optimistic lock: 0 for a case not stored yet
    events: int = 0  # timeline events already written
    message_ids: set[str] = field(default_factory=set)  # letter Message-IDs indexed (MSGID)
    record: str = ""  # the report record (domain/record.py) as last filed on the month index


def stored_of(case: Any) -> Stored:
    """The case's bookkeeping (a fresh one for a case no store has seen)."""
    if case.stored is None:
        case.stored = Stored()
    return case.stored  # type: ignore[no-any-return]


def claimable(mark: dict[str, Any] | None, at: datetime, lease: timedelta, tries: int) -> bool:
    """Whether a once-mark (service/ports.Once) may be claimed at ``at``: there is none, or it
    is not done, its claim is older than the lease (its claimant died or failed), and it has
    had fewer than ``tries`` claims. Both stores decide by this, then write conditionally."""
    if mark is None:
        return True
    if mark.get("done_at"):
        return False
    claimed = datetime.fromisoformat(str(mark["claimed_at"]).replace("Z", "+00:00"))
    return claimed + lease <= at and int(mark.get("claims", 0)) < tries


def claimed_mark(mark: dict[str, Any] | None, claimant: str, at: datetime,
                 data: dict[str, Any]) -> dict[str, Any]:
    """The mark as ``claimant`` claims it (a mark taken over keeps its data)."""
    return {"claimed_by": claimant, "claimed_at": _utc(at),
            "claims": int(mark.get("claims", 0)) + 1 if mark else 1, "done_at": None,
            "outcome": {}, "data": dict(mark["data"]) if mark else dict(data)}


def done_mark(mark: dict[str, Any], at: datetime, outcome: dict[str, Any]) -> dict[str, Any]:
    return {**mark, "done_at": _utc(at), "outcome": dict(outcome)}


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class MessageRecord:
    direction: str  # "in" or "out"
    key: str  # idempotency key (inbound) or our message id (outbound)
    at: datetime
    sender: str
    recipients: tuple[str, ...]
    subject: str
    raw_key: str  # where the raw MIME is kept
    message_id: str
    verdict: str = ""
    attachments: tuple[dict[str, Any], ...] = ()
    text: str = ""  # the body text (bounded by the parser); the raw message keeps all


@dataclass(frozen=True)
class Quarantined:
    key: str
    at: datetime
    reason: str
    raw_key: str
    sender: str
    subject: str
    review: bool = False  # may be a person's complaint: staff are told
    about: str | None = None  # a reply to the notice about this quarantined message's key


@dataclass(frozen=True)
class UploadForm:
    """Where a browser posts a file straight into the store (no JavaScript: a plain form with
    these hidden fields, then the file), and the limits the store itself enforces."""

    url: str
    fields: dict[str, str]


def attachment_key(message_key: str, n: int, filename: str) -> str:
    """Where an attachment is kept: beside its raw message, so no second lookup finds it."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", filename)[:100] or "attachment"
    return f"{message_key}.attachments/{n:03d}-{safe}"


def backoff(attempt: int, rng: Any = None, base: float = 0.02, cap: float = 1.0) -> None:
    """Full-jitter exponential backoff: concurrent writers spread out instead of colliding."""
    import random
    import time

    time.sleep((rng or random).uniform(0, min(cap, base * 2 ** attempt)))
