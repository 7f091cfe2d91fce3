"""EventBridge Scheduler (Europe/London) -> the deadline sweep.

The schedule's input names the run: {"schedule": "<name>", "scheduled_time":
"<aws.scheduler.scheduled-time>", "execution_id": "<aws.scheduler.execution-id>"}. The clock is
read here, at the entry, and nowhere below. A sweep that fails as a whole (the store
unreachable) raises, so Scheduler's retry policy and then its dead-letter queue take it; a
case that fails alone is in the report and is swept again next time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from complaints.bootstrap import sweep

logger = Logger(service="complaints")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    event = event if isinstance(event, dict) else {}
    logger.append_keys(schedule=str(event.get("schedule", "")),
                       scheduled_time=str(event.get("scheduled_time", "")))
    run = str(event.get("execution_id") or "")[:64] or None
    report = sweep().run(datetime.now(UTC), run_id=run).to_json()
    logger.info("sweep done", extra={k: v for k, v in report.items() if k != "actions"}
                | {"actions": len(report["actions"])})
    for error in report["errors"]:
        logger.warning("sweep case failed", extra=error)
    return report
