"""A reply's own text: where the quoted history and the signature below it start.

Quoted history and signatures are cut where the first of these starts: a line starting with
">"; Gmail's and Apple Mail's "On <date> ... wrote:" (also wrapped over up to three lines);
Outlook's "From:" header block (a "Sent:" or "Date:" line follows within a few lines), its
"______" separator line and "-----Original Message-----"; the signature separator "-- "; and
mobile signatures ("Sent from my iPhone", "Get Outlook for iOS").

Hostile text (a reply may quote anything) costs time in proportion to its length: lines are
looked at once with ``str`` methods and an anchored regular expression that cannot backtrack,
with a bounded look-ahead.
"""

from __future__ import annotations

import re
from typing import Final

_HEADER_MAX: Final = 500  # a longer line is never a quoting header ("On ... wrote:", "From:")
_HEADER_LOOKAHEAD: Final = 6  # lines after "From:" searched for Outlook's "Sent:"/"Date:"
_SIGNATURE_MAX: Final = 80  # a longer "Sent from my ..." line is text, not a mobile signature

# HTML-to-text leftovers: no-break spaces are spaces; zero-width spaces, word joiners and byte
# order marks are nothing. Unicode line separators end lines.
_CLEAN: Final = str.maketrans({"\u00a0": " ", "\u200b": None, "\u2060": None, "\ufeff": None,
                               "\u2028": "\n", "\u2029": "\n"})
# stripped from the start of a line before looking for "#", ">" and headers
LEAD: Final = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "\u200c\u200d\u200e\u200f"

_TIME: Final = re.compile(r"[0-9]:[0-5][0-9]")  # a quoting header's time of day

_MOBILE: Final = ("sent from my ", "get outlook for ios", "get outlook for android",
                  "sent from outlook for ios", "sent from outlook for android",
                  "sent from mail for windows", "sent from yahoo mail", "sent with proton mail")


def own_text(text: str) -> str:
    """Anyone's reply without the quoted history or signature below it (a resident's words
    are read for what they ask; the letter they quote asks things of its own)."""
    return "\n".join(x.rstrip() for x in own_lines(split_lines(text), 0)).strip("\n")


def split_lines(text: str) -> list[str]:
    """``text``'s lines, whatever ends them, with HTML-to-text leftovers cleaned."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_CLEAN).split("\n")


def own_lines(lines: list[str], start: int) -> list[str]:
    """``lines[start:]`` up to where quoted history or a signature starts."""
    end = start
    while end < len(lines) and not _cut_here(lines, end):
        end += 1
    return lines[start:end]


def _cut_here(lines: list[str], at: int) -> bool:
    raw = lines[at]
    if raw.rstrip() == "--":  # RFC 3676's "-- " (some clients drop the space)
        return True
    line = raw.lstrip(LEAD).rstrip()
    if not line:
        return False
    if line.startswith(">"):
        return True
    if len(line) > _HEADER_MAX:
        return False
    low = line.lower()
    if low.startswith(_MOBILE) and len(line) <= _SIGNATURE_MAX:
        return True
    if len(line) >= 10 and not line.strip("_"):  # Outlook's "________________________________"
        return True
    if line.startswith("---") and low.strip("- ") == "original message":
        return True
    if low.startswith("on "):
        return _wrote(lines, at, line)
    return _header_key(low) == "from" and _outlook_header(lines, at)


def _wrote(lines: list[str], at: int, line: str) -> bool:
    """Gmail's "On Fri, 5 Jun 2026 at 09:12, Name <addr> wrote:", Apple Mail's "On 5 Jun 2026,
    at 09:12, Name <addr> wrote:", either wrapped over up to three lines."""
    if not any(c.isdigit() for c in line):  # the date starts on the first line
        return False
    header = line
    for more in range(1, 4):
        if header.lower().replace(" ", "").endswith("wrote:"):
            return "@" in header or _TIME.search(header) is not None
        if more == 3 or at + more >= len(lines):
            return False
        following = lines[at + more].lstrip(LEAD).rstrip()
        if not following or len(header) + len(following) > _HEADER_MAX or (
                following.lower().startswith("on ")):  # a header would start there, not here
            return False
        header = f"{header} {following}"
    return False


def _header_key(low: str) -> str:
    """"from" for "From: ..." and "*From:* ..." (bold, after HTML-to-text)."""
    low = low.lstrip("*")
    key, colon, _ = low[:12].partition(":")
    return key.strip() if colon else ""


def _outlook_header(lines: list[str], at: int) -> bool:
    """Outlook's quoted header: "From: ..." then, within a few lines, "Sent: ..." or "Date: ..."."""
    for following in lines[at + 1:at + 1 + _HEADER_LOOKAHEAD]:
        line = following.lstrip(LEAD).rstrip()
        if line and len(line) <= _HEADER_MAX and _header_key(line.lower()) in ("sent", "date"):
            return True
    return False


__all__ = ["LEAD", "own_lines", "own_text", "split_lines"]
