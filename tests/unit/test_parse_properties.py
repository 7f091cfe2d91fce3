"""parse() under generated MIME (issue 7): it never raises, always gives one of the five verdicts
within its documented bounds, and does work proportional to the size of what it is given.

Work is counted, never timed: a profile hook counts every function call and return (Python
and C) made while parsing, which is the same number on every run and every machine. A
quadratic step shows as a count that grows faster than the input. What a count cannot see
(time spent inside one C call, e.g. a regex backtracking) is left to the safety net below and
to the integration suite. No test here asserts wall time; SIGALRM only stops a hang.
"""

from __future__ import annotations

import base64
import json
import quopri
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.mail.html_text import html_to_text
from complaints.mail.inbound import (
    MAX_ATTACHMENTS,
    MAX_NOTES,
    MAX_TEXT,
    MAX_TEXT_BYTES,
    InboundMail,
    parse,
)

T = TypeVar("T")
VERDICTS = {"rejected", "bounce", "auto_reply", "reply", "complaint"}
NO_TIME_LIMIT = 3600.0  # parse's own time budget, lifted so that counts are never cut short
# Calls and returns per byte that any message may cost. Ordinary shapes (many lines, headers,
# parts, encoded words, HTML) cost 2-15 here; MIME nested to Python's recursion limit, ~115.
WORK_PER_BYTE = 200
WORK_BASE = 50_000  # a message of a few bytes still builds objects, looks up codecs, ...


# --- counting work, and the safety net --------------------------------------------------------


class Hang(BaseException):
    """Raised by the safety net; BaseException so that no `except Exception` swallows it."""


@contextmanager
def safety_net(seconds: int) -> Iterator[None]:
    def fire(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"still running after {seconds} s: a hang, not a slow machine")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def counted(fn: Callable[[], T]) -> tuple[T, int]:
    """fn's result and the number of profile events (calls and returns, Python and C) it made."""
    events = 0

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal events
        events += 1

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        result = fn()
    finally:
        sys.setprofile(previous)
    return result, events


def parse_counted(raw: bytes) -> tuple[InboundMail, int]:
    return counted(lambda: parse(raw, seconds=NO_TIME_LIMIT))


parse(b"From: warm@example.org\r\n\r\nup")  # first-call imports and regex compiles, not counted


# --- generated MIME ------------------------------------------------------------------------------

NOT_CHARSETS = ["idna", "punycode", "undefined"]
# Real charsets, aliases, charsets Python does not know, and Python codecs that are not text
# charsets at all (a header may name anything).
CHARSETS = [
    "utf-8", "UTF-8", "utf8", "us-ascii", "iso-8859-1", "latin1", "windows-1252", "koi8-r",
    "shift_jis", "gb2312", "gb18030", "big5", "euc-kr", "iso-2022-jp", "utf-16", "utf-16-le",
    "utf-32", "utf-7", "utf-8-sig", "cp65001", "unknown-8bit", "x-unknown", "x-klingon",
    "bogus", "", "utf-8\"", "\"utf-8\"", "ut f-8", "base64", "rot13", "zlib", "hex", "quopri",
    "uu_codec", "unicode_escape", "raw_unicode_escape", "mbcs", "charmap", "x" * 80,
    # Python codecs that refuse errors="replace" or fail on any use: parse() raised on these
    # from 52df611 to 5f4064a (see test_parse_survives_codecs_that_cannot_replace)
    *NOT_CHARSETS,
]

TEXT_TYPES = ["text/plain", "text/html", "text/enriched", "text/rfc822-headers"]
OTHER_TYPES = ["application/pdf", "image/jpeg", "application/ms-tnef",
               "application/octet-stream", "message/delivery-status", "message/partial",
               "message/external-body", "x-bogus/thing", "text", "/", ""]
ENCODINGS = ["", "7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode",
             "BASE64", "bogus"]

html_piece = st.sampled_from([
    "<", ">", "</", "/>", "<!--", "-->", "<!", "<?", "<![CDATA[", "]]>", "<script>",
    "</script>", "<SCRIPT >", "</script >", "<style>", "</style>", "<head>", "<p>", "<br/>",
    "<a href='x'>", "</a>", "<td>", "&amp;", "&#x41;", "&#99999999;", "&nbsp;", "&", ";",
    "a", "Z", "1", " ", "\n", "\t", "é", "\u00a0", "\x00", "\ufffd", "<<", ">>",
])
html_text_strategy = st.lists(html_piece, max_size=120).map("".join)

ascii_words = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@st.composite
def encoded_word(draw: st.DrawFn) -> str:
    charset = draw(st.sampled_from(CHARSETS))
    kind = draw(st.sampled_from("BbQqXx"))
    raw = draw(st.binary(max_size=30))
    if kind in "Bb" and draw(st.booleans()):
        payload = base64.b64encode(raw).decode()
    elif kind in "Qq" and draw(st.booleans()):
        payload = quopri.encodestring(raw, header=True).decode("ascii", "replace")
    else:
        payload = draw(st.text(st.sampled_from("AZaz09+/=_?-!#%"), max_size=30))
    return f"=?{charset}?{kind}?{payload}?="


@st.composite
def header_value(draw: st.DrawFn) -> bytes:
    """Plain ASCII, raw 8-bit UTF-8 (RFC 6532), raw bytes in no charset, encoded words."""
    pieces = draw(st.lists(st.one_of(
        ascii_words.map(str.encode),
        st.text(max_size=20).map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.binary(max_size=20),
        encoded_word().map(str.encode),
        st.sampled_from([b"<", b">", b"@", b",", b";", b'"', b"(", b")", b"\\", b":"]),
    ), max_size=6))
    value = b" ".join(pieces)
    if draw(st.booleans()):  # no bare line breaks; a generated fold is fine
        value = value.replace(b"\r", b" ").replace(b"\n", b"\r\n ")
    return value


USABLE_FROM = [b"Jane Resident <jane@example.org>", b"jane@example.org",
               b"=?utf-8?q?Sam_=3Csam=40landlord=2Eexample=3E?= <mallory@evil.example>",
               "José Núñez <jose@example.es>".encode(), "José <josé@example.es>".encode(),
               b"Mail Delivery Subsystem <mailer-daemon@example.org>",
               b"complaints+CMP-2026-000001@landlord.example", b"sam@landlord.example"]
ODD_FROM = [b"", b"a@example.org, b@example.org", b"<<<@@@>>>", b"Jane <jane@example.org",
            b"<>", b"undisclosed-recipients:;", b"=?utf-8?b?amFuZUBleGFtcGxlLm9yZw==?="]
from_header = st.one_of(st.sampled_from(USABLE_FROM), st.sampled_from(USABLE_FROM),
                        st.sampled_from(ODD_FROM), header_value())


@dataclass(frozen=True)
class Leaf:
    content_type: str
    charset: str | None
    encoding: str
    body: bytes
    filename: bytes | None
    disposition: str


@dataclass(frozen=True)
class Multipart:
    subtype: str
    boundary: str
    children: tuple[Node, ...]
    preamble: bytes
    closed: bool


@dataclass(frozen=True)
class Forwarded:
    headers: tuple[tuple[str, bytes], ...]
    inner: Node


Node = Leaf | Multipart | Forwarded


@st.composite
def leaf(draw: st.DrawFn) -> Leaf:
    content_type = draw(st.sampled_from(TEXT_TYPES + OTHER_TYPES))
    if content_type == "text/html":
        body = draw(html_text_strategy).encode("utf-8", "surrogatepass")
    else:
        body = draw(st.one_of(st.binary(max_size=300),
                              st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass"))))
    encoding = draw(st.sampled_from(ENCODINGS))
    if encoding.lower() == "base64" and draw(st.booleans()):
        body = base64.encodebytes(body)
    elif encoding == "quoted-printable" and draw(st.booleans()):
        body = quopri.encodestring(body)
    return Leaf(content_type, draw(st.none() | st.sampled_from(CHARSETS)), encoding, body,
                draw(st.none() | header_value()),
                draw(st.sampled_from(["", "inline", "attachment", "attachment; filename*=bad"])))


def mime_tree(max_leaves: int) -> st.SearchStrategy[Node]:
    def extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        return st.one_of(
            st.builds(Multipart,
                      subtype=st.sampled_from(["mixed", "alternative", "related", "report",
                                               "digest", "signed", "bogus"]),
                      boundary=st.sampled_from(["B", "=_part", "b b", "", "--", "B" * 80,
                                                "é"]),
                      children=st.lists(children, max_size=4).map(tuple),
                      preamble=st.binary(max_size=30), closed=st.booleans()),
            st.builds(Forwarded, headers=st.lists(st.tuples(st.sampled_from(
                ["From", "Subject", "Message-ID", "Content-Type", "Date"]), header_value()),
                max_size=3).map(tuple), inner=children),
        )
    return st.recursive(leaf(), extend, max_leaves=max_leaves)


def render(node: Node, eol: bytes) -> bytes:
    """A node as MIME: its Content-* header lines, a blank line, its body."""
    if isinstance(node, Leaf):
        ctype = node.content_type.encode()
        if node.charset is not None:
            ctype += b"; charset=" + node.charset.encode()
        if node.filename is not None:
            ctype += b'; name="' + node.filename + b'"'
        head = [b"Content-Type: " + ctype]
        if node.encoding:
            head.append(b"Content-Transfer-Encoding: " + node.encoding.encode())
        if node.disposition or node.filename is not None:
            disposition = (node.disposition or "attachment").encode()
            if node.filename is not None:
                disposition += b'; filename="' + node.filename + b'"'
            head.append(b"Content-Disposition: " + disposition)
        return eol.join(head) + eol + eol + node.body
    if isinstance(node, Forwarded):
        inner = eol.join(name.encode() + b": " + value for name, value in node.headers)
        return (b"Content-Type: message/rfc822" + eol + eol + inner
                + (eol if inner else b"") + render(node.inner, eol))
    boundary = node.boundary.encode()
    report = b"; report-type=delivery-status" if node.subtype == "report" else b""
    out = [b"Content-Type: multipart/" + node.subtype.encode() + report + b'; boundary="'
           + boundary + b'"' + eol + eol + node.preamble]
    for child in node.children:
        out.append(eol + b"--" + boundary + eol + render(child, eol))
    if node.closed:
        out.append(eol + b"--" + boundary + b"--" + eol)
    return b"".join(out)


@st.composite
def nested_chain(draw: st.DrawFn) -> Node:
    """One part inside up to 60 multiparts: deeper than MAX_DEPTH, bounded for the test."""
    node: Node = draw(leaf())
    for level in range(draw(st.integers(0, 60))):
        node = Multipart("mixed", f"n{level}", (node,), b"", draw(st.booleans()))
    return node


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    eol = draw(st.sampled_from([b"\r\n", b"\n"]))
    headers: list[tuple[str, bytes]] = []
    if draw(st.booleans()):
        headers.append(("X-SES-Spam-Verdict", draw(st.sampled_from([b"PASS", b"FAIL", b"GRAY"]))))
    if draw(st.booleans()):
        headers.append(("Authentication-Results", draw(st.sampled_from([
            b"amazonses.com; spf=pass; dkim=pass; dmarc=pass header.from=example.org",
            b"amazonses.com; dmarc=fail", b"mx.attacker.example; dmarc=pass"]) | header_value())))
    count = draw(st.sampled_from([1, 1, 1, 0, 2]))
    headers += [("From", f) for f in draw(st.lists(from_header, min_size=count, max_size=count))]
    headers.append(("To", draw(st.sampled_from([b"complaints@landlord.example",
                                                  b"complaints+CMP-2026-000001@landlord.example",
                                                  b"scotland@landlord.example"]) | header_value())))
    headers += [("Subject", s) for s in draw(st.lists(header_value(), max_size=2))]
    optional = ["Message-ID", "In-Reply-To", "References", "Auto-Submitted", "Precedence",
                "List-Id", "X-Autoreply", "X-Auto-Response-Suppress", "Date", "MIME-Version",
                "Content-Disposition", "X-Random"]
    for name in draw(st.lists(st.sampled_from(optional), max_size=5)):
        headers.append((name, draw(header_value())))
    body = draw(st.one_of(mime_tree(12), nested_chain()))
    raw = eol.join(name.encode() + b": " + value for name, value in headers) + eol + render(body, eol)
    for position, noise in draw(st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=1,
                                                                                      max_size=16)),
                                         max_size=3)):
        at = position % (len(raw) + 1)  # random bytes spliced in anywhere
        raw = raw[:at] + noise + raw[at:]
    return raw


# --- properties ---------------------------------------------------------------------------------


def assert_well_formed(mail: InboundMail) -> None:
    assert mail.verdict in VERDICTS
    assert isinstance(mail.reason, str) and mail.reason
    assert len(mail.subject) <= 998
    assert len(mail.text) <= MAX_TEXT and len(mail.text.encode("utf-8")) <= MAX_TEXT_BYTES
    assert len(mail.attachments) <= MAX_ATTACHMENTS
    assert len(mail.notes) <= MAX_NOTES + 1
    # one usable address, or none and the reason why
    assert (mail.sender == "") == (mail.sender_problem is not None)
    if mail.sender:
        assert mail.sender.count("@") >= 1 and mail.sender == mail.sender.lower()
    json.dumps(mail.to_json("generated.eml"))  # `complaints parse --json` can always print it


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(messages())
def test_parse_never_raises_and_does_work_proportional_to_size(raw: bytes) -> None:
    """Given any generated message (random MIME trees, charsets real and bogus, encoded words,
    raw 8-bit headers, random bytes spliced in), when parsed, then parse returns one of the five
    verdicts within its bounds, and its counted work is at most a constant per byte."""
    with safety_net(30):
        mail, work = parse_counted(raw)
    assert_well_formed(mail)
    assert work <= WORK_BASE + WORK_PER_BYTE * len(raw), (work, len(raw))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2_000))
def test_parse_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    with safety_net(30):
        mail = parse(raw)
    assert_well_formed(mail)
    if not raw.strip():
        assert mail.sender == "" and "the message is empty" in mail.notes


@settings(max_examples=200, deadline=None)
@given(st.one_of(html_text_strategy, st.text(max_size=300)))
def test_html_to_text_is_bounded_by_its_input(markup: str) -> None:
    """Given any HTML-ish text, then the text is never longer than the markup (tags become at
    most one character, entities never expand) and the work is at most a constant per
    character."""
    with safety_net(30):
        text, work = counted(lambda: html_to_text(markup))
    assert len(text) <= len(markup)
    assert work <= 2_000 + 40 * len(markup), (work, len(markup))


# --- linearity: the same shape at two sizes --------------------------------------------------

HEAD = b"From: Jane <jane@example.org>\r\nTo: complaints@landlord.example\r\nSubject: x\r\n"


def _nested(levels: int, lines: int = 0) -> bytes:
    return HEAD + b"".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
                           for i in range(levels)) + b"Content-Type: text/plain\r\n\r\n" + b"x\r\n" * lines


PARSE_SHAPES: dict[str, Callable[[int], bytes]] = {
    "blank lines": lambda k: HEAD + b"\r\n" + b"\n" * k,
    "short lines": lambda k: HEAD + b"\r\n" + b"a\r\n" * (k // 3),
    "many headers": lambda k: HEAD + b"X-A: b\r\n" * (k // 8) + b"\r\nbody",
    "encoded words": lambda k: HEAD.replace(b"Subject: x", b"Subject: " + b"=?utf-8?q?=C3=A9?= "
                                            * (k // 19)) + b"\r\nbody",
    "folded header": lambda k: HEAD.replace(b"Subject: x", b"Subject: x" + b"\r\n y" * (k // 4))
    + b"\r\nbody",
    "raw utf-8 header": lambda k: HEAD.replace(b"Subject: x", b"Subject: " + "é".encode() * (k // 2))
    + b"\r\nbody",
    "parts": lambda k: HEAD + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
    + b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n" * (k // 36) + b"--B--\r\n",
    "boundary-like lines": lambda k: HEAD + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
    + b"--Bx\r\n--\r\n" * (k // 10),
    "forwarded in forwarded": lambda k: HEAD + b"Content-Type: message/rfc822\r\n\r\n" * (k // 36),
    "html tags": lambda k: HEAD + b"Content-Type: text/html\r\n\r\n" + b"<p>a</p><b " * (k // 10),
    "html unclosed anchors": lambda k: HEAD + b"Content-Type: text/html\r\n\r\n" + b"<a " * (k // 3),
    "html script openers": lambda k: HEAD + b"Content-Type: text/html\r\n\r\n" + b"<script>" * (k // 8),
    "html comment openers": lambda k: HEAD + b"Content-Type: text/html\r\n\r\n" + b"<!--<p>" * (k // 7),
    "many attachments": lambda k: HEAD + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
    + b'--B\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename="a.png"\r\n'
      b"\r\nx\r\n" * (k // 90) + b"--B--\r\n",
}


@pytest.mark.parametrize("shape", sorted(PARSE_SHAPES))
def test_parse_work_grows_linearly_with_size(shape: str) -> None:
    """Given one shape of message at 10 KB and at 40 KB, then parsing the larger costs at most
    about four times the work (a quadratic step would cost sixteen)."""
    small, large = PARSE_SHAPES[shape](10_000), PARSE_SHAPES[shape](40_000)
    with safety_net(60):
        (_, work_small), (mail, work_large) = parse_counted(small), parse_counted(large)
    assert_well_formed(mail)
    ratio = len(large) / len(small)
    assert work_large <= 1.25 * ratio * work_small + 20_000, (work_small, work_large)
    assert work_large <= WORK_BASE + WORK_PER_BYTE * len(large)


HTML_SHAPES: dict[str, Callable[[int], str]] = {
    "unclosed anchors": lambda k: "<a " * (k // 3),
    "script openers": lambda k: "<script>" * (k // 8),
    "comment openers": lambda k: "<!--" * (k // 4),
    "bang openers": lambda k: "<!" * (k // 2),
    "unclosed style": lambda k: "<style>" + "x<" * (k // 2),
    "tags and entities": lambda k: "<p>a &amp; b</p><br>" * (k // 20),
    "bare less-thans": lambda k: "<" * k,
    # a hidden element is skipped to its own end (issue 18): one forward scan, however it nests
    "hidden opens": lambda k: '<div style="display:none">' * (k // 26),
    "hidden with children": lambda k: "<div hidden>" + "<div><p>x</div>" * (k // 15),
    "hidden with comments": lambda k: "<div hidden>" + "<!-- </div> -->" * (k // 15),
    "hidden with scripts": lambda k: "<div hidden>" + "<script></div></script>" * (k // 23),
    "hidden one after another": lambda k: "<b hidden><b></b></b>" * (k // 21),
    "quotes in tags": lambda k: '<a title=">"' * (k // 12),
    "entities in tags": lambda k: '<p style="&#58;">' * (k // 17),
}


@pytest.mark.parametrize("shape", sorted(HTML_SHAPES))
def test_html_to_text_work_grows_linearly(shape: str) -> None:
    small, large = HTML_SHAPES[shape](20_000), HTML_SHAPES[shape](80_000)
    with safety_net(60):
        (_, work_small), (text, work_large) = counted(lambda: html_to_text(small)), counted(
            lambda: html_to_text(large))
    assert len(text) <= len(large)
    assert work_large <= 1.25 * 4 * work_small + 2_000, (work_small, work_large)


# A megabyte of each shape, read whole: a linear parse takes well under a second (0.6 s at most
# on this 2-core machine), a quadratic step minutes or hours. The alarm is a hang detector:
# counting cannot see time spent inside one C call (a regex backtracking), this can.
MEGABYTE = 1_000_000
HANG_SECONDS = 10
LONG_TAG_NAME = "html tag name with no end"
MEGABYTE_SHAPES: dict[str, Callable[[int], bytes]] = {
    **PARSE_SHAPES,
    "html bare less-thans": lambda k: HEAD + b"Content-Type: text/html\r\n\r\n" + b"<" * k,
    "html unclosed style": lambda k: HEAD + b"Content-Type: text/html\r\n\r\n<style>" + b"x<" * (k // 2),
    LONG_TAG_NAME: lambda k: HEAD + b"Content-Type: text/html\r\n\r\n<p>The roof leaks.</p><a"
    + b"a" * k,
    "html closing tag name with no end": lambda k: HEAD + b"Content-Type: text/html\r\n\r\n</a"
    + b"a" * k,
}


@pytest.mark.parametrize("shape", sorted(MEGABYTE_SHAPES))
def test_parse_reads_a_megabyte_of_each_shape_without_hanging(shape: str) -> None:
    """Given a megabyte of one pathological shape, then parse returns well-formed; the alarm
    only stops a hang and is never the measure of a pass.

    "html tag name with no end" (and its closing twin) hung from 52df611 through e4d203d:
    html_text._TAG backtracked quadratically on '<' + a long run of letters with no '>'; fixed
    in 6410fe9."""
    raw = MEGABYTE_SHAPES[shape](MEGABYTE)
    with safety_net(HANG_SECONDS):
        mail = parse(raw, seconds=NO_TIME_LIMIT)
    assert_well_formed(mail)


# --- found by these properties: regressions of 52df611, fixed in 7ca5905 ---------------------


@pytest.mark.parametrize("charset", NOT_CHARSETS)
def test_parse_survives_codecs_that_cannot_replace(charset: str) -> None:
    """Given a text part whose charset names a Python codec that is no text charset (idna and
    punycode refuse errors="replace", undefined fails on any use), then parse returns and
    reads the text anyway (ca26ad7 raised UnicodeError: the complaint went to the DLQ)."""
    raw = HEAD + f"Content-Type: text/plain; charset={charset}\r\n\r\n".encode() + \
        b"mould \xe9\xff in the bathroom"
    mail = parse(raw)
    assert_well_formed(mail)
    assert "mould" in mail.text


def test_parse_work_per_body_line_does_not_grow_with_nesting_depth() -> None:
    """Given MIME nested 900 levels deep (deeper than MAX_DEPTH, under the recursion limit),
    when 5,000 more body lines are added, then each added byte costs about what it costs in an
    ordinary message (2-15 calls), not work proportional to the depth.

    On ca26ad7 each added byte cost ~600 calls: the standard library's feed parser read the
    whole message before nesting was bounded, checking every line against every enclosing
    boundary (900 levels + 300,000 lines, 950 KB, took ~23 s; a few MB passed the Lambda's 60 s).
    """
    with safety_net(60):
        (_, bare), (mail, long) = parse_counted(_nested(900)), parse_counted(_nested(900, 5_000))
    assert mail.too_deep
    added_bytes = len(_nested(900, 5_000)) - len(_nested(900))
    assert (long - bare) / added_bytes <= 50, (long - bare) / added_bytes


# Issue 18 (5): the pre-check matched `boundary` case-sensitively, so `bOuNdArY=` nested 900
# deep reached the feed parser whole (95 s and 400 MB for a large one). Parameter names are
# case-insensitive (RFC 2045 5.1), RFC 2231 splits or encodes them, and folding moves the value
# to the next line: every spelling the parser honours must be bounded alike.
BOUNDARY_SPELLINGS = {
    "upper and lower": 'bOuNdArY="b{i}"',
    "all capitals": 'BOUNDARY="b{i}"',
    "RFC 2231 encoded": "boundary*=''b{i}",
    "RFC 2231 continued": 'boundary*0="b"; boundary*1="{i}"',
    "folded value": 'boundary=\r\n "b{i}"',
    "spaces around =": 'Boundary = "b{i}"',
}


def _nested_spelt(spelling: str, levels: int, lines: int = 0) -> bytes:
    return HEAD + b"".join(
        (f"Content-Type: multipart/mixed; {spelling.format(i=i)}\r\n\r\n--b{i}\r\n").encode()
        for i in range(levels)) + b"Content-Type: text/plain\r\n\r\n" + b"x\r\n" * lines


@pytest.mark.parametrize("spelling", sorted(BOUNDARY_SPELLINGS))
def test_nesting_is_bounded_however_the_boundary_parameter_is_spelt(spelling: str) -> None:
    """Given MIME nested 900 deep whose boundaries are declared in any spelling the parser
    honours, when 5,000 body lines are added, then it is marked too deep and each added byte
    costs what it costs in an ordinary message, not work proportional to the depth (before the
    fix: ~600 calls a byte for all but the plain lower-case spelling)."""
    form = BOUNDARY_SPELLINGS[spelling]
    with safety_net(120):
        (_, bare), (mail, long) = (parse_counted(_nested_spelt(form, 900)),
                                   parse_counted(_nested_spelt(form, 900, 5_000)))
    assert mail.too_deep and mail.sender == "jane@example.org"
    added_bytes = len(_nested_spelt(form, 900, 5_000)) - len(_nested_spelt(form, 900))
    assert (long - bare) / added_bytes <= 50, (long - bare) / added_bytes


def test_siblings_in_any_spelling_are_not_nesting() -> None:
    """Given 200 sibling multiparts, each closed before the next opens, declared in mixed
    spellings, then the message is read (not too deep) and every part's text is there."""
    parts = b"".join(
        (f'--OUT\r\nContent-Type: multipart/alternative; BoUnDaRy="in{i}"\r\n\r\n'
         f"--in{i}\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n--in{i}--\r\n").encode()
        for i in range(200))
    raw = HEAD + b'Content-Type: multipart/mixed; BOUNDARY="OUT"\r\n\r\n' + parts + b"--OUT--\r\n"
    mail = parse(raw, seconds=NO_TIME_LIMIT)
    assert not mail.too_deep
    assert "part 0" in mail.text and "part 199" in mail.text


# --- issue 18, defect 6: whole references only ----------------------------------------------------

_OUR_REFERENCE = st.builds(lambda y, n: f"CMP-{y:04d}-{n:06d}", st.integers(2000, 2100),
                           st.integers(1, 999_999))
# what makes a longer token: a letter or digit (any script) touching it, or one beyond a
# / . - _ (alone, those are punctuation at the token's end: "CMP-2026-000001." is whole)
_TOUCHING = st.sampled_from("abcxyzXYZ0123456789é\u0663")
_JOINED_AFTER = st.tuples(st.sampled_from("/.-_"), _TOUCHING).map("".join)  # CMP-...-000001/x
_JOINED_BEFORE = st.tuples(_TOUCHING, st.sampled_from("/.-_")).map("".join)  # OLD/CMP-...
# what ends one: spaces, brackets and punctuation that no reference holds (and / . - alone)
_APART = st.text(alphabet=" \t[](){}<>:;,!?\"'«»#*&+=|\\~", max_size=3)


@given(_OUR_REFERENCE, st.one_of(_TOUCHING, _JOINED_BEFORE), st.one_of(_TOUCHING, _JOINED_AFTER),
       st.booleans(), st.booleans(), _APART)
@settings(max_examples=300, deadline=None)
def test_a_reference_that_is_part_of_a_longer_token_is_never_found(
        reference: str, before: str, after: str, prefix: bool, suffix: bool, apart: str) -> None:
    from complaints.mail.inbound import find_reference

    if not (prefix or suffix):
        prefix = True
    token = f"{before if prefix else ''}{reference}{after if suffix else ''}"
    assert find_reference(f"Re:{apart}{token}{apart}about the repair") is None


@given(_OUR_REFERENCE, _APART, _APART, st.sampled_from(["", ".", "-", "/", "...", "_"]))
@settings(max_examples=300, deadline=None)
def test_a_whole_reference_is_always_found(reference: str, before: str, after: str,
                                           end: str) -> None:
    from complaints.mail.inbound import find_reference

    assert find_reference(f"Re:{before}{reference}{end}{after} the repair") == reference


# Issue 18 (an outside attack on 5): 39 MB of bare line breaks took 11 s and 840 MB (the parser
# keeps an object a line), and a message out of time was read whole a second time for its
# headers, quarantined as "nested". Lines are counted first; only the header block is re-read.
LINE_FLOODS = {
    "bare LF": lambda n: b"\n" * n,
    "CRLF": lambda n: b"\r\n" * n,
    "bare CR": lambda n: b"\r" * n,
    "quoted-printable soft breaks": lambda n: b"=\r\n" * n,
}


@pytest.mark.parametrize("flood", sorted(LINE_FLOODS))
def test_a_flood_of_lines_is_not_parsed_and_says_why(flood: str) -> None:
    """Given a flat message of 2,000,000 empty lines, then it is not handed to the parser:
    marked unread with the line count as the reason (not "nested"), its sender and subject
    kept, and the work is what reading the headers costs, not a call a line."""
    raw = (b"From: Jane <jane@example.org>\r\nSubject: lines\r\nMessage-ID: <l@example.org>\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + LINE_FLOODS[flood](2_000_000))
    with safety_net(60):
        mail, work = parse_counted(raw)
    assert mail.too_deep and "lines" in mail.unread and "nested" not in mail.unread
    assert (mail.sender, mail.subject) == ("jane@example.org", "lines")
    assert work <= WORK_BASE, work


def test_out_of_time_reads_only_the_header_block() -> None:
    """Given an ordinary long message and no time left, then parsing stops after its first
    chunk and reads the header block alone: the work does not grow with the body."""
    small = HEAD + b"\r\n" + b"word\r\n" * 1_000
    large = HEAD + b"\r\n" + b"word\r\n" * 400_000
    (_, work_small), (b, work_large) = (counted(lambda: parse(small, seconds=0.0)),
                                        counted(lambda: parse(large, seconds=0.0)))
    assert b.too_deep and "not read within" in b.unread
    assert work_large <= work_small + 5_000, (work_small, work_large)
