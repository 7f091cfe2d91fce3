"""Cases in the table: new cases and their references, saving changes, reading them back, and
what the mailroom records beside them (messages, INBOUND markers, letters' Message-IDs,
quarantine notices, the quarantine itself, and the rate counters of the loop guard), and the
once-marks of jobs about no one case (the weekly digest)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.expressions.operand import Path
from pynamodb.transactions import TransactWrite

from complaints.adapters.case_json import complaint_from_data
from complaints.adapters.dynamodb_filing import month_filing
from complaints.adapters.dynamodb_schema import (
    Table,
    cancelled_by_condition,
    check_size,
    dumps,
    rate_key,
    retryable,
)
from complaints.domain.case import Complaint, utc_text
from complaints.service.records import (
    ConcurrentUpdate,
    Contention,
    DuplicateDelivery,
    MessageRecord,
    Quarantined,
    StoreError,
    backoff,
    claimable,
    claimed_mark,
    done_mark,
    stored_of,
)

ONCE_KEPT = timedelta(days=400)  # a once-mark says for a year whether a digest went


class CaseStore(Table):
    """The cases and the mailroom's records beside them."""

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
                                      data=dumps({"reference": complaint.reference,
                                                       "outcome": "created"})),
                            condition=self.Item.PK.does_not_exist())
                    self._put_message(tx, complaint.reference, message)
                    self._put_letter_ids(tx, complaint)
                    check_size(tx)
                self._counters[counter_pk] = current + 1
                stored_of(complaint).version = 1
                stored_of(complaint).events = len(complaint.timeline)
                stored_of(complaint).message_ids = complaint.sent_message_ids()
                stored_of(complaint).record = record
                return complaint
            except TransactWriteError as exc:
                existing = self.inbound(inbound_key)
                if existing is not None:
                    raise DuplicateDelivery(existing) from None
                if cancelled_by_condition(exc):
                    self._counters.pop(counter_pk, None)  # another case took it: read it again
                elif retryable(exc):
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
             inbound_key: str | None = None, outcome: str = "appended") -> None:
        """Save the case (optimistic lock), its new events and messages, in one transaction.
        (The loop guard is counted before a letter is sent, by count_attempt, not here.)"""
        try:
            with TransactWrite(connection=self._connection) as tx:
                record = self._put_case(tx, complaint, new=False)
                for message in messages:
                    self._put_message(tx, complaint.reference, message)
                self._put_letter_ids(tx, complaint)
                if inbound_key is not None:
                    tx.save(self.Item(f"INBOUND#{inbound_key}", "INBOUND",
                                      data=dumps({"reference": complaint.reference,
                                                       "outcome": outcome})),
                            condition=self.Item.PK.does_not_exist())
                check_size(tx)
        except TransactWriteError as exc:
            earlier = self.inbound(inbound_key) if inbound_key is not None else None
            if earlier is not None:
                raise DuplicateDelivery(earlier) from None
            if cancelled_by_condition(exc):
                raise ConcurrentUpdate(f"{complaint.reference} changed meanwhile") from None
            if retryable(exc):
                raise Contention(f"{complaint.reference}: {exc.cause_response_code}") from None
            raise StoreError(f"saving {complaint.reference} failed: {exc}") from exc
        stored_of(complaint).version += 1
        stored_of(complaint).events = len(complaint.timeline)
        stored_of(complaint).message_ids = complaint.sent_message_ids()
        stored_of(complaint).record = record

    def _put_case(self, tx: TransactWrite, complaint: Complaint, new: bool) -> str:
        """Returns the record as filed on the month index (the caller keeps it once saved)."""
        item, record = self._case_item(complaint)
        if not new:
            item.version = stored_of(complaint).version
        tx.save(item)
        if record != stored_of(complaint).record:
            attribute = Path([f"r_{complaint.reference}"])
            for key, filed in month_filing(complaint, record).items():
                # n counts every change to a bundle item (an import's updates count too)
                tx.update(self.Item(*key), actions=[
                    attribute.set(filed) if filed is not None else attribute.remove(),
                    self.Item.n.add(1)])
        for index in range(stored_of(complaint).events, len(complaint.timeline)):
            tx.save(self._event_item(complaint, index), condition=self.Item.PK.does_not_exist())
        return record


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
        tx.save(self.Item(f"CASE#{reference}", sk, data=dumps(data)))

    def _put_letter_ids(self, tx: TransactWrite, complaint: Complaint) -> None:
        """MSGID items for letter Message-IDs not yet indexed: replies and bounces find the
        case by them. Written once per id (the case remembers which it has indexed)."""
        for message_id in sorted(complaint.sent_message_ids() - stored_of(complaint).message_ids):
            tx.save(self.Item(f"MSGID#{message_id.strip()}", "MSGID",
                              data=dumps({"reference": complaint.reference})))

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
        complaint = complaint_from_data(json.loads(case.data), events)
        stored_of(complaint).version = int(case.version or 0)
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
        data = dumps({"quarantine": quarantine_key, "at": utc_text(at)})
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

    # --- once-marks -----------------------------------------------------------------------

    def claim_once(self, key: str, claimant: str, at: datetime, lease: timedelta, tries: int,
                   data: dict[str, Any]) -> dict[str, Any] | None:
        """Read the mark, decide (records.claimable), and write it only over what was read:
        ``n`` counts the mark's writes, so of claimants at once one write lands."""
        mark, n = self._once(key)
        if not claimable(mark, at, lease, tries):
            return None
        claimed = claimed_mark(mark, claimant, at, data)
        return claimed if self._put_once(key, claimed, n, at) else None

    def done_once(self, key: str, claimant: str, at: datetime, outcome: dict[str, Any]) -> bool:
        mark, n = self._once(key)
        if mark is None or mark["claimed_by"] != claimant:
            return False
        return self._put_once(key, done_mark(mark, at, outcome), n, at)

    def once(self, key: str) -> dict[str, Any] | None:
        return self._once(key)[0]

    def _once(self, key: str) -> tuple[dict[str, Any] | None, int]:
        try:
            item = self.Item.get(f"ONCE#{key}", "ONCE", consistent_read=True)
        except DoesNotExist:
            return None, 0
        return dict(json.loads(item.data)), int(item.n or 0)

    def _put_once(self, key: str, mark: dict[str, Any], n: int, at: datetime) -> bool:
        condition = self.Item.PK.does_not_exist() if n == 0 else (self.Item.n == n)
        try:
            self.Item(f"ONCE#{key}", "ONCE", data=dumps(mark), n=n + 1,
                      expiration=at + ONCE_KEPT).save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False  # another claimant wrote first
            raise StoreError(f"writing the mark {key[:200]} failed: {exc}") from exc
        return True

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

    # --- quarantine, rate limit -----------------------------------------------------------

    def quarantine(self, entry: Quarantined) -> bool:
        """Keep a message that is not a case; False if this delivery was already handled."""
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(self.Item("QUARANTINE", f"{utc_text(entry.at)}#{entry.key}",
                                  data=dumps({"key": entry.key, "at": utc_text(entry.at),
                                                   "reason": entry.reason,
                                                   "raw_key": entry.raw_key,
                                                   "from": entry.sender,
                                                   "subject": entry.subject,
                                                   "review": entry.review,
                                                   **({"about": entry.about}
                                                      if entry.about else {})})))
                tx.save(self.Item(f"INBOUND#{entry.key}", "INBOUND",
                                  data=dumps({"reference": None, "outcome": "quarantined",
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
        pk, sk = rate_key(what, at)
        item = self.Item(pk, sk)
        item.update(actions=[self.Item.n.add(1), self.Item.expiration.set(at + timedelta(days=2))])
        return int(item.n or 0) + self._counted(what, at, this_minute=False)

    def uncount_attempt(self, what: str, at: datetime) -> None:
        """Take back one attempt counted at ``at`` (one refused after counting)."""
        pk, sk = rate_key(what, at)
        self.Item(pk, sk).update(actions=[self.Item.n.add(-1)])

    def sent_in_the_last_hour(self, address: str, at: datetime) -> int:
        """Letters (or attempts) counted for ``address`` in the 60 minutes up to ``at``: a
        sliding hour, so ten letters between :59:40 and :00:00 are ten, not two hours' worth of
        five (a read, no write)."""
        return self._counted(address, at, this_minute=True)

    def _counted(self, address: str, at: datetime, this_minute: bool) -> int:
        """The minute ``at`` falls in (or not) and the 60 before it, summed in one Query of at
        most 61 items: the window is never shorter than an hour (up to a minute longer), erring
        on the side of holding a letter."""
        pk, newest = rate_key(address, at if this_minute else at - timedelta(minutes=1))
        _, oldest = rate_key(address, at - timedelta(minutes=60))
        return sum(int(item.n or 0) for item in self.Item.query(
            pk, self.Item.SK.between(oldest, newest), consistent_read=True))
