"""The scheduler tick: the local stand-in for EventBridge Scheduler (COMPLAINTS_SWEEP_EVERY)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from complaints.local.context import LocalContext


def tick(stop: threading.Event, every: int, log: Callable[[str], None]) -> None:
    """The local stand-in for EventBridge Scheduler: the sweep handler with a scheduled-event
    payload every ``every`` seconds (COMPLAINTS_SWEEP_EVERY)."""
    from complaints.handlers.deadline_sweep import handler

    while not stop.wait(every):
        at = datetime.now(UTC)
        try:
            report = handler({"schedule": "local-tick", "scheduled_time": at.isoformat(),
                              "execution_id": f"local-{at:%Y%m%dT%H%M%S}"}, LocalContext())
            log(f"sweep read {report['cases_read']} case(s): {len(report['actions'])} "
                f"action(s), {report['letters_sent']} letter(s) sent")
        except Exception as exc:  # the next tick tries again, as Scheduler's retry would
            log(f"sweep failed: {type(exc).__name__}: {exc}")
