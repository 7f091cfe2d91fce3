"""Reading a staff log's top lines (mail/complainant.py) and printing a letter (mail/printed.py).

Given the # lines staff write for a complaint made by phone, in person, by letter or on social
media, when they are read, then the complainant, the receipt date and the channel come back,
or every problem with them, said plainly.
"""

from __future__ import annotations

import re
from datetime import date, time

import pytest

from complaints.mail.complainant import read_logged
from complaints.mail.printed import LINES_PER_PAGE, letter_pdf


def test_an_email_complainant_with_date_and_channel() -> None:
    logged = read_logged("#complainant Jane Resident <Jane@Example.org>\n#received 2026-06-01"
                         "\n#channel phone\n\nJane rang about the mould.\n\n-- \nSam")
    assert logged is not None and logged.problems == ()
    assert (logged.name, logged.email, logged.channel) == ("Jane Resident", "jane@example.org",
                                                           "phone")
    assert (logged.received_on, logged.received_time) == (date(2026, 6, 1), None)
    assert logged.text == "Jane rang about the mould."  # the signature is not the complaint


@pytest.mark.parametrize(("line", "phone", "postal", "preferred"), [
    ("#complainant Jane Resident, 07700 900123", "07700 900123", "", "phone"),
    ("#complainant Jane Resident, +44 (0)191 496 0000", "+44 (0)191 496 0000", "", "phone"),
    ("#complainant Jane Resident, 4 Elm Row, Newcastle NE1 4ST", "", "4 Elm Row, Newcastle NE1 4ST",
     "post"),
])
def test_a_complainant_with_no_email(line: str, phone: str, postal: str, preferred: str) -> None:
    logged = read_logged(f"{line}\n#channel letter\nThe mould.")
    assert logged is not None and logged.problems == ()
    assert (logged.email, logged.phone, logged.postal) == ("", phone, postal)
    assert logged.contact["preferred"] == preferred and logged.channel == "letter"


def test_a_time_may_follow_the_date() -> None:
    logged = read_logged("#received 2026-06-01 14:30\n#complainant Jo <jo@example.org>\nx")
    assert logged is not None and logged.received_time == time(14, 30)


@pytest.mark.parametrize(("lines", "problem"), [
    ("#received 2026-06-01\nThe mould.", "no #complainant line"),
    ("#complainant Jane Resident\nThe mould.", "a way to reach them"),
    ("#complainant Jane <jane@example.org> <joe@example.org>\nx", "2 email addresses"),
    ("#complainant Jane <jane@@x>\nx", "not a usable email address"),
    ("#complainant Jane <jane@example.org>\n#received 01/06/2026\nx", "YYYY-MM-DD"),
    ("#complainant Jane <jane@example.org>\n#received 2026-02-30\nx", "not a real date"),
    ("#complainant Jane <jane@example.org>\n#channel carrier pigeon\nx", "is not one of phone"),
    ("#complainant Jane <jane@example.org>\n#acknowledge\nx", "#acknowledge is not a line"),
    ("#complainant Jane <jane@example.org>\n#complainant Joe <joe@example.org>\nx", "twice"),
    ("#complainant Jane <jane@example.org>\n", "no complaint below"),
])
def test_every_problem_is_said(lines: str, problem: str) -> None:
    logged = read_logged(lines)
    assert logged is not None
    assert any(problem in p for p in logged.problems), logged.problems


def test_other_staff_mail_is_no_log() -> None:
    assert read_logged("Hello team, a question about the rota.") is None
    assert read_logged("#note something\nhello") is None  # a reply's command, not a log
    assert read_logged("") is None
    assert read_logged("Jane rang.\n#complainant Jane <jane@example.org>") is None  # not at the top


def test_a_letter_prints_as_a_pdf_whose_index_is_right() -> None:
    text = "Dear Jane (and family),\n\nReference CMP-2026-000001 \\ £5 \u2014 ok\n" * 60
    pdf = letter_pdf(text, "CMP-2026-000001 receipt letter")
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    # every object the cross-reference table lists starts where it says
    start = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
    assert pdf[start:start + 4] == b"xref"
    rows = pdf[start:].split(b"\n")[2:]
    offsets = [int(r[:10]) for r in rows if r.endswith(b" n ")]
    for number, offset in enumerate(offsets, 1):
        assert pdf[offset:].startswith(b"%d 0 obj" % number)
    pages = int(re.search(rb"/Count (\d+)", pdf).group(1))  # type: ignore[union-attr]
    assert pages == -(-(60 * 3 + 1) // LINES_PER_PAGE)
    assert b"(Dear Jane \\(and family\\),) Tj" in pdf and b"\\\\ \xa35 \x97 ok" in pdf
