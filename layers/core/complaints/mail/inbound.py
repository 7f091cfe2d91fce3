"""Reading inbound mail: any bytes -> InboundMail (headers, text, attachments), in time linear
in their size.

The verdict (rejected, bounce, auto_reply, reply, complaint) and the case reference come from
mail/verdict.py, re-exported here with the rest of what the service imports.

Bounds, so that no message can hang or crash the pipeline: MIME nesting deeper than
MAX_DEPTH is not walked (the message is marked ``too_deep`` and quarantined by the service, its
headers kept); at most MAX_PARTS parts are walked; each header is read up to MAX_HEADER
characters; HTML is turned into text by a linear scanner; and the walk stops at a time budget
(PARSE_SECONDS), noting what it did not read. The raw message is always kept whole.

mail-parser is not used here: it decodes every header itself (about 5 s per MB of encoded
words), walks MIME recursively and lists forwarded messages twice; the standard library's
parser, walked iteratively, gives what the case needs within the bounds above.
"""

from __future__ import annotations

import codecs
import email
import email.feedparser
import email.header
import email.parser
import email.policy
import hashlib
import mimetypes
import re
import time
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses
from functools import cached_property
from typing import Any, Final

from complaints.mail.html_text import concealing_styles, html_to_text
from complaints.mail.identity import (
    Auth,
    From,
    auth_from_header,
    auth_from_ses_event,
    parse_from,
    ses_from_disagrees,
    usable_address,
)
from complaints.mail.quoting import FORWARDED, own_text
from complaints.mail.verdict import (
    REFERENCE,
    VERDICT_HEADERS,
    carried_reference,
    classify,
    find_reference,
)

MAX_ATTACHMENTS: Final = 50  # listed on the case; the rest stay inside the raw message
MAX_TEXT: Final = 200_000  # characters of body text kept on the case; the raw keeps all
MAX_TEXT_BYTES: Final = 300_000  # ... and at most this much UTF-8 (a DynamoDB item is 400 KB)
MAX_DEPTH: Final = 30  # MIME nesting levels walked
# Lines (LF, CR or CRLF) handed to the parser, which keeps an object for each: a 40 MB message
# of base64 has about 530,000; 39 MB of bare line breaks took 840 MB and 11 s.
MAX_LINES: Final = 1_500_000
MAX_HEAD_BYTES: Final = 2 * 1024 * 1024  # the header block read when the body is not
MAX_PARTS: Final = 1_000  # MIME parts walked
MAX_HEADER: Final = 65_536  # characters of one header value read
MAX_HTML: Final = 5_000_000  # characters of HTML turned into text
MAX_RECIPIENTS: Final = 200  # addresses read from To/Cc/Delivered-To/X-Original-To
PARSE_SECONDS: Final = 5.0  # the walk stops after this, noting what it did not read
MAX_NOTES: Final = 20

_MESSAGE_ID: Final = re.compile(r"<[^<>\s]{1,900}>")
_QUOTED_SCAN: Final = 1_000_000  # characters of a bounce searched for the Message-ID it quotes


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    payload: bytes = field(repr=False)
    note: str | None = None

    @property
    def size(self) -> int:
        return len(self.payload)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()


@dataclass(frozen=True)
class InboundMail:
    verdict: str
    reason: str
    sender: str  # lower-cased address, "" if none could be read unambiguously
    sender_name: str
    sender_problem: str | None  # why the From header names no one (quarantined)
    subject: str
    reference: str | None
    text: str
    attachments: tuple[Attachment, ...]
    auth: Auth
    message_id: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    recipients: tuple[str, ...]
    auto_response_suppress: bool
    notes: tuple[str, ...]  # what parsing noticed: defects, parts not read, truncation
    # A bounce quotes the message that failed (often in a text/rfc822-headers part): the
    # Message-IDs it quotes. Only a Message-ID of a letter we sent ties it to a case.
    quoted: tuple[str, ...] = ()
    too_deep: bool = False  # the body was not read (``unread`` says why): quarantined, headers kept
    unread: str = ""  # why the body was not read: nested too deep, too many lines, out of time
    # Text read from HTML alone whose styles could have hidden some of it from the reader
    # (html_text.concealing_styles): why, or "". Staff commands are not run from such text.
    concealed: str = ""
    auto_generated: bool = False  # Auto-Submitted: auto-generated (form gateways, robots)

    @cached_property
    def own_words(self) -> str:
        """The writer's own text, the quoted history and signature below it cut: read once,
        however many of the mailroom's rules ask."""
        return own_text(self.text)

    @property
    def sender_from(self) -> From:
        return From(self.sender, self.sender_name, self.sender_problem)

    def to_json(self, file: str) -> dict[str, Any]:
        """The `complaints parse --json` shape."""
        return {
            "file": file,
            "verdict": self.verdict,
            "reason": self.reason,
            "from": self.sender,
            "subject": self.subject,
            "reference": self.reference,
            "text": self.text,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                for a in self.attachments
            ],
            "auth": {k: v for k, v in self.auth.to_json().items()
                     if k in ("spf", "dkim", "dmarc", "spam", "virus")},
        }


def parse(raw: bytes, seconds: float = PARSE_SECONDS,
          receipt: dict[str, Any] | None = None,
          ses_from: list[str] | None = None) -> InboundMail:
    """Never raises: every byte string becomes an InboundMail with a verdict and a reason.

    ``receipt``: the SES event's receipt, whose verdicts win over the stored headers'.
    ``ses_from``: the event's ``mail.commonHeaders.from``, the From header as SES read it.
    """
    notes: list[str] = []
    started = time.monotonic()
    message, unread = _stdlib_message(raw, notes, seconds)
    too_deep = bool(unread)
    headers = _Headers(message, notes)
    sender = parse_from(headers.all("From"))
    subject = _decoded(headers.first("Subject"))
    if len(subject) > 998:
        notes.append(f"subject cut from {len(subject)} characters to 998")
        subject = subject[:998]
    walk = _Walk(max(0.0, seconds - (time.monotonic() - started)), notes)  # one budget
    if too_deep:
        notes.append(f"{unread}: the body was not read; the raw message is kept whole")
    else:
        walk.run(message)
    listed = getaddresses((headers.all("To") + headers.all("Cc") + headers.all("Delivered-To")
                           + headers.all("X-Original-To"))[:MAX_RECIPIENTS])
    recipients = tuple(dict.fromkeys(
        r for r in (_recipient(address) for _, address in listed[:MAX_RECIPIENTS]) if r))
    in_reply_to = tuple(_message_ids(headers.first("In-Reply-To")))
    references = tuple(_message_ids(" ".join(headers.all("References"))))[-50:]
    reference = carried_reference(subject, recipients, in_reply_to + references)
    auth = auth_from_header(headers.all("Authentication-Results"),
                            headers.first("X-SES-Spam-Verdict"), headers.first("X-SES-Virus-Verdict"))
    if receipt:
        disagreement = ses_from_disagrees(ses_from or [], sender.domain, auth)
        if disagreement:
            notes.append(f"{disagreement}: its DMARC verdict vouches for no one here")
        auth = auth_from_ses_event(receipt, sender.domain, auth, ses_from)
    verdict, reason = classify({name: headers.first(name) for name in VERDICT_HEADERS},
                               sender.address, subject, reference, auth)
    if too_deep:
        reason += f"; {unread}: the service quarantines it"
    elif not sender.address and verdict not in ("bounce", "rejected"):
        reason += f"; no usable sender ({sender.problem}): the service quarantines it"
    if not raw.strip():
        notes.append("the message is empty")
    quoted: tuple[str, ...] = ()
    if verdict == "bounce":
        quoted = tuple(dict.fromkeys(
            [*in_reply_to, *references, *_message_ids(walk.quoted_text()[:_QUOTED_SCAN])]))[:200]
    if len(notes) > MAX_NOTES:
        notes[MAX_NOTES:] = [f"... and {len(notes) - MAX_NOTES} more notes"]
    auto_submitted = headers.first("Auto-Submitted").lower()
    return InboundMail(
        verdict=verdict,
        reason=reason,
        sender=sender.address,
        sender_name=sender.display_name.strip()[:200],
        sender_problem=sender.problem,
        subject=subject,
        reference=reference,
        text=walk.text(),
        attachments=walk.attachments(),
        auth=auth,
        message_id=_first_id(headers.first("Message-ID")),
        in_reply_to=in_reply_to,
        references=references,
        recipients=recipients,
        auto_response_suppress=bool(headers.first("X-Auto-Response-Suppress")),
        notes=tuple(notes),
        quoted=quoted,
        too_deep=too_deep,
        unread=unread,
        concealed=walk.concealed,  # after walk.text(), which finds it
        auto_generated=auto_submitted.startswith("auto-generated"),
    )


# --- headers --------------------------------------------------------------------------------


class _Headers:
    """Raw header values (RFC 6532 UTF-8 restored), looked up without ever raising."""

    def __init__(self, message: Message, notes: list[str]) -> None:
        self._items: list[tuple[str, str]] = []
        long_ones = 0
        for key, value in list(message.raw_items()):
            text = _restore_utf8(str(value))
            if len(text) > MAX_HEADER:
                long_ones += 1
                text = text[:MAX_HEADER]
            self._items.append((str(key).lower(), text))
        if long_ones:
            notes.append(f"{long_ones} header(s) longer than {MAX_HEADER} characters: read in part")

    def all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self._items if k == name]

    def first(self, name: str) -> str:
        found = self.all(name)
        return _unfold(found[0]) if found else ""


def _restore_utf8(value: str) -> str:
    """The parser reads header bytes as ASCII with surrogate escapes: RFC 6532 allows UTF-8."""
    if value.isascii():
        return value
    raw = value.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")  # 8-bit headers from old clients


def _unfold(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def _decoded(value: str) -> str:
    """A header's text with RFC 2047 encoded words decoded (for display, never for identity)."""
    try:
        parts = []
        for chunk, charset in email.header.decode_header(value):
            parts.append(_text(chunk, charset) if isinstance(chunk, bytes) else chunk)
        return _unfold("".join(parts))
    except Exception:
        return _unfold(value)


def _codec(charset: str | None) -> str:
    """A text codec for a declared charset. Python also knows codecs that are not charsets
    (idna, punycode, rot13, undefined, base64...): those, and unknown names, are not trusted."""
    if not charset or charset.lower() in ("unknown-8bit", "x-unknown"):
        return "utf-8"
    try:
        info = codecs.lookup(charset)
    except (LookupError, ValueError):
        return "latin-1"  # an unknown charset still yields every byte, visibly
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return "latin-1"
    return info.name


_NOT_CHARSETS: Final = frozenset({"idna", "punycode", "undefined", "raw-unicode-escape",
                                  "unicode-escape", "mbcs", "oem"})


def _text(payload: bytes, charset: str | None) -> str:
    try:
        return payload.decode(_codec(charset), errors="replace")
    except Exception:  # a codec that refuses errors="replace": read it as UTF-8
        return payload.decode("utf-8", errors="replace")


def _recipient(address: str) -> str:
    local, _, domain = address.strip().rpartition("@")
    return usable_address(local, domain) or ""


def _message_ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value or "")


def _first_id(value: str) -> str:
    ids = _message_ids(value)
    return ids[0] if ids else ""


# --- MIME -----------------------------------------------------------------------------------


def _stdlib_message(raw: bytes, notes: list[str],
                    seconds: float = PARSE_SECONDS) -> tuple[Message, str]:
    """The parsed message, and why its body cannot be walked ("" when it can).

    The feed parser checks every line against every enclosing boundary, so its work grows
    with depth x lines, and it keeps an object for every line. A message with more lines than
    any mail client writes is not handed to it. The rest is fed in small chunks and, after
    each, the parser is asked how many boundaries it has open: the depth as the parser itself
    sees it, whatever spelling declared them (``bOuNdArY=``, RFC 2231 ``boundary*=``, a folded
    parameter). Past MAX_DEPTH, or past the time budget whatever the shape, it is stopped and
    only the header block is read.
    """
    lines = raw.count(b"\n") + raw.count(b"\r") - raw.count(b"\r\n")
    if lines > MAX_LINES:
        return _headers_only(raw, notes), (f"the message has {lines:,} lines, more than the "
                                           f"{MAX_LINES:,} any mail client writes")
    deadline = time.monotonic() + seconds
    parser = email.feedparser.BytesFeedParser(policy=email.policy.compat32)
    try:
        for start in range(0, len(raw), _FEED_CHUNK):
            parser.feed(raw[start:start + _FEED_CHUNK])
            if _open_boundaries(parser) > MAX_DEPTH:
                return _headers_only(raw, notes), _TOO_DEEP
            if time.monotonic() > deadline:
                return _headers_only(raw, notes), f"MIME not read within {seconds:g} s"
        message = parser.close()
    except RecursionError:
        return _headers_only(raw, notes), _TOO_DEEP
    except Exception as exc:
        notes.append(f"MIME could not be parsed ({type(exc).__name__}); headers read alone")
        return _headers_only(raw, notes), ""
    defects = getattr(message, "defects", [])
    if defects:
        notes.append("MIME defects: " + ", ".join(sorted({type(d).__name__ for d in defects})))
    return message, _TOO_DEEP if _depth_exceeds(message, MAX_DEPTH) else ""


_TOO_DEEP: Final = f"MIME nested more than {MAX_DEPTH} levels deep"


# Small enough that one chunk can open only a few levels more than MAX_DEPTH (a level takes
# ~50 bytes), so the work done before the depth is seen stays small.
_FEED_CHUNK: Final = 2048


def _open_boundaries(parser: email.feedparser.BytesFeedParser) -> int:
    """How many multipart boundaries the feed parser is inside now.

    CPython's parser keeps one end-of-part matcher per open boundary (BufferedSubFile's
    ``_eofstack``, the same in 3.11 and 3.12); if a later Python hides it, MIME depth is still
    bounded by ``_depth_exceeds`` and the time budget.
    """
    return len(getattr(getattr(parser, "_input", None), "_eofstack", ()))


def _headers_only(raw: bytes, notes: list[str]) -> Message:
    """The header block alone: never the body, which is what could not be read."""
    head = raw[:MAX_HEAD_BYTES]
    ends = [i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0]
    head = head[:min(ends) + 2] if ends else head
    try:
        return email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head)
    except Exception as exc:
        notes.append(f"headers could not be parsed either ({type(exc).__name__})")
        return Message()


def _depth_exceeds(message: Message, limit: int) -> bool:
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        if depth > limit:
            return True
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend((p, depth + 1) for p in payload if isinstance(p, Message))
    return False


class _Walk:
    """One iterative pass over the parts: text, HTML, attachments, forwarded messages."""

    def __init__(self, seconds: float, notes: list[str]) -> None:
        self.deadline = time.monotonic() + seconds
        self.notes = notes
        self.texts: list[tuple[str, str]] = []  # (content type, text) in reading order
        self.part_defects: set[str] = set()  # what the parser noticed inside parts
        self.replaced: list[str] = []  # text parts whose bytes did not fit their charset
        self.found: list[Attachment] = []
        self.report: list[str] = []  # text of delivery reports and returned headers
        self.concealed = ""  # why HTML the text came from may have hidden some of it

    def run(self, message: Message) -> None:
        try:
            self._walk(message)
        finally:
            if self.part_defects:
                self.notes.append("MIME defects inside parts: " + ", ".join(sorted(self.part_defects)))
            if self.replaced:
                self.notes.append("bytes not valid in their declared charset were replaced in "
                                  + ", ".join(self.replaced[:5]) + "; the raw message keeps them")

    def _walk(self, message: Message) -> None:
        stack: list[tuple[Message, str]] = [(message, "")]
        walked = 0
        while stack:
            part, forwarded = stack.pop()
            walked += 1
            if walked > 1:  # the top level's own defects are noted when it is parsed
                self.part_defects.update(type(d).__name__ for d in getattr(part, "defects", ()))
            if walked > MAX_PARTS:
                self.notes.append(f"more than {MAX_PARTS} MIME parts: the rest were not read; "
                                  "they are in the raw message")
                return
            if time.monotonic() > self.deadline:
                self.notes.append(f"reading stopped at part {walked} (time limit); the rest is "
                                  "in the raw message")
                return
            ctype = part.get_content_type()
            if ctype == "message/rfc822" or (ctype.startswith("message/") and part.is_multipart()
                                             and ctype not in ("message/delivery-status",)):
                inner = part.get_payload()
                if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                    self._forwarded(part, inner[0])
                    stack.append((inner[0], _forward_label(inner[0])))
                continue
            if part.is_multipart():
                payload = part.get_payload()
                if isinstance(payload, list):
                    children = [p for p in payload if isinstance(p, Message)]
                    if ctype == "multipart/alternative" and any(
                            c.get_content_type() == "text/plain" for c in children):
                        children = [c for c in children if c.get_content_type() != "text/html"]
                    stack.extend((p, forwarded) for p in reversed(children))
                continue
            self._leaf(part, ctype, forwarded)

    def _leaf(self, part: Message, ctype: str, forwarded: str) -> None:
        filename = _decoded(_restore_utf8(str(part.get_filename() or "")))
        disposition = str(part.get("Content-Disposition", "")).lower()
        try:
            decoded = part.get_payload(decode=True)
        except Exception as exc:
            self.notes.append(f"a {ctype} part could not be decoded ({type(exc).__name__})")
            decoded = None
        payload = decoded if isinstance(decoded, bytes) else b""
        self.part_defects.update(type(d).__name__ for d in getattr(part, "defects", ()))
        if ctype in ("text/rfc822-headers", "message/delivery-status"):
            self.report.append(payload.decode("utf-8", "replace"))
        is_text = ctype in ("text/plain", "text/html")
        if filename or disposition.startswith("attachment") or not is_text:
            if forwarded:
                return  # inside a forwarded message: that message is kept whole
            self.found.append(_attachment(filename, ctype, payload, len(self.found)))
            return
        charset = part.get_content_charset()
        try:
            text = payload.decode(_codec(charset))
        except (UnicodeDecodeError, LookupError, ValueError):
            self.replaced.append(f"{ctype} ({charset or 'no charset'})")
            text = _text(payload, charset)
        if forwarded:
            self.texts.append(("text/plain", forwarded))
        self.texts.append((ctype, text))

    def _forwarded(self, part: Message, inner: Message) -> None:
        try:
            payload = inner.as_bytes()
        except Exception as exc:
            self.notes.append(f"a forwarded message could not be kept as .eml "
                              f"({type(exc).__name__}); it is in the raw message")
            return
        name = _decoded(str(part.get_filename() or "")) or "forwarded-message.eml"
        self.found.append(_attachment(name, "message/rfc822", payload, len(self.found)))

    def text(self) -> str:
        pieces, html_left = [], MAX_HTML
        for ctype, text in self.texts:
            if ctype == "text/html":
                self.concealed = self.concealed or concealing_styles(text[:html_left])
                if len(text) > html_left:
                    self.notes.append(f"HTML of {len(text)} characters: only {html_left} were "
                                      "turned into text")
                    text = text[:html_left]
                html_left -= len(text)
                text = html_to_text(text)
            pieces.append(text.strip())
        text = "\n\n".join(p for p in pieces if p)
        if len(text) > MAX_TEXT:
            self.notes.append(f"body text cut from {len(text)} to {MAX_TEXT} characters on the "
                              "case; the raw message keeps all of it")
            text = text[:MAX_TEXT]
        encoded = text.encode("utf-8")
        if len(encoded) > MAX_TEXT_BYTES:
            self.notes.append(f"body text cut to {MAX_TEXT_BYTES} bytes of UTF-8 on the case")
            text = encoded[:MAX_TEXT_BYTES].decode("utf-8", "ignore")
        return text

    def attachments(self) -> tuple[Attachment, ...]:
        if len(self.found) > MAX_ATTACHMENTS:
            self.notes.append(f"{len(self.found)} attachments: the first {MAX_ATTACHMENTS} are "
                              "listed, all are in the raw message")
        return tuple(self.found[:MAX_ATTACHMENTS])

    def quoted_text(self) -> str:
        return "\n".join(self.report + [t for c, t in self.texts if c == "text/plain"])


def _forward_label(inner: Message) -> str:
    sender = _decoded(_restore_utf8(str(inner.get("From", "") or "")))[:200]
    subject = _decoded(_restore_utf8(str(inner.get("Subject", "") or "")))[:200]
    # quoting.own_text cuts a reply's own text at this line: what follows is not the sender's
    return f"{FORWARDED}{sender or 'unknown'}: {subject or '(no subject)'} ----"


def _attachment(filename: str, content_type: str, payload: bytes, n: int) -> Attachment:
    note = None
    lowered = filename.lower()
    if lowered == "winmail.dat" or content_type == "application/ms-tnef":
        note = ("Outlook TNEF (winmail.dat): kept as sent; ask the resident to resend the files "
                "if it holds attachments staff cannot open")
    elif content_type == "message/rfc822":
        note = "a forwarded message, kept whole as .eml"
    if not filename:
        extension = ".eml" if content_type == "message/rfc822" else (
            mimetypes.guess_extension(content_type) or ".bin")
        filename = f"part-{n + 1:03d}{extension}"
    safe = re.sub(r"[\x00-\x1f/\\]", "_", filename).strip() or f"part-{n + 1:03d}.bin"
    return Attachment(safe[:200], content_type, payload, note)


__all__ = ["MAX_ATTACHMENTS", "MAX_DEPTH", "MAX_HEADER", "MAX_HEAD_BYTES", "MAX_HTML", "MAX_LINES",
           "MAX_NOTES", "MAX_PARTS", "MAX_RECIPIENTS", "MAX_TEXT", "MAX_TEXT_BYTES", "PARSE_SECONDS",
           "REFERENCE", "Attachment", "InboundMail", "find_reference", "parse"]
