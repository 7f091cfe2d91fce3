"""EventBridge Scheduler -> the deadline sweep (reminders, alerts, breaches, automatic steps)."""

from complaints.handlers.deadline_sweep import handler

__all__ = ["handler"]
