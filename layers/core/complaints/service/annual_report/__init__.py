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

This module assembles the report; each part has its own: figures.py (AnnualFigures and their
sums), assessment.py (the self-assessment), chart.py (the charts), page.py (the HTML page) and
pdf.py (printing it with Chromium).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Final

from complaints.service.annual_report.assessment import SelfAssessmentRow, self_assessment
from complaints.service.annual_report.chart import CHARTS, Chart, ChartsUnavailable, charts
from complaints.service.annual_report.figures import AnnualFigures, Totals, long_date, totals
from complaints.service.annual_report.page import html
from complaints.service.annual_report.pdf import ChromiumMissing, PdfFailed, find_chromium, print_pdf

HTML_NAME: Final = "annual-report.html"
PDF_NAME: Final = "annual-report.pdf"
CSV_NAME: Final = "cases.csv"


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


__all__ = ["CHARTS", "CSV_NAME", "HTML_NAME", "PDF_NAME", "AnnualFigures", "Chart", "ChartsUnavailable",
           "ChromiumMissing", "PdfFailed", "SelfAssessmentRow", "Totals", "charts", "find_chromium",
           "html", "long_date", "print_pdf", "render", "self_assessment", "totals"]
