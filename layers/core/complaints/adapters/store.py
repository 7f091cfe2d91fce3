"""The store port on DynamoDB (PynamoDB; the same code on DynamoDB Local): `Store`, put
together from one part per job.

  dynamodb_schema.py    the table: models, keys, limits, creating it (the item layout)
  dynamodb_cases.py     cases: new cases, saves, reading, messages, markers, notices,
                        the quarantine and the rate counters
  dynamodb_filing.py    the reports' filing: month bundles, and imports
  dynamodb_register.py  the resident register
  case_json.py          a complaint as the case item's JSON, and back
"""

from __future__ import annotations

from complaints.adapters.dynamodb_cases import CaseStore
from complaints.adapters.dynamodb_filing import ReportFiling
from complaints.adapters.dynamodb_register import ResidentRegister
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


class Store(CaseStore, ReportFiling, ResidentRegister):
    """The store port, on DynamoDB (or DynamoDB Local when ``host`` is set)."""
