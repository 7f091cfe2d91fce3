"""Rules about one email address, each said once and used by every path: the inbox an address
reaches however it is +tagged, its +tag, and whether it takes replies."""

from __future__ import annotations

import re
from typing import Final

# Addresses that take no replies: a letter there is lost, and may bounce into a loop.
_NO_REPLY: Final = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer-daemon|postmaster|bounces?)[+@._-]",
    re.IGNORECASE)


def _split(address: str) -> tuple[str, str, int]:
    """(local part, domain, where the +tag starts in the local part, or -1). A leading "+" is
    part of the name, not a tag; the domain follows the last "@"."""
    local, at_sign, domain = address.rpartition("@")
    if not at_sign:
        return address, "", -1
    return local, domain, local.find("+", 1) if "+" in local.lstrip("+") else -1


def mailbox(address: str) -> str:
    """jo+1@example.org -> jo@example.org, lower-cased: jo+1@ and jo+2@ reach the same inbox,
    so the loop guard, the landlord's own mailboxes and team routing count them as one."""
    local, domain, tag = _split(address.lower())
    if not domain:
        return local
    return f"{local[:tag] if tag >= 0 else local}@{domain}"


def plus_tag(address: str) -> str:
    """complaints+CMP-2026-000001@landlord.example -> CMP-2026-000001 ("" when untagged), as
    written: a reference or a notice token replied to by address alone."""
    local, domain, tag = _split(address)
    return local[tag + 1:] if domain and tag >= 0 else ""


def takes_no_replies(address: str) -> bool:
    """noreply@, do-not-reply@, mailer-daemon@, postmaster@, bounces@ (and +tagged)."""
    return bool(_NO_REPLY.match(address))
