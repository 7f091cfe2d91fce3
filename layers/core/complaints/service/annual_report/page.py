"""The annual report's page: one static, accessible HTML page from
templates/reports/annual_report.html.j2, its summary first, with the charts drawn beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from complaints import rendering
from complaints.domain.measures import per_1000
from complaints.rendering import fmt_gbp, fmt_num, fmt_pct, fmt_share, month_label
from complaints.service.annual_report.assessment import self_assessment
from complaints.service.annual_report.chart import Chart
from complaints.service.annual_report.figures import (
    OUTCOME_NAMES,
    STAGE_NAMES,
    STAGES,
    AnnualFigures,
    Totals,
    _ch01,
    _count,
    _gbp,
    _outcome_names,
    _plural,
    _ranked,
    _top,
    long_date,
    totals,
)

TEMPLATE: Final = "reports/annual_report.html.j2"


def _year_label(figures: AnnualFigures) -> str:
    f, t = figures.period_from, figures.period_to
    if (f.month, f.day, t.month, t.day) == (4, 1, 3, 31) and t.year == f.year + 1:
        return f"{f.year}/{str(t.year)[-2:]}"
    return f"{long_date(f)} to {long_date(t)}"


def _summary(figures: AnnualFigures, t: Totals) -> list[str]:
    if not t.received_all and not t.responded_all and not t.refused:
        return ["No complaints were received, answered or refused in the period."]
    lines = [f"{_plural(t.received['stage1'], 'complaint')} received at stage 1 and "
             f"{t.received['stage2']:,} escalated to stage 2."]
    if figures.tsm is not None:
        s1, s2 = _ch01(figures, "stage1"), _ch01(figures, "stage2")
        if s1 is not None and s2 is not None:
            lines.append(f"Tenant Satisfaction Measure CH01: {s1} stage 1 and {s2} stage 2 complaints "
                         f"per 1,000 homes.")
    elif figures.homes:
        lines.append(f"{fmt_num(per_1000(t.received['stage1'], figures.homes), 1)} stage 1 and "
                     f"{fmt_num(per_1000(t.received['stage2'], figures.homes), 1)} stage 2 complaints "
                     f"per 1,000 homes.")
    lines.append(f"Answered within timescale: {fmt_share(t.within['stage1'], t.responded['stage1'])} "
                 f"of {_plural(t.responded['stage1'], 'stage 1 response')} and "
                 f"{fmt_share(t.within['stage2'], t.responded['stage2'])} of "
                 f"{_plural(t.responded['stage2'], 'stage 2 response')}.")
    upheld = [f"{fmt_share(t.upheld(s), t.outcome_total(s))} at {STAGE_NAMES[s].lower()}"
              for s in STAGES]
    lines.append(f"Upheld in full or in part: {upheld[0]}, {upheld[1]}.")
    lines.append(f"{_plural(t.refused, 'complaint')} refused; "
                 f"{fmt_gbp(_gbp(figures.compensation.get('total_gbp')))} compensation offered in "
                 f"{_plural(_count(figures.compensation, 'cases'), 'case')}.")
    lines.append(f"{_plural(t.breaches_total(), 'step')} missed the Code's or policy's timescale "
                 f"({t.breaches['stage1']['acknowledgement'] + t.breaches['stage2']['acknowledgement']:,} "
                 f"acknowledgements, "
                 f"{t.breaches['stage1']['response'] + t.breaches['stage2']['response']:,} responses); "
                 f"{fmt_pct(figures.escalation_rate)} of stage 1 responses were escalated.")
    top = _top(figures.categories, exclude=frozenset({"uncategorised"}))
    if top:
        received = sum(figures.categories.values())
        lines.append(f"Most complained-about: {top[0]} ({fmt_share(top[1], received)} of complaints "
                     f"received).")
    return lines


def html(figures: AnnualFigures, drawn: Mapping[str, Chart]) -> str:
    """The report's page; `drawn` are the charts written beside it."""
    t = totals(figures)
    months = [{
        "label": month_label(m["month"]),
        **{key: _count(m, key) for key in ("stage1_received", "stage2_received", "stage1_responded",
                                           "stage1_within", "stage2_responded", "stage2_within")},
    } for m in figures.months]
    categories_total = sum(figures.categories.values())
    refusals_total = sum(figures.refusals.values())
    by_stage = {s: _gbp((figures.compensation.get("by_stage") or {}).get(s)) for s in STAGES}
    cases = _count(figures.compensation, "cases")
    assessment = self_assessment(figures)
    return rendering.environment().get_template(TEMPLATE).render(
        f=figures, t=t, year=_year_label(figures), period_from=long_date(figures.period_from),
        period_to=long_date(figures.period_to), summary=_summary(figures, t), months=months,
        stages=STAGES, stage_names=STAGE_NAMES, outcome_names=OUTCOME_NAMES,
        outcomes=_outcome_names(figures), charts=drawn,
        categories=_ranked(figures.categories), categories_total=categories_total,
        refusals=_ranked(figures.refusals), refusals_total=refusals_total,
        compensation={"cases": cases, "total": _gbp(figures.compensation.get("total_gbp")),
                      "by_stage": by_stage,
                      "average": (None if not cases
                                  else _gbp(figures.compensation.get("total_gbp")) / cases)},
        acknowledgements={s: (_count(figures.acknowledgements, s, "due"),
                              _count(figures.acknowledgements, s, "on_time")) for s in STAGES},
        extensions={s: _count(figures.extensions, s) for s in STAGES},
        ch01={s: (figures.tsm or {}).get("CH01", {}).get(s, {}) for s in STAGES},
        ch02={s: (figures.tsm or {}).get("CH02", {}).get(s, {}) for s in STAGES},
        scot={s: (figures.scotland or {}).get(s, {}) for s in STAGES},
        tsm_homes=(figures.tsm or {}).get("homes"),
        assessment=assessment,
        scotland_only=figures.tsm is None and figures.scotland is not None,
    )
