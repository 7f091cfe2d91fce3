"""SES receipt (S3 action, then this Lambda action) -> the complaints mailroom."""

from complaints.handlers.inbound_email import handler

__all__ = ["handler"]
