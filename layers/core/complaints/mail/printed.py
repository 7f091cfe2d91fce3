"""A letter as a printable PDF, for the post: the receipt letter of a complainant with no email
address goes to the team to print and send (service/intake.py holds it).

A minimal PDF 1.4 written here, not printed by headless Chromium as the annual report is
(service/annual_report/pdf.py): this runs inside the inbound-mail Lambda, which has no
browser, and in milliseconds. Text only: A4, Helvetica 10 pt (the standard font every PDF
reader has), the letter's own plain-text lines, a new page every LINES_PER_PAGE lines.
Characters outside Windows-1252 (Helvetica's WinAnsiEncoding) print as "?"; the email copy of
the letter kept on the case has them.
"""

from __future__ import annotations

import textwrap
from typing import Final

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN: Final = 56
FONT_SIZE: Final = 10
LEADING: Final = 13
LINES_PER_PAGE: Final = (PAGE_HEIGHT - 2 * MARGIN) // LEADING
WRAP: Final = 95  # characters a line, at 10 pt Helvetica within the margins
MAX_PAGES: Final = 50  # a receipt letter is two pages; anything longer is cut, saying so


def _escaped(line: str) -> bytes:
    data = line.encode("cp1252", "replace")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def letter_pdf(text: str, title: str = "Letter") -> bytes:
    """``text`` (a letter's plain-text part) as a PDF, with ``title`` in its properties."""
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        raw = raw.expandtabs(4).replace("\f", "")
        lines.extend(textwrap.wrap(raw, WRAP, replace_whitespace=False, drop_whitespace=False)
                     or [""])
    pages = [lines[i:i + LINES_PER_PAGE] for i in range(0, max(len(lines), 1), LINES_PER_PAGE)]
    if len(pages) > MAX_PAGES:
        pages = pages[:MAX_PAGES]
        pages[-1] = [*pages[-1][:-1], "(cut: the full letter is in the email copy on the case)"]
    objects: list[bytes] = [b"", b""]  # 1: catalog, 2: pages; filled in below
    font = 3
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                   b"/Encoding /WinAnsiEncoding >>")
    kids = []
    for page in pages:
        body = [b"BT", f"/F1 {FONT_SIZE} Tf {LEADING} TL".encode(),
                f"{MARGIN} {PAGE_HEIGHT - MARGIN} Td".encode()]
        for line in page:
            body.append(b"(" + _escaped(line) + b") Tj T*")
        body.append(b"ET")
        stream = b"\n".join(body)
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content = len(objects)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
                       f"/Resources << /Font << /F1 {font} 0 R >> >> "
                       f"/Contents {content} 0 R >>".encode())
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = (f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] "
                  f"/Count {len(kids)} >>").encode()
    objects.append(b"<< /Title (" + _escaped(title[:200]) + b") /Producer (complaints) >>")
    info = len(objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, info, xref))
    return bytes(out)


__all__ = ["letter_pdf"]
