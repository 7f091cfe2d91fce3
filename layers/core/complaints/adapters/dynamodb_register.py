"""The resident register in the table: one RESIDENT#<email> item a resident, with the tenancy,
home postcode and nation the landlord loaded (service/residents.py checks the rows)."""

from __future__ import annotations

import json
from typing import Any

from pynamodb.exceptions import DoesNotExist

from complaints.adapters.dynamodb_schema import Table, dumps


class ResidentRegister(Table):
    """Loading the register and looking a resident up in it."""

    def put_residents(self, residents: list[dict[str, Any]]) -> int:
        """Load or update register rows (keyed on email); the caller validated every row."""
        with self.Item.batch_write() as batch:
            for row in residents:
                batch.save(self.Item(f"RESIDENT#{row['email']}", "RESIDENT", data=dumps(row)))
        return len(residents)

    def resident(self, email: str) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self.Item.get(f"RESIDENT#{email.lower()}", "RESIDENT").data))
        except DoesNotExist:
            return None
