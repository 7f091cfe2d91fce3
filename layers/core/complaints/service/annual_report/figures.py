"""The annual report's figures: what `render` is given (AnnualFigures), summed over the period.

The stages, outcomes and steps the report counts, their names in words, and the counting
helpers the self-assessment, the charts and the page share: nothing here computes a figure the
report's numbers depend on, only sums of the counts given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from complaints.domain.commands import OUTCOMES as OUTCOMES  # #respond's outcomes: one list

STAGES: Final = ("stage1", "stage2")
STEPS: Final = ("acknowledgement", "response")
# refusal reasons that say no reason was recorded (the figures count refusals by their reason)
UNRECORDED: Final = frozenset({"", "none", "unrecorded", "not recorded", "no reason recorded",
                               "unknown"})
STAGE_NAMES: Final = {"stage1": "Stage 1", "stage2": "Stage 2"}
OUTCOME_NAMES: Final = {"upheld": "Upheld", "partly-upheld": "Partly upheld",
                        "not-upheld": "Not upheld", "resolved": "Resolved"}


@dataclass(frozen=True)
class AnnualFigures:
    landlord: str
    period_from: date  # e.g. 2025-04-01
    period_to: date  # e.g. 2026-03-31
    homes: int | None
    tsm: dict[str, Any] | None  # `complaints report tsm --json`; None when no English cases
    scotland: dict[str, Any] | None  # `complaints report scotland --json`; None when no Scottish ones
    # one per month of the period, in order: {"month": "2025-04", "stage1_received", "stage2_received",
    # "stage1_responded", "stage1_within", "stage2_responded", "stage2_within"}
    months: list[dict[str, Any]]
    outcomes: dict[str, dict[str, int]]  # {"stage1": {"upheld": n, ...}, "stage2": {...}} responses
    categories: dict[str, int]  # complaints received by category ("uncategorised" for none)
    refusals: dict[str, int]  # refused complaints by reason
    compensation: dict[str, Any]  # {"cases": n, "total_gbp": x, "by_stage": {"stage1": x, "stage2": y}}
    breaches: dict[str, dict[str, int]]  # {"stage1": {"acknowledgement": n, "response": n}, ...}
    acknowledgements: dict[str, dict[str, int]]  # {"stage1": {"due": n, "on_time": n}, ...}
    extensions: dict[str, int]  # {"stage1": n, "stage2": n} responses that used an extension
    escalation_rate: float | None  # % of stage 1 responses in the period later escalated
    cases_csv: str  # one row per case, the import's columns


# --- numbers ----------------------------------------------------------------------------------

def long_date(day: date) -> str:
    return f"{day.day} {('January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December')[day.month - 1]} {day.year}"  # noqa: E501


def _count(mapping: Mapping[str, Any] | None, *keys: str) -> int:
    value: Any = mapping
    for key in keys:
        if not isinstance(value, Mapping):
            return 0
        value = value.get(key)
    return int(value) if isinstance(value, int | float) else 0


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


# --- the figures, summed ----------------------------------------------------------------------

@dataclass(frozen=True)
class Totals:
    received: dict[str, int]
    responded: dict[str, int]
    within: dict[str, int]
    outcomes: dict[str, dict[str, int]]
    breaches: dict[str, dict[str, int]]
    refused: int
    unrecorded_refusals: int

    @property
    def received_all(self) -> int:
        return self.received["stage1"] + self.received["stage2"]

    @property
    def responded_all(self) -> int:
        return self.responded["stage1"] + self.responded["stage2"]

    def upheld(self, stage: str) -> int:
        """Upheld in full or in part (002: the whole complaint counts as upheld if any part is)."""
        return self.outcomes[stage]["upheld"] + self.outcomes[stage]["partly-upheld"]

    def outcome_total(self, stage: str) -> int:
        return sum(self.outcomes[stage].values())

    def breaches_total(self) -> int:
        return sum(sum(steps.values()) for steps in self.breaches.values())


def totals(figures: AnnualFigures) -> Totals:
    received = {s: sum(_count(m, f"{s}_received") for m in figures.months) for s in STAGES}
    responded = {s: sum(_count(m, f"{s}_responded") for m in figures.months) for s in STAGES}
    within = {s: sum(_count(m, f"{s}_within") for m in figures.months) for s in STAGES}
    outcomes = {s: {o: _count(figures.outcomes, s, o) for o in _outcome_names(figures)}
                for s in STAGES}
    breaches = {s: {step: _count(figures.breaches, s, step) for step in STEPS} for s in STAGES}
    refused = sum(figures.refusals.values())
    unrecorded = sum(n for reason, n in figures.refusals.items()
                     if reason.strip().lower() in UNRECORDED)
    return Totals(received, responded, within, outcomes, breaches, refused, unrecorded)


def _outcome_names(figures: AnnualFigures) -> list[str]:
    extra = sorted({o for s in STAGES for o in figures.outcomes.get(s, {}) if o not in OUTCOMES})
    return [*OUTCOMES, *extra]


def _gbp(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _ranked(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Largest first (ties by name); "uncategorised" and unrecorded reasons last."""
    return sorted(((k, int(v)) for k, v in counts.items() if v),
                  key=lambda kv: (kv[0] == "uncategorised" or kv[0].strip().lower() in UNRECORDED,
                                  -kv[1], kv[0]))


def _top(counts: Mapping[str, int], exclude: frozenset[str] = frozenset()) -> tuple[str, int] | None:
    ranked = [(k, n) for k, n in _ranked(counts) if k.strip().lower() not in exclude]
    return ranked[0] if ranked else None


def _ch01(figures: AnnualFigures, stage: str) -> str | None:
    if figures.tsm is None:
        return None
    value = figures.tsm.get("CH01", {}).get(stage, {}).get("per_1000")
    return None if value is None else f"{float(value):.1f}"

