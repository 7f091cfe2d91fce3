"""Reading hostile replies and forwards (make bench). Prints seconds and growth ratios.

The tests assert what is kept and refused on these shapes; how long they take, and that four
times the text takes about four times as long (a rule that backtracks would take sixteen times
or never finish), is measured here. Each shape at 512 KB and 2 MB.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from complaints.mail.forwarded import read_forward
from complaints.mail.html_text import html_to_text
from complaints.mail.quoting import letter_text, own_text
from complaints.mail.staff_reply import parse_reply

TODAY = date(2026, 12, 8)
TEXT = ["Thanks\n", "Sam\n\n", "Kind regards, Sam\n", "Dear Jo,\n", "On 1 Jun 2026 at 9:12 x@y\n",
        "Am 1 9:12 schrieb \n", "Von: x\n", "De : x\nEnvoyé : y\n", "---- x ----\n", "1 ",
        "пт, 5 9:12 <a@b>\n", "Tel: 0191 496 0000\n", "This email is confidential.\n\n",
        "x" * 79 + "\n", "a b c d e f g h\n\n", "PS x\n", "#", ">", "#>", "From:\nSent:\n"]
HTML = ['<div class="gmail_quote">', "</div>", '<div id="appendonsend">', '<hr id="stopSpelling">',
        '<div id="Signature">', '<div class=gmail_quote x',
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm">']
FORWARDS = ["From: a\n", "From: x <a@b.example>\nTo: y\n", ">", "1 "]


def seconds(work: object, unit: str, size: int) -> float:
    text = unit * (size // len(unit))
    started = time.perf_counter()
    work(text)  # type: ignore[operator]
    return time.perf_counter() - started


def reply(text: str) -> None:
    letter_text(own_text(text))
    parse_reply(text, TODAY)


def html(text: str) -> None:
    own_text(html_to_text(text))


def forward(text: str) -> None:
    read_forward("FW: x", text)


def main() -> None:
    small, large = 512 * 1024, 2 * 1024 * 1024
    for name, work, shapes in (("reply", reply, TEXT), ("html", html, HTML),
                               ("forward", forward, FORWARDS)):
        worst = 0.0
        for unit in shapes:
            a, b = seconds(work, unit, small), seconds(work, unit, large)
            worst = max(worst, b)
            print(f"{name:8} {unit[:28]!r:32} 512 KB {a:6.3f} s   2 MB {b:6.3f} s   "
                  f"x{b / max(a, 1e-6):4.1f} for x4 the size")
        print(f"{name}: slowest 2 MB shape {worst:.2f} s")


if __name__ == "__main__":
    main()
