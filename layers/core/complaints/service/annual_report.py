"""The annual complaints performance and service improvement report, rendered from figures.

`complaints report annual --year Y --out DIR` computes the year's figures (AnnualFigures: the
TSM and Scottish JSON exactly as `complaints report tsm|scotland` print them, plus monthly and
per-category counts) and hands them to `render`, which writes into DIR:

- annual-report.html: one static, accessible page a board can read (lang, headings in order, a
  summary first, tables with captions and scoped headers, every chart an <img> whose alt text
  states its figures, no script; the stylesheet inline);
- chart-*.png: the charts, drawn by matplotlib's Agg renderer at a fixed size and DPI with no
  version stamp, so the same figures give the same bytes. A chart with nothing to show is not
  drawn: its section says so in words;
- cases.csv: the figures' cases.csv text, written as given;
- annual-report.pdf: the same page printed by headless Chromium (the browser the form tests use).

Nothing here computes a figure the report's numbers depend on except percentages and shares of
the counts given (100 x part / whole, 1 dp, half up; "no data" when the whole is 0), so the
tables and the TSM JSON can never disagree. `self_assessment(figures)` gives the rows of the
Housing Ombudsman Code self-assessment table, with the evidence the figures give, for tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypedDict, cast

from complaints import rendering
from complaints.domain.measures import per_1000, percent
from complaints.rendering import fmt_gbp, fmt_num, fmt_pct, fmt_share, month_label

if TYPE_CHECKING:  # matplotlib is the optional `reports` extra: imported when a chart is drawn
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis

TEMPLATE: Final = "reports/annual_report.html.j2"
HTML_NAME: Final = "annual-report.html"
PDF_NAME: Final = "annual-report.pdf"
CSV_NAME: Final = "cases.csv"
CHARTS: Final = ("months", "timeliness", "outcomes", "categories", "refusals", "compensation",
                 "breaches")
STAGES: Final = ("stage1", "stage2")
OUTCOMES: Final = ("upheld", "partly-upheld", "not-upheld", "resolved")
STEPS: Final = ("acknowledgement", "response")
# refusal reasons that say no reason was recorded (the figures count refusals by their reason)
UNRECORDED: Final = frozenset({"", "none", "unrecorded", "not recorded", "no reason recorded",
                               "unknown"})
CHROMIUM_TIMEOUT_S: Final = 120

# Charts: a fixed size and DPI, the font matplotlib ships, no version in the file.
DPI: Final = 150
WIDTH_IN: Final = 8.0
HEIGHT_IN: Final = 4.0
MAX_BARS: Final = 15  # categories and refusal reasons beyond these are drawn as one "all others" bar
LABEL_CHARS: Final = 38
# Okabe-Ito blue and vermillion: told apart with any colour vision, 3:1 or more against white
# (WCAG 1.4.11); stage 2 bars are also hatched and its line dashed with square markers.
STAGE_COLOURS: Final = {"stage1": "#0072B2", "stage2": "#D55E00"}
STAGE_NAMES: Final = {"stage1": "Stage 1", "stage2": "Stage 2"}
OUTCOME_NAMES: Final = {"upheld": "Upheld", "partly-upheld": "Partly upheld",
                        "not-upheld": "Not upheld", "resolved": "Resolved"}
RC: Final[dict[str, Any]] = {
    "font.family": "DejaVu Sans", "font.size": 10, "axes.titlesize": 12, "axes.titleweight": "bold",
    "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "#505a5f",
    "axes.labelcolor": "#0b0c0c", "text.color": "#0b0c0c", "xtick.color": "#0b0c0c",
    "ytick.color": "#0b0c0c", "hatch.color": "#ffffff", "hatch.linewidth": 1.0,
    "figure.dpi": DPI, "savefig.dpi": DPI, "path.simplify": False,
    # labels are what staff typed ("#category fees of $5 and $10", "\\foo"): text, never TeX,
    # which would draw them wrongly or stop the whole report with a parse error
    "text.parse_math": False,
}
PNG_METADATA: Final[dict[str, str | None]] = {"Software": None}


class ChromiumMissing(RuntimeError):
    """No headless Chromium to print the PDF with."""


class ChartsUnavailable(RuntimeError):
    """matplotlib (the `reports` extra) is not installed."""


class PdfFailed(RuntimeError):
    """Chromium ran but wrote no PDF."""


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


class SelfAssessmentRow(TypedDict):
    section: str  # the Code's section number(s), e.g. "6.1-6.5" (an en dash)
    title: str  # short title of the provision area
    numbering: str  # "cited" (as the seeds cite it: docs/managers.md) or "unconfirmed"
    requires: str  # what the Code requires, one sentence
    evidence: list[str]  # what the figures show, one statement each
    commentary: str  # left empty: the landlord's commentary


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


def _code_timeliness(figures: AnnualFigures, t: Totals, stage: str) -> tuple[int, int, int | None]:
    """(responded, within, within with extensions) for the Code's cases: the TSM's CH02 where
    there is one (English cases only), else the monthly counts (no with-extensions figure)."""
    if figures.tsm is not None:
        ch02 = figures.tsm.get("CH02", {}).get(stage, {})
        return (_count(ch02, "responded"), _count(ch02, "within"),
                _count(ch02, "within_with_extensions"))
    return t.responded[stage], t.within[stage], None


# --- the self-assessment ----------------------------------------------------------------------

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


# --- charts -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Chart:
    name: str  # "months" -> chart-months.png
    alt: str  # the figures, in words
    caption: str
    height_in: float = HEIGHT_IN

    @property
    def file(self) -> str:
        return f"chart-{self.name}.png"

    @property
    def width_px(self) -> int:
        return round(WIDTH_IN * DPI)

    @property
    def height_px(self) -> int:
        return round(self.height_in * DPI)


def _draw(out: Path, chart: Chart, draw: Callable[[Axes], None]) -> Chart:
    """Draw one chart into out/ at a fixed size and DPI, without pyplot (no global backend or
    figure registry: Agg draws it on savefig) and without a version stamp in the PNG."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as missing:  # pragma: no cover - the dev install has it
        raise ChartsUnavailable("the annual report's charts need matplotlib: "
                                "pip install 'complaints[reports]'") from missing
    # cast: matplotlib types rc keys as a Literal of every name; RC's are checked when it runs
    with matplotlib.rc_context(cast(Any, RC)):
        fig = Figure(figsize=(WIDTH_IN, chart.height_in), dpi=DPI, layout="constrained")
        draw(fig.add_subplot())
        fig.savefig(out / chart.file, format="png", dpi=DPI, metadata=PNG_METADATA,
                    facecolor="white")
    return chart


def _whole_numbers(axis: Axis) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _short(label: str, width: int = LABEL_CHARS) -> str:
    lines = textwrap.wrap(" ".join(label.split()), width) or [label]
    text = "\n".join(lines[:2])
    return text + ("…" if len(lines) > 2 else "")


def _one_line(label: str, width: int = 60) -> str:
    return textwrap.shorten(" ".join(label.split()), width, placeholder="…")


def _grouped_bars(ax: Axes, labels: Sequence[str], series: Mapping[str, Sequence[float]]) -> None:
    count = len(series)
    width = 0.8 / max(count, 1)
    positions = range(len(labels))
    for i, (stage, values) in enumerate(series.items()):
        offset = (i - (count - 1) / 2) * width
        bars = ax.bar([p + offset for p in positions], values, width, label=STAGE_NAMES[stage],
                      color=STAGE_COLOURS[stage], hatch="//" if stage == "stage2" else None,
                      edgecolor=STAGE_COLOURS[stage], linewidth=0.5)
        ax.bar_label(bars, labels=[f"{v:,.0f}" for v in values], padding=2, fontsize=8)
    ax.set_xticks(list(positions), list(labels))
    ax.margins(y=0.15)
    ax.legend(frameon=False)
    _whole_numbers(ax.yaxis)


def _month_ticks(ax: Axes, labels: Sequence[str]) -> None:
    if len(labels) > 12:
        for tick in ax.get_xticklabels():
            tick.set_rotation(90)


def _series_alt(labels: Sequence[str], values: Sequence[str]) -> str:
    return ", ".join(f"{label} {value}" for label, value in zip(labels, values, strict=True))


def _chart_months(figures: AnnualFigures, out: Path) -> Chart | None:
    t = totals(figures)
    if not t.received_all:
        return None
    labels = [month_label(m["month"]) for m in figures.months]
    series = {s: [_count(m, f"{s}_received") for m in figures.months] for s in STAGES}

    def draw(ax: Axes) -> None:
        _grouped_bars(ax, [label.replace(" ", "\n") for label in labels],
                      {s: [float(v) for v in vs] for s, vs in series.items()})
        ax.set_ylabel("Complaints received")
        ax.set_title("Complaints received by month and stage")
        _month_ticks(ax, labels)

    chart = Chart("months", "Bar chart of complaints received by month. " + " ".join(
        f"{STAGE_NAMES[s]} ({t.received[s]:,} in all): "
        f"{_series_alt(labels, [f'{v:,}' for v in series[s]])}." for s in STAGES),
        "Complaints received by month: stage 1 complaints on their received date, stage 2 on "
        "the escalation request date.")
    return _draw(out, chart, draw)


def _chart_timeliness(figures: AnnualFigures, out: Path) -> Chart | None:
    t = totals(figures)
    if not t.responded_all:
        return None
    labels = [month_label(m["month"]) for m in figures.months]
    shares = {s: [percent(_count(m, f"{s}_within"), _count(m, f"{s}_responded"))
                  for m in figures.months] for s in STAGES}

    def draw(ax: Axes) -> None:
        positions = list(range(len(labels)))
        for stage, values in shares.items():
            ys = [float("nan") if v is None else v for v in values]
            ax.plot(positions, ys, label=STAGE_NAMES[stage], color=STAGE_COLOURS[stage],
                    linestyle="-" if stage == "stage1" else "--",
                    marker="o" if stage == "stage1" else "s", markersize=6, linewidth=2)
        ax.set_xticks(positions, [label.replace(" ", "\n") for label in labels])
        ax.set_ylim(0, 105)
        ax.set_ylabel("% answered within timescale")
        ax.set_title("Share of responses within timescale, by month")
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.legend(frameon=False, loc="lower left")
        _month_ticks(ax, labels)

    chart = Chart("timeliness", "Line chart of the share of responses within timescale by month; "
                  "no point where nothing was answered. " + " ".join(
                      f"{STAGE_NAMES[s]} ({fmt_share(t.within[s], t.responded[s])} over the period): "
                      f"{_series_alt(labels, [fmt_pct(v) for v in shares[s]])}." for s in STAGES),
                  "Share of stage responses in each month that were within timescale under the "
                  "case's policy (without extensions); a gap means no response that month.")
    return _draw(out, chart, draw)


def _chart_outcomes(figures: AnnualFigures, out: Path) -> Chart | None:
    t = totals(figures)
    if not any(t.outcome_total(s) for s in STAGES):
        return None
    names = _outcome_names(figures)
    labels = [OUTCOME_NAMES.get(o, o) for o in names]

    def draw(ax: Axes) -> None:
        _grouped_bars(ax, labels, {s: [float(t.outcomes[s][o]) for o in names] for s in STAGES})
        ax.set_ylabel("Responses")
        ax.set_title("Outcomes of responses by stage")

    chart = Chart("outcomes", "Bar chart of outcomes by stage. " + " ".join(
        f"{STAGE_NAMES[s]} ({t.outcome_total(s):,} responses): "
        f"{_series_alt([lb.lower() for lb in labels], [f'{t.outcomes[s][o]:,}' for o in names])}."
        for s in STAGES), "Outcomes of the stage responses issued in the period.")
    return _draw(out, chart, draw)


def _horizontal(figures_counts: Mapping[str, int], out: Path, name: str, title: str, what: str,
                caption: str) -> Chart | None:
    ranked = [(label or "no reason recorded", n) for label, n in _ranked(figures_counts)]
    if not ranked:
        return None
    shown = ranked[:MAX_BARS]
    rest = ranked[MAX_BARS:]
    if rest:
        shown = [*shown, (f"all others ({len(rest)})", sum(n for _, n in rest))]
    total = sum(n for _, n in ranked)
    height = max(2.5, 0.45 * len(shown) + 1.2)

    def draw(ax: Axes) -> None:
        ys = list(range(len(shown)))
        bars = ax.barh(ys, [n for _, n in shown], color=STAGE_COLOURS["stage1"], height=0.6)
        ax.bar_label(bars, labels=[f"{n:,} ({fmt_share(n, total)})" for _, n in shown], padding=3,
                     fontsize=8)
        ax.set_yticks(ys, [_short(label) for label, _ in shown])
        ax.invert_yaxis()
        ax.margins(x=0.25)
        _whole_numbers(ax.xaxis)
        ax.set_xlabel(what)
        ax.set_title(title)

    chart = Chart(name, f"Horizontal bar chart: {title.lower()}, {total:,} in all. " + "; ".join(
        f"{_one_line(label)} {n:,} ({fmt_share(n, total)})" for label, n in shown) + ".", caption,
        height)
    return _draw(out, chart, draw)


def _chart_compensation(figures: AnnualFigures, out: Path) -> Chart | None:
    by_stage = {s: _gbp((figures.compensation.get("by_stage") or {}).get(s)) for s in STAGES}
    if not any(by_stage.values()):
        return None

    def draw(ax: Axes) -> None:
        bars = ax.bar([STAGE_NAMES[s] for s in STAGES], [by_stage[s] for s in STAGES],
                      color=[STAGE_COLOURS[s] for s in STAGES], width=0.5,
                      hatch=[None, "//"], edgecolor=[STAGE_COLOURS[s] for s in STAGES])
        ax.bar_label(bars, labels=[fmt_gbp(by_stage[s]) for s in STAGES], padding=2, fontsize=9)
        ax.set_ylabel("Compensation offered (£)")
        ax.yaxis.set_major_formatter(lambda v, _pos: f"£{v:,.0f}")
        ax.margins(y=0.15)
        ax.set_title("Compensation offered by stage")

    chart = Chart("compensation", f"Bar chart of compensation offered by stage: "
                  f"stage 1 {fmt_gbp(by_stage['stage1'])}, stage 2 {fmt_gbp(by_stage['stage2'])}; "
                  f"{fmt_gbp(_gbp(figures.compensation.get('total_gbp')))} in "
                  f"{_plural(_count(figures.compensation, 'cases'), 'case')}.",
                  "Compensation offered in stage responses issued in the period, by stage.", 3.2)
    return _draw(out, chart, draw)


def _chart_breaches(figures: AnnualFigures, out: Path) -> Chart | None:
    t = totals(figures)
    if not t.breaches_total():
        return None
    labels = ["Acknowledgement", "Response"]

    def draw(ax: Axes) -> None:
        _grouped_bars(ax, labels, {s: [float(t.breaches[s][step]) for step in STEPS] for s in STAGES})
        ax.set_ylabel("Missed steps")
        ax.set_title("Steps missed by their due date, by stage")

    chart = Chart("breaches", f"Bar chart of steps missed by their due date, {t.breaches_total():,} "
                  "in all. " + " ".join(
                      f"{STAGE_NAMES[s]}: acknowledgements {t.breaches[s]['acknowledgement']:,}, "
                      f"responses {t.breaches[s]['response']:,}." for s in STAGES),
                  "Acknowledgements and responses due in the period that were not done by their "
                  "due date.", 3.2)
    return _draw(out, chart, draw)


def charts(figures: AnnualFigures, out: Path) -> dict[str, Chart]:
    """Draw every chart that has something to show into out/; a stale one from an earlier run
    with figures that had something is removed, so no file contradicts the page."""
    drawn = {
        "months": _chart_months(figures, out),
        "timeliness": _chart_timeliness(figures, out),
        "outcomes": _chart_outcomes(figures, out),
        "categories": _horizontal(figures.categories, out, "categories",
                                  "Complaints received by category", "Complaints",
                                  "Complaints received in the period by category."),
        "refusals": _horizontal(figures.refusals, out, "refusals", "Complaints refused by reason",
                                "Refused complaints", "Complaints refused in the period, by the "
                                "reason recorded."),
        "compensation": _chart_compensation(figures, out),
        "breaches": _chart_breaches(figures, out),
    }
    for name, chart in drawn.items():
        if chart is None:
            (out / f"chart-{name}.png").unlink(missing_ok=True)
    return {name: chart for name, chart in drawn.items() if chart is not None}


# --- the page ---------------------------------------------------------------------------------

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


# --- the PDF ----------------------------------------------------------------------------------

def find_chromium(chromium: str | None = None) -> str:
    """The Chromium to print with: the one given (a path or a name on PATH), else `chromium`."""
    candidates = [chromium] if chromium else ["chromium", "chromium-browser", "google-chrome"]
    for name in candidates:
        found = shutil.which(name) or (name if Path(name).is_file() and os.access(name, os.X_OK)
                                       else None)
        if found:
            return found
    raise ChromiumMissing(
        f"no headless Chromium to print the PDF with ({', '.join(candidates)} not found): install "
        "Debian's chromium (make test does) or pass its path")


def print_pdf(chromium: str, page: Path, pdf: Path) -> None:
    """Print the page to PDF with headless Chromium, a private profile each time (so it never
    meets a running browser's), no header or footer."""
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="complaints-chromium-") as profile:
        command = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                   "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                   f"--user-data-dir={profile}", "--no-pdf-header-footer",
                   f"--print-to-pdf={pdf}", page.resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, timeout=CHROMIUM_TIMEOUT_S,
                                  check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as slow:
            raise PdfFailed(f"Chromium did not print {page.name} within {CHROMIUM_TIMEOUT_S} s") \
                from slow
    if done.returncode != 0 or not pdf.is_file() or not pdf.read_bytes().startswith(b"%PDF"):
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise PdfFailed(f"Chromium exited {done.returncode} without a PDF of {page.name}: "
                        + " | ".join(tail))


# --- all of it --------------------------------------------------------------------------------

def render(figures: AnnualFigures, out: Path, chromium: str | None = None) -> dict[str, Path]:
    """Write the report into out/ (created): the page, its charts, cases.csv and the PDF.

    Returns each file by role: "html", "pdf", "cases_csv", and "chart_<name>" for every chart
    drawn. Raises ChromiumMissing before writing anything when there is no Chromium to print with.
    """
    browser = find_chromium(chromium)
    out.mkdir(parents=True, exist_ok=True)
    # drawn in a private directory, then each file moved into place: a file (or a symlink)
    # already in out/ is replaced, never written through
    work = Path(tempfile.mkdtemp(prefix=".annual-report-", dir=out))
    try:
        drawn = charts(figures, work)
        (work / HTML_NAME).write_text(html(figures, drawn), encoding="utf-8")
        (work / CSV_NAME).write_text(figures.cases_csv, encoding="utf-8", newline="")
        print_pdf(browser, work / HTML_NAME, work / PDF_NAME)
        written = {"html": out / HTML_NAME, "pdf": out / PDF_NAME, "cases_csv": out / CSV_NAME}
        written.update({f"chart_{name}": out / chart.file for name, chart in drawn.items()})
        for path in written.values():
            os.replace(work / path.name, path)
        for name in CHARTS:  # a chart an earlier run drew that has nothing to show now
            if name not in drawn:
                (out / f"chart-{name}.png").unlink(missing_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return written
