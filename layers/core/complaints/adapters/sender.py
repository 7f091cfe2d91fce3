"""Sending letters: SESv2 in AWS, SMTP locally (the local stack's outbox sink, or any relay)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any, Protocol


class SendError(RuntimeError):
    """The letter was not accepted for delivery."""


class Sender(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Hand the letter over; return the Message-ID replies will carry."""
        ...


class SmtpSender:
    def __init__(self, host: str, port: int, timeout: float = 30) -> None:
        self.host, self.port, self.timeout = host, port, timeout

    def send(self, message: EmailMessage) -> str:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
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
        kwargs: dict[str, Any] = {"Content": {"Raw": {"Data": message.as_bytes()}}}
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        try:
            response = self._ses.send_email(**kwargs)
        except Exception as exc:
            raise SendError(f"SES: {exc}") from exc
        return f"<{response['MessageId']}@{self.region}.amazonses.com>"
