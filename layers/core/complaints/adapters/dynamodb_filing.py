"""The reports' filing: each case's record in month bundles, read back a year at a time, and
imports of cases from a previous system, each written with its filing.

Each case's record (domain/record.py) is filed, as one attribute r_<reference>, in a bundle
item for every month in which one of its stages was received or answered:
PK REPORT#<landlord>#<YYYY-MM>, SK one of BUNDLE_SHARDS (by a hash of the reference). A year's
report is 12 Queries of a few dozen items, however many cases (a Query per item would be
~170,000 items for 100,000 cases). A record that changes is rewritten in the save that changes
it (SET), and taken out of months it no longer touches (REMOVE).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import date
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.operand import Path
from pynamodb.transactions import TransactWrite

from complaints.adapters.case_json import complaint_from_data
from complaints.adapters.dynamodb_schema import (
    MAX_TRANSACTION_ITEMS,
    Table,
    cancelled_by_condition,
    check_size,
    retryable,
)
from complaints.domain.case import Complaint
from complaints.domain.record import CaseRecord
from complaints.service.records import Contention, StoreError, backoff, stored_of

IMPORT_GROUP = 25  # imported cases a transaction: one refused, the rest are written again
BUNDLE_SHARDS = 32  # bundle items per month: ~3,000 records a month -> ~12 KB each


def shard(reference: str) -> str:
    return f"{int(hashlib.sha256(reference.encode()).hexdigest()[:8], 16) % BUNDLE_SHARDS:02d}"


def months(record: str) -> set[str]:
    return {f"{day:%Y-%m}" for _, _, day in CaseRecord.from_data(json.loads(record)).facts()}


def month_filing(complaint: Complaint, record: str) -> dict[tuple[str, str], str | None]:
    """Bundle key -> the record to file there, or None to take it out."""
    new = months(record)
    old = months(stored_of(complaint).record) if stored_of(complaint).record else set()
    sk = shard(complaint.reference)
    return {(f"REPORT#{complaint.landlord}#{month}", sk): record if month in new else None
            for month in sorted(new | old)}


class ReportFiling(Table):
    """The month bundles the reports read, and imports filed in them as they are written."""

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
        only if it is still as the import read it: ``stored_of(case).version`` is the version read (0: no
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
            filing = set(month_filing(case, items[case.reference][1]))
            if group and (len(group) >= IMPORT_GROUP or puts + 1 + len(case.timeline) + len(
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
                        if stored_of(case).version:  # the condition: still the version read ...
                            item.version = stored_of(case).version
                        tx.save(item)  # ... or, unset, no case item at all
                        for index in range(len(case.timeline)):
                            tx.save(self._event_item(case, index))
                        if record != stored_of(case).record:
                            attribute = Path([f"r_{case.reference}"])
                            for key, filed in month_filing(case, record).items():
                                bundles[key].append(attribute.set(filed) if filed is not None
                                                    else attribute.remove())
                    for key, actions in sorted(bundles.items()):
                        # n counts every change, as a live save's update does
                        tx.update(self.Item(*key), actions=[*actions, self.Item.n.add(1)])
                    check_size(tx)
            except TransactWriteError as exc:
                if cancelled_by_condition(exc):
                    changed = self._changed_since_read(cases)
                    if not changed:
                        backoff(attempt)
                    refused |= changed
                    cases = [c for c in cases if c.reference not in changed]
                elif retryable(exc):
                    backoff(attempt)
                else:
                    raise StoreError(f"importing {len(cases)} case(s) failed: {exc}") from exc
                continue
            for case in cases:
                stored_of(case).version += 1
                stored_of(case).events = len(case.timeline)
                stored_of(case).record = items[case.reference][1]
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
            if version == stored_of(case).version:
                continue
            if not stored_of(case).version:
                changed[case.reference] = (f"{case.reference} was created while the import ran "
                                           "(by another import, or a live case): not overwritten")
            elif item is None:
                changed[case.reference] = f"{case.reference} is no longer stored: not written"
            else:
                events = int(json.loads(item.data).get("events", 0))
                changed[case.reference] = (
                    f"{case.reference} changed while the import ran (version {version}, "
                    f"{events} timeline event(s); the import read version {stored_of(case).version}): "
                    "left as it is, not overwritten")
        return changed

    def cases_now(self, references: list[str]) -> dict[str, Complaint]:
        """The stored cases among ``references`` (BatchGet, 100 a request), without their
        timelines: what an import must not overwrite."""
        found: dict[str, Complaint] = {}
        keys = [(f"CASE#{r}", "CASE") for r in references]
        for item in self.Case.batch_get(keys):
            d = json.loads(item.data)
            case = complaint_from_data(d, [])
            stored_of(case).version = int(item.version or 0)
            stored_of(case).events = int(d.get("events", 0))
            found[case.reference] = case
        return found
