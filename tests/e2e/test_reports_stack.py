"""`complaints import` and `complaints report tsm|scotland|annual` against the local stack.

Given the worked history of tests/integration/test_reports.py imported from a CSV file, when the
CLI is asked for the reports, then the JSON is exactly the contract's and the annual report's
files are there: the HTML with its headings and figures, the charts as PNGs, the PDF with pages,
and cases.csv, which imports back.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_local_stack import BIN, Stack, started
from tests.integration.test_reports import (
    ENGLAND_CHRISTMAS,
    ENGLAND_EASTER,
    ENGLAND_MAY,
    SCOTLAND,
    csv_of,
    row,
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = started(tmp_path_factory, "reports")
    yield running
    running.stop()


def run(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args, "--data-dir", str(stack.data_dir)],
                          capture_output=True, text=True, env=stack.env, timeout=300)


@pytest.fixture(scope="module")
def history(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("csv") / "history.csv"
    path.write_text(csv_of(*ENGLAND_MAY, *ENGLAND_CHRISTMAS, *ENGLAND_EASTER, *SCOTLAND))
    assert stack.cli("import", str(path), "--json") == {"imported": 13, "errors": []}
    return path


def test_a_file_with_a_bad_row_stores_nothing_and_names_the_line(stack: Stack,
                                                                 tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_of(row("NEW-1", "hos-2024", "2026-06-01"),
                          row("NEW-2", "hos-2024", "2026-06-01", stage1_outcome="upheld")))
    out = run(stack, "import", str(bad), "--json")
    assert out.returncode == 1
    assert json.loads(out.stdout) == {"imported": 0, "errors": [
        {"line": 3, "error": "stage1_outcome and stage1_responded go together (no response date)"}]}
    assert all(c["reference"] != "NEW-1" for c in stack.cli("list", "--json"))


def test_a_reimport_updates_and_never_duplicates(stack: Stack, history: Path) -> None:
    before = len(stack.cli("list", "--json"))
    assert stack.cli("import", str(history), "--json") == {"imported": 13, "errors": []}
    assert len(stack.cli("list", "--json")) == before
    case = stack.cli("show", "E-EASTER", "--json")
    assert case["imported"] and [e["event"] for e in case["timeline"]] == ["imported"]


def test_tsm_and_scotland_reports_keep_to_the_contract(stack: Stack, history: Path) -> None:
    tsm = stack.cli("report", "tsm", "--year", "2026", "--homes", "4000", "--json")
    assert tsm == {
        "period": {"from": "2026-04-01", "to": "2027-03-31"}, "homes": 4000,
        "CH01": {"stage1": {"count": 8, "per_1000": 2.0}, "stage2": {"count": 0, "per_1000": 0.0}},
        "CH02": {"stage1": {"responded": 6, "within": 2, "percent": 33.3,
                            "within_with_extensions": 3, "percent_with_extensions": 50.0},
                 "stage2": {"responded": 1, "within": 1, "percent": 100.0,
                            "within_with_extensions": 1, "percent_with_extensions": 100.0}}}
    scotland = stack.cli("report", "scotland", "--from", "2026-04-01", "--to", "2027-03-31",
                         "--json")
    assert scotland["stage1"]["average_working_days"] == 7.0
    assert scotland["stage2"]["received"] == 1
    for args, words in ((["tsm", "--year", "2026"], "--homes"),
                        (["tsm", "--year", "2026", "--homes", "0"], "more than 0"),
                        (["scotland"], "give --year"),
                        (["scotland", "--from", "2026-05-01", "--to", "2026-04-01"], "before")):
        out = run(stack, "report", *args)
        assert out.returncode == 2 and words in out.stderr, (args, out.stderr)


def test_the_annual_report_is_written_with_charts_pdf_and_cases(stack: Stack, history: Path,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "annual"
    result = stack.cli("report", "annual", "--year", "2026", "--homes", "4000", "--out",
                       str(out), "--json")
    page = (out / "annual-report.html").read_text()
    for heading in ("Tenant Satisfaction Measures", "Scottish", "Self-assessment",
                    "Complaints by month", "Outcomes"):
        assert heading in page, heading
    assert "33.3%" in page and "50.0%" in page and "2.0" in page  # CH02 and CH01 figures
    charts = sorted(out.glob("*.png"))
    assert charts and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in charts)
    for chart in charts:
        assert re.search(rf'<img[^>]+src="{re.escape(chart.name)}"[^>]+alt="[^"]+', page) or \
            re.search(rf'<img[^>]+alt="[^"]+"[^>]+src="{re.escape(chart.name)}"', page), chart
    pdf = (out / "annual-report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) >= 2
    cases = (out / "cases.csv").read_text()
    assert cases.splitlines()[0].startswith("reference,policy,received")
    assert len(cases.splitlines()) == 1 + 12  # all but Christmas 2025 have a date in the year
    assert result["tsm"]["CH01"]["stage1"]["count"] == 8
    back = run(stack, "import", str(out / "cases.csv"), "--dry-run", "--json")
    assert json.loads(back.stdout) == {"imported": 12, "errors": [], "dry_run": True}


def test_the_evidence_bundle_is_the_same_bytes_twice(stack: Stack, tmp_path: Path) -> None:
    import hashlib
    import time
    import zipfile

    from tests import mailfactory as mf

    stack.send(mf.message(sender="lee@example.org", subject="Bundle me", ses=b"",
                          attachments=[("photo.png", "image/png", b"\x89PNG\r\n\x1a\nfake")]),
               sender="lee@example.org")
    for _ in range(100):
        found = [c for c in stack.cli("list", "--json") if c.get("subject") == "Bundle me"]
        if found and any(x["status"] == "sent" for x in stack.cli(
                "show", found[0]["reference"], "--json")["letters"]):
            break
        time.sleep(0.2)
    reference = found[0]["reference"]
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    result = stack.cli("bundle", reference, "--out", str(first), "--json")
    stack.cli("bundle", reference, "--out", str(second), "--json")
    assert first.read_bytes() == second.read_bytes() and result["files"] >= 4
    with zipfile.ZipFile(first) as z:
        manifest = json.loads(z.read("manifest.json"))
        for entry in manifest["files"]:
            data = z.read(entry["path"])
            assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"],
                                                                     entry["sha256"])
        names = z.namelist()
    assert {"timeline.html", "timeline.json", "manifest.json"} <= set(names)
    assert any(n.startswith("inbound/") and n.endswith(".eml") for n in names)
    assert any(n.startswith("letters/receipt") for n in names)
    assert any(n.startswith("attachments/") and n.endswith("photo.png") for n in names)
    out = run(stack, "bundle", "CMP-1999-999999", "--out", str(tmp_path / "x.zip"))
    assert out.returncode == 2 and "no complaint" in out.stderr
