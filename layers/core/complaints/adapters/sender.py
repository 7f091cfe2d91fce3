"""Sending letters: SESv2 in AWS, SMTP locally (the local stack's outbox sink, or any relay)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import getaddresses
from typing import Any, Protocol


class SendError(RuntimeError):
    """The letter was not accepted for delivery."""


class Sender(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Hand the letter over; return the Message-ID replies will carry."""
        ...


def _addresses(message: EmailMessage) -> tuple[str, list[str]]:
    """The envelope, from the headers, as smtplib's send_message reads it."""
    sender = getaddresses([str(message["Sender"] or message["From"] or "")])
    recipients = getaddresses([str(v) for name in ("To", "Cc", "Bcc")
                               for v in message.get_all(name, [])])
    return (sender[0][1] if sender else ""), [address for _, address in recipients if address]


def _international(message: EmailMessage) -> bool:
    sender, recipients = _addresses(message)
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
    if _international(message) and isinstance(policy, EmailPolicy):
        policy = policy.clone(utf8=True)  # as smtplib: UTF-8 headers, SMTPUTF8 on the envelope
    return message.as_bytes(policy=policy)


class SmtpSender:
    def __init__(self, host: str, port: int, timeout: float = 30) -> None:
        self.host, self.port, self.timeout = host, port, timeout

    def send(self, message: EmailMessage) -> str:
        sender, recipients = _addresses(message)
        options = ("SMTPUTF8", "BODY=8BITMIME") if _international(message) else ()
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.sendmail(sender, recipients, as_sent(message), options)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"SMTP {self.host}:{self.port}: {exc}") from exc
        return str(message["Message-ID"])


class SesSender:
    """SESv2 SendEmail with raw content: our headers (Reply-To, In-Reply-To) go as written.

    SES replaces the Message-ID; replies quote <MessageId@REGION.amazonses.com>.
    """

    def __init__(self, client: Any, region: str, configuration_set: str | None = None) -> None:
        self._ses, self.region, self.configuration_set = client, region, configuration_set

    def send(self, message: EmailMessage) -> str:
        kwargs: dict[str, Any] = {"Content": {"Raw": {"Data": as_sent(message)}}}
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        try:
            response = self._ses.send_email(**kwargs)
        except Exception as exc:
            raise SendError(f"SES: {exc}") from exc
        return f"<{response['MessageId']}@{self.region}.amazonses.com>"
