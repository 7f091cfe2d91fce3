"""The annual report's self-assessment against the Complaint Handling Code: one row per
provision area, with the evidence the figures give (the page's section 11; tests read it too).
"""

from __future__ import annotations

from typing import TypedDict

from complaints.rendering import fmt_gbp, fmt_pct, fmt_share
from complaints.service.annual_report.figures import (
    STAGE_NAMES,
    STAGES,
    UNRECORDED,
    AnnualFigures,
    Totals,
    _ch01,
    _count,
    _gbp,
    _plural,
    _ranked,
    _top,
    totals,
)


class SelfAssessmentRow(TypedDict):
    section: str  # the Code's section number(s), e.g. "6.1-6.5" (an en dash)
    title: str  # short title of the provision area
    numbering: str  # "cited" (as the seeds cite it: docs/managers.md) or "unconfirmed"
    requires: str  # what the Code requires, one sentence
    evidence: list[str]  # what the figures show, one statement each
    commentary: str  # left empty: the landlord's commentary


def _code_timeliness(figures: AnnualFigures, t: Totals, stage: str) -> tuple[int, int, int | None]:
    """(responded, within, within with extensions) for the Code's cases: the TSM's CH02 where
    there is one (English cases only), else the monthly counts (no with-extensions figure)."""
    if figures.tsm is not None:
        ch02 = figures.tsm.get("CH02", {}).get(stage, {})
        return (_count(ch02, "responded"), _count(ch02, "within"),
                _count(ch02, "within_with_extensions"))
    return t.responded[stage], t.within[stage], None


def self_assessment(figures: AnnualFigures) -> list[SelfAssessmentRow]:
    """One row per Housing Ombudsman Complaint Handling Code (2024) provision area, each with the
    evidence these figures give. Section numbers are those the seeds cite (1.4, 2.1-2.4,
    6.2-6.5, 6.11-6.13); the others, and section 8, are marked unconfirmed (docs/managers.md,
    the annual report). Timeliness evidence is the TSM's (English cases under the Code) when
    there is one, else the monthly counts."""
    t = totals(figures)
    mixed = figures.scotland is not None
    scope = " (English and Scottish cases)" if mixed else ""
    rows: list[SelfAssessmentRow] = []

    def row(section: str, title: str, numbering: str, requires: str, evidence: list[str]) -> None:
        rows.append(SelfAssessmentRow(section=section, title=title, numbering=numbering,
                                      requires=requires, evidence=evidence, commentary=""))

    # 1-2 definition and exclusions
    evidence = [f"{_plural(t.received['stage1'], 'complaint')} received at stage 1 and "
                f"{t.received['stage2']:,} at stage 2{scope}"]
    if t.refused:
        recorded = ("reasons recorded for all" if not t.unrecorded_refusals
                    else f"no reason recorded for {t.unrecorded_refusals:,}")
        evidence.append(f"{_plural(t.refused, 'complaint')} refused "
                        f"({fmt_share(t.refused, t.received_all)} of those received), {recorded}")
        top = _top(figures.refusals, exclude=UNRECORDED)
        if top:
            evidence.append(f"most common reason for refusal: {top[0]} ({top[1]:,})")
    else:
        evidence.append("no complaints refused")
    row("1.4, 2.1\u20132.4", "Definition of a complaint and exclusions", "cited",
        "Treat any expression of dissatisfaction as a complaint (a service request is not one) and "
        "refuse a complaint only for a reason the Code allows, explaining why and the right to go "
        "to the Ombudsman.", evidence)

    # 3 accessibility and awareness
    evidence = [f"{_plural(t.received_all, 'complaint')} received in the period{scope}"]
    rate = _ch01(figures, "stage1")
    if rate is not None:
        evidence.append(f"{rate} stage 1 complaints per 1,000 homes (TSM CH01)")
    evidence.append("channels used and reasonable adjustments made are not in these figures")
    row("3", "Accessibility and awareness", "unconfirmed",
        "Make it easy to complain by any channel, publicise the policy and the Ombudsman, and "
        "make reasonable adjustments for residents who need them.", evidence)

    # 4 complaint handling staff
    row("4", "Complaint handling staff", "unconfirmed",
        "Have a person or team responsible for complaints, with the access, authority and "
        "training to resolve them.",
        [f"{_plural(t.responded['stage1'], 'stage 1 response')} and "
         f"{_plural(t.responded['stage2'], 'stage 2 response')} issued{scope}",
         "who handled each stage is not in these figures: the landlord's evidence"])

    # 5 the complaint handling process
    evidence = [f"{_plural(t.breaches_total(), 'missed step')} (acknowledgements or responses "
                f"past their due date) in the period"]
    for stage in STAGES:
        used = _count(figures.extensions, stage)
        evidence.append(f"{STAGE_NAMES[stage].lower()} responses that used an extension: "
                        f"{fmt_share(used, t.responded[stage])} ({used:,} of {t.responded[stage]:,})")
    row("5", "The complaint handling process", "unconfirmed",
        "Run one two-stage process, define each complaint, keep a full record, and keep the "
        "resident informed; extend a deadline only with good reason.", evidence)

    # 6 stage 1 and stage 2
    for stage, section, acknowledge, respond, requires in (
        ("stage1", "6.1\u20136.5", 5, 10,
         "Acknowledge within 5 working days of receipt (6.2) and respond within 10 working days of "
         "the acknowledgement (6.3); an extension of up to 10 more working days needs a reason, "
         "told to the resident with the Ombudsman's details (6.4\u20136.5)."),
        ("stage2", "6.11\u20136.13", 5, 20,
         "Acknowledge within 5 working days of the escalation request (6.11) without asking for "
         "reasons (6.12), have someone not involved at stage 1 consider it (6.13), and respond "
         "within 20 working days of the acknowledgement (up to 20 more with good reason)."),
    ):
        label = STAGE_NAMES[stage].lower()
        due = _count(figures.acknowledgements, stage, "due")
        on_time = _count(figures.acknowledgements, stage, "on_time")
        ack_window = (f"within {acknowledge} working days" if not mixed
                      else "on time (each case by its own policy's timescale)")
        evidence = [f"{fmt_share(on_time, due)} of {label} acknowledgements {ack_window} "
                    f"({on_time:,} of {due:,})" if due else f"no {label} acknowledgements due"]
        responded, within, with_ext = _code_timeliness(figures, t, stage)
        where = " (English cases, TSM CH02)" if figures.tsm is not None and mixed else ""
        evidence.append(f"{label} responses within {respond} working days{where}: "
                        f"{fmt_share(within, responded)} ({within:,} of {responded:,})")
        if with_ext is not None:
            evidence.append(f"{label} responses within timescale counting allowed extensions: "
                            f"{fmt_share(with_ext, responded)} ({with_ext:,} of {responded:,})")
        missed = t.breaches[stage]
        evidence.append(f"missed: {_plural(missed['acknowledgement'], 'acknowledgement')}, "
                        f"{_plural(missed['response'], 'response')}")
        if stage == "stage2":
            evidence.append(f"stage 1 responses later escalated: {fmt_pct(figures.escalation_rate)}")
        row(section, STAGE_NAMES[stage], "cited", requires, evidence)

    # 7 putting things right
    evidence = []
    for stage in STAGES:
        whole = t.outcome_total(stage)
        evidence.append(f"{STAGE_NAMES[stage].lower()} complaints upheld in full or in part: "
                        f"{fmt_share(t.upheld(stage), whole)} ({t.upheld(stage):,} of {whole:,})")
    cases = _count(figures.compensation, "cases")
    evidence.append(f"compensation: {fmt_gbp(_gbp(figures.compensation.get('total_gbp')))} "
                    f"offered in {_plural(cases, 'case')}")
    row("7", "Putting things right", "unconfirmed",
        "Where something has gone wrong, acknowledge it and put it right: an apology, action to "
        "fix it, and compensation or other remedies where due.", evidence)

    # 8 self-assessment, reporting and compliance
    evidence = [f"this report: {_plural(t.received_all, 'complaint')} received, "
                f"{_plural(t.responded_all, 'response')} issued and "
                f"{_plural(t.breaches_total(), 'missed step')} in the period"]
    if figures.tsm is not None:
        evidence.append("Tenant Satisfaction Measures CH01 and CH02 computed for the period "
                        "(section 2)")
    evidence.append(f"{_plural(t.refused, 'refusal')} reported by reason (section 8)")
    row("8", "Self-assessment, reporting and compliance", "unconfirmed",
        "Self-assess against the Code every year and publish an annual complaints performance and "
        "service improvement report, with the governing body's response.", evidence)

    # 9 scrutiny and oversight
    received = sum(figures.categories.values())
    evidence = []
    ranked = _ranked(figures.categories)
    named = [(c, n) for c, n in ranked if c != "uncategorised"][:3]
    if named:
        evidence.append("most complained-about: " + ", ".join(
            f"{c} ({n:,}, {fmt_share(n, received)})" for c, n in named))
    uncategorised = figures.categories.get("uncategorised", 0)
    evidence.append(f"complaints with a category recorded: "
                    f"{fmt_share(received - uncategorised, received)} "
                    f"({received - uncategorised:,} of {received:,})")
    row("9", "Scrutiny and oversight: continuous learning and improvement", "unconfirmed",
        "Use complaints to learn and improve services, with a member of the governing body "
        "responsible for complaints and regular reports to it.", evidence)
    return rows
