"""The reports: TSM CH01/CH02 (England), the Scottish indicators (SPSO, SHR ARC), and the
figures for the annual complaints performance report.

Cases are read from the store's month index (a Query per month of the period), as compact
records, never by Scan; the definitions are domain/measures.py.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from complaints.domain.calendar import WorkingCalendar
from complaints.domain.deadlines import StageDeadlines
from complaints.domain.measures import (
    Period,
    answered,
    average_working_days,
    counted,
    per_1000,
    percent,
    received,
    timeliness,
)
from complaints.domain.record import CaseRecord
from complaints.domain.regime import REPORTS
from complaints.service.clock import StatutoryClock
from complaints.service.ports import ReportFiling

if TYPE_CHECKING:
    from complaints.service.annual_report import AnnualFigures

STAGES = (1, 2)


class Reports:
    def __init__(self, store: ReportFiling, clock: StatutoryClock, landlord: str) -> None:
        self.store, self.clock, self.landlord = store, clock, landlord
        self.deadlines_for = functools.lru_cache(maxsize=65_536)(self._deadlines)

    def _deadlines(self, policy: str, stage: int, received_on: date,
                   acknowledged: date | None) -> StageDeadlines:
        return self.clock.deadlines(policy, stage, received_on, acknowledged)

    @functools.cache  # noqa: B019 - one Reports per command: the cache lives as long as it
    def calendar_for(self, policy: str) -> WorkingCalendar:
        return self.clock.calendar_for(self.clock.policy(policy))

    def records(self, period: Period, report: str | None = None) -> list[CaseRecord]:
        """The period's cases; with ``report``, those whose nation's regime feeds that return."""
        found = self.store.records(self.landlord, period.start, period.end).values()
        return sorted((r for r in found if report is None or self.feeds(r, report)),
                      key=lambda r: r.reference)

    def feeds(self, record: CaseRecord, report: str) -> bool:
        regime = self.clock.presets.regime_for(record.nation)
        return regime is not None and report in regime.reports

    def tsm(self, period: Period, homes: int) -> dict[str, Any]:
        """CH01 (complaints received per 1,000 homes) and CH02 (the share answered within the
        Code's timescales), each for stage 1 and stage 2, over the cases whose regime feeds
        the TSM (its `reports`)."""
        records = self.records(period, "tsm")
        ch01, ch02 = {}, {}
        for n in STAGES:
            count = len(received(records, n, period))
            ch01[f"stage{n}"] = {"count": count, "per_1000": per_1000(count, homes)}
            ch02[f"stage{n}"] = timeliness(answered(records, n, period, self.deadlines_for,
                                                    self.calendar_for))
        return {"period": period.to_json(), "homes": homes, "CH01": ch01, "CH02": ch02}

    def scotland(self, period: Period) -> dict[str, Any]:
        """The SPSO / SHR ARC indicators over Scottish cases: received, answered, the share
        within timescale (with and without extensions) and the average working days."""
        records = self.records(period, "scottish-indicators")
        out: dict[str, Any] = {"period": period.to_json()}
        for n in STAGES:
            judged = answered(records, n, period, self.deadlines_for, self.calendar_for)
            out[f"stage{n}"] = {"received": len(received(records, n, period)),
                                **timeliness(judged),
                                "average_working_days": average_working_days(judged)}
        return out

    # --- the annual complaints performance report ----------------------------------------------

    def annual(self, period: Period, homes: int | None, out: Path) -> dict[str, Any]:
        """The figures (below), rendered by service/annual_report/ into ``out``."""
        from complaints.service.annual_report import render

        figures = self.annual_figures(period, homes)
        files = render(figures, out)
        return {"period": period.to_json(), "out": str(out),
                "files": {k: str(v) for k, v in sorted(files.items())},
                "tsm": figures.tsm, "scotland": figures.scotland}

    def annual_figures(self, period: Period, homes: int | None) -> AnnualFigures:
        from complaints.service.annual_report import AnnualFigures
        from complaints.service.history import cases_csv

        records = [r for r in self.records(period) if counted(r)]
        judged = {n: answered(records, n, period, self.deadlines_for, self.calendar_for)
                  for n in STAGES}
        arrived = {n: received(records, n, period) for n in STAGES}
        months = []
        month = date(period.start.year, period.start.month, 1)
        while month <= period.end:
            inside = Period(max(month, period.start), min(_month_end(month), period.end))
            row: dict[str, Any] = {"month": f"{month:%Y-%m}"}
            for n in STAGES:
                row[f"stage{n}_received"] = sum(
                    1 for r in arrived[n] if (s := r.stage(n)) is not None and s.received in inside)
                mine = [j for j in judged[n] if j.stage.responded in inside]
                row[f"stage{n}_responded"] = len(mine)
                row[f"stage{n}_within"] = sum(j.within for j in mine)
            months.append(row)
            month = _month_end(month) + timedelta(days=1)
        outcomes = {f"stage{n}": dict(Counter(j.stage.outcome or "not recorded"
                                              for j in judged[n])) for n in STAGES}
        stage_one_received = arrived[1]
        categories = _tally(r.category or "uncategorised" for r in stage_one_received)
        refusals = _tally(r.refusal_reason or "no reason recorded" for r in records
                          if r.refused in period)
        # a case's compensation counts once, at the last stage it was answered
        final = [j for n in STAGES for j in judged[n]
                 if j.stage.stage == max(s.stage for s in j.record.stages if s.responded)]
        paid = {n: round(sum(j.record.compensation for j in final if j.stage.stage == n), 2)
                for n in STAGES}
        compensation = {"cases": sum(1 for j in final if j.record.compensation),
                        "total_gbp": round(sum(paid.values()), 2),
                        "by_stage": {f"stage{n}": paid[n] for n in STAGES}}
        acknowledgements: dict[str, dict[str, int]] = {}
        breaches: dict[str, dict[str, int]] = {}
        for n in STAGES:
            due = on_time = late_ack = late_response = 0
            for r in records:
                s = r.stage(n)
                if s is None or r.refused_at(n):
                    continue
                d = self.deadlines_for(r.policy, n, s.received, s.acknowledged)
                ended = r.closed or date.max  # nothing falls due on a case already closed
                if d.acknowledge_by is not None and d.acknowledge_by in period and (
                        s.acknowledged is not None or d.acknowledge_by <= ended):
                    due += 1
                    if s.acknowledged is not None and s.acknowledged <= d.acknowledge_by:
                        on_time += 1
                    else:
                        late_ack += 1
                # a recorded extension within the policy's cap moves the date (as CH02 with
                # extensions counts it)
                respond_by = (s.extended_to if s.extended_to and (
                    d.respond_by_extended is None or s.extended_to <= d.respond_by_extended)
                    and s.extended_to > d.respond_by else d.respond_by)
                if respond_by in period and (s.responded is not None or respond_by <= ended) and (
                        s.responded is None or s.responded > respond_by):
                    late_response += 1
            acknowledgements[f"stage{n}"] = {"due": due, "on_time": on_time}
            breaches[f"stage{n}"] = {"acknowledgement": late_ack, "response": late_response}
        extensions = {f"stage{n}": sum(1 for j in judged[n] if j.stage.extended_to)
                      for n in STAGES}
        escalated = sum(1 for j in judged[1] if j.record.stage(2) is not None)
        feeding = {report for r in records for report in REPORTS if self.feeds(r, report)}
        full = self.store.cases_now([r.reference for r in records])
        return AnnualFigures(
            landlord=self.landlord, period_from=period.start, period_to=period.end, homes=homes,
            tsm=self.tsm(period, homes or 0) if "tsm" in feeding else None,
            scotland=self.scotland(period) if "scottish-indicators" in feeding else None,
            months=months, outcomes=outcomes, categories=categories, refusals=refusals,
            compensation=compensation, breaches=breaches, acknowledgements=acknowledgements,
            extensions=extensions, escalation_rate=percent(escalated, len(judged[1])),
            cases_csv=cases_csv([full[r.reference] for r in records if r.reference in full]))


def _tally(labels: Iterable[str]) -> dict[str, int]:
    """Counts by label, where "Repairs", "repairs" and "repairs  " are one (typed by different
    people over a year), each shown in its commonest spelling (ties: the first in order)."""
    groups: dict[str, Counter[str]] = {}
    for label in labels:
        tidy = " ".join(label.split())
        groups.setdefault(tidy.casefold(), Counter())[tidy] += 1
    return {min(spellings, key=lambda s: (-spellings[s], s)): spellings.total()
            for spellings in groups.values()}


def _month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - timedelta(days=1)
