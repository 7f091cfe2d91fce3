"""A letter's bytes on the wire: what every sender hands the mail service, and what Post keeps
as the copy sent (the same flattening, so what is kept is what went)."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import getaddresses


def envelope_of(message: EmailMessage) -> tuple[str, list[str]]:
    """The envelope, from the headers, as smtplib's send_message reads it."""
    sender = getaddresses([str(message["Sender"] or message["From"] or "")])
    recipients = getaddresses([str(v) for name in ("To", "Cc", "Bcc")
                               for v in message.get_all(name, [])])
    return (sender[0][1] if sender else ""), [address for _, address in recipients if address]


def international(message: EmailMessage) -> bool:
    sender, recipients = envelope_of(message)
    return not all(address.isascii() for address in (sender, *recipients))


def as_sent(message: EmailMessage) -> bytes:
    """The letter's bytes exactly as handed to the mail service: the SMTP DATA (before the
    protocol's dot-stuffing) and SES's raw content alike, CRLF line ends as RFC 5322 writes.

    Every sender flattens with this, and so does Post when it keeps the copy as sent. The
    first flattening fixes any MIME boundary on the message itself, so each later call gives
    the same bytes: what is kept is what went. (Letters carry no Bcc; this writes every
    header it is given.)
    """
    policy = message.policy.clone(linesep="\r\n")
    if international(message) and isinstance(policy, EmailPolicy):
        policy = policy.clone(utf8=True)  # as smtplib: UTF-8 headers, SMTPUTF8 on the envelope
    return message.as_bytes(policy=policy)
