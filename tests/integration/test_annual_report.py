"""The annual complaints report rendered from figures (service/annual_report.py, issue 12).

Given the figures of an English-only landlord (with its TSM), of a landlord with homes in England
and Scotland, and of a year with no complaints, when the report is rendered, then the page has
its headings in order, the TSM and Scottish tables and the self-assessment state the figures, every
chart is a PNG referenced by an <img> whose alt text gives its figures, the charts are the same
bytes on a second run, cases.csv is written as given, the PDF (headless Chromium) has pages, and
axe-core finds no WCAG 2.2 A/AA violation. One run pictures the page for the README.
"""

from __future__ import annotations

import itertools
import re
import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver

from complaints.domain.measures import percent
from complaints.service.annual_report import (
    CHARTS,
    AnnualFigures,
    ChromiumMissing,
    charts,
    html,
    render,
    self_assessment,
)
from tests import browser as harness

browser = harness.browser  # one Chromium for the module's axe checks
REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "annual-report.png"  # shown in the README; remade by every run
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").is_file()
                                        else None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason=harness.INSTALL_HINT)
pytestmark = pytest.mark.slow  # headless Chromium prints each PDF

HEADINGS = ["1. Summary", "2. Tenant Satisfaction Measures (CH01 and CH02)",
            "3. Scottish indicators (SPSO and SHR)", "4. Complaints by month", "5. Timeliness",
            "6. Outcomes", "7. Categories", "8. Refusals", "9. Compensation and remedies",
            "10. Breaches of the Code\u2019s timescales",
            "11. Self-assessment against the Housing Ombudsman\u2019s Complaint Handling Code",
            "12. Notes and definitions"]
CSV_HEADER = ("reference,policy,received,channel,tenure,resident_email,category,stage1_acknowledged,"
              "stage1_extended_to,stage1_responded,stage1_outcome,escalated,stage2_acknowledged,"
              "stage2_extended_to,stage2_responded,stage2_outcome,refused,refused_reason,closed,"
              "compensation\r\n")


def year_months(start: int, **series: list[int]) -> list[dict[str, Any]]:
    """Twelve months from April of `start`, the counts given per key."""
    months = []
    for i in range(12):
        year, month = (start, 4 + i) if i < 9 else (start + 1, i - 8)
        months.append({"month": f"{year}-{month:02d}", **{k: v[i] for k, v in series.items()}})
    return months


# An English housing association with 4,000 homes: 120 stage 1 and 18 stage 2 complaints give
# CH01 30.0 and 4.5 (regulation.md's worked example); 103 of 116 stage 1 responses in time (88.8%).
ENGLISH = AnnualFigures(
    landlord="Example Homes", period_from=date(2025, 4, 1), period_to=date(2026, 3, 31), homes=4000,
    tsm={"period": {"from": "2025-04-01", "to": "2026-03-31"}, "homes": 4000,
         "CH01": {"stage1": {"count": 120, "per_1000": 30.0}, "stage2": {"count": 18, "per_1000": 4.5}},
         "CH02": {"stage1": {"responded": 116, "within": 103, "percent": 88.8,
                             "within_with_extensions": 109, "percent_with_extensions": 94.0},
                  "stage2": {"responded": 16, "within": 14, "percent": 87.5,
                             "within_with_extensions": 15, "percent_with_extensions": 93.8}}},
    scotland=None,
    months=year_months(2025,
                       stage1_received=[9, 11, 10, 12, 8, 10, 11, 9, 7, 12, 11, 10],
                       stage2_received=[1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2],
                       stage1_responded=[8, 10, 10, 11, 9, 9, 10, 10, 8, 10, 11, 10],
                       stage1_within=[7, 9, 9, 10, 8, 8, 9, 9, 6, 9, 10, 9],
                       stage2_responded=[0, 1, 2, 1, 1, 2, 1, 2, 1, 2, 1, 2],
                       stage2_within=[0, 1, 1, 1, 1, 2, 1, 1, 1, 2, 1, 2]),
    outcomes={"stage1": {"upheld": 30, "partly-upheld": 25, "not-upheld": 55, "resolved": 6},
              "stage2": {"upheld": 4, "partly-upheld": 5, "not-upheld": 7, "resolved": 0}},
    categories={"repairs": 52, "damp and mould": 21, "anti-social behaviour handling": 12,
                "staff conduct": 9, "rent and service charges": 8, "communication": 10,
                "uncategorised": 8},
    refusals={"issue more than 12 months old": 4, "legal proceedings started": 2,
              "already through the complaints process": 1},
    compensation={"cases": 23, "total_gbp": 4725.5, "by_stage": {"stage1": 3150.5, "stage2": 1575.0}},
    breaches={"stage1": {"acknowledgement": 6, "response": 13},
              "stage2": {"acknowledgement": 1, "response": 2}},
    acknowledgements={"stage1": {"due": 124, "on_time": 118}, "stage2": {"due": 18, "on_time": 17}},
    extensions={"stage1": 9, "stage2": 2},
    escalation_rate=15.5,
    cases_csv=CSV_HEADER + "CMP-2025-000001,hos-2024,2025-04-02,email,LCRA,a.khan@example.org,"
                           "repairs,2025-04-04,,2025-04-15,upheld,,,,,,,,2025-05-20,150.00\r\n",
)

# A landlord with homes on both sides of the border (as Homes Plus, seed 000).
MIXED = AnnualFigures(
    landlord="Homes Plus", period_from=date(2025, 4, 1), period_to=date(2026, 3, 31), homes=6500,
    tsm={"period": {"from": "2025-04-01", "to": "2026-03-31"}, "homes": 4200,
         "CH01": {"stage1": {"count": 84, "per_1000": 20.0}, "stage2": {"count": 13, "per_1000": 3.1}},
         "CH02": {"stage1": {"responded": 80, "within": 70, "percent": 87.5,
                             "within_with_extensions": 76, "percent_with_extensions": 95.0},
                  "stage2": {"responded": 12, "within": 9, "percent": 75.0,
                             "within_with_extensions": 11, "percent_with_extensions": 91.7}}},
    scotland={"period": {"from": "2025-04-01", "to": "2026-03-31"},
              "stage1": {"received": 45, "responded": 44, "within": 38, "percent": 86.4,
                         "within_with_extensions": 42, "percent_with_extensions": 95.5,
                         "average_working_days": 4.2},
              "stage2": {"received": 8, "responded": 7, "within": 5, "percent": 71.4,
                         "within_with_extensions": 6, "percent_with_extensions": 85.7,
                         "average_working_days": 18.6}},
    months=year_months(2025,
                       stage1_received=[11, 10, 12, 9, 10, 11, 13, 12, 8, 11, 10, 12],
                       stage2_received=[2, 1, 2, 1, 2, 2, 1, 2, 2, 2, 2, 2],
                       stage1_responded=[9, 10, 11, 10, 9, 10, 12, 12, 8, 10, 11, 12],
                       stage1_within=[8, 9, 9, 9, 8, 9, 10, 11, 6, 9, 10, 10],
                       stage2_responded=[1, 1, 2, 1, 2, 1, 2, 2, 1, 2, 1, 3],
                       stage2_within=[1, 1, 1, 1, 1, 1, 2, 1, 0, 2, 1, 2]),
    outcomes={"stage1": {"upheld": 31, "partly-upheld": 28, "not-upheld": 53, "resolved": 12},
              "stage2": {"upheld": 5, "partly-upheld": 4, "not-upheld": 9, "resolved": 1}},
    categories={"repairs": 60, "damp and mould": 25, "estate services": 14, "lettings": 9,
                "communication": 11, "uncategorised": 10},
    refusals={"issue more than 12 months old": 3, "": 1, "insurance claim": 2},
    compensation={"cases": 31, "total_gbp": 6210.0, "by_stage": {"stage1": 4010.0, "stage2": 2200.0}},
    breaches={"stage1": {"acknowledgement": 4, "response": 16},
              "stage2": {"acknowledgement": 2, "response": 5}},
    acknowledgements={"stage1": {"due": 88, "on_time": 84}, "stage2": {"due": 21, "on_time": 19}},
    extensions={"stage1": 14, "stage2": 4},
    escalation_rate=14.7,
    cases_csv=CSV_HEADER,
)

EMPTY = AnnualFigures(
    landlord="Quiet Homes", period_from=date(2025, 4, 1), period_to=date(2026, 3, 31), homes=None,
    tsm=None, scotland=None,
    months=year_months(2025, **{k: [0] * 12 for k in (
        "stage1_received", "stage2_received", "stage1_responded", "stage1_within",
        "stage2_responded", "stage2_within")}),
    outcomes={"stage1": {"upheld": 0, "partly-upheld": 0, "not-upheld": 0, "resolved": 0},
              "stage2": {"upheld": 0, "partly-upheld": 0, "not-upheld": 0, "resolved": 0}},
    categories={}, refusals={},
    compensation={"cases": 0, "total_gbp": 0.0, "by_stage": {"stage1": 0.0, "stage2": 0.0}},
    breaches={"stage1": {"acknowledgement": 0, "response": 0},
              "stage2": {"acknowledgement": 0, "response": 0}},
    acknowledgements={"stage1": {"due": 0, "on_time": 0}, "stage2": {"due": 0, "on_time": 0}},
    extensions={"stage1": 0, "stage2": 0}, escalation_rate=None, cases_csv=CSV_HEADER,
)


# --- reading what was written -----------------------------------------------------------------

@dataclass
class Page(HTMLParser):
    """What a reader (and a screen reader) meets on the page: headings, images, tables, text."""

    lang: str = ""
    headings: list[tuple[str, str]] = field(default_factory=list)
    images: list[dict[str, str]] = field(default_factory=list)
    scripts: int = 0
    tables: int = 0
    captions: int = 0
    th_without_scope: int = 0
    rows: list[list[str]] = field(default_factory=list)  # every table row's cells' text
    text: str = ""
    _heading: str | None = None
    _cell: list[str] | None = None
    _row: list[str] | None = None

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        elif tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self._heading = tag
            self.headings.append((tag, ""))
        elif tag == "img":
            self.images.append(a)
        elif tag == "script":
            self.scripts += 1
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "tr":
            self._row = []
        elif tag in {"th", "td"}:
            if tag == "th" and a.get("scope") not in {"col", "row"}:
                self.th_without_scope += 1
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading:
            self._heading = None
        elif tag in {"th", "td"} and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._heading is not None:
            tag, text = self.headings[-1]
            self.headings[-1] = (tag, text + data)
        if self._cell is not None:
            self._cell.append(data)

    def row(self, header: str) -> list[str]:
        """The first table row whose header cell is `header`."""
        for cells in self.rows:
            if cells and cells[0] == header:
                return cells
        raise AssertionError(f"no row {header!r}; rows: {[r[0] for r in self.rows if r]}")


def read_page(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13, f"{path.name} does not start with IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def pdf_pages(path: Path) -> int:
    data = path.read_bytes()
    assert data.startswith(b"%PDF"), f"{path.name} is not a PDF"
    return len(re.findall(rb"/Type\s*/Page(?!s)", data))


@dataclass(frozen=True)
class Rendered:
    figures: AnnualFigures
    out: Path
    files: dict[str, Path]
    page: Page


def rendered(tmp_path_factory: pytest.TempPathFactory, figures: AnnualFigures, name: str) -> Rendered:
    out = tmp_path_factory.mktemp(name) / "report"
    files = render(figures, out, chromium=CHROMIUM)
    return Rendered(figures, out, files, read_page(files["html"]))


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    if CHROMIUM is None:
        pytest.skip(harness.INSTALL_HINT)
    yield rendered(tmp_path_factory, ENGLISH, "english")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    if CHROMIUM is None:
        pytest.skip(harness.INSTALL_HINT)
    yield rendered(tmp_path_factory, MIXED, "mixed")


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    if CHROMIUM is None:
        pytest.skip(harness.INSTALL_HINT)
    yield rendered(tmp_path_factory, EMPTY, "empty")


def evidence(figures: AnnualFigures, title: str) -> list[str]:
    rows = [row for row in self_assessment(figures) if row["title"] == title]
    assert len(rows) == 1, [row["title"] for row in self_assessment(figures)]
    return rows[0]["evidence"]


# --- the page -----------------------------------------------------------------------------------

@pytest.mark.parametrize("report", ["english", "mixed", "empty"])
def test_the_page_is_structured_for_every_reader(report: str, request: pytest.FixtureRequest) -> None:
    r: Rendered = request.getfixturevalue(report)
    page = r.page
    assert page.lang == "en-GB"
    assert page.scripts == 0
    levels = [int(tag[1]) for tag, _ in page.headings]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels)), \
        page.headings
    assert page.headings[0][1].startswith("Annual complaints performance and service improvement "
                                          "report 2025/26")
    h2 = [text.strip() for tag, text in page.headings if tag == "h2"]
    assert h2 == ["Contents", *HEADINGS]
    assert page.tables >= 8 and page.captions == page.tables
    assert page.th_without_scope == 0
    assert "href=\"http" not in r.files["html"].read_text(encoding="utf-8")  # nothing fetched


def test_the_summary_comes_first_and_states_the_year(english: Rendered) -> None:
    text = english.page.text
    summary = text[text.index("1. Summary"):text.index("2. Tenant Satisfaction Measures (CH01")]
    assert "120 complaints received at stage 1 and 18 escalated to stage 2" in summary
    assert "CH01: 30.0 stage 1 and 4.5 stage 2 complaints per 1,000 homes" in summary
    assert "88.8% of 116 stage 1 responses and 87.5% of 16 stage 2 responses" in summary
    assert "7 complaints refused; \u00a34,725.50 compensation offered in 23 cases" in summary
    assert "Most complained-about: repairs (43.3% of complaints received)" in summary


def test_the_tsm_tables_state_ch01_per_1000_and_ch02_with_and_without_extensions(
        english: Rendered) -> None:
    page = english.page
    assert page.row("CH01 stage 1") == ["CH01 stage 1", "120", "4,000", "30.0"]
    assert page.row("CH01 stage 2") == ["CH01 stage 2", "18", "4,000", "4.5"]
    assert page.row("CH02 stage 1") == ["CH02 stage 1", "116", "103", "88.8%", "109", "94.0%"]
    assert page.row("CH02 stage 2") == ["CH02 stage 2", "16", "14", "87.5%", "15", "93.8%"]
    assert "complaints received in the year divided by the number of homes, times 1,000" in \
        page.text.lower()
    assert "Whether a response within an allowed extension counts as on time is unconfirmed" in \
        page.text
    assert "No complaints from Scottish homes in the period" in page.text


def test_a_mixed_landlord_has_both_nations_tables(mixed: Rendered) -> None:
    page = mixed.page
    assert page.row("CH01 stage 1") == ["CH01 stage 1", "84", "4,200", "20.0"]
    assert page.row("CH02 stage 2") == ["CH02 stage 2", "12", "9", "75.0%", "11", "91.7%"]
    assert page.row("Stage 1 (5 working days)") == ["Stage 1 (5 working days)", "45", "44", "38",
                                                    "86.4%", "42", "95.5%", "4.2"]
    assert page.row("Stage 2 (20 working days)") == ["Stage 2 (20 working days)", "8", "7", "5",
                                                     "71.4%", "6", "85.7%", "18.6"]
    # a refusal without a reason is shown as such, and counted in the self-assessment
    assert page.row("no reason recorded") == ["no reason recorded", "1", "16.7%"]
    refusals = next(img["alt"] for img in page.images if img["src"] == "chart-refusals.png")
    assert refusals.endswith("; no reason recorded 1 (16.7%).")  # listed last, named
    assert "6 complaints refused (4.0% of those received), no reason recorded for 1" in \
        evidence(MIXED, "Definition of a complaint and exclusions")
    # the Code's timeliness is the TSM's (English cases), not the monthly counts of both nations
    assert "stage 1 responses within 10 working days (English cases, TSM CH02): 87.5% (70 of 80)" in \
        evidence(MIXED, "Stage 1")


def test_the_month_and_timeliness_tables_total_the_months(english: Rendered) -> None:
    page = english.page
    assert page.row("Apr 2025")[:4] == ["Apr 2025", "9", "1", "10"]
    year = [cells for cells in page.rows if cells[0] == "Year"]
    assert year[0] == ["Year", "120", "18", "138"]
    assert year[1] == ["Year", "116", "103", "88.8%", "16", "14", "87.5%"]
    # April: no stage 2 response, so no percentage rather than 0%
    april = [cells for cells in page.rows if cells[0] == "Apr 2025"][1]
    assert april == ["Apr 2025", "8", "7", "87.5%", "0", "0", "no data"]


def test_outcomes_categories_refusals_compensation_and_breaches_are_tabled(english: Rendered) -> None:
    page = english.page
    assert page.row("Partly upheld") == ["Partly upheld", "25", "21.6%", "5", "31.3%"]
    assert page.row("repairs") == ["repairs", "52", "43.3%"]
    assert [cells[0] for cells in page.rows if cells[0] in ENGLISH.categories][-1] == "uncategorised"
    assert page.row("issue more than 12 months old") == ["issue more than 12 months old", "4", "57.1%"]
    assert page.row("All stages")[1] == "\u00a34,725.50"
    assert "an average of \u00a3205.46 a case" in page.text
    breaches = [cells for cells in page.rows if cells[0] == "Stage 1" and len(cells) == 4]
    assert ["Stage 1", "6", "13", "19"] in breaches


# --- the self-assessment ------------------------------------------------------------------------

def test_the_self_assessment_has_a_row_per_code_area_with_computed_evidence() -> None:
    rows = self_assessment(ENGLISH)
    assert [row["title"] for row in rows] == [
        "Definition of a complaint and exclusions", "Accessibility and awareness",
        "Complaint handling staff", "The complaint handling process", "Stage 1", "Stage 2",
        "Putting things right", "Self-assessment, reporting and compliance",
        "Scrutiny and oversight: continuous learning and improvement"]
    assert [row["section"] for row in rows] == [
        "1.4, 2.1\u20132.4", "3", "4", "5", "6.1\u20136.5", "6.11\u20136.13", "7", "8", "9"]
    # regulation.md cites 1.4, 2.1-2.4, 6.2-6.5, 6.11-6.13; it calls section 8's numbering
    # unconfirmed, and cites none of the others
    assert [row["numbering"] for row in rows] == ["cited", "unconfirmed", "unconfirmed",
                                                  "unconfirmed", "cited", "cited", "unconfirmed",
                                                  "unconfirmed", "unconfirmed"]
    assert all(row["requires"].endswith(".") and row["commentary"] == "" for row in rows)
    stage1 = evidence(ENGLISH, "Stage 1")
    assert "95.2% of stage 1 acknowledgements within 5 working days (118 of 124)" in stage1
    assert "stage 1 responses within 10 working days: 88.8% (103 of 116)" in stage1
    assert "stage 1 responses within timescale counting allowed extensions: 94.0% (109 of 116)" in stage1
    assert "missed: 6 acknowledgements, 13 responses" in stage1
    stage2 = evidence(ENGLISH, "Stage 2")
    assert "94.4% of stage 2 acknowledgements within 5 working days (17 of 18)" in stage2
    assert "stage 1 responses later escalated: 15.5%" in stage2
    assert "7 complaints refused (5.1% of those received), reasons recorded for all" in \
        evidence(ENGLISH, "Definition of a complaint and exclusions")
    assert "stage 1 responses that used an extension: 7.8% (9 of 116)" in \
        evidence(ENGLISH, "The complaint handling process")
    assert "stage 2 complaints upheld in full or in part: 56.3% (9 of 16)" in \
        evidence(ENGLISH, "Putting things right")
    assert "complaints with a category recorded: 93.3% (112 of 120)" in \
        evidence(ENGLISH, "Scrutiny and oversight: continuous learning and improvement")


def test_the_self_assessment_table_on_the_page_leaves_the_commentary_empty(english: Rendered) -> None:
    rows = [cells for cells in english.page.rows if cells[0].startswith("\u00a7")]
    assert len(rows) == 9
    assert rows[4][0] == "\u00a76.1\u20136.5 Stage 1"
    assert rows[1][0] == "\u00a73 Accessibility and awareness(section number unconfirmed)"
    assert "95.2% of stage 1 acknowledgements within 5 working days (118 of 124)" in rows[4][2]
    assert all(cells[3] == "" for cells in rows)


def test_an_empty_year_says_no_data_rather_than_zero_percent(empty: Rendered) -> None:
    rows = self_assessment(EMPTY)
    stage1 = evidence(EMPTY, "Stage 1")
    assert "no stage 1 acknowledgements due" in stage1
    assert "stage 1 responses within 10 working days: no data (0 of 0)" in stage1
    assert "no complaints refused" in evidence(EMPTY, "Definition of a complaint and exclusions")
    assert len(rows) == 9
    page = empty.page
    assert "No complaints were received, answered or refused in the period." in page.text
    assert "No complaints from English homes in the period" in page.text
    assert "No complaints were refused in the period." in page.text
    assert page.row("Year") == ["Year", "0", "0", "0"]
    assert "0.0%" not in page.text
    assert page.images == []
    assert not list(empty.out.glob("chart-*.png"))


# --- charts, csv, pdf ---------------------------------------------------------------------------

@pytest.mark.parametrize("report", ["english", "mixed"])
def test_every_chart_is_a_png_shown_with_alt_text_stating_its_figures(
        report: str, request: pytest.FixtureRequest) -> None:
    r: Rendered = request.getfixturevalue(report)
    charts = {name: r.files[f"chart_{name}"] for name in CHARTS}
    by_src = {img["src"]: img for img in r.page.images}
    assert set(by_src) == {path.name for path in charts.values()}
    for path in charts.values():
        width, height = png_size(path)
        assert width == 1200 and height >= 375
        img = by_src[path.name]
        assert (img["width"], img["height"]) == (str(width), str(height))
        assert len(img["alt"]) > 40 and re.search(r"\d", img["alt"]), img["alt"]
    alts = {name: by_src[path.name]["alt"] for name, path in charts.items()}
    if r.figures is ENGLISH:
        assert "Stage 1 (120 in all): Apr 2025 9, May 2025 11," in alts["months"]
        assert "Stage 2 (87.5% over the period): Apr 2025 no data, May 2025 100.0%" in alts["timeliness"]
        assert "Stage 1 (116 responses): upheld 30, partly upheld 25, not upheld 55, resolved 6." in \
            alts["outcomes"]
        assert "repairs 52 (43.3%)" in alts["categories"]
        assert "legal proceedings started 2 (28.6%)" in alts["refusals"]
        assert "stage 1 \u00a33,150.50, stage 2 \u00a31,575.00; \u00a34,725.50 in 23 cases" in \
            alts["compensation"]
        assert "Stage 1: acknowledgements 6, responses 13." in alts["breaches"]


def test_charts_are_the_same_bytes_on_a_second_run(english: Rendered,
                                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    again = rendered(tmp_path_factory, ENGLISH, "again")
    for name in CHARTS:
        first, second = english.files[f"chart_{name}"], again.files[f"chart_{name}"]
        assert first.read_bytes() == second.read_bytes(), name
        assert b"Software" not in first.read_bytes()  # no matplotlib version stamp
    assert english.files["html"].read_bytes() == again.files["html"].read_bytes()


def test_cases_csv_is_written_as_given(english: Rendered) -> None:
    assert english.files["cases_csv"].name == "cases.csv"
    assert english.files["cases_csv"].read_bytes() == ENGLISH.cases_csv.encode("utf-8")


@pytest.mark.parametrize("report", ["english", "mixed", "empty"])
def test_the_pdf_is_the_page_printed(report: str, request: pytest.FixtureRequest) -> None:
    r: Rendered = request.getfixturevalue(report)
    assert r.files["pdf"] == r.out / "annual-report.pdf"
    assert pdf_pages(r.files["pdf"]) >= 2


def test_a_chart_from_an_earlier_run_that_has_nothing_now_is_removed(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    if CHROMIUM is None:
        pytest.skip(harness.INSTALL_HINT)
    out = tmp_path_factory.mktemp("rerun") / "report"
    render(ENGLISH, out, chromium=CHROMIUM)
    files = render(replace(ENGLISH, refusals={}), out, chromium=CHROMIUM)
    assert "chart_refusals" not in files and not (out / "chart-refusals.png").exists()
    assert "chart-refusals.png" not in files["html"].read_text(encoding="utf-8")


def test_without_chromium_it_says_so_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "report"
    with pytest.raises(ChromiumMissing, match="chromium"):
        render(ENGLISH, out, chromium=str(tmp_path / "no-such-chromium"))
    assert not out.exists()


def test_without_homes_and_with_an_unrecorded_outcome_the_page_says_so(tmp_path: Path) -> None:
    """As `complaints report annual` without --homes gives them: the TSM's homes 0, per_1000 null."""
    assert ENGLISH.tsm is not None
    tsm = {**ENGLISH.tsm, "homes": 0,
           "CH01": {"stage1": {"count": 120, "per_1000": None}, "stage2": {"count": 18, "per_1000": None}}}
    outcomes = {"stage1": {**ENGLISH.outcomes["stage1"], "not recorded": 2},
                "stage2": ENGLISH.outcomes["stage2"]}
    figures = replace(ENGLISH, homes=None, tsm=tsm, outcomes=outcomes)
    page = Page()
    page.feed(html(figures, charts(figures, tmp_path)))
    assert page.row("CH01 stage 1") == ["CH01 stage 1", "120", "not given", "no data"]
    assert page.row("not recorded") == ["not recorded", "2", "1.7%", "0", "0.0%"]
    assert "per 1,000 homes" not in page.text[:page.text.index("2. Tenant Satisfaction")]
    assert any("not recorded 2." in img["alt"] for img in page.images)


def test_labels_typed_by_staff_are_drawn_as_text_never_as_tex(tmp_path: Path) -> None:
    """A category or refusal reason with dollar signs and backslashes (matplotlib reads
    "$...$" as TeX by default, and an unknown command such as \\foo stops the drawing)."""
    hostile = {r"service charge $5 \foo{ and $10": 3, "$$": 2, r"\$x^2$": 1}
    figures = replace(ENGLISH, categories=hostile, refusals=hostile)
    drawn = charts(figures, tmp_path)
    assert {"categories", "refusals"} <= set(drawn)
    for name in ("categories", "refusals"):
        assert (tmp_path / f"chart-{name}.png").read_bytes().startswith(b"\x89PNG")
    page = Page()
    page.feed(html(figures, drawn))
    assert r"service charge $5 \foo{ and $10" in page.text


def test_percentages_round_half_up_to_one_place() -> None:
    assert percent(15, 16) == 93.8  # 93.75
    assert percent(1, 8) == 12.5
    assert percent(103, 116) == 88.8
    assert percent(2, 3) == 66.7
    assert percent(0, 0) is None


# --- in a browser -------------------------------------------------------------------------------

@needs_chromium
@pytest.mark.parametrize("report", ["english", "mixed", "empty"])
def test_axe_finds_no_wcag_violations(report: str, request: pytest.FixtureRequest,
                                      browser: webdriver.Chrome) -> None:
    r: Rendered = request.getfixturevalue(report)
    browser.get(r.files["html"].resolve().as_uri())
    assert browser.title.startswith("Annual complaints performance and service improvement report")
    violations = harness.axe_violations(browser)
    assert not violations, harness.describe(violations)
    if r.figures is ENGLISH:
        loaded = browser.execute_script(
            "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0);")
        assert loaded is True
        harness.full_page_screenshot(browser, SCREENSHOT)
        assert png_size(SCREENSHOT)[0] > 0
