"""Reading a forwarded message back out of a staff forward (mail/forwarded.py), one test per
client shape, plain and HTML (tests/forwards.py builds them), through mail/inbound.parse as
the mailroom reads them.

Given a forward as the client writes it, when it is read, then the original's sender, name,
date (the landlord first had it then), subject and text come back, and the forwarder's own
note is kept apart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import pytest

from complaints.mail.forwarded import (
    is_forward_subject,
    parse_sent,
    read_forward,
    sender_of,
    strip_forward_prefix,
)
from complaints.mail.inbound import parse
from tests import forwards as fw

SENT = datetime(2026, 6, 1, 8, 14, tzinfo=UTC)  # Monday 1 June 2026 09:14 BST

def _outlook(lang: str) -> bytes:
    return fw.staff_mail(text=fw.outlook_text(lang))


SHAPES: dict[str, Callable[[], bytes]] = {
    **{f"outlook-{lang}": partial(_outlook, lang) for lang in fw.OUTLOOK},
    "outlook-underscores": lambda: fw.staff_mail(text=fw.outlook_text(
        "en-gb", separator="_" * 32)),
    "outlook-no-separator": lambda: fw.staff_mail(text=fw.outlook_text("de", separator="")),
    "outlook-html-en": lambda: fw.staff_mail(html_body=fw.outlook_html("en")),
    "outlook-html-de": lambda: fw.staff_mail(html_body=fw.outlook_html("de")),
    "outlook-html-fr": lambda: fw.staff_mail(html_body=fw.outlook_html("fr")),
    "outlook-mailto": lambda: fw.staff_mail(text=fw.outlook_text(
        "en-gb", sender="Jane Resident [mailto:jane@example.org]")),
    "outlook-surname-first": lambda: fw.staff_mail(text=fw.outlook_text(
        "en-gb", sender="Resident, Jane <jane@example.org>")),
    "gmail": lambda: fw.staff_mail(text=fw.gmail_text()),
    "gmail-us-date": lambda: fw.staff_mail(text=fw.gmail_text(date="Mon, Jun 1, 2026 at 9:14 AM")),
    "gmail-html": lambda: fw.staff_mail(html_body=fw.gmail_html()),
    "gmail-both": lambda: fw.staff_mail(text=fw.gmail_text(), html_body=fw.gmail_html()),
    "apple": lambda: fw.staff_mail(text=fw.apple_text()),
    "apple-us-date": lambda: fw.staff_mail(text=fw.apple_text(
        "June 1, 2026 at 9:14:00 AM GMT+1")),
    "apple-html": lambda: fw.staff_mail(html_body=fw.apple_html()),
    "thunderbird": lambda: fw.staff_mail(text=fw.thunderbird_text()),
    "attached": lambda: fw.staff_mail(text=fw.NOTE, attached=fw.original()),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_each_client_shape_gives_the_original_sender_date_and_text(shape: str) -> None:
    mail = parse(SHAPES[shape]())
    forward = read_forward(mail.subject, mail.text, mail.attachments)
    assert forward is not None and forward.problem == "", forward
    original = forward.chain[0]
    assert original.sender == "jane@example.org", original
    assert original.sender_name in ("Jane Resident", "Resident, Jane"), original
    assert original.sent_at == SENT, (original.date_text, original.date_note)
    assert original.subject == fw.SUBJECT
    assert fw.BODY in original.text and fw.NOTE not in original.text
    assert forward.note.startswith(fw.NOTE), forward.note
    if shape == "attached":
        assert original.message_id == "<original-1@example.org>"


def test_the_named_clients_are_told_apart() -> None:
    def shape(raw: bytes) -> str:
        mail = parse(raw)
        forward = read_forward(mail.subject, mail.text, mail.attachments)
        assert forward is not None
        return forward.chain[0].shape

    assert shape(SHAPES["outlook-en"]()) == "Outlook"
    assert shape(SHAPES["gmail"]()) == "Gmail"
    assert shape(SHAPES["apple-html"]()) == "Apple Mail"
    assert shape(SHAPES["thunderbird"]()) == "Thunderbird"
    assert shape(SHAPES["attached"]()) == "attached message"


def test_a_forward_of_a_forward_lists_each_message_outermost_first() -> None:
    lee = fw.outlook_text("en-gb", sender="Lee Colleague <lee@landlord.example>",
                          date="02 June 2026 10:00").replace(fw.BODY, "Sam, one for you.")
    text = lee + "\n" + fw.outlook_text("en-gb").split("\n\n", 1)[1]
    forward = read_forward("FW: FW: Damp", text)
    assert forward is not None
    assert [o.sender for o in forward.chain] == ["lee@landlord.example", "jane@example.org"]
    assert forward.chain[0].text.startswith("Sam, one for you.")
    assert fw.BODY in forward.chain[1].text


@pytest.mark.parametrize(("line", "problem"), [
    ("Resident, Jane", "names no email address"),  # Exchange shows colleagues by name alone
    ("Jane <jane@example.org>, Joe <joe@example.org>", "names 2 addresses"),
    ("Jane <jane@@example>", "not a usable address"),
])
def test_a_forwarded_from_line_naming_no_one_is_no_sender(line: str, problem: str) -> None:
    forward = read_forward("FW: Damp", fw.outlook_text("en-gb", sender=line))
    assert forward is not None
    original = forward.chain[0]
    assert original.sender == "" and problem in original.sender_problem


def test_mail_that_says_nothing_of_forwarding_is_no_forward() -> None:
    assert read_forward("Damp", "From: the bathroom, the mould has spread.\nSent: to me") is None
    assert read_forward("Damp", "There is mould.") is None
    # a header block without a forward subject or separator is someone's quoted reply
    assert read_forward("Damp", fw.outlook_text("en-gb", separator="")) is None


def test_a_forward_subject_with_no_header_block_says_why() -> None:
    forward = read_forward("FW: Damp", "Please log this, Jane rang me.")
    assert forward is not None and forward.chain == ()
    assert "no forwarded From:/Date: header block" in forward.problem


def test_two_attached_messages_are_not_guessed_between() -> None:
    mail = parse(fw.staff_mail(text=fw.NOTE, attached=fw.original()))
    forward = read_forward(mail.subject, mail.text, [*mail.attachments, *mail.attachments])
    assert forward is not None and forward.chain == () and "2 messages are attached" in forward.problem


@pytest.mark.parametrize(("written", "expected"), [
    ("Monday, June 1, 2026 9:14 PM", datetime(2026, 6, 1, 20, 14, tzinfo=UTC)),
    ("Mo., 1. Juni 2026 um 09:14 Uhr", SENT),
    ("1 June 2026 at 09:14:00 GMT+1", SENT),
    ("June 1, 2026 at 4:14:00 AM GMT-4", SENT),
    ("Mon, 01 Jun 2026 09:14:00 +0100", SENT),
    ("2026-06-01 09:14", SENT),
    ("13/06/2026 09:14", datetime(2026, 6, 13, 8, 14, tzinfo=UTC)),  # only day first is a date
    ("06/13/2026 09:14", datetime(2026, 6, 13, 8, 14, tzinfo=UTC)),  # only month first is
    ("01/06/2026 09:14", SENT),  # both are: day first, as UK Outlook writes it
    ("mardi 2 décembre 2026 09:14", datetime(2026, 12, 2, 9, 14, tzinfo=UTC)),  # GMT in winter
    ("1 June 2026", datetime(2026, 5, 31, 23, 0, tzinfo=UTC)),  # no time: midnight London
    ("09:14, 1 June 2026", SENT),
])
def test_forwarded_dates_in_each_spelling(written: str, expected: datetime) -> None:
    when, how = parse_sent(written)
    assert when == expected, how


@pytest.mark.parametrize("written", ["", "yesterday", "31 February 2026 10:00", "1 June 2026 25:99"])
def test_a_date_that_cannot_be_read_says_why(written: str) -> None:
    when, how = parse_sent(written)
    assert when is None and how


def test_forward_subject_prefixes_in_each_language() -> None:
    for subject in ("FW: x", "Fwd: x", "WG: x", "TR: x", "RV: x", "I: x", "Doorst: x",
                    "ENC: x", "[Fwd: x]", "Fw: Fwd: x"):
        assert is_forward_subject(subject), subject
    assert not is_forward_subject("Fwoar: x") and not is_forward_subject("Re: x")
    assert strip_forward_prefix("FW: Fwd: Damp") == "Damp"


def test_sender_forms() -> None:
    assert sender_of('"Resident, Jane" <Jane@Example.org>') == ("jane@example.org", "Resident, Jane", "")
    assert sender_of("jane@example.org") == ("jane@example.org", "", "")
    assert sender_of("=?utf-8?q?Ja=C3=B1e?= <jane@example.org>")[:2] == ("jane@example.org", "Jañe")


def test_hostile_text_names_no_resident() -> None:
    # (benchmarks/bench_quoting.py measures the time these take)
    for text in ("From: a\n" * 100_000, ">" * 200_000, "1 " * 100_000):
        found = read_forward("FW: x", text)
        assert found is None or not getattr(found, "sender", "")
    read_forward("FW: x", "From: x <a@b.example>\nTo: y\n" * 50_000)  # no exception
    parse_sent("1 " * 10_000 + "June")
