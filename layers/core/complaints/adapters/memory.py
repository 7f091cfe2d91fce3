"""Every port in memory (service/ports.py): the store, raw mail and an outbox, for the service's
tests and for trying the service without Java.

`InMemoryStore` keeps what the DynamoDB store keeps, as the same JSON (the codec of
adapters/case_json.py), with the semantics the service relies on: the optimistic lock (a stale
version, or an event already stored, is a ConcurrentUpdate), the INBOUND marker written with
the change it records (a redelivery is a DuplicateDelivery, a quarantine of one is False), the
MSGID index of letters sent, notice tokens, once-marks claimed under a lease, the resident
register, rate counters summed over a sliding hour with plus-tags folded, the due, sender and
sweep indexes, the reports' month filing and conditional imports, and DynamoDB's limits of 100
items a transaction and 400 KB an item.
tests/integration/test_store_contract.py checks it against the real store.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from complaints.adapters.case_json import case_data, complaint_from_data, next_due
from complaints.adapters.dynamodb_filing import months
from complaints.adapters.dynamodb_schema import MAX_TRANSACTION_ITEMS, dumps, rate_key
from complaints.domain.case import Complaint, utc_text
from complaints.domain.record import CaseRecord, record_of
from complaints.mail.wire import as_sent
from complaints.service.records import (
    ConcurrentUpdate,
    DuplicateDelivery,
    MessageRecord,
    Quarantined,
    RawMailError,
    StoreError,
    UploadForm,
    claimable,
    claimed_mark,
    done_mark,
    stored_of,
)

_Filing = dict[tuple[str, str], str | None]  # (landlord, month) -> the record, or None: out
MAX_ITEM_BYTES = 400 * 1024  # DynamoDB's item size limit, names and values in UTF-8


class _Write:
    """One transaction's items, checked against DynamoDB's limits before anything is applied."""

    def __init__(self, what: str) -> None:
        self.what, self.items = what, 0

    def item(self, *parts: str) -> None:
        self.items += 1
        size = sum(len(p.encode()) for p in parts)
        if size > MAX_ITEM_BYTES:
            raise StoreError(f"{self.what} failed: Item size has exceeded the maximum allowed "
                             f"size ({size:,} bytes)")

    def check(self) -> None:
        if self.items > MAX_TRANSACTION_ITEMS:
            raise StoreError(f"a transaction of {self.items} items "
                             f"(DynamoDB takes {MAX_TRANSACTION_ITEMS})")


class InMemoryStore:
    """The complaints store in dicts, behind one lock (a transaction is one locked step)."""

    def __init__(self, wake: Callable[[Complaint], date | None] | None = None) -> None:
        self.wake = wake  # the sweep index's key, as the DynamoDB store is given it
        self._lock = threading.RLock()
        self._cases: dict[str, tuple[str, int]] = {}  # reference -> (case JSON, version)
        self._index: dict[str, dict[str, tuple[str, str]]] = {"due": {}, "sender": {}, "sweep": {}}
        self._events: dict[str, dict[int, str]] = {}
        self._messages: dict[str, dict[str, str]] = {}  # reference -> MSG sort key -> JSON
        self._counters: dict[str, int] = {}
        self._inbound: dict[str, dict[str, Any]] = {}
        self._letter_ids: dict[str, str] = {}  # Message-ID -> reference
        self._notices: dict[str, str] = {}  # NOTICE#token or MSGID#id -> quarantined key
        self._once: dict[str, str] = {}  # once-marks (the weekly digest) by key, as JSON
        self._quarantine: dict[str, str] = {}  # <at>#<key> -> JSON
        self._residents: dict[str, str] = {}
        self._rates: dict[tuple[str, str], int] = {}
        self._filed: dict[tuple[str, str], dict[str, str]] = {}  # (landlord, month) -> records

    # --- references and new cases ---------------------------------------------------------

    def create_case(self, complaint: Complaint, inbound_key: str, message: MessageRecord,
                    year: int, rng: Any = None) -> Complaint:
        with self._lock:
            if inbound_key in self._inbound:
                raise DuplicateDelivery(dict(self._inbound[inbound_key]))
            counter = f"{complaint.landlord}#{year}"
            number = self._counters.get(counter, 0) + 1
            complaint.reference = f"CMP-{year}-{number:06d}"
            write = _Write("creating a case")
            write.item("COUNTER")
            case = self._case(complaint, write)
            write.item("INBOUND")
            message_item = self._message(message, write)
            ids = self._new_letter_ids(complaint, write)
            write.check()
            self._counters[counter] = number
            self._apply(complaint, case, 1, message_items=(message_item,), ids=ids)
            self._inbound[inbound_key] = {"reference": complaint.reference, "outcome": "created"}
            return complaint

    # --- saving changes -------------------------------------------------------------------

    def save(self, complaint: Complaint, messages: tuple[MessageRecord, ...] = (),
             inbound_key: str | None = None, outcome: str = "appended") -> None:
        with self._lock:
            if inbound_key is not None and inbound_key in self._inbound:
                raise DuplicateDelivery(dict(self._inbound[inbound_key]))
            stored = self._cases.get(complaint.reference)
            events = self._events.get(complaint.reference, {})
            if (stored is None or stored[1] != stored_of(complaint).version or any(
                    i in events for i in range(stored_of(complaint).events, len(complaint.timeline)))):
                raise ConcurrentUpdate(f"{complaint.reference} changed meanwhile")
            write = _Write(f"saving {complaint.reference}")
            case = self._case(complaint, write)
            items = tuple(self._message(m, write) for m in messages)
            ids = self._new_letter_ids(complaint, write)
            if inbound_key is not None:
                write.item("INBOUND")
            write.check()
            self._apply(complaint, case, stored_of(complaint).version + 1, message_items=items, ids=ids)
            if inbound_key is not None:
                self._inbound[inbound_key] = {"reference": complaint.reference,
                                              "outcome": outcome}

    def _case(self, complaint: Complaint, write: _Write) -> tuple[str, str, _Filing]:
        """The case item's JSON, its record and filing changes, counted into ``write``."""
        record = dumps(record_of(complaint).to_data())
        data = dumps({**case_data(complaint), "indexed_record": record})
        write.item(f"CASE#{complaint.reference}", "CASE", data)
        filing = self._filing(complaint, record) if record != stored_of(complaint).record else {}
        write.items += len(filing)
        for index in range(stored_of(complaint).events, len(complaint.timeline)):
            write.item(dumps(complaint.timeline[index].to_json()))
        return data, record, filing

    def _message(self, message: MessageRecord, write: _Write) -> tuple[str, str]:
        data = dumps({
            "direction": message.direction, "key": message.key, "at": utc_text(message.at),
            "from": message.sender, "to": list(message.recipients), "subject": message.subject,
            "raw_key": message.raw_key, "message_id": message.message_id,
            "verdict": message.verdict, "text": message.text,
            "attachments": [{k: v for k, v in a.items() if k != "payload"}
                            for a in message.attachments]})
        sk = f"MSG#{utc_text(message.at)}#{message.key}"
        write.item(sk, data)
        return sk, data

    def _new_letter_ids(self, complaint: Complaint, write: _Write) -> list[str]:
        ids = sorted(m.strip() for m in complaint.sent_message_ids()
                     - stored_of(complaint).message_ids)
        write.items += len(ids)
        return ids

    def _apply(self, complaint: Complaint, case: tuple[str, str, _Filing], version: int,
               message_items: tuple[tuple[str, str], ...], ids: list[str]) -> None:
        data, record, filing = case
        reference = complaint.reference
        self._cases[reference] = (data, version)
        self._reindex(complaint)
        events = self._events.setdefault(reference, {})
        for index in range(stored_of(complaint).events, len(complaint.timeline)):
            events[index] = dumps(complaint.timeline[index].to_json())
        self._messages.setdefault(reference, {}).update(message_items)
        for message_id in ids:
            self._letter_ids[message_id] = reference
        self._file(reference, filing)
        stored_of(complaint).version = version
        stored_of(complaint).events = len(complaint.timeline)
        stored_of(complaint).message_ids = complaint.sent_message_ids()
        stored_of(complaint).record = record

    def _reindex(self, complaint: Complaint) -> None:
        reference, due = complaint.reference, next_due(complaint)
        keys: dict[str, tuple[str, str] | None] = {
            "due": (f"DUE#{complaint.landlord}", f"{due.isoformat()}#{reference}")
            if complaint.is_open and due is not None else None,
            "sender": (f"SENDER#{complaint.resident}",
                       f"{utc_text(complaint.received_at)}#{reference}"),
            "sweep": None}
        wake = self.wake(complaint) if self.wake is not None else None
        if wake is not None:
            keys["sweep"] = (f"SWEEP#{complaint.landlord}", f"{wake.isoformat()}#{reference}")
        for name, key in keys.items():
            if key is None:
                self._index[name].pop(reference, None)
            else:
                self._index[name][reference] = key

    def _query(self, index: str, pk: str, below: str) -> list[str]:
        with self._lock:
            hits = sorted((sk, ref) for ref, (p, sk) in self._index[index].items()
                          if p == pk and sk < below)
        return [ref for _, ref in hits]

    # --- the reports' filing --------------------------------------------------------------

    def _filing(self, complaint: Complaint, record: str) -> _Filing:
        new = months(record)
        old = months(stored_of(complaint).record) if stored_of(complaint).record else set()
        return {(complaint.landlord, month): record if month in new else None
                for month in sorted(new | old)}

    def _file(self, reference: str, filing: _Filing) -> None:
        for key, record in filing.items():
            bundle = self._filed.setdefault(key, {})
            if record is None:
                bundle.pop(reference, None)
            else:
                bundle[reference] = record

    def records(self, landlord: str, start: date, end: date) -> dict[str, CaseRecord]:
        found: dict[str, CaseRecord] = {}
        month = date(start.year, start.month, 1)
        with self._lock:
            while month <= end:
                for reference, record in self._filed.get((landlord, f"{month:%Y-%m}"), {}).items():
                    found.setdefault(reference, CaseRecord.from_data(json.loads(record)))
                month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        return found

    def put_imported(self, cases: list[Complaint]) -> dict[str, str]:
        """As the DynamoDB store: each case written only if still at the version read."""
        refused: dict[str, str] = {}
        with self._lock:
            for case in cases:
                stored = self._cases.get(case.reference)
                version = stored[1] if stored is not None else 0
                if version != stored_of(case).version:
                    refused[case.reference] = self._changed(case, stored)
                    continue
                write = _Write(f"importing {case.reference}")
                stored_of(case).events = 0  # the import writes its whole timeline
                item = self._case(case, write)
                write.check()
                self._apply(case, item, version + 1, message_items=(), ids=[])
        return refused

    @staticmethod
    def _changed(case: Complaint, stored: tuple[str, int] | None) -> str:
        if not stored_of(case).version:
            return (f"{case.reference} was created while the import ran "
                    "(by another import, or a live case): not overwritten")
        if stored is None:
            return f"{case.reference} is no longer stored: not written"
        events = int(json.loads(stored[0]).get("events", 0))
        return (f"{case.reference} changed while the import ran (version {stored[1]}, "
                f"{events} timeline event(s); the import read version {stored_of(case).version}): "
                "left as it is, not overwritten")

    def cases_now(self, references: list[str]) -> dict[str, Complaint]:
        found: dict[str, Complaint] = {}
        with self._lock:
            for reference in references:
                if reference in self._cases:
                    data, version = self._cases[reference]
                    d = json.loads(data)
                    case = complaint_from_data(d, [])
                    stored_of(case).version, stored_of(case).events = version, int(d.get("events", 0))
                    found[reference] = case
        return found

    # --- reading --------------------------------------------------------------------------

    def load(self, reference: str) -> Complaint | None:
        with self._lock:
            if reference not in self._cases:
                return None
            data, version = self._cases[reference]
            events = [json.loads(e) for _, e in sorted(self._events[reference].items())]
        case = complaint_from_data(json.loads(data), events)
        stored_of(case).version = version
        return case

    def messages(self, reference: str) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(d) for _, d in sorted(self._messages.get(reference, {}).items())]

    def attachments(self, reference: str) -> list[dict[str, Any]]:
        return [a for m in self.messages(reference) for a in m.get("attachments", [])]

    def inbound(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._inbound.get(key)
            return dict(found) if found is not None else None

    def reference_for_message_id(self, message_id: str) -> str | None:
        with self._lock:
            return self._letter_ids.get(message_id.strip())

    def record_notice(self, token: str, quarantine_key: str, message_ids: tuple[str, ...],
                      at: datetime) -> None:
        with self._lock:
            for key in (f"NOTICE#{token.lower()}", *(f"MSGID#{m.strip()}" for m in message_ids
                                                     if m)):
                self._notices[key] = quarantine_key

    def noticed(self, token: str | None = None, message_id: str | None = None) -> str | None:
        key = f"NOTICE#{token.lower()}" if token else f"MSGID#{(message_id or '').strip()}"
        with self._lock:
            return self._notices.get(key)

    # --- once-marks -----------------------------------------------------------------------

    def claim_once(self, key: str, claimant: str, at: datetime, lease: timedelta, tries: int,
                   data: dict[str, Any]) -> dict[str, Any] | None:
        with self._lock:  # read and write in one step, as the table's conditional put
            mark = self.once(key)
            if not claimable(mark, at, lease, tries):
                return None
            claimed = claimed_mark(mark, claimant, at, data)
            self._once[key] = dumps(claimed)
            return claimed

    def done_once(self, key: str, claimant: str, at: datetime, outcome: dict[str, Any]) -> bool:
        with self._lock:
            mark = self.once(key)
            if mark is None or mark["claimed_by"] != claimant:
                return False
            self._once[key] = dumps(done_mark(mark, at, outcome))
            return True

    def once(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._once.get(key)
        return dict(json.loads(found)) if found is not None else None

    def cases_for_sender(self, address: str) -> list[str]:
        return self._query("sender", f"SENDER#{address.lower()}", "\uffff")

    def due_before(self, landlord: str, before: date) -> list[str]:
        return self._query("due", f"DUE#{landlord}", before.isoformat())

    def due_for_sweep(self, landlord: str, today: date) -> Iterator[str]:
        yield from self._query("sweep", f"SWEEP#{landlord}",
                               (today + timedelta(days=1)).isoformat())

    def all_references(self) -> Iterator[str]:
        with self._lock:
            references = list(self._cases)
        yield from references

    # --- the resident register ------------------------------------------------------------

    def put_residents(self, residents: list[dict[str, Any]]) -> int:
        with self._lock:
            for row in residents:
                self._residents[row["email"]] = dumps(row)
        return len(residents)

    def resident(self, email: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._residents.get(email.lower())
        return dict(json.loads(row)) if row is not None else None

    # --- quarantine, rate limit -----------------------------------------------------------

    def quarantine(self, entry: Quarantined) -> bool:
        with self._lock:
            if entry.key in self._inbound:
                return False
            self._quarantine[f"{utc_text(entry.at)}#{entry.key}"] = dumps({
                "key": entry.key, "at": utc_text(entry.at), "reason": entry.reason,
                "raw_key": entry.raw_key, "from": entry.sender, "subject": entry.subject,
                "review": entry.review, **({"about": entry.about} if entry.about else {})})
            self._inbound[entry.key] = {"reference": None, "outcome": "quarantined",
                                        "reason": entry.reason}
            return True

    def quarantined(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(d) for _, d in sorted(self._quarantine.items())]

    def count_attempt(self, what: str, at: datetime) -> int:
        with self._lock:
            key = rate_key(what, at)
            self._rates[key] = self._rates.get(key, 0) + 1
            return self._rates[key] + self._counted(what, at, this_minute=False)

    def uncount_attempt(self, what: str, at: datetime) -> None:
        with self._lock:
            key = rate_key(what, at)
            self._rates[key] = self._rates.get(key, 0) - 1

    def sent_in_the_last_hour(self, address: str, at: datetime) -> int:
        with self._lock:
            return self._counted(address, at, this_minute=True)

    def _counted(self, address: str, at: datetime, this_minute: bool) -> int:
        pk, newest = rate_key(address, at if this_minute else at - timedelta(minutes=1))
        _, oldest = rate_key(address, at - timedelta(minutes=60))
        return sum(n for (p, sk), n in self._rates.items() if p == pk and oldest <= sk <= newest)


class InMemoryRawMail:
    """Raw mail in a dict: create-only puts, as the bucket and the directory."""

    def __init__(self, prefix: str = "inbound/", upload_url: str = "") -> None:
        self.prefix, self.upload_url = prefix, upload_url
        self.objects: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def key_for(self, message_id: str) -> str:
        return f"{self.prefix}{message_id}"

    def get(self, key: str) -> bytes:
        with self._lock:
            if key not in self.objects:
                raise RawMailError(f"{key[:200]}: NoSuchKey")
            return self.objects[key][0]

    def put(self, key: str, data: bytes, content_type: str = "message/rfc822") -> None:
        with self._lock:
            self.objects.setdefault(key, (bytes(data), content_type))

    def replace(self, key: str, data: bytes, content_type: str = "") -> None:
        """As S3 stores a browser's POST: a second file under one key replaces the first."""
        with self._lock:
            self.objects[key] = (bytes(data), content_type)

    def delete(self, key: str) -> None:
        with self._lock:
            self.objects.pop(key, None)

    def keys(self, prefix: str = "") -> list[str]:
        with self._lock:
            return sorted(k for k in self.objects if k.startswith(prefix))

    def upload_form(self, prefix: str, redirect: str, max_bytes: int,
                    expires: timedelta, now: datetime) -> UploadForm:
        if not self.upload_url:
            raise RawMailError("uploads need an upload address")
        return UploadForm(self.upload_url, {
            "key": prefix + "${filename}", "success_action_redirect": redirect,
            "expires": (now + expires).astimezone(UTC).isoformat(), "max_bytes": str(max_bytes)})


class InMemoryOutbox:
    """A sender that keeps each letter's bytes as the mail service would have had them."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self._lock = threading.Lock()

    @property
    def sender(self) -> InMemoryOutbox:
        return self

    def send(self, message: EmailMessage) -> str:
        data = as_sent(message)
        with self._lock:
            self.sent.append(data)
        return str(message["Message-ID"])

    def letters(self) -> list[bytes]:
        with self._lock:
            return list(self.sent)
