"""Fault injection (local stack only): COMPLAINTS_LOCAL_FAULT=crash-before-send makes the first
letter of the stack's life fail after its case is stored, as a Lambda dying between the two
would; the stack then retries the invocation the way Lambda does."""

from __future__ import annotations

from typing import Any


class CrashBeforeFirstSend:
    """Wraps a sender: the first send raises, as if the process died just before it."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.crashed = inner, False

    def send(self, message: Any) -> str:
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("injected fault: crash after the case was stored, before sending")
        return str(self.inner.send(message))
