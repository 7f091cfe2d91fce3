"""The complaints table: one DynamoDB table, PynamoDB models, the same code on DynamoDB Local.

Items (PK / SK):
  CASE#ref / CASE                   the complaint (optimistic lock on `version`)
  CASE#ref / EVENT#<n>              a timeline event (n = position, zero-padded)
  CASE#ref / MSG#<at>#<key>         a message in or out: raw-mail key, text, attachments listed
  COUNTER#landlord#year / COUNTER   the last reference number issued that year
  INBOUND#<key> / INBOUND           which case (or quarantine) a delivered message went to
  MSGID#<message-id> / MSGID        the case a letter we sent belongs to (replies, bounces)
  QUARANTINE / <at>#<key>           a message that is not (yet) a case, with the reason
  NOTICE#<token> / NOTICE           a quarantine notice sent to the team: the message it is about
  MSGID#<message-id> / NOTICE       the same, by the notice's Message-ID (replies to it)
  RESIDENT#<email> / RESIDENT       the resident register: tenancy, home postcode and nation
  RATE#<address> / MINUTE#<minute>  letters sent to one address (+tags one) in one minute (loop
                                    guard), counted in the transaction that records a letter as
                                    sent; form posts likewise. Summed over the last 60 minutes by
                                    one Query: a sliding hour, never a clock hour
GSI1 "due":    DUE#landlord / <next due date>#ref, only while a case is open (sparse).
GSI2 "sender": SENDER#address / <received_at>#ref, to find a resident's cases.
GSI3 "sweep":  SWEEP#landlord / <first day the sweep has work>#ref, keys only, only while
               there is work (sparse): the deadline sweep reads just the cases due today.
The Powertools idempotency records share the table under PK "IDEMPOTENCY".
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.operand import Path
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    KeysOnlyProjection,
)
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from complaints.domain.case import (
    Agreement,
    Breach,
    Complaint,
    Event,
    Extension,
    Letter,
    RemedyOffered,
    Status,
    iso_day,
    utc_text,
)
from complaints.domain.deadlines import StageDeadlines
from complaints.domain.record import CaseRecord, record_of
from complaints.service.records import (  # re-exported: the records this store speaks
    ConcurrentUpdate,
    Contention,
    DuplicateDelivery,
    MessageRecord,
    Quarantined,
    StoreError,
    backoff,
)

__all__ = ["ConcurrentUpdate", "Contention", "DuplicateDelivery", "MessageRecord", "Quarantined",
           "Store", "StoreError", "backoff"]
from complaints.mail.addresses import mailbox

_EVENT_WIDTH = 6


def _dumps(value: Any) -> str:
    """JSON as UTF-8 text: DynamoDB counts an item's size in UTF-8 bytes, and ``\\u00e9``
    escapes would store non-ASCII text six times over."""
    return json.dumps(value, ensure_ascii=False)

# DynamoDB refuses a transaction of more than 100 items; every write here stays well inside.
MAX_TRANSACTION_ITEMS = 100
_IMPORT_GROUP = 25  # imported cases a transaction: one refused, the rest are written again
# Whole-request failures that another try may get past (DynamoDB's own words).
_RETRYABLE = frozenset({"TransactionConflictException", "ThrottlingException",
                        "ProvisionedThroughputExceededException", "RequestLimitExceeded",
                        "TransactionInProgressException", "InternalServerError"})


class Store:
    """The store port, on DynamoDB (or DynamoDB Local when ``host`` is set)."""

    def __init__(self, table: str, region: str, host: str | None = None,
                 wake: Callable[[Complaint], date | None] | None = None) -> None:
        self.table, self.region, self.host = table, region, host
        # The first day the deadline sweep has work on a case (domain/agenda.py, bound to the
        # presets and calendars by the bootstrap); None leaves the sweep index empty.
        self.wake = wake
        if host:  # DynamoDB Local accepts any credentials but wants some
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        self._connection = Connection(region=region, host=host)
        self.Item, self.Case = _models(table, region, host)
        # The last reference number this process issued per landlord-year: a warm process
        # tries the next one without reading; the conditional write catches a stale guess.
        self._counters: dict[str, int] = {}

    # --- schema -------------------------------------------------------------------------

    def create_table(self) -> None:
        """For DynamoDB Local and tests; in AWS the table comes from template.yaml."""
        if not self.Item.exists():
            # the TTLAttribute makes PynamoDB enable TTL on `expiration` too: idempotency
            # records and rate counters expire on their own
            self.Item.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
        else:
            have = {i["IndexName"] for i in dict(self._connection.describe_table(
                self.table)).get("GlobalSecondaryIndexes", [])}
            if "sweep" not in have:
                # DynamoDB Local does not reliably finish adding an index to a table (it can
                # stay CREATING for good), so an older table is not altered in place.
                raise StoreError(
                    f"table {self.table} predates the sweep index. "
                    "Locally: move the data dir's db/ aside (its cases are test data) and "
                    "start again. In AWS, CloudFormation adds it from template.yaml.")

    # --- references and new cases --------------------------------------------------------

    def create_case(self, complaint: Complaint, inbound_key: str, message: MessageRecord,
                    year: int, rng: Any = None) -> Complaint:
        """Give the complaint the next reference and store it with its first message.

        One transaction bumps the year's counter (conditional on its old value), puts the case
        and its events, and marks the inbound message as handled: either all of it happens or
        none, so references have no gaps and a redelivery finds the case.
        """
        counter_pk = f"COUNTER#{complaint.landlord}#{year}"
        for attempt in range(25):
            current = self._counters.get(counter_pk)
            if current is None:
                current = self._counter(counter_pk)
            complaint.reference = f"CMP-{year}-{current + 1:06d}"
            try:
                with TransactWrite(connection=self._connection) as tx:
                    counter = self.Item(counter_pk, "COUNTER", n=current + 1)
                    condition = (self.Item.n == current) if current else self.Item.PK.does_not_exist()
                    tx.save(counter, condition=condition)
                    record = self._put_case(tx, complaint, new=True)
                    tx.save(self.Item(f"INBOUND#{inbound_key}", "INBOUND",
                                      data=_dumps({"reference": complaint.reference,
                                                       "outcome": "created"})),
                            condition=self.Item.PK.does_not_exist())
                    self._put_message(tx, complaint.reference, message)
                    self._put_letter_ids(tx, complaint)
                    _check_size(tx)
                self._counters[counter_pk] = current + 1
                complaint.version = 1
                complaint.saved_events = len(complaint.timeline)
                complaint.indexed_message_ids = complaint.sent_message_ids()
                complaint.indexed_record = record
                return complaint
            except TransactWriteError as exc:
                existing = self.inbound(inbound_key)
                if existing is not None:
                    raise DuplicateDelivery(existing) from None
                if _cancelled_by_condition(exc):
                    self._counters.pop(counter_pk, None)  # another case took it: read it again
                elif _retryable(exc):
                    backoff(attempt, rng)
                else:
                    raise StoreError(f"creating a case failed: {exc}") from exc
        raise Contention("could not allocate a reference after 25 attempts")

    def _counter(self, pk: str) -> int:
        try:
            return int(self.Item.get(pk, "COUNTER", consistent_read=True).n or 0)
        except DoesNotExist:
            return 0

    # --- saving changes -----------------------------------------------------------------

    def save(self, complaint: Complaint, messages: tuple[MessageRecord, ...] = (),
             inbound_key: str | None = None, outcome: str = "appended",
             letter_sent_to: tuple[tuple[str, datetime], ...] = ()) -> None:
        """Save the case (optimistic lock), its new events and messages, in one transaction.

        ``letter_sent_to`` ((address, when), ...) counts letters against the loop guard in the
        same transaction that records them as sent: the guard counts letters sent, not attempts.
        """
        try:
            with TransactWrite(connection=self._connection) as tx:
                record = self._put_case(tx, complaint, new=False)
                for message in messages:
                    self._put_message(tx, complaint.reference, message)
                self._put_letter_ids(tx, complaint)
                if inbound_key is not None:
                    tx.save(self.Item(f"INBOUND#{inbound_key}", "INBOUND",
                                      data=_dumps({"reference": complaint.reference,
                                                       "outcome": outcome})),
                            condition=self.Item.PK.does_not_exist())
                counts: dict[tuple[str, str], tuple[int, datetime]] = {}  # one update an item
                for address, at in letter_sent_to:
                    key = _rate_key(address, at)
                    counts[key] = (counts.get(key, (0, at))[0] + 1, at)
                for (pk, sk), (n, at) in counts.items():
                    tx.update(self.Item(pk, sk),
                              actions=[self.Item.n.add(n),
                                       self.Item.expiration.set(at + timedelta(days=2))])
                _check_size(tx)
        except TransactWriteError as exc:
            earlier = self.inbound(inbound_key) if inbound_key is not None else None
            if earlier is not None:
                raise DuplicateDelivery(earlier) from None
            if _cancelled_by_condition(exc):
                raise ConcurrentUpdate(f"{complaint.reference} changed meanwhile") from None
            if _retryable(exc):
                raise Contention(f"{complaint.reference}: {exc.cause_response_code}") from None
            raise StoreError(f"saving {complaint.reference} failed: {exc}") from exc
        complaint.version += 1
        complaint.saved_events = len(complaint.timeline)
        complaint.indexed_message_ids = complaint.sent_message_ids()
        complaint.indexed_record = record

    def _put_case(self, tx: TransactWrite, complaint: Complaint, new: bool) -> str:
        """Returns the record as filed on the month index (the caller keeps it once saved)."""
        item, record = self._case_item(complaint)
        if not new:
            item.version = complaint.version
        tx.save(item)
        if record != complaint.indexed_record:
            attribute = Path([f"r_{complaint.reference}"])
            for key, filed in self._filing(complaint, record).items():
                # n counts every change to a bundle item (an import's updates count too)
                tx.update(self.Item(*key), actions=[
                    attribute.set(filed) if filed is not None else attribute.remove(),
                    self.Item.n.add(1)])
        for index in range(complaint.saved_events, len(complaint.timeline)):
            tx.save(self._event_item(complaint, index), condition=self.Item.PK.does_not_exist())
        return record

    def _case_item(self, complaint: Complaint) -> tuple[Any, str]:
        record = _dumps(record_of(complaint).to_data())
        item = self.Case(f"CASE#{complaint.reference}", "CASE",
                         data=_dumps({**_case_data(complaint), "indexed_record": record}))
        due = _next_due(complaint)
        if complaint.is_open and due is not None:
            item.GSI1PK = f"DUE#{complaint.landlord}"
            item.GSI1SK = f"{due.isoformat()}#{complaint.reference}"
        item.GSI2PK = f"SENDER#{complaint.resident}"
        item.GSI2SK = f"{utc_text(complaint.received_at)}#{complaint.reference}"
        wake = self.wake(complaint) if self.wake is not None else None
        if wake is not None:
            item.GSI3PK = f"SWEEP#{complaint.landlord}"
            item.GSI3SK = f"{wake.isoformat()}#{complaint.reference}"
        return item, record

    def _event_item(self, complaint: Complaint, index: int) -> Any:
        return self.Item(f"CASE#{complaint.reference}", f"EVENT#{index:0{_EVENT_WIDTH}d}",
                         data=_dumps(complaint.timeline[index].to_json()))

    # --- the reports' filing: month bundles ---------------------------------------------------
    #
    # Each case's record (domain/record.py) is filed, as one attribute r_<reference>, in a
    # bundle item for every month in which one of its stages was received or answered:
    # PK REPORT#<landlord>#<YYYY-MM>, SK one of BUNDLE_SHARDS (by a hash of the reference). A
    # year's report is 12 Queries of a few dozen items, however many cases (a Query per item
    # would be ~170,000 items for 100,000 cases). A record that changes is rewritten in the
    # save that changes it (SET), and taken out of months it no longer touches (REMOVE).

    def _filing(self, complaint: Complaint, record: str) -> dict[tuple[str, str], str | None]:
        """Bundle key -> the record to file there, or None to take it out."""
        new = _months(record)
        old = _months(complaint.indexed_record) if complaint.indexed_record else set()
        shard = _shard(complaint.reference)
        return {(f"REPORT#{complaint.landlord}#{month}", shard): record if month in new else None
                for month in sorted(new | old)}

    def records(self, landlord: str, start: date, end: date) -> dict[str, CaseRecord]:
        """Every case with a stage received or answered in a month from ``start`` to ``end``
        (the caller filters by day): one Query per month, never a Scan."""
        found: dict[str, CaseRecord] = {}
        client = self._connection.client
        month = date(start.year, start.month, 1)
        while month <= end:
            request: dict[str, Any] = {
                "TableName": self.table, "KeyConditionExpression": "PK = :pk",
                "ExpressionAttributeValues": {":pk": {"S": f"REPORT#{landlord}#{month:%Y-%m}"}}}
            while True:
                page = client.query(**request)
                for item in page["Items"]:
                    for name, value in item.items():
                        if name.startswith("r_") and name[2:] not in found:
                            found[name[2:]] = CaseRecord.from_data(json.loads(value["S"]))
                if "LastEvaluatedKey" not in page:
                    break
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        return found

    def put_imported(self, cases: list[Complaint]) -> dict[str, str]:
        """Cases from a previous system, already checked (service/history.py), each written
        only if it is still as the import read it: ``case.version`` is the version read (0: no
        case then, so none may exist now). A case changed meanwhile (staff worked on it, the
        sweep saved it, another import wrote it) is left as it is and returned, reference ->
        why: never overwritten. Each case is one conditional put with its timeline event and
        its record's filing in the month bundles (SET/REMOVE of its own attribute), in one
        transaction, so the bundles always say what the case item says. A few cases share a
        transaction; when one is refused, the others are written without it. Safe to run
        again after a crash: a case written has its new version and is still an untouched
        imported case."""
        items = {case.reference: self._case_item(case) for case in cases}
        refused: dict[str, str] = {}
        group: list[Complaint] = []
        puts, keys = 0, set[tuple[str, str]]()  # a transaction's case and event items, bundles
        for case in cases:
            filing = set(self._filing(case, items[case.reference][1]))
            if group and (len(group) >= _IMPORT_GROUP or puts + 1 + len(case.timeline) + len(
                    keys | filing) > MAX_TRANSACTION_ITEMS):
                refused |= self._put_imported_group(group, items)
                group, puts, keys = [], 0, set()
            group.append(case)
            puts, keys = puts + 1 + len(case.timeline), keys | filing
        if group:
            refused |= self._put_imported_group(group, items)
        return refused

    def _put_imported_group(self, cases: list[Complaint],
                            items: dict[str, tuple[Any, str]]) -> dict[str, str]:
        refused: dict[str, str] = {}
        for attempt in range(25):
            if not cases:
                return refused
            try:
                with TransactWrite(connection=self._connection) as tx:
                    bundles: dict[tuple[str, str], list[Any]] = defaultdict(list)
                    for case in cases:
                        item, record = items[case.reference]
                        if case.version:  # the condition: still the version read ...
                            item.version = case.version
                        tx.save(item)  # ... or, unset, no case item at all
                        for index in range(len(case.timeline)):
                            tx.save(self._event_item(case, index))
                        if record != case.indexed_record:
                            attribute = Path([f"r_{case.reference}"])
                            for key, filed in self._filing(case, record).items():
                                bundles[key].append(attribute.set(filed) if filed is not None
                                                    else attribute.remove())
                    for key, actions in sorted(bundles.items()):
                        # n counts every change, as a live save's update does
                        tx.update(self.Item(*key), actions=[*actions, self.Item.n.add(1)])
                    _check_size(tx)
            except TransactWriteError as exc:
                if _cancelled_by_condition(exc):
                    changed = self._changed_since_read(cases)
                    if not changed:
                        backoff(attempt)
                    refused |= changed
                    cases = [c for c in cases if c.reference not in changed]
                elif _retryable(exc):
                    backoff(attempt)
                else:
                    raise StoreError(f"importing {len(cases)} case(s) failed: {exc}") from exc
                continue
            for case in cases:
                case.version += 1
                case.saved_events = len(case.timeline)
                case.indexed_record = items[case.reference][1]
            return refused
        raise Contention(f"importing {len(cases)} case(s): refused 25 times in a row")

    def _changed_since_read(self, cases: list[Complaint]) -> dict[str, str]:
        """Which of ``cases`` are no longer as the import read them, and how (consistent)."""
        now = {item.PK.removeprefix("CASE#"): item for item in self.Case.batch_get(
            [(f"CASE#{c.reference}", "CASE") for c in cases], consistent_read=True)}
        changed: dict[str, str] = {}
        for case in cases:
            item = now.get(case.reference)
            version = int(item.version or 0) if item is not None else 0
            if version == case.version:
                continue
            if not case.version:
                changed[case.reference] = (f"{case.reference} was created while the import ran "
                                           "(by another import, or a live case): not overwritten")
            elif item is None:
                changed[case.reference] = f"{case.reference} is no longer stored: not written"
            else:
                events = int(json.loads(item.data).get("events", 0))
                changed[case.reference] = (
                    f"{case.reference} changed while the import ran (version {version}, "
                    f"{events} timeline event(s); the import read version {case.version}): "
                    "left as it is, not overwritten")
        return changed

    def cases_now(self, references: list[str]) -> dict[str, Complaint]:
        """The stored cases among ``references`` (BatchGet, 100 a request), without their
        timelines: what an import must not overwrite."""
        found: dict[str, Complaint] = {}
        keys = [(f"CASE#{r}", "CASE") for r in references]
        for item in self.Case.batch_get(keys):
            d = json.loads(item.data)
            case = _complaint(d, [])
            case.version = int(item.version or 0)
            case.saved_events = int(d.get("events", 0))
            found[case.reference] = case
        return found

    def _put_message(self, tx: TransactWrite, reference: str, message: MessageRecord) -> None:
        """One item per message, whatever it carries: attachments are listed inside it (at
        most 50, a few hundred bytes each) and stored as objects beside the raw message."""
        data = {
            "direction": message.direction, "key": message.key, "at": utc_text(message.at),
            "from": message.sender, "to": list(message.recipients), "subject": message.subject,
            "raw_key": message.raw_key, "message_id": message.message_id,
            "verdict": message.verdict, "text": message.text,
            "attachments": [{k: v for k, v in a.items() if k != "payload"}
                            for a in message.attachments],
        }
        sk = f"MSG#{utc_text(message.at)}#{message.key}"
        tx.save(self.Item(f"CASE#{reference}", sk, data=_dumps(data)))

    def _put_letter_ids(self, tx: TransactWrite, complaint: Complaint) -> None:
        """MSGID items for letter Message-IDs not yet indexed: replies and bounces find the
        case by them. Written once per id (the case remembers which it has indexed)."""
        for message_id in sorted(complaint.sent_message_ids() - complaint.indexed_message_ids):
            tx.save(self.Item(f"MSGID#{message_id.strip()}", "MSGID",
                              data=_dumps({"reference": complaint.reference})))

    # --- reading ------------------------------------------------------------------------

    def load(self, reference: str) -> Complaint | None:
        try:
            case = self.Case.get(f"CASE#{reference}", "CASE", consistent_read=True)
        except DoesNotExist:
            return None
        events = [
            json.loads(item.data)
            for item in self.Item.query(f"CASE#{reference}", self.Item.SK.startswith("EVENT#"),
                                        consistent_read=True)
        ]
        complaint = _complaint(json.loads(case.data), events)
        complaint.version = int(case.version or 0)
        return complaint

    def messages(self, reference: str) -> list[dict[str, Any]]:
        return [json.loads(item.data) for item in self.Item.query(
            f"CASE#{reference}", self.Item.SK.startswith("MSG#"), consistent_read=True)]

    def attachments(self, reference: str) -> list[dict[str, Any]]:
        return [a for m in self.messages(reference) for a in m.get("attachments", [])]

    def inbound(self, key: str) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self.Item.get(f"INBOUND#{key}", "INBOUND",
                                                 consistent_read=True).data))
        except DoesNotExist:
            return None

    def reference_for_message_id(self, message_id: str) -> str | None:
        try:
            item = self.Item.get(f"MSGID#{message_id.strip()}", "MSGID")
            return str(json.loads(item.data)["reference"])
        except DoesNotExist:
            return None

    def record_notice(self, token: str, quarantine_key: str, message_ids: tuple[str, ...],
                      at: datetime) -> None:
        """A quarantine notice sent to the team: its token (in its subject and Reply-To) and
        its Message-IDs (ours, and the one SES gave it) name the quarantined message, so that a
        reply to the notice is kept with that message and never threaded to a case."""
        data = _dumps({"quarantine": quarantine_key, "at": utc_text(at)})
        for pk in (f"NOTICE#{token.lower()}", *(f"MSGID#{m.strip()}" for m in message_ids if m)):
            self.Item(pk, "NOTICE", data=data).save()

    def noticed(self, token: str | None = None, message_id: str | None = None) -> str | None:
        """The quarantined message's key a notice's token or Message-ID names, or None."""
        pk = f"NOTICE#{token.lower()}" if token else f"MSGID#{(message_id or '').strip()}"
        try:
            return str(json.loads(self.Item.get(pk, "NOTICE", consistent_read=True).data)[
                "quarantine"])
        except DoesNotExist:
            return None

    def cases_for_sender(self, address: str) -> list[str]:
        return [item.PK.removeprefix("CASE#")
                for item in self.Case.by_sender.query(f"SENDER#{address.lower()}")]

    def due_before(self, landlord: str, before: date) -> list[str]:
        """Open cases whose next deadline is before ``before``: a Query, never a Scan."""
        return [item.PK.removeprefix("CASE#") for item in self.Case.by_due.query(
            f"DUE#{landlord}", before.isoformat() > self.Case.GSI1SK)]

    def due_for_sweep(self, landlord: str, today: date) -> Iterator[str]:
        """Cases with sweep work on or before ``today``: a Query of a keys-only index."""
        before = (today + timedelta(days=1)).isoformat()
        for item in self.Item.by_sweep.query(f"SWEEP#{landlord}", before > self.Item.GSI3SK):
            yield item.PK.removeprefix("CASE#")

    def all_references(self) -> Iterator[str]:
        """Every case (a Scan: for `complaints list` without --due-before, not for the sweep)."""
        for item in self.Case.scan(filter_condition=self.Case.SK == "CASE"):
            yield item.PK.removeprefix("CASE#")

    # --- the resident register ----------------------------------------------------------

    def put_residents(self, residents: list[dict[str, Any]]) -> int:
        """Load or update register rows (keyed on email); the caller validated every row."""
        with self.Item.batch_write() as batch:
            for row in residents:
                batch.save(self.Item(f"RESIDENT#{row['email']}", "RESIDENT", data=_dumps(row)))
        return len(residents)

    def resident(self, email: str) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self.Item.get(f"RESIDENT#{email.lower()}", "RESIDENT").data))
        except DoesNotExist:
            return None

    # --- quarantine, rate limit -----------------------------------------------------------

    def quarantine(self, entry: Quarantined) -> bool:
        """Keep a message that is not a case; False if this delivery was already handled."""
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(self.Item("QUARANTINE", f"{utc_text(entry.at)}#{entry.key}",
                                  data=_dumps({"key": entry.key, "at": utc_text(entry.at),
                                                   "reason": entry.reason,
                                                   "raw_key": entry.raw_key,
                                                   "from": entry.sender,
                                                   "subject": entry.subject,
                                                   "review": entry.review,
                                                   **({"about": entry.about}
                                                      if entry.about else {})})))
                tx.save(self.Item(f"INBOUND#{entry.key}", "INBOUND",
                                  data=_dumps({"reference": None, "outcome": "quarantined",
                                                   "reason": entry.reason})),
                        condition=self.Item.PK.does_not_exist())
        except TransactWriteError as exc:
            if self.inbound(entry.key) is not None:
                return False
            raise StoreError(f"quarantining {entry.key} failed: {exc}") from exc
        return True

    def quarantined(self) -> list[dict[str, Any]]:
        return [json.loads(item.data) for item in self.Item.query("QUARANTINE")]

    def count_attempt(self, what: str, at: datetime) -> int:
        """Count one attempt at ``what`` (e.g. a form post from one address) at ``at`` and
        return the attempts in the hour to ``at``, this one included: this minute's count as the
        atomic update returned it (so of posts made at once each gets its own place, and only as
        many as the limit see a count within it) plus the 60 minutes before, read."""
        pk, sk = _rate_key(what, at)
        item = self.Item(pk, sk)
        item.update(actions=[self.Item.n.add(1), self.Item.expiration.set(at + timedelta(days=2))])
        return int(item.n or 0) + self._counted(what, at, this_minute=False)

    def uncount_attempt(self, what: str, at: datetime) -> None:
        """Take back one attempt counted at ``at`` (one refused after counting)."""
        pk, sk = _rate_key(what, at)
        self.Item(pk, sk).update(actions=[self.Item.n.add(-1)])

    def count_recent_attempt(self, what: str, at: datetime) -> int:
        """Count one attempt at ``what`` and return the attempts in the 60 minutes to ``at``."""
        return self.count_attempt(what, at)

    def sent_in_the_last_hour(self, address: str, at: datetime) -> int:
        """Letters (or attempts) counted for ``address`` in the 60 minutes up to ``at``: a
        sliding hour, so ten letters between :59:40 and :00:00 are ten, not two hours' worth of
        five (a read, no write)."""
        return self._counted(address, at, this_minute=True)

    def _counted(self, address: str, at: datetime, this_minute: bool) -> int:
        """The minute ``at`` falls in (or not) and the 60 before it, summed in one Query of at
        most 61 items: the window is never shorter than an hour (up to a minute longer), erring
        on the side of holding a letter."""
        pk, newest = _rate_key(address, at if this_minute else at - timedelta(minutes=1))
        _, oldest = _rate_key(address, at - timedelta(minutes=60))
        return sum(int(item.n or 0) for item in self.Item.query(
            pk, self.Item.SK.between(oldest, newest), consistent_read=True))


def _cancelled_by_condition(exc: TransactWriteError) -> bool:
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return any(r is not None and getattr(r, "code", "") == "ConditionalCheckFailed" for r in reasons)


def _retryable(exc: TransactWriteError) -> bool:
    """A conflict, throttling, or no answer at all (the connection failed: the store may be
    restarting). Only a refusal with a reason is for good: a message is never quarantined as
    unstorable because the store was briefly away."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    codes = {getattr(r, "code", "") for r in reasons if r is not None}
    unanswered = exc.cause_response_code is None and not reasons
    return unanswered or bool(codes & {"TransactionConflict", "ThrottlingError",
                                       "ProvisionedThroughputExceeded"}) or (
        exc.cause_response_code in _RETRYABLE)


def _rate_key(what: str, at: datetime) -> tuple[str, str]:
    # One mailbox however it is tagged, so the loop guard (and whoever types a stranger's
    # address into the form) counts jo+1@ and jo+2@ together.
    return f"RATE#{mailbox(what)}", f"MINUTE#{at.astimezone(UTC).strftime('%Y%m%d%H%M')}"


def _check_size(tx: TransactWrite) -> None:
    items = len(getattr(tx, "_put_items", [])) + len(getattr(tx, "_update_items", [])) + len(
        getattr(tx, "_condition_check_items", [])) + len(getattr(tx, "_delete_items", []))
    if items > MAX_TRANSACTION_ITEMS:
        raise StoreError(f"a transaction of {items} items (DynamoDB takes {MAX_TRANSACTION_ITEMS})")


def _models(table: str, region: str, host: str | None) -> tuple[Any, Any]:
    """Model classes bound to one table (PynamoDB reads Meta when a class is created)."""

    class ByDue(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
        class Meta:
            index_name = "due"
            projection = AllProjection()

        GSI1PK = UnicodeAttribute(hash_key=True)
        GSI1SK = UnicodeAttribute(range_key=True)

    class BySender(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
        class Meta:
            index_name = "sender"
            projection = AllProjection()

        GSI2PK = UnicodeAttribute(hash_key=True)
        GSI2SK = UnicodeAttribute(range_key=True)

    class BySweep(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
        class Meta:
            index_name = "sweep"
            projection = KeysOnlyProjection()

        GSI3PK = UnicodeAttribute(hash_key=True)
        GSI3SK = UnicodeAttribute(range_key=True)

    meta = {"table_name": table, "region": region, "host": host,
            "billing_mode": "PAY_PER_REQUEST"}

    class Item(Model):
        Meta = type("Meta", (), dict(meta))  # type: ignore[assignment]

        PK = UnicodeAttribute(hash_key=True)
        SK = UnicodeAttribute(range_key=True)
        data = UnicodeAttribute(null=True)
        n = NumberAttribute(null=True)
        expiration = TTLAttribute(null=True)
        GSI1PK = UnicodeAttribute(null=True)
        GSI1SK = UnicodeAttribute(null=True)
        GSI2PK = UnicodeAttribute(null=True)
        GSI2SK = UnicodeAttribute(null=True)
        GSI3PK = UnicodeAttribute(null=True)
        GSI3SK = UnicodeAttribute(null=True)
        by_due = ByDue()
        by_sender = BySender()
        by_sweep = BySweep()

    class CaseItem(Item):
        # Only the complaint is versioned: other items have their own conditions.
        Meta = type("Meta", (), dict(meta))

        version = VersionAttribute()

    return Item, CaseItem


# --- (de)serialising the aggregate ---------------------------------------------------------


def _case_data(c: Complaint) -> dict[str, Any]:
    return {
        "reference": c.reference, "landlord": c.landlord, "policy": c.policy, "nation": c.nation,
        "resident": c.resident, "resident_name": c.resident_name, "subject": c.subject,
        "received_at": utc_text(c.received_at), "received_on": c.received_on.isoformat(),
        "source_message": c.source_message, "stage": c.stage, "status": c.status.value,
        "deadlines": c.deadlines.to_json() if c.deadlines else None,
        "deadlines_acknowledged": iso_day(c.deadlines.acknowledged) if c.deadlines else None,
        "stage_received_on": iso_day(c.stage_received_on),
        "acknowledged_on": iso_day(c.acknowledged_on),
        "parties": sorted(c.parties), "flags": sorted(c.flags),
        "tenancy_reference": c.tenancy_reference, "support_needs": c.support_needs,
        "letters": {k: v.to_json() for k, v in sorted(c.letters.items())},
        "breaches": [b.to_json() for b in c.breaches],
        "handler": c.handler, "stage_handlers": {str(k): v for k, v in c.stage_handlers.items()},
        "definitions": {str(k): v for k, v in c.definitions.items()},
        "outcomes": {str(k): v for k, v in c.outcomes.items()},
        "responded_on": {str(k): v.isoformat() for k, v in c.responded_on.items()},
        "remedies": [r.to_json() for r in c.remedies],
        "extensions": [x.to_json() for x in c.extensions],
        "agreements": {str(k): [a.value for a in v] for k, v in c.agreements.items()},
        "extended_to": iso_day(c.extended_to), "disposition": c.disposition,
        "indexed_message_ids": sorted(c.sent_message_ids()), "sweep_done": sorted(c.sweep_done),
        **c.particulars(),
        "events": len(c.timeline),  # an import may overwrite only a case nobody has touched
    }


def _complaint(d: dict[str, Any], events: list[dict[str, str]]) -> Complaint:
    deadlines = None
    if d.get("deadlines"):
        x = d["deadlines"]
        deadlines = StageDeadlines(
            policy=x["policy"], stage=x["stage"], nation=x["nation"],
            received=date.fromisoformat(x["received"]), day_one=date.fromisoformat(x["day_one"]),
            acknowledge_by=_date(x["acknowledge_by"]), respond_by=date.fromisoformat(x["respond_by"]),
            respond_by_extended=_date(x["respond_by_extended"]), provisional=x["provisional"],
            acknowledged=_date(d.get("deadlines_acknowledged")),
        )
    complaint = Complaint(
        reference=d["reference"], landlord=d["landlord"], policy=d["policy"], nation=d["nation"],
        resident=d["resident"], resident_name=d["resident_name"], subject=d["subject"],
        received_at=datetime.fromisoformat(d["received_at"]),
        received_on=date.fromisoformat(d["received_on"]), source_message=d["source_message"],
        stage=d["stage"], status=Status(d["status"]), deadlines=deadlines,
        stage_received_on=_date(d.get("stage_received_on")),
        acknowledged_on=_date(d.get("acknowledged_on")),
        parties=set(d["parties"]), flags=set(d["flags"]),
        tenancy_reference=d.get("tenancy_reference"), support_needs=d.get("support_needs", ""),
        letters={k: Letter.from_json(v) for k, v in d["letters"].items()},
        breaches=[Breach.from_json(b) for b in d.get("breaches", [])],
        handler=d.get("handler", ""),
        stage_handlers={int(k): v for k, v in d.get("stage_handlers", {}).items()},
        definitions={int(k): v for k, v in d.get("definitions", {}).items()},
        outcomes={int(k): v for k, v in d.get("outcomes", {}).items()},
        responded_on={int(k): date.fromisoformat(v) for k, v in d.get("responded_on", {}).items()},
        remedies=[RemedyOffered.from_json(r) for r in d.get("remedies", [])],
        extensions=[Extension.from_json(x) for x in d.get("extensions", [])],
        agreements={int(k): [Agreement(a) for a in v] for k, v in d.get("agreements", {}).items()},
        extended_to=_date(d.get("extended_to")), disposition=d.get("disposition", ""),
        sweep_done=set(d.get("sweep_done", [])),
        channel=d.get("channel", "email"), contact=dict(d.get("contact", {})),
        home=dict(d.get("home", {})), outcome_sought=d.get("outcome_sought", ""),
        representative=dict(d.get("representative", {})), anonymous=d.get("anonymous", False),
        acknowledgements={int(k): date.fromisoformat(v)
                          for k, v in d.get("acknowledgements", {}).items()},
        refused_on=_date(d.get("refused_on")), refusal_reason=d.get("refusal_reason", ""),
        closed_on=_date(d.get("closed_on")),
        compensation={int(k): float(v) for k, v in d.get("compensation", {}).items()},
        category=d.get("category", ""), tenure=d.get("tenure", ""),
        imported=d.get("imported", False),
        timeline=[Event(datetime.fromisoformat(e["at"]), e["actor"], e["event"], e["detail"])
                  for e in events],
    )
    complaint.saved_events = len(complaint.timeline)
    complaint.indexed_message_ids = set(d.get("indexed_message_ids", []))
    complaint.indexed_record = d.get("indexed_record", "")
    return complaint


BUNDLE_SHARDS = 32  # bundle items per month: ~3,000 records a month -> ~12 KB each


def _shard(reference: str) -> str:
    return f"{int(hashlib.sha256(reference.encode()).hexdigest()[:8], 16) % BUNDLE_SHARDS:02d}"


def _months(record: str) -> set[str]:
    return {f"{day:%Y-%m}" for _, _, day in CaseRecord.from_data(json.loads(record)).facts()}


def _next_due(c: Complaint) -> date | None:
    d = c.deadlines
    if d is None:
        return None
    if c.status in (Status.RECEIVED, Status.ESCALATED) and d.acknowledge_by:
        return d.acknowledge_by
    return c.extended_to or d.respond_by


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
