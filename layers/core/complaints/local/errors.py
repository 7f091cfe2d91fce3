"""StackError: why the local stack could not start (a port in use, DynamoDB Local missing)."""

from __future__ import annotations


class StackError(RuntimeError):
    """The local stack could not start."""
