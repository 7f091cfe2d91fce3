"""A complaint as the table stores it: the case item's JSON, and the complaint read back from it.

The DynamoDB store (adapters/store.py) and the in-memory one (adapters/memory.py) both keep
this JSON, so what one stores the other reads alike.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

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
from complaints.service.records import stored_of


def case_data(c: Complaint) -> dict[str, Any]:
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
        "staff_names": dict(c.staff_names),
        **c.particulars(),
        "events": len(c.timeline),  # an import may overwrite only a case nobody has touched
    }


def complaint_from_data(d: dict[str, Any], events: list[dict[str, str]]) -> Complaint:
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
        sweep_done=set(d.get("sweep_done", [])), staff_names=dict(d.get("staff_names", {})),
        channel=d.get("channel", "email"), mailbox=d.get("mailbox", ""), contact=dict(d.get("contact", {})),
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
    stored_of(complaint).events = len(complaint.timeline)
    stored_of(complaint).message_ids = set(d.get("indexed_message_ids", []))
    stored_of(complaint).record = d.get("indexed_record", "")
    return complaint


def next_due(c: Complaint) -> date | None:
    d = c.deadlines
    if d is None:
        return None
    if c.status in (Status.RECEIVED, Status.ESCALATED) and d.acknowledge_by:
        return d.acknowledge_by
    return c.extended_to or d.respond_by


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
