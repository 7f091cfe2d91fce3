"""The annual report's charts: each drawn by matplotlib's Agg renderer into a PNG beside the
page, at a fixed size and DPI with no version stamp (the same figures give the same bytes),
with alt text that states its figures. A chart with nothing to show is not drawn.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from complaints.domain.measures import percent
from complaints.rendering import fmt_gbp, fmt_pct, fmt_share, month_label
from complaints.service.annual_report.figures import (
    OUTCOME_NAMES,
    STAGE_NAMES,
    STAGES,
    STEPS,
    AnnualFigures,
    _count,
    _gbp,
    _outcome_names,
    _plural,
    _ranked,
    totals,
)

if TYPE_CHECKING:  # matplotlib is the optional `reports` extra: imported when a chart is drawn
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis


CHARTS: Final = ("months", "timeliness", "outcomes", "categories", "refusals", "compensation",
                 "breaches")

# Charts: a fixed size and DPI, the font matplotlib ships, no version in the file.
DPI: Final = 150
WIDTH_IN: Final = 8.0
HEIGHT_IN: Final = 4.0
MAX_BARS: Final = 15  # categories and refusal reasons beyond these are drawn as one "all others" bar
LABEL_CHARS: Final = 38
# Okabe-Ito blue and vermillion: told apart with any colour vision, 3:1 or more against white
# (WCAG 1.4.11); stage 2 bars are also hatched and its line dashed with square markers.
STAGE_COLOURS: Final = {"stage1": "#0072B2", "stage2": "#D55E00"}
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


class ChartsUnavailable(RuntimeError):
    """matplotlib (the `reports` extra) is not installed."""


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
