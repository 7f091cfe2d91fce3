"""Sending letters: SESv2 in AWS, SMTP locally (the local stack's outbox sink, or any relay)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from complaints.mail.wire import as_sent, envelope_of, international
from complaints.service.ports import Sender
from complaints.service.records import SendError

__all__ = ["SendError", "Sender", "SesSender", "SmtpSender", "as_sent"]


class SmtpSender:
    def __init__(self, host: str, port: int, timeout: float = 30) -> None:
        self.host, self.port, self.timeout = host, port, timeout

    def send(self, message: EmailMessage) -> str:
        sender, recipients = envelope_of(message)
        options = ("SMTPUTF8", "BODY=8BITMIME") if international(message) else ()
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
