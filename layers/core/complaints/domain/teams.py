"""Which staff team hears about a case (COMPLAINTS_TEAM_ADDRESSES): said once for the new-case
notice and the sweep's letters alike."""

from __future__ import annotations

from collections.abc import Mapping


def team_for(teams: Mapping[str, str], fallback: str, *keys: str) -> str:
    """The team of the first key with one (a mailbox the complaint was sent to, then the
    case's policy id), else ``fallback`` (COMPLAINTS_TEAM_ADDRESS)."""
    return next((teams[k] for k in keys if k in teams), fallback)
