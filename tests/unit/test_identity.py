"""Who wrote a message: the spoofing matrix over parse_from + staff_verdict (pure, no store).

Given a From header (every form an attacker or an odd mail client produces), a DMARC result,
the domain DMARC was evaluated for (header.from) and where the verdict came from (the receiving
server's topmost Authentication-Results header, a forged header below it, a header written by
another server, or the SES event's receipt), when the identity is decided, then the sender is
staff only when the address is on a configured staff domain (or is a listed staff address) AND
the receiving server says DMARC passed for that same domain; and the reason names the problem.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from complaints.local.stack import ses_headers
from complaints.mail.identity import (
    Auth,
    From,
    StaffDirectory,
    auth_from_header,
    auth_from_ses_event,
    normal_domain,
    parse_from,
    staff_verdict,
)
from complaints.mail.inbound import parse
from tests import mailfactory as mf

STAFF = StaffDirectory.parse({"landlord.example", "boss@partner.example"})
ISSUE_EXAMPLE = "=?utf-8?q?Sam_=3Csam=40landlord=2Eexample=3E?= <mallory@evil.example>"
LOOKALIKE = "landlord.ex\u0430mple"  # CYRILLIC SMALL LETTER A (U+0430) for the Latin a


@dataclass(frozen=True)
class Form:
    """A From header as received, and who it names."""

    id: str
    raw: tuple[str, ...]  # every From header, encoded words not decoded
    address: str | None  # the address it must parse to; None: no one can be recognised
    staff_address: bool = False  # the address is on a staff domain or listed
    problem: str = ""  # with address None: what the reason must say
    or_refused: bool = False  # refusing the header (no one recognised) is also acceptable
    written: str = ""  # the From domain as a receiving server writes it in header.from

    @property
    def same(self) -> str:
        """header.from for an aligned verdict: the domain of the address the header names."""
        if self.written:
            return self.written
        return self.address.rpartition("@")[2] if self.address else "landlord.example"

    @property
    def other(self) -> str:
        """header.from for a verdict about some other domain (the staff domain for a spoof)."""
        return "landlord.example" if normal_domain(self.same) == "evil.example" else "evil.example"


FORMS = [
    Form("plain", ("sam@landlord.example",), "sam@landlord.example", True),
    Form("display-name", ("Sam Staff <sam@landlord.example>",), "sam@landlord.example", True),
    Form("quoted-display-name", ('"Staff, Sam" <sam@landlord.example>',), "sam@landlord.example",
         True),
    Form("listed-staff-address", ("Boss <boss@partner.example>",), "boss@partner.example", True),
    Form("listed-address-upper-case", ("BOSS@Partner.Example",), "boss@partner.example", True),
    Form("unlisted-address-on-listed-domain", ("other@partner.example",), "other@partner.example"),
    Form("resident", ("Jane Resident <jane@example.org>",), "jane@example.org"),
    Form("encoded-display-name-spoof", (ISSUE_EXAMPLE,), "mallory@evil.example"),
    Form("base64-encoded-display-name-spoof",
         ("=?utf-8?b?c2FtQGxhbmRsb3JkLmV4YW1wbGU=?= <mallory@evil.example>",),
         "mallory@evil.example"),
    Form("quoted-display-name-with-staff-angle-address",
         ('"Sam <sam@landlord.example>" <mallory@evil.example>',), "mallory@evil.example"),
    Form("quoted-display-name-is-staff-address",
         ('"sam@landlord.example" <mallory@evil.example>',), "mallory@evil.example"),
    Form("two-angle-addresses", ("Sam <sam@landlord.example> <mallory@evil.example>",), None,
         problem="ambiguous"),
    Form("bare-address-then-angle-address", ("mallory@evil.example <sam@landlord.example>",),
         None, problem="ambiguous"),
    Form("staff-then-angle-attacker", ("sam@landlord.example <mallory@evil.example>",), None,
         problem="ambiguous"),
    Form("comment-after", ("mallory@evil.example (sam@landlord.example)",),
         "mallory@evil.example"),
    Form("comment-before", ("(sam@landlord.example) mallory@evil.example",),
         "mallory@evil.example"),
    Form("quoted-local-part", ('"sam@landlord.example"@evil.example',), None, or_refused=True,
         written="evil.example"),  # whatever it becomes, its domain is evil.example
    Form("two-from-headers", ("Sam <sam@landlord.example>", "mallory@evil.example"), None,
         problem="2 from headers"),
    Form("two-identical-staff-from-headers", ("sam@landlord.example", "sam@landlord.example"),
         None, problem="2 from headers"),
    Form("two-addresses-in-one-from", ("sam@landlord.example, mallory@evil.example",), None,
         problem="2 addresses"),
    Form("two-named-addresses-in-one-from",
         ("Sam <sam@landlord.example>, Mallory <mallory@evil.example>",), None,
         problem="2 addresses"),
    Form("upper-case-staff-domain", ("Sam <sam@LANDLORD.EXAMPLE>",), "sam@landlord.example", True,
         written="LANDLORD.EXAMPLE"),
    Form("mixed-case-address", ("SAM@Landlord.Example",), "sam@landlord.example", True,
         written="Landlord.Example"),
    Form("trailing-dot-domain", ("sam@landlord.example.",), "sam@landlord.example", True,
         or_refused=True, written="landlord.example."),
    Form("idn-lookalike-domain", (f"sam@{LOOKALIKE}",), "sam@landlord.xn--exmple-4nf",
         or_refused=True, written=LOOKALIKE),
    Form("idn-lookalike-with-display-name", (f"Sam <sam@{LOOKALIKE}>",),
         "sam@landlord.xn--exmple-4nf", or_refused=True, written=LOOKALIKE),
    Form("idn-lookalike-punycode", ("sam@landlord.xn--exmple-4nf",), "sam@landlord.xn--exmple-4nf"),
    Form("staff-subdomain", ("sam@x.landlord.example",), "sam@x.landlord.example"),
    Form("staff-domain-as-a-label", ("sam@landlord.example.evil.example",),
         "sam@landlord.example.evil.example"),
    Form("raw-utf8-display-name", ("Séan Ó Núñez <sam@landlord.example>",), "sam@landlord.example",
         True),
    Form("raw-utf8-display-name-with-staff-address",
         ("Sâm «sam@landlord.example» <mallory@evil.example>",), "mallory@evil.example",
         or_refused=True, written="evil.example"),
    Form("encoded-word-as-the-address", ("=?utf-8?q?sam=40landlord=2Eexample?=",), None,
         problem="ambiguous"),
    Form("encoded-word-inside-angle-brackets", ("Sam <=?utf-8?q?sam=40landlord=2Eexample?=>",),
         None, problem="ambiguous"),
    Form("unclosed-angle-bracket", ("Sam <sam@landlord.example",), None, problem="ambiguous"),
    Form("injected-second-header-line", ("Sam <sam@landlord.example>\r\nFrom: mallory@evil.example",),
         None, or_refused=True),
    Form("empty", ("",), None, problem="no address"),
    Form("null-address", ("<>",), None, problem="ambiguous"),
    Form("garbage", ("garbage",), None, problem="ambiguous"),
    Form("no-domain", ("sam@",), None, problem="cannot be parsed"),
    Form("group-with-no-one", ("undisclosed-recipients:;",), None, problem="no address"),
    Form("nul-byte", ("sam@landlord.example\x00",), None, problem="not a usable address"),
    Form("address-literal", ("Sam <sam@[192.0.2.1]>",), None, problem="not a usable address"),
    Form("huge-header", ("x" * 9_000 + "@landlord.example",), None, problem="characters long"),
    Form("no-from-header", (), None, problem="no from header"),
]

DMARC_RESULTS = ("pass", "fail", "none", "absent")
ALIGNMENTS = ("same", "other", "missing")
SOURCES = ("ses-header", "forged-header-below", "other-authserv", "ses-event")
SES_STATUS = {"pass": "PASS", "fail": "FAIL", "none": "GRAY"}


def authentication_results(authserv: str, result: str, header_from: str | None) -> str:
    clauses = [authserv, "spf=pass smtp.mailfrom=bounces@evil.example", "dkim=none"]
    if result != "absent":
        clauses.append(f"dmarc={result}" + (f" header.from={header_from}" if header_from else ""))
    return "; ".join(clauses)


def header_from_for(form: Form, alignment: str) -> str | None:
    return {"same": form.same, "other": form.other, "missing": None}[alignment]


def auth_for(form: Form, sender: From, result: str, alignment: str,
             source: str) -> tuple[Auth, str, str | None]:
    """The Auth the code derives, and the verdict the receiving server really gave:
    (auth, effective result, effective header.from)."""
    header_from = header_from_for(form, alignment)
    own = authentication_results("amazonses.com", result, header_from)
    effective = "none" if result == "absent" else result
    if source == "ses-header":
        return auth_from_header([own], "PASS", "PASS"), effective, header_from
    if source == "forged-header-below":  # the sender's own claim, below the receiving server's
        forged = authentication_results("amazonses.com", "pass", form.same)
        return auth_from_header([own, forged], "PASS", "PASS"), effective, header_from
    if source == "other-authserv":  # another server's verdicts (the sender's, or a relay's)
        theirs = authentication_results("mx.evil.example", result, header_from)
        return auth_from_header([theirs], "PASS", "PASS"), "none", None
    # the SES event: its verdict wins over the stored header, which here says the opposite
    receipt: dict[str, Any] = {"spamVerdict": {"status": "PASS"},
                               "virusVerdict": {"status": "PASS"}}
    if result == "absent":  # the event carries no DMARC verdict: the header's counts
        stored = authentication_results("amazonses.com", "pass", header_from)
        fallback = auth_from_header([stored], "PASS", "PASS")
        return auth_from_ses_event(receipt, sender.domain, fallback), "pass", header_from
    receipt["dmarcVerdict"] = {"status": SES_STATUS[result]}
    opposite = "fail" if result == "pass" else "pass"
    stored = authentication_results("amazonses.com", opposite, header_from)
    fallback = auth_from_header([stored], "PASS", "PASS")
    # SES evaluates DMARC for the From domain as it reads it: aligned by construction unless
    # its own stored header names the domain it evaluated as another (issue 18, 12)
    return (auth_from_ses_event(receipt, sender.domain, fallback), SES_STATUS[result].lower(),
            form.same if header_from is None else header_from)


MATRIX = [
    pytest.param(form, result, alignment, source,
                 id=f"{form.id}-dmarc_{result}-from_{alignment}-{source}")
    for form, result, alignment, source in itertools.product(FORMS, DMARC_RESULTS, ALIGNMENTS,
                                                             SOURCES)
]


@pytest.mark.parametrize(("form", "result", "alignment", "source"), MATRIX)
def test_spoofing_matrix(form: Form, result: str, alignment: str, source: str) -> None:
    # given the From header as received
    sender = parse_from(list(form.raw))
    if form.address is None and not form.or_refused:
        assert sender.address == "" and sender.problem
        assert form.problem in sender.problem.lower()
    elif form.or_refused and not sender.address:
        assert sender.problem  # refused, and says why
    elif form.address is not None:
        assert (sender.address, sender.problem) == (form.address, None)
    # whatever it parsed to, it never names a staff address it does not have
    if not form.staff_address:
        assert not (sender.address and STAFF.covers(sender.address))

    # and the receiving server's verdicts, as the code reads them
    auth, effective, header_from = auth_for(form, sender, result, alignment, source)

    # when the identity is decided
    is_staff, reason = staff_verdict(sender, auth, STAFF)

    # then: staff only for a staff address with DMARC pass for that same domain
    named = bool(sender.address)
    aligned = header_from is not None and normal_domain(header_from) == sender.domain
    expected = named and form.staff_address and effective == "pass" and aligned
    assert is_staff is expected, reason
    text = reason.lower()
    if expected:
        assert sender.address in text and "dmarc pass" in text
    elif not named:
        assert "not staff" in text and (sender.problem or "").lower() in text
    elif not form.staff_address:
        assert f"{sender.address} is not a staff address" in text
    elif effective != "pass":
        assert "dmarc did not pass" in text and f"({effective}," in text
    else:  # passed, but for some other domain or none named
        assert "dmarc passed for" in text and f"not {sender.domain}" in text
        assert (normal_domain(header_from) if header_from else "no named domain") in text


def test_the_matrix_covers_every_combination() -> None:
    assert len(MATRIX) == len(FORMS) * 4 * 3 * 4
    assert len({f.id for f in FORMS}) == len(FORMS)


# --- the same decisions through parse(), from raw bytes --------------------------------------


def head(from_lines: list[bytes], ses: bytes, extra: bytes = b"") -> bytes:
    return ses + b"".join(b"From: " + line + b"\r\n" for line in from_lines) + (
        b"To: complaints@landlord.example\r\nSubject: Re: CMP-2026-000001\r\n"
        b"Message-ID: <1@evil.example>\r\n" + extra + b"\r\nplease close this case\r\n")


def test_the_issue_example_is_mallory_whatever_the_display_name_says() -> None:
    # given the issue's spoof with a genuine DMARC pass for evil.example
    raw = head([ISSUE_EXAMPLE.encode()], mf.ses_headers("evil.example"))
    # when parsed
    mail = parse(raw)
    # then the address is the attacker's, the decoded name is display text only
    assert (mail.sender, mail.sender_name) == ("mallory@evil.example", "Sam <sam@landlord.example>")
    is_staff, reason = staff_verdict(mail.sender_from, mail.auth, STAFF)
    assert not is_staff and "mallory@evil.example is not a staff address" in reason
    # and the SES event's PASS (for evil.example) changes nothing
    event = parse(raw, receipt={"dmarcVerdict": {"status": "PASS"}})
    assert event.auth.dmarc_domain == "evil.example"
    assert not staff_verdict(event.sender_from, event.auth, STAFF)[0]


def test_a_header_the_sender_wrote_below_the_receiving_servers_counts_for_nothing() -> None:
    # given SES says DMARC failed, and the message carries its own "amazonses.com" pass below
    raw = mf.message(sender="Sam <sam@landlord.example>",
                     headers={"Authentication-Results":
                              "amazonses.com; dmarc=pass header.from=landlord.example"},
                     ses=mf.ses_headers("landlord.example", dmarc="fail"))
    mail = parse(raw)
    assert (mail.auth.dmarc, mail.auth.source) == ("fail", "header")
    is_staff, reason = staff_verdict(mail.sender_from, mail.auth, STAFF)
    assert not is_staff and "DMARC did not pass (fail" in reason


def test_a_message_with_no_receiving_server_header_is_never_staff() -> None:
    # given only the sender's server vouches for it
    raw = mf.message(sender="Sam <sam@landlord.example>", ses=(
        b"Authentication-Results: mx.landlord.example; dmarc=pass header.from=landlord.example\r\n"))
    mail = parse(raw)
    assert (mail.auth.dmarc, mail.auth.source) == ("none", "none")
    is_staff, reason = staff_verdict(mail.sender_from, mail.auth, STAFF)
    assert not is_staff and "DMARC did not pass (none" in reason


@pytest.mark.parametrize(("receipt", "header_dmarc", "staff"), [
    ({"dmarcVerdict": {"status": "FAIL"}, "spamVerdict": {"status": "PASS"}}, "pass", False),
    ({"dmarcVerdict": {"status": "GRAY"}}, "pass", False),
    ({"dmarcVerdict": {"status": "PROCESSING_FAILED"}}, "pass", False),
    ({"dmarcVerdict": {"status": "PASS"}}, "fail", True),
    ({"spamVerdict": {"status": "PASS"}}, "pass", True),  # no DMARC verdict in the event
    ({"spamVerdict": {"status": "PASS"}}, "fail", False),
    ({}, "pass", True),  # an event with no verdicts at all: the stored header counts
])
def test_the_ses_events_dmarc_verdict_wins_over_the_stored_header(
        receipt: dict[str, Any], header_dmarc: str, staff: bool) -> None:
    raw = mf.message(sender="Sam <sam@landlord.example>",
                     ses=mf.ses_headers("landlord.example", dmarc=header_dmarc))
    mail = parse(raw, receipt=receipt)
    is_staff, reason = staff_verdict(mail.sender_from, mail.auth, STAFF)
    assert is_staff is staff, reason
    if "dmarcVerdict" in receipt:
        assert mail.auth.source == "ses-event" and mail.auth.dmarc == \
            receipt["dmarcVerdict"]["status"].lower()


def test_raw_utf8_from_is_read_as_utf8_and_still_recognised() -> None:
    # given RFC 6532 raw UTF-8 in the display name of a genuine staff member
    raw = head(["Séan Ó Núñez <sam@landlord.example>".encode()], mf.ses_headers("landlord.example"))
    mail = parse(raw)
    assert (mail.sender, mail.sender_name) == ("sam@landlord.example", "Séan Ó Núñez")
    assert staff_verdict(mail.sender_from, mail.auth, STAFF)[0]


def test_raw_utf8_display_name_carrying_a_staff_address_is_not_staff() -> None:
    raw = head(["Sâm <sam@landlord.example> <mallory@evil.example>".encode()],
               mf.ses_headers("landlord.example"))
    mail = parse(raw)
    assert mail.sender == "" and "ambiguous" in (mail.sender_problem or "")
    assert not staff_verdict(mail.sender_from, mail.auth, STAFF)[0]


def test_two_from_headers_in_the_raw_message_name_no_one() -> None:
    raw = head([b"Sam <sam@landlord.example>", b"mallory@evil.example"],
               mf.ses_headers("landlord.example"))
    mail = parse(raw)
    assert mail.sender == "" and "2 From headers" in (mail.sender_problem or "")
    is_staff, reason = staff_verdict(mail.sender_from, mail.auth, STAFF)
    assert not is_staff and "2 From headers" in reason


@pytest.mark.parametrize(("address", "header_from"), [
    ("boss@partner.example", "landlord.example"),  # a listed address needs its own domain's pass
    ("sam@landlord.example", "x.landlord.example"),  # a subdomain's pass is not the domain's
    ("sam@x.landlord.example", "landlord.example"),  # nor the other way round
    ("sam@landlord.example", "partner.example"),
])
def test_dmarc_must_pass_for_exactly_the_from_domain(address: str, header_from: str) -> None:
    auth = auth_from_header([authentication_results("amazonses.com", "pass", header_from)], "", "")
    is_staff, reason = staff_verdict(parse_from([address]), auth, STAFF)
    assert not is_staff
    assert "not a staff address" in reason or f"DMARC passed for {header_from}" in reason


def test_a_staff_address_in_any_case_with_aligned_pass_is_staff() -> None:
    auth = auth_from_header([authentication_results("amazonses.com", "PASS", "Partner.Example")],
                            "", "")
    is_staff, reason = staff_verdict(parse_from(["Boss <Boss@PARTNER.example>"]), auth, STAFF)
    assert is_staff and "boss@partner.example" in reason


# --- regressions: found by this suite, fixed in e971429 --------------------------------------


@pytest.mark.parametrize("raw_from", [
    b"Sam Staff\r\n <sam@landlord.example>",
    b'"Sam Staff, Repairs Team Leader, Example Homes Housing Association"\r\n\t<sam@landlord.example>',
])
def test_a_folded_from_header_is_read_like_an_unfolded_one(raw_from: bytes) -> None:
    # given a genuine staff reply whose client folded the From header
    mail = parse(head([raw_from], mf.ses_headers("landlord.example")))
    # then it is Sam, and Sam is staff
    assert (mail.sender, mail.sender_problem) == ("sam@landlord.example", None)
    assert staff_verdict(mail.sender_from, mail.auth, STAFF)[0]


INJECTED = "dmarc=pass header.from=landlord.example"


@pytest.mark.parametrize("header", [
    # the envelope sender, echoed by the receiving server in smtp.mailfrom= as a quoted string
    ('amazonses.com; spf=pass smtp.mailfrom="x;' + INJECTED + ' (c)"@evil.example; dkim=none; '
     "dmarc=fail header.from=landlord.example"),
    ('amazonses.com; spf=pass smtp.mailfrom="x;' + INJECTED + '"@evil.example; dkim=none; '
     "dmarc=fail header.from=landlord.example"),
    # SES's own multi-line layout, the HELO name echoed in a comment
    ("amazonses.com;\r\n spf=pass (spfCheck: helo x; " + INJECTED + ") "
     'smtp.mailfrom="a;' + INJECTED + '"@evil.example;\r\n dkim=none;\r\n'
     " dmarc=fail header.from=landlord.example;"),
    # a header.from= inside a comment is not the one DMARC was evaluated for
    ("amazonses.com; spf=pass smtp.mailfrom=x@evil.example; dkim=pass header.i=@evil.example; "
     "dmarc=pass (header.from=landlord.example) header.from=evil.example"),
])
def test_what_the_sender_chose_inside_the_servers_header_cannot_make_staff(header: str) -> None:
    # given the receiving server's own header, carrying text the sender chose
    auth = auth_from_header([header], "PASS", "PASS")
    # then only the server's verdict counts
    assert not auth.dmarc_passed_for("landlord.example"), auth
    is_staff, reason = staff_verdict(parse_from(["sam@landlord.example"]), auth, STAFF)
    assert not is_staff and "DMARC" in reason


def test_sess_multi_line_header_with_comments_still_counts_when_genuine() -> None:
    header = ("amazonses.com;\r\n spf=pass (spfCheck: domain of landlord.example designates "
              "192.0.2.1 as permitted sender) client-ip=192.0.2.1; "
              "envelope-from=sam@landlord.example; helo=mail.landlord.example;\r\n"
              " dkim=pass header.i=@landlord.example;\r\n dmarc=pass header.from=landlord.example;")
    auth = auth_from_header([header], "PASS", "PASS")
    assert (auth.dmarc, auth.dmarc_domain, auth.source) == ("pass", "landlord.example", "header")
    assert staff_verdict(parse_from(["Sam <sam@landlord.example>"]), auth, STAFF)[0]


def test_the_local_stacks_header_cannot_be_steered_by_the_envelope_sender() -> None:
    # given the local stack receiving Sam's address in From, and an envelope sender carrying a
    # DMARC verdict of its own
    raw = head([b"Sam <sam@landlord.example>"], b"")
    envelope = '"x;' + INJECTED + ' (c)"@evil.example'
    stored = ses_headers(raw, envelope, "127.0.0.1", datetime.now(UTC)) + raw
    # then the stored header says fail (the From is not the envelope's domain), and it is read so
    mail = parse(stored)
    assert (mail.auth.dmarc, mail.auth.source) == ("fail", "header")
    assert not staff_verdict(mail.sender_from, mail.auth, STAFF)[0]


@pytest.mark.parametrize("results", [
    # an unbalanced ")" then "(" hides the server's real dmarc=fail inside a "comment"
    "amazonses.com; spf=pass smtp.mailfrom=a)b;dmarc=pass header.from=landlord.example"
    "(@evil.example; dkim=none; dmarc=fail header.from=evil.example",
    # an unterminated quoted string
    'amazonses.com; spf=pass smtp.mailfrom="x;dmarc=pass header.from=landlord.example',
    # two DMARC results: the server writes one
    "amazonses.com; dmarc=pass header.from=landlord.example; dmarc=fail header.from=evil.example",
])
def test_an_authentication_results_header_that_cannot_be_read_cleanly_vouches_for_no_one(
        results: str) -> None:
    auth = auth_from_header([results], "", "")
    assert not auth.dmarc_passed_for("landlord.example")
    sender = parse_from(["Sam <sam@landlord.example>"])
    assert staff_verdict(sender, auth, StaffDirectory.parse({"landlord.example"}))[0] is False


def test_a_local_part_holding_an_at_sign_is_not_an_address() -> None:
    parsed = parse_from(['"sam@landlord.example"@evil.example'])
    assert parsed.address == "" and parsed.problem and "not a usable address" in parsed.problem
