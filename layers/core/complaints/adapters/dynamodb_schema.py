"""The complaints table's schema: its PynamoDB models, keys and limits, and creating it.

One DynamoDB table, the same code on DynamoDB Local. Items (PK / SK):
  CASE#ref / CASE                   the complaint (optimistic lock on `version`)
  CASE#ref / EVENT#<n>              a timeline event (n = position, zero-padded)
  CASE#ref / MSG#<at>#<key>         a message in or out: raw-mail key, text, attachments listed
  COUNTER#landlord#year / COUNTER   the last reference number issued that year
  INBOUND#<key> / INBOUND           which case (or quarantine) a delivered message went to
  MSGID#<message-id> / MSGID        the case a letter we sent belongs to (replies, bounces)
  QUARANTINE / <at>#<key>           a message that is not (yet) a case, with the reason
  NOTICE#<token> / NOTICE           a quarantine notice sent to the team: the message it is about
  MSGID#<message-id> / NOTICE       the same, by the notice's Message-ID (replies to it)
  ONCE#<key> / ONCE                 a once-mark (the weekly digest, per recipient): who claimed
                                    it when, how often, whether done; `n` counts its writes, so
                                    a claim is written only over the mark it read
  RESIDENT#<email> / RESIDENT       the resident register: tenancy, home postcode and nation
  RATE#<address> / MINUTE#<minute>  letters to one address (+tags one) in one minute (loop
                                    guard), each counted atomically just before it is sent (and
                                    taken back if the send fails); form posts likewise. Summed
                                    over the last 61 minutes by one Query: a sliding hour
  REPORT#landlord#<YYYY-MM> / <nn>  a month bundle of case records (adapters/dynamodb_filing.py)
GSI1 "due":    DUE#landlord / <next due date>#ref, only while a case is open (sparse).
GSI2 "sender": SENDER#address / <received_at>#ref, to find a resident's cases.
GSI3 "sweep":  SWEEP#landlord / <first day the sweep has work>#ref, keys only, only while
               there is work (sparse): the deadline sweep reads just the cases due today.
The Powertools idempotency records share the table under PK "IDEMPOTENCY".

`Table` is the base every part of the store (adapters/store.py) is built on: the connection,
the models bound to the table, and how a case becomes its case and event items.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from pynamodb.attributes import (
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    KeysOnlyProjection,
)
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from complaints.adapters.case_json import case_data, next_due
from complaints.domain.case import Complaint, utc_text
from complaints.domain.record import record_of
from complaints.mail.addresses import mailbox
from complaints.service.records import StoreError

EVENT_WIDTH = 6

# DynamoDB refuses a transaction of more than 100 items; every write here stays well inside.
MAX_TRANSACTION_ITEMS = 100
# Whole-request failures that another try may get past (DynamoDB's own words).
RETRYABLE = frozenset({"TransactionConflictException", "ThrottlingException",
                       "ProvisionedThroughputExceededException", "RequestLimitExceeded",
                       "TransactionInProgressException", "InternalServerError"})


def dumps(value: Any) -> str:
    """JSON as UTF-8 text: DynamoDB counts an item's size in UTF-8 bytes, and ``\\u00e9``
    escapes would store non-ASCII text six times over."""
    return json.dumps(value, ensure_ascii=False)


def rate_key(what: str, at: datetime) -> tuple[str, str]:
    # One mailbox however it is tagged, so the loop guard (and whoever types a stranger's
    # address into the form) counts jo+1@ and jo+2@ together.
    return f"RATE#{mailbox(what)}", f"MINUTE#{at.astimezone(UTC).strftime('%Y%m%d%H%M')}"


def check_size(tx: TransactWrite) -> None:
    items = len(getattr(tx, "_put_items", [])) + len(getattr(tx, "_update_items", [])) + len(
        getattr(tx, "_condition_check_items", [])) + len(getattr(tx, "_delete_items", []))
    if items > MAX_TRANSACTION_ITEMS:
        raise StoreError(f"a transaction of {items} items (DynamoDB takes {MAX_TRANSACTION_ITEMS})")


def cancelled_by_condition(exc: TransactWriteError) -> bool:
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return any(r is not None and getattr(r, "code", "") == "ConditionalCheckFailed" for r in reasons)


def retryable(exc: TransactWriteError) -> bool:
    """A conflict, throttling, or no answer at all (the connection failed: the store may be
    restarting). Only a refusal with a reason is for good: a message is never quarantined as
    unstorable because the store was briefly away."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    codes = {getattr(r, "code", "") for r in reasons if r is not None}
    unanswered = exc.cause_response_code is None and not reasons
    return unanswered or bool(codes & {"TransactionConflict", "ThrottlingError",
                                       "ProvisionedThroughputExceeded"}) or (
        exc.cause_response_code in RETRYABLE)


class Table:
    """The table, its models and its case items: what every part of the store builds on."""

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
        self.Item, self.Case = table_models(table, region, host)
        # The last reference number this process issued per landlord-year: a warm process
        # tries the next one without reading; the conditional write catches a stale guess.
        self._counters: dict[str, int] = {}

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

    def _case_item(self, complaint: Complaint) -> tuple[Any, str]:
        record = dumps(record_of(complaint).to_data())
        item = self.Case(f"CASE#{complaint.reference}", "CASE",
                         data=dumps({**case_data(complaint), "indexed_record": record}))
        due = next_due(complaint)
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
        return self.Item(f"CASE#{complaint.reference}", f"EVENT#{index:0{EVENT_WIDTH}d}",
                         data=dumps(complaint.timeline[index].to_json()))


def table_models(table: str, region: str, host: str | None) -> tuple[Any, Any]:
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
