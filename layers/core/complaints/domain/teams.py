"""Which staff team hears about a case (COMPLAINTS_TEAM_ADDRESSES): said once for the new-case
notice and the sweep's letters alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def team_mailbox(teams: Mapping[str, str], mailboxes: Iterable[str]) -> str:
    """The first of the mailboxes a complaint was sent to that has a team of its own ("" for
    none): the case keeps it, so its later notes go to the team the first one went to."""
    return next((m for m in mailboxes if m in teams), "")


def case_team(teams: Mapping[str, str], fallback: str, mailbox: str, policy: str,
              noticed: str = "") -> str:
    """A case's team: by the mailbox it came in to (kept on the case when it opened), then by
    its policy id, else the one team. The new-case notice, casework's notes to staff and the
    sweep's letters all ask this, so they never disagree. ``noticed``: who the case's new-case
    notice went to; a case stored before it kept its mailbox stays with that team."""
    if not mailbox and noticed and noticed in teams.values():
        return noticed
    return team_for(teams, fallback, *((mailbox,) if mailbox else ()), policy)


def noticed_team(letters: Iterable[Any]) -> str:
    """Who a case's new-case notice went to ("" for none)."""
    return next((x.to for x in letters if x.kind == "staff_new_case"), "")


def team_for(teams: Mapping[str, str], fallback: str, *keys: str) -> str:
    """The team of the first key with one (a mailbox the complaint was sent to, then the
    case's policy id), else ``fallback`` (COMPLAINTS_TEAM_ADDRESS)."""
    return next((teams[k] for k in keys if k in teams), fallback)
