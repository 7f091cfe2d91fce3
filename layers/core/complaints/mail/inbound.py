"""Inbound mail: parse any bytes (mail-parser, stdlib as the fallback) and classify them.

Verdicts, first match wins: rejected, bounce, auto_reply, reply, complaint (design.md,
`complaints parse`). Classification uses only what the message carries; threading against the
store (which messages we sent, who the parties are) is the service's job.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses, parseaddr
from typing import Any, Final

REFERENCE: Final = re.compile(r"\bCMP-(\d{4})-(\d{6})\b")
RECEIVING_AUTHSERV: Final = "amazonses.com"  # only the receiving server's verdicts count
MAX_ATTACHMENTS: Final = 50  # listed on the case; the rest stay inside the raw message
MAX_TEXT: Final = 200_000  # characters of body text kept on the case; the raw keeps all

_AUTO_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|auto:|autoreply|"
    r"away from (the )?office|on holiday)", re.IGNORECASE)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|delivery status notification|returned mail|failure notice|"
    r"mail delivery (failed|subsystem)|delivery has failed)", re.IGNORECASE)


@dataclass(frozen=True)
class Auth:
    spf: str = "none"
    dkim: str = "none"
    dmarc: str = "none"
    spam: str = "none"
    virus: str = "none"

    @property
    def aligned(self) -> bool:
        """SPF or DKIM passed and DMARC passed: the sender's domain vouches for the From."""
        return self.dmarc == "pass" and (self.spf == "pass" or self.dkim == "pass")


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
    sender: str  # lower-cased address, "" if none could be read
    sender_name: str
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
    notes: tuple[str, ...]  # what parsing noticed: defects, dropped parts, truncation
    # A bounce quotes the message that failed (often in a text/rfc822-headers part that
    # parsers skip): the Message-IDs and case references found anywhere in it.
    quoted: tuple[str, ...] = ()

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
            "auth": {"spf": self.auth.spf, "dkim": self.auth.dkim, "dmarc": self.auth.dmarc,
                     "spam": self.auth.spam, "virus": self.auth.virus},
        }


def find_reference(*texts: str) -> str | None:
    for text in texts:
        match = REFERENCE.search(text or "")
        if match:
            return match.group(0)
    return None


def parse(raw: bytes) -> InboundMail:
    """Never raises: every byte string becomes an InboundMail with a verdict and a reason."""
    notes: list[str] = []
    message = _stdlib_message(raw, notes)
    headers = _Headers(message)
    sender_name, sender = parseaddr(headers.first("From"))
    sender = sender.strip().lower() if "@" in sender else ""
    subject = _subject(message, raw, notes)
    text, attachments = _body(message, notes)
    recipients = tuple(
        addr.lower() for _, addr in getaddresses(
            headers.all("To") + headers.all("Cc") + headers.all("Delivered-To")
            + headers.all("X-Original-To"))
        if "@" in addr)
    in_reply_to = tuple(_message_ids(headers.first("In-Reply-To")))
    references = tuple(_message_ids(" ".join(headers.all("References"))))
    reference = find_reference(subject, *_plus_tags(recipients),
                               " ".join(in_reply_to + references))
    auth = _auth(headers)
    verdict, reason = _classify(message, headers, sender, subject, reference, auth)
    if not raw.strip():
        notes.append("the message is empty")
    quoted: tuple[str, ...] = ()
    if verdict == "bounce":
        text_of_raw = raw[:2_000_000].decode("utf-8", "replace")
        quoted = tuple(dict.fromkeys(
            [m.group(0) for m in REFERENCE.finditer(text_of_raw)] + _message_ids(text_of_raw)))
    return InboundMail(
        verdict=verdict,
        reason=reason,
        sender=sender,
        sender_name=sender_name.strip(),
        subject=subject,
        reference=reference,
        text=text,
        attachments=attachments,
        auth=auth,
        message_id=_first_id(headers.first("Message-ID")),
        in_reply_to=in_reply_to,
        references=references,
        recipients=recipients,
        auto_response_suppress=bool(headers.first("X-Auto-Response-Suppress")),
        notes=tuple(notes),
        quoted=quoted,
    )


# --- pieces -------------------------------------------------------------------------------


class _Headers:
    """Header look-ups that never raise on malformed values."""

    def __init__(self, message: Message) -> None:
        self._items: list[tuple[str, str]] = []
        for key, value in message.raw_items() if hasattr(message, "raw_items") else message.items():
            self._items.append((str(key).lower(), _header_text(value)))

    def all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self._items if k == name]

    def first(self, name: str) -> str:
        found = self.all(name)
        return found[0] if found else ""


def _header_text(value: object) -> str:
    try:
        decoded = email.header.decode_header(str(value))
        parts = []
        for chunk, charset in decoded:
            if isinstance(chunk, bytes):
                parts.append(chunk.decode(_codec(charset), errors="replace"))
            else:
                parts.append(chunk)
        return re.sub(r"\s+", " ", "".join(parts)).strip()
    except Exception:
        return re.sub(r"\s+", " ", str(value)).strip()


def _codec(charset: str | None) -> str:
    if not charset:
        return "ascii"
    try:
        "".encode(charset)
        return charset
    except LookupError:
        return "latin-1"  # an unknown charset still yields every byte, visibly


def _stdlib_message(raw: bytes, notes: list[str]) -> Message:
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception as exc:
        notes.append(f"MIME could not be parsed ({type(exc).__name__}); raw message kept")
        message = Message()
    defects = getattr(message, "defects", [])
    if defects:
        notes.append("MIME defects: " + ", ".join(sorted({type(d).__name__ for d in defects})))
    return message


def _subject(message: Message, raw: bytes, notes: list[str]) -> str:
    subject = _header_text(message.get("Subject", "") or "")
    if len(subject) > 998:
        notes.append(f"subject cut from {len(subject)} characters to 998")
        subject = subject[:998]
    return subject


def _body(message: Message, notes: list[str]) -> tuple[str, tuple[Attachment, ...]]:
    """Text and attachments through mail-parser; stdlib walking if mail-parser gives up."""
    try:
        import mailparser

        parsed = mailparser.MailParser(message)  # the message parsed once, for both passes
        text = "\n".join(parsed.text_plain) or _strip_html("\n".join(parsed.text_html))
        attachments = [_from_mailparser(a, notes) for a in parsed.attachments]
        attachments += _forwarded(message)  # mail-parser flattens these into the text
    except Exception as exc:
        notes.append(f"mail-parser failed ({type(exc).__name__}); read with the stdlib parser")
        text, attachments = _stdlib_body(message, notes)
    if len(text) > MAX_TEXT:
        notes.append(f"body text cut from {len(text)} to {MAX_TEXT} characters on the case")
        text = text[:MAX_TEXT]
    if len(attachments) > MAX_ATTACHMENTS:
        notes.append(f"{len(attachments)} attachments: the first {MAX_ATTACHMENTS} are listed, "
                     "all are in the raw message")
        attachments = attachments[:MAX_ATTACHMENTS]
    return text.strip(), tuple(attachments)


def _from_mailparser(item: dict[str, Any], notes: list[str]) -> Attachment:
    payload_text = item.get("payload") or ""
    content_type = str(item.get("mail_content_type") or "application/octet-stream").lower()
    if item.get("binary"):
        try:
            payload = base64.b64decode(payload_text)
        except (binascii.Error, ValueError):
            payload = payload_text.encode("utf-8", errors="replace")
            notes.append(f"attachment {item.get('filename')!r}: bad base64, kept as text")
    else:
        payload = str(payload_text).encode(item.get("charset") or "utf-8", errors="replace")
    return _attachment(str(item.get("filename") or ""), content_type, payload)


def _attachment(filename: str, content_type: str, payload: bytes) -> Attachment:
    note = None
    lowered = filename.lower()
    if lowered == "winmail.dat" or content_type == "application/ms-tnef":
        note = ("Outlook TNEF (winmail.dat): kept as sent; ask the resident to resend the files "
                "if it holds attachments staff cannot open")
    elif content_type == "message/rfc822":
        note = "a forwarded message, kept whole as .eml"
        filename = filename or "forwarded-message.eml"
    safe = re.sub(r"[\x00-\x1f/\\]", "_", filename).strip() or "attachment"
    return Attachment(safe[:200], content_type, payload, note)


def _forwarded(message: Message) -> list[Attachment]:
    """Forwarded messages, whole, so staff can see who wrote them and when."""
    found = []
    for part in message.walk():
        if part.get_content_type() != "message/rfc822":
            continue
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            try:
                payload = inner[0].as_bytes()
            except Exception:
                continue
            found.append(_attachment(part.get_filename() or "", "message/rfc822", payload))
    return found


def _stdlib_body(message: Message, notes: list[str]) -> tuple[str, list[Attachment]]:
    texts: list[str] = []
    attachments: list[Attachment] = []
    for part in message.walk() if message.is_multipart() else [message]:
        if part.is_multipart():
            continue
        try:
            decoded = part.get_payload(decode=True)
        except Exception:
            decoded = None
        payload = decoded if isinstance(decoded, bytes) else b""
        filename = part.get_filename()
        ctype = part.get_content_type()
        if filename or not ctype.startswith("text/"):
            attachments.append(_attachment(filename or "", ctype, payload))
        else:
            charset = _codec(part.get_content_charset())
            texts.append(payload.decode(charset, errors="replace"))
    return "\n".join(texts), attachments


def _strip_html(html: str) -> str:
    text = re.sub(r"(?is)<(script|style).*?</\1>", " ", html)
    text = re.sub(r"(?i)<br\s*/?>|</p>", "\n", text)
    text = re.sub(r"<[^>]+>", " ", text)
    import html as html_lib

    return re.sub(r"[ \t]+", " ", html_lib.unescape(text))


def _message_ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def _first_id(value: str) -> str:
    ids = _message_ids(value)
    return ids[0] if ids else (value.strip()[:500])


def _plus_tags(recipients: tuple[str, ...]) -> list[str]:
    return [addr.split("@")[0].partition("+")[2].upper() for addr in recipients if "+" in addr]


def _auth(headers: _Headers) -> Auth:
    values: dict[str, str] = {}
    results = headers.all("Authentication-Results")
    # Only the topmost header counts, and only if our receiving server wrote it: anything
    # below it (or from another server) could have come from the sender.
    if results and results[0].split(";")[0].strip().lower() == RECEIVING_AUTHSERV:
        for method in ("spf", "dkim", "dmarc"):
            match = re.search(rf"\b{method}=(\w+)", results[0], re.IGNORECASE)
            if match:
                values[method] = match.group(1).lower()
    for key, header in (("spam", "X-SES-Spam-Verdict"), ("virus", "X-SES-Virus-Verdict")):
        verdict = headers.first(header).strip().lower()
        if verdict:
            values[key] = {"passed": "pass", "failed": "fail"}.get(verdict, verdict)
    return Auth(**values)


def _classify(message: Message, headers: _Headers, sender: str, subject: str,
              reference: str | None, auth: Auth) -> tuple[str, str]:
    if auth.virus == "fail":
        return "rejected", "virus verdict FAIL from the receiving server"
    if auth.spam == "fail":
        return "rejected", "spam verdict FAIL from the receiving server"
    content_type = headers.first("Content-Type").lower()
    if "multipart/report" in content_type and "delivery-status" in content_type:
        return "bounce", "delivery status notification (multipart/report)"
    if _BOUNCE_SENDER.match(sender) and (_BOUNCE_SUBJECT.search(subject) or not subject):
        return "bounce", f"bounce from {sender}"
    auto_submitted = headers.first("Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return "auto_reply", f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if headers.first(name):
            return "auto_reply", f"{name} header"
    precedence = headers.first("Precedence").lower()
    if precedence in ("auto_reply", "bulk", "junk", "list"):
        return "auto_reply", f"Precedence: {precedence}"
    if headers.first("List-Id") or headers.first("List-Unsubscribe"):
        return "auto_reply", "mailing-list message (List-Id/List-Unsubscribe)"
    if _AUTO_SUBJECT.match(subject):
        return "auto_reply", f"automatic-reply subject {subject[:60]!r}"
    if reference:
        return "reply", f"carries reference {reference}"
    return "complaint", "new message with no case reference"
