"""Outbound letters: jinja2 templates (text and HTML) into a MIME message ready to send."""

from __future__ import annotations

import email
import email.policy
import re
import secrets
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from complaints import rendering
from complaints.mail import letter_kinds

# Headers are not folded below RFC 5322's 998 characters: Python 3.11's folder drops the space
# between adjacent encoded words when it folds ("baño: ¿cuándo" arrived as "baño:¿cuándo",
# CPython gh-144156), and a folded subject can start with a stray space.
LETTER_POLICY = email.policy.default.clone(max_line_length=998)
SUMMARY_CHARS = 600


@dataclass(frozen=True)
class Envelope:
    landlord: str
    complaints_address: str  # complaints@landlord.example
    to: str
    to_name: str
    reference: str
    subject: str
    in_reply_to: str | None = None
    message_id: str | None = None  # fixed when the letter is recorded: a retry reuses it
    reply_to: str | None = None  # default: the case's plus address


def plus_address(complaints_address: str, reference: str) -> str:
    """complaints+CMP-2026-000001@landlord.example: replies thread back by address alone."""
    local, _, domain = complaints_address.partition("@")
    return f"{local}+{reference}@{domain}"


def summary_of(text: str) -> str:
    text = text.strip() or "(no text: the message had only attachments, or was empty)"
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " ..."


def render(letter: str, context: dict[str, Any]) -> tuple[str, str]:
    """The letter's text and HTML parts, from its kind's two templates."""
    text, html = letter_kinds.kind(letter).templates
    return rendering.render(text, context), rendering.render(html, context)


def new_message_id(reference: str, complaints_address: str) -> str:
    """<random.reference@domain>: 128 bits from ``secrets``, never ``random`` (make_msgid's
    is the Mersenne Twister, whose output can be predicted from what it gave before), since a
    Message-ID quoted back is what ties a bounce or a reply to a letter."""
    domain = complaints_address.partition("@")[2] or "localhost"
    label = re.sub(r"[^A-Za-z0-9._-]", "", reference)[:64]
    return f"<{secrets.token_hex(16)}{'.' + label if label else ''}@{domain}>"


def sendable(address: str) -> str | None:
    """Why a letter cannot go to ``address``, or None: SES takes only 7-bit local parts (the
    domain is kept in its IDNA form already)."""
    if not address:
        return "there is no address to write to"
    if not address.isascii():
        return (f"{address} has non-ASCII characters before the @, which the mail service "
                "cannot send to: write by post or ask the resident for another address")
    return None


class UnsafeHeader(ValueError):
    """A letter whose serialised headers are not the ones we set: never sent."""


def header_text(value: str) -> str:
    """Text a resident wrote, made safe for a header: one line, and no RFC 2047 encoded-word
    syntax. Python before 3.11.10/3.12.5 (CVE-2024-6923) decodes an "=?utf-8?b?...?=" found in
    a header value while folding it and writes a CR LF it holds as a real line break: a subject
    could add headers, or a body, to our letter."""
    return " ".join(value.replace("=?", "= ?").replace("?=", "? =").split())


def build(envelope: Envelope, letter: str, context: dict[str, Any],
          attachments: tuple[tuple[str, str, bytes], ...] = ()) -> EmailMessage:
    message = _build(envelope, letter, context, attachments)
    _check_headers(message)
    return message


def text_part(letter: EmailMessage | bytes) -> str:
    """A letter's plain text part, as it reads once sent ("" when it has none)."""
    message = (email.message_from_bytes(letter, policy=LETTER_POLICY)
               if isinstance(letter, bytes) else letter)
    body = message.get_body(preferencelist=("plain",)) if isinstance(message, EmailMessage) \
        else None
    return str(body.get_content()) if body is not None else ""


_SET_HEADERS = ("From", "To", "Reply-To", "Subject", "Message-ID", "In-Reply-To", "References",
                "X-Complaints-Letter", "Auto-Submitted", "X-Auto-Response-Suppress",
                "Content-Type", "MIME-Version")


def _check_headers(message: EmailMessage) -> None:
    """What goes on the wire: exactly the headers we set, each once (belt and braces to
    header_text: a header injected by any other route is caught here)."""
    raw = message.as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    names = [line.split(b":", 1)[0].decode("ascii", "replace").strip().lower()
             for line in head.splitlines() if line and line[:1] not in (b" ", b"\t")]
    allowed = {h.lower() for h in _SET_HEADERS}
    if any(n not in allowed for n in names) or len(names) != len(set(names)):
        raise UnsafeHeader(f"the letter's headers are not the ones set: {names}")


def _build(envelope: Envelope, letter: str, context: dict[str, Any],
           attachments: tuple[tuple[str, str, bytes], ...] = ()) -> EmailMessage:
    text, html = render(letter, context)
    message = EmailMessage(policy=LETTER_POLICY)
    message["From"] = formataddr((f"{envelope.landlord} complaints", envelope.complaints_address))
    message["To"] = formataddr((header_text(envelope.to_name), envelope.to))
    message["Reply-To"] = envelope.reply_to or plus_address(envelope.complaints_address,
                                                            envelope.reference)
    subject = header_text(envelope.subject)
    message["Subject"] = f"[{envelope.reference}] {subject}" if envelope.reference else subject
    message["Message-ID"] = envelope.message_id or new_message_id(envelope.reference,
                                                                  envelope.complaints_address)
    if envelope.in_reply_to:
        message["In-Reply-To"] = envelope.in_reply_to
        message["References"] = envelope.in_reply_to
    # RFC 3834: this answers a message, so other robots must not answer it back.
    message["X-Complaints-Letter"] = letter  # the letter kind, for staff mail rules and audits
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for filename, content_type, payload in attachments:
        maintype, _, subtype = content_type.partition("/")
        if maintype == "message":  # keep the evidence byte for byte, not re-encoded
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return message
