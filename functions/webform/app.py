"""HTTP API -> the web form (GET the form, POST a complaint, the confirmation and its files)."""

from complaints.handlers.webform import handler

__all__ = ["handler"]
