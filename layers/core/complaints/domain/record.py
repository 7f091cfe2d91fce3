"""A complaint as the reports count it: per stage, the dates received, acknowledged, extended
to and answered, and the outcome; and whether it was refused, closed or not a complaint.

Pure. `record_of` reads it off a case; `to_data`/`from_data` are the compact form kept on the
store's month index (one small item per stage received and per stage answered), so a report
reads these, never the cases themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from complaints.domain.case import Complaint


@dataclass(frozen=True)
class StageRecord:
    stage: int
    received: date  # stage 1: the complaint's received date; stage 2: the escalation request's
    acknowledged: date | None = None
    extended_to: date | None = None  # the last extended response date recorded
    responded: date | None = None
    outcome: str = ""


@dataclass(frozen=True)
class CaseRecord:
    reference: str
    policy: str
    nation: str
    stages: tuple[StageRecord, ...]
    channel: str = "email"
    tenure: str = ""
    category: str = ""
    refused: date | None = None
    refusal_reason: str = ""
    closed: date | None = None
    not_a_complaint: bool = False  # a service request: counted neither received nor answered
    compensation: float = 0.0  # GBP offered, all stages
    imported: bool = False

    def stage(self, number: int) -> StageRecord | None:
        return next((s for s in self.stages if s.stage == number), None)

    def refused_at(self, number: int) -> bool:
        """Whether stage ``number`` is the one a refusal ended: the last stage. A stage answered
        before it (stage 1, when the request for stage 2 was refused) stays answered."""
        return self.refused is not None and number == max(
            (s.stage for s in self.stages), default=number)

    def to_data(self) -> dict[str, Any]:
        return {"r": self.reference, "p": self.policy, "n": self.nation, "c": self.channel,
                "t": self.tenure, "g": self.category, "x": _day(self.refused),
                "xr": self.refusal_reason[:200], "z": _day(self.closed),
                "s": [[s.stage, _day(s.received), _day(s.acknowledged), _day(s.extended_to),
                       _day(s.responded), s.outcome] for s in self.stages],
                "q": self.not_a_complaint, "m": self.compensation, "i": self.imported}

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> CaseRecord:
        return cls(reference=d["r"], policy=d["p"], nation=d["n"], channel=d.get("c", ""),
                   tenure=d.get("t", ""), category=d.get("g", ""), refused=_date(d.get("x")),
                   refusal_reason=d.get("xr", ""), closed=_date(d.get("z")),
                   stages=tuple(StageRecord(s[0], date.fromisoformat(s[1]), _date(s[2]),
                                            _date(s[3]), _date(s[4]), s[5]) for s in d["s"]),
                   not_a_complaint=bool(d.get("q")), compensation=float(d.get("m", 0)),
                   imported=bool(d.get("i")))

    def facts(self) -> list[tuple[str, int, date]]:
        """(what, stage, day) for each stage received and each stage answered: where the
        record is filed on the month index."""
        out = []
        for s in self.stages:
            out.append(("received", s.stage, s.received))
            if s.responded is not None:
                out.append(("responded", s.stage, s.responded))
        return out


def record_of(case: Complaint) -> CaseRecord:
    stages = []
    for number in range(1, case.stage + 1):
        received = case.received_on if number == 1 else (
            case.stage_received_on if number == case.stage else None)
        if received is None:  # a middle stage of a 3-stage policy: not counted here
            continue
        extended = [x.new_date for x in case.extensions_at(number) if x.new_date]
        acknowledged = case.acknowledgements.get(number) or (
            case.acknowledged_on if number == case.stage else None)
        stages.append(StageRecord(
            number, received, acknowledged,
            extended[-1] if extended else None,
            case.responded_on.get(number), case.outcomes.get(number, "")))
    return CaseRecord(
        reference=case.reference, policy=case.policy, nation=case.nation,
        stages=tuple(stages), channel=case.channel, tenure=case.tenure, category=case.category,
        refused=case.refused_on, refusal_reason=case.refusal_reason, closed=case.closed_on,
        not_a_complaint=case.disposition == "not-a-complaint",
        compensation=round(sum(case.compensation.values()), 2), imported=case.imported)


def _day(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
