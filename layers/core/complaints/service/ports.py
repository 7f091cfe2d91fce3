"""What the service asks of the world, one narrow Protocol a job: cases, messages and markers,
once-marks, quarantine, registers and rate counters, raw mail, the sender.

Each service module asks only for what it uses (an intersection where it uses several). The
DynamoDB store (adapters/store.py), S3 or a directory (adapters/raw_mail.py) and SES or SMTP
(adapters/sender.py) implement them in production; adapters/memory.py implements every one in
memory, with the semantics the service relies on, so the service is tested without Java.
tests/integration/test_store_contract.py runs the same checks on both stores.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

from complaints.domain.case import Complaint
from complaints.domain.policy import Policy
from complaints.domain.record import CaseRecord
from complaints.domain.regime import Regime
from complaints.service.records import MessageRecord, Quarantined, UploadForm

# --- the rules: presets and regimes ----------------------------------------------------------


class Presets(Protocol):
    """The policy presets and the regimes they sit under (adapters/preset_files.py reads them
    from policies/ and regimes/, and from COMPLAINTS_POLICY_DIRS / COMPLAINTS_REGIME_DIRS)."""

    def get(self, policy_id: str) -> Policy: ...
    def all(self) -> list[Policy]: ...
    def regime_for(self, nation: str) -> Regime | None: ...


# --- the case store ---------------------------------------------------------------------------


class Cases(Protocol):
    """Complaints, saved under an optimistic lock with their new events and messages.

    ``save`` raises ConcurrentUpdate when the case changed since it was loaded, Contention when
    the same write may succeed after a pause, and DuplicateDelivery when ``inbound_key`` was
    handled before (the marker is written in the same write as the change it records)."""

    def load(self, reference: str) -> Complaint | None: ...

    def save(self, complaint: Complaint, messages: tuple[MessageRecord, ...] = (),
             inbound_key: str | None = None, outcome: str = "appended") -> None: ...

    def create_case(self, complaint: Complaint, inbound_key: str, message: MessageRecord,
                    year: int, rng: Any = None) -> Complaint: ...


class Messages(Protocol):
    """Each case's messages in and out, and the Message-IDs of the letters we sent."""

    def messages(self, reference: str) -> list[dict[str, Any]]: ...
    def reference_for_message_id(self, message_id: str) -> str | None: ...


class Markers(Protocol):
    """How an inbound message (or form post) was handled, by its idempotency key."""

    def inbound(self, key: str) -> dict[str, Any] | None: ...


class Once(Protocol):
    """Marks that make a job about no one case happen once (the weekly digest, per recipient),
    as ``Letter`` claims do for a case's letters: claimed under a lease, then done.

    ``claim_once`` answers the mark when ``claimant`` now holds it (a new one, with ``data``;
    or one whose claim is older than ``lease`` and not done, while it has had fewer than
    ``tries`` claims), else None; one claimant wins however many try at once. ``done_once`` is
    False when another claimant holds the mark now. A mark is
    {"claimed_by", "claimed_at", "claims", "done_at", "outcome", "data"}."""

    def claim_once(self, key: str, claimant: str, at: datetime, lease: timedelta, tries: int,
                   data: dict[str, Any]) -> dict[str, Any] | None: ...
    def done_once(self, key: str, claimant: str, at: datetime,
                  outcome: dict[str, Any]) -> bool: ...
    def once(self, key: str) -> dict[str, Any] | None: ...


class Notices(Protocol):
    """Quarantine notices sent to the team, by token or Message-ID: replies find the message."""

    def record_notice(self, token: str, quarantine_key: str, message_ids: tuple[str, ...],
                      at: datetime) -> None: ...
    def noticed(self, token: str | None = None, message_id: str | None = None) -> str | None: ...


class Quarantine(Protocol):
    """Messages that are not (yet) a case. ``quarantine`` is False for a redelivery."""

    def quarantine(self, entry: Quarantined) -> bool: ...
    def quarantined(self) -> list[dict[str, Any]]: ...


class Residents(Protocol):
    """The resident register: tenancy, home postcode and nation, keyed on email."""

    def resident(self, email: str) -> dict[str, Any] | None: ...
    def put_residents(self, residents: list[dict[str, Any]]) -> int: ...


class RateCounters(Protocol):
    """Counts per address (plus-tags folded) over a sliding hour: the loop guard, form posts."""

    def sent_in_the_last_hour(self, address: str, at: datetime) -> int: ...
    def count_attempt(self, what: str, at: datetime) -> int: ...
    def uncount_attempt(self, what: str, at: datetime) -> None: ...


class SweepIndex(Protocol):
    """The cases the deadline sweep has work on, on or before a day."""

    def due_for_sweep(self, landlord: str, today: date) -> Iterable[str]: ...


class CaseFinder(Protocol):
    """Finding cases for people and lists (the CLI, the tests)."""

    def cases_for_sender(self, address: str) -> list[str]: ...
    def due_before(self, landlord: str, before: date) -> list[str]: ...
    def all_references(self) -> Iterable[str]: ...


class ReportFiling(Protocol):
    """Each case's record, filed by the months its stages were received or answered."""

    def records(self, landlord: str, start: date, end: date) -> dict[str, CaseRecord]: ...
    def cases_now(self, references: list[str]) -> dict[str, Complaint]: ...


class Imports(Protocol):
    """Cases from a previous system: each written only if still as the import read it."""

    def cases_now(self, references: list[str]) -> dict[str, Complaint]: ...
    def put_imported(self, cases: list[Complaint]) -> dict[str, str]: ...


# --- what each service asks for ---------------------------------------------------------------


class PostStore(Cases, RateCounters, Protocol):
    """Post: letters recorded on cases, counted against the loop guard."""


class DigestStore(Once, CaseFinder, ReportFiling, Protocol):
    """The weekly digest: the open cases (the due index), this week's (the month filing), and
    its marks."""


class SweepStore(Cases, SweepIndex, Protocol):
    """The deadline sweep."""


class WebFormStore(Cases, Messages, Markers, RateCounters, Protocol):
    """The web form: a post's marker, its address's count, the case's files."""


class MailroomStore(Cases, Messages, Markers, Notices, Quarantine, Residents, RateCounters,
                    Protocol):
    """The mailroom: every outcome of a delivered message."""


class CaseStore(MailroomStore, SweepIndex, CaseFinder, ReportFiling, Imports, Once, Protocol):
    """Every port a complaints store offers (the DynamoDB store and the in-memory one)."""


# --- raw mail and the sender ------------------------------------------------------------------


class RawMail(Protocol):
    """Raw messages, attachments, letters as sent and uploads: create-only objects by key."""

    def key_for(self, message_id: str) -> str: ...
    def get(self, key: str) -> bytes: ...
    def put(self, key: str, data: bytes, content_type: str = "message/rfc822") -> None: ...
    def delete(self, key: str) -> None: ...
    def upload_form(self, prefix: str, redirect: str, max_bytes: int,
                    expires: timedelta, now: datetime) -> UploadForm: ...


class Sender(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Hand the letter over; return the Message-ID replies will carry."""
        ...
