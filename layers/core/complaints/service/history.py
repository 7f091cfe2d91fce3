"""Importing cases from a previous system (`complaints import FILE.csv`), so a landlord that
adopts the service mid-year reports on the whole year.

Every row is checked before anything is written: one bad row and nothing is stored, with each
error named by its line. A row's reference is kept (a re-import updates the same case, never a
second one); a row without one gets IMP-<hash of policy, received, email, category, channel>,
the same each time. A case staff have worked on since it was imported, or a live case with the
same reference, is never overwritten: not when the rows are checked, and not after (every write
is conditional on the version the check read; a case changed in between is left as it is and
listed in the result's ``not_overwritten``). Imported cases say so on their timeline, are counted in
every report. What fell due before the import was the previous system's to do: those sweep
tasks are marked settled, so an open imported case is reminded of what is still to come and
nobody is alerted about last year.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from complaints.domain.agenda import AgendaRules, agenda
from complaints.domain.calendar import london_date
from complaints.domain.case import SYSTEM, Complaint, Extension, Status
from complaints.domain.commands import MAX_CATEGORY, OUTCOMES, TENURES
from complaints.service.clock import StatutoryClock
from complaints.service.ports import Imports
from complaints.service.records import Stored, stored_of

COLUMNS = ("reference", "policy", "received", "channel", "tenure", "resident_email", "category",
           "stage1_acknowledged", "stage1_extended_to", "stage1_responded", "stage1_outcome",
           "escalated", "stage2_acknowledged", "stage2_extended_to", "stage2_responded",
           "stage2_outcome", "refused", "refused_reason", "closed", "compensation")
REQUIRED = ("policy", "received")
DATES = ("received", "stage1_acknowledged", "stage1_extended_to", "stage1_responded",
         "escalated", "stage2_acknowledged", "stage2_extended_to", "stage2_responded", "refused",
         "closed")
MAX_ROWS = 500_000
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.-]{0,39}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
_MONEY = re.compile(r"£?[0-9]{1,9}(\.[0-9]{1,2})?")  # ASCII digits: \d takes any script's
_OURS = re.compile(r"CMP-[0-9]{4}-[0-9]{6}", re.IGNORECASE)  # this service's own numbering


@dataclass
class Row:
    line: int
    values: dict[str, str]
    dates: dict[str, date | None] = field(default_factory=dict)
    reference: str = ""


def check(text: str, policies: set[str],
          today: date | None = None) -> tuple[list[Row], list[dict[str, Any]]]:
    """Every row checked; (rows, errors). Pure: no store."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return [], [{"line": 1, "error": "the file is empty: a header row is required"}]
    except csv.Error as exc:
        return [], [{"line": 1, "error": f"the header row cannot be read: {exc}"}]
    errors: list[dict[str, Any]] = []
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        problems = ([f"unknown column(s) {', '.join(unknown)}"] if unknown else []) + (
            [f"missing column(s) {', '.join(missing)}"] if missing else []) + (
            ["a column named twice"] if len(set(header)) != len(header) else [])
        return [], [{"line": 1, "error": "; ".join(problems) + f" (columns: {', '.join(COLUMNS)})"}]
    rows: list[Row] = []
    seen: dict[str, int] = {}
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                errors.append({"line": number, "error": f"more than {MAX_ROWS:,} rows"})
                break
            if len(cells) != len(header):
                errors.append({"line": number, "error": f"{len(cells)} fields; the header has "
                                                        f"{len(header)}"})
                continue
            row = Row(number, {c: "" for c in COLUMNS} | {
                h: _uncell(v.strip()) for h, v in zip(header, cells, strict=True)})
            problem = _check_row(row, policies, today)
            if problem:
                errors.append({"line": number, "error": problem})
                continue
            if row.reference in seen:
                errors.append({"line": number, "error": f"reference {row.reference} is also on "
                                                        f"line {seen[row.reference]}"})
                continue
            seen[row.reference] = number
            rows.append(row)
    except csv.Error as exc:
        errors.append({"line": reader.line_num, "error": f"the row cannot be read: {exc}"})
    return rows, errors


def _check_row(row: Row, policies: set[str], today: date | None) -> str | None:
    v = row.values
    if v["policy"] not in policies:
        return f"policy {v['policy']!r} is not a preset (one of: {', '.join(sorted(policies))})"
    for name in DATES:
        text = v[name]
        if not text:
            row.dates[name] = None
            continue
        try:
            if not _ISO.fullmatch(text):
                raise ValueError
            day = date.fromisoformat(text)
        except ValueError:
            return f"{name} {text!r} is not a date (YYYY-MM-DD)"
        if not 1900 <= day.year <= 2100:
            return f"{name} {text} is outside 1900-2100"
        if today is not None and day > today:
            return f"{name} {text} is in the future: a history holds what has happened"
        row.dates[name] = day
    d = row.dates
    if d["received"] is None:
        return "received is required"

    def after(later: str, earlier: str) -> str | None:
        a, b = d[later], d[earlier]
        if a is not None and b is not None and a < b:
            return f"{later} {a} is before {earlier} {b}"
        return None

    for later, earlier in (("stage1_acknowledged", "received"), ("stage1_extended_to", "received"),
                           ("stage1_responded", "received"),
                           ("stage1_responded", "stage1_acknowledged"), ("escalated", "received"),
                           ("stage2_acknowledged", "escalated"), ("stage2_extended_to", "escalated"),
                           ("stage2_responded", "escalated"),
                           ("stage2_responded", "stage2_acknowledged"), ("refused", "received"),
                           ("refused", "escalated"),
                           # the extended dates are deadlines, not events: a case may close first
                           *(("closed", x) for x in DATES
                             if x not in ("closed", "stage1_extended_to", "stage2_extended_to"))):
        problem = after(later, earlier)
        if problem:
            return problem
    if d["escalated"] is None and any(d[x] for x in ("stage2_acknowledged", "stage2_extended_to",
                                                      "stage2_responded")):
        return "stage 2 dates need the escalated date (the stage 2 request)"
    if v["stage2_outcome"] and d["escalated"] is None:
        return "stage2_outcome needs the escalated date"
    for n in (1, 2):
        outcome, responded = v[f"stage{n}_outcome"], d[f"stage{n}_responded"]
        if outcome and outcome not in OUTCOMES:
            return f"stage{n}_outcome {outcome!r} is not one of {', '.join(OUTCOMES)}"
        if bool(outcome) != bool(responded):
            return (f"stage{n}_outcome and stage{n}_responded go together"
                    f" ({'no outcome' if responded else 'no response date'})")
    if d["refused"] is not None:
        refused_stage = 2 if d["escalated"] else 1
        if d[f"stage{refused_stage}_responded"]:
            return f"refused, yet stage {refused_stage} has a response: a refused complaint is not answered"
        if not v["refused_reason"]:
            return "refused needs refused_reason (the Code asks for the reasons)"
    elif v["refused_reason"]:
        return "refused_reason without a refused date"
    if v["tenure"] and v["tenure"].lower() not in TENURES:
        return f"tenure {v['tenure']!r} is not LCRA, LCHO or other"
    if v["resident_email"] and not _EMAIL.fullmatch(v["resident_email"]):
        return f"resident_email {v['resident_email']!r} is not an email address"
    if v["compensation"] and not _MONEY.fullmatch(v["compensation"]):
        return f"compensation {v['compensation']!r} is not an amount in pounds (e.g. 150.00)"
    for name in ("channel", "category"):  # one line, spaced as #category leaves it
        v[name] = " ".join(v[name].split())
        if not v[name].isprintable():
            return f"{name} has a control or invisible character: one line of text only"
    if not all(ch.isprintable() or ch in "\n\t" for ch in v["refused_reason"]):
        return "refused_reason has a control or invisible character"
    for name, limit in (("channel", 40), ("category", MAX_CATEGORY), ("refused_reason", 500)):
        if len(v[name]) > limit:
            return f"{name} is longer than {limit} characters"
    if v["reference"]:
        ours = _OURS.search(v["reference"])
        if ours:  # anywhere: CMP-2026-000001/x would be read as CMP-2026-000001's by mail
            return (f"reference {v['reference'][:60]!r} contains this service's own numbering "
                    f"(CMP-YYYY-NNNNNN): give the previous system's reference without "
                    f"{ours.group(0)}, or leave it empty")
        if not _REFERENCE.fullmatch(v["reference"]):
            return (f"reference {v['reference'][:60]!r}: letters, digits and / _ . - only, up to "
                    "40 characters")
        row.reference = v["reference"]
    else:
        key = "|".join(v[x] for x in ("policy", "received", "resident_email", "category", "channel"))
        row.reference = "IMP-" + hashlib.sha256(key.encode()).hexdigest()[:12].upper()
    return None


class History:
    def __init__(self, store: Imports, clock: StatutoryClock, landlord: str,
                 rules: AgendaRules | None = None) -> None:
        self.store, self.clock, self.landlord = store, clock, landlord
        self.rules = rules or AgendaRules()

    def import_csv(self, text: str, source: str, now: datetime,
                   dry_run: bool = False) -> dict[str, Any]:
        rows, errors = check(text, {p.id for p in self.clock.presets.all()}, london_date(now))
        existing = self.store.cases_now([r.reference for r in rows]) if rows else {}
        for row in rows:
            case = existing.get(row.reference)
            if case is not None and not case.imported:
                errors.append({"line": row.line, "error": f"{row.reference} is a live case "
                                                          "here, not an imported one: not overwritten"})
            elif case is not None and stored_of(case).events > 1:
                errors.append({"line": row.line, "error": f"{row.reference} has been worked on "
                                                          "since it was imported: not overwritten"})
        if errors:
            return {"imported": 0, "errors": sorted(errors, key=lambda e: e["line"])}
        cases = [self._case(row, source, now, existing.get(row.reference)) for row in rows]
        refused: dict[str, str] = {}
        if not dry_run:
            # each write is conditional on the case being as read above: one changed since (a
            # staff #acknowledge mid-import) is left as it is, and said here
            for start in range(0, len(cases), 1000):
                refused |= self.store.put_imported(cases[start:start + 1000])
        left = [{"line": row.line, "reference": row.reference, "reason": refused[row.reference]}
                for row in rows if row.reference in refused]
        return {"imported": len(cases) - len(left), "errors": [],
                **({"not_overwritten": left} if left else {}),
                **({"dry_run": True} if dry_run else {})}

    def _case(self, row: Row, source: str, now: datetime, before: Complaint | None) -> Complaint:
        v, d = row.values, row.dates
        received = d["received"]
        assert received is not None
        stage = 2 if d["escalated"] else 1
        policy = self.clock.policy(v["policy"])
        calendar = self.clock.calendar_for(policy)
        email = v["resident_email"].lower()
        # the status the previous system left it in: the case is recorded in it, not moved there
        status = (Status.REFUSED if d["refused"] else Status.CLOSED if d["closed"]
                  else Status.RESPONDED if d[f"stage{stage}_responded"]
                  else Status.EXTENDED if d[f"stage{stage}_extended_to"]
                  else Status.ACKNOWLEDGED if d[f"stage{stage}_acknowledged"]
                  else Status.ESCALATED if stage == 2 else Status.RECEIVED)
        case = Complaint(
            reference=row.reference, landlord=self.landlord, policy=policy.id,
            nation=policy.nation, resident=email, resident_name="",
            subject=f"Imported complaint{': ' + v['category'] if v['category'] else ''}",
            received_at=datetime.combine(received, time(12), UTC), received_on=received,
            source_message=f"import-{row.reference}", stage=stage, status=status,
            stage_received_on=d["escalated"], parties={email} if email else set(),
            channel=v["channel"] or "unknown", tenure=TENURES.get(v["tenure"].lower(), ""),
            category=v["category"], imported=True, flags={"imported"},
            refused_on=d["refused"], refusal_reason=v["refused_reason"], closed_on=d["closed"])
        for n in (1, 2):
            stage_received = received if n == 1 else d["escalated"]
            if stage_received is None:
                continue
            if d[f"stage{n}_acknowledged"]:
                case.acknowledgements[n] = d[f"stage{n}_acknowledged"]  # type: ignore[assignment]
            if d[f"stage{n}_responded"]:
                case.responded_on[n] = d[f"stage{n}_responded"]  # type: ignore[assignment]
                case.outcomes[n] = v[f"stage{n}_outcome"]
            extended = d[f"stage{n}_extended_to"]
            if extended:
                due = self.clock.deadlines(policy.id, n, stage_received,
                                           case.acknowledgements.get(n)).respond_by
                case.extensions.append(Extension(
                    n, max(0, calendar.working_days_between(due, extended)),
                    "recorded in the previous system", extended, "import"))
        if v["compensation"]:
            amount = float(Decimal(v["compensation"].removeprefix("£")))
            case.compensation[max(case.responded_on, default=1)] = amount
        current = stage
        case.acknowledged_on = case.acknowledgements.get(current)
        case.deadlines = self.clock.deadlines(policy.id, current, case.stage_received_on or received,
                                              case.acknowledged_on)
        ext = case.extensions_at(current)
        case.extended_to = ext[-1].new_date if ext else None
        facts = "; ".join(f"{k} {v[k]}" for k in COLUMNS if v[k] and k not in ("reference",))
        case.record(now, SYSTEM, "imported", (
            f"from {source} line {row.line} (a previous system's record, imported "
            f"{london_date(now):%d %b %Y}{', again' if before else ''}): {facts}"[:4000]))
        settled = [t for t in agenda(case, policy, calendar, self.rules)
                   if t.act_on <= london_date(now)]
        case.sweep_done |= {t.key for t in settled}
        # the write is conditional on the version read; and where the record was filed
        # before, so a re-import with other dates takes it out of the months it no longer
        # touches
        read = stored_of(before) if before else Stored()
        case.stored = Stored(version=read.version, record=read.record)
        return case


def cases_csv(cases: list[Complaint]) -> str:
    """One row per case in the import's columns (the annual report's cases.csv): an export
    that `complaints import` takes back."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([_cell(v) for v in _row(c)] for c in cases)
    return out.getvalue()


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """A cell a spreadsheet would run as a formula (=HYPERLINK(...) in a category) is written
    with a leading apostrophe, which spreadsheets show as text; the import takes it off."""
    return "'" + value if value.startswith(_FORMULA) else value


def _uncell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA) else value


def _row(c: Complaint) -> list[str]:
    def day(value: date | None) -> str:
        return value.isoformat() if value else ""

    def extended(n: int) -> str:
        ext = [x.new_date for x in c.extensions_at(n) if x.new_date]
        return ext[-1].isoformat() if ext else ""

    two = c.stage >= 2 and c.stage_received_on is not None
    return [
        c.reference, c.policy, c.received_on.isoformat(), c.channel, c.tenure, c.resident,
        c.category, day(c.acknowledgements.get(1)), extended(1), day(c.responded_on.get(1)),
        c.outcomes.get(1, ""), day(c.stage_received_on) if two else "",
        day(c.acknowledgements.get(2)) if two else "", extended(2) if two else "",
        day(c.responded_on.get(2)) if two else "", c.outcomes.get(2, "") if two else "",
        day(c.refused_on), c.refusal_reason, day(c.closed_on),
        f"{sum(c.compensation.values()):.2f}" if c.compensation else ""]
