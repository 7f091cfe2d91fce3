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

from complaints.bootstrap import parts, sweep
from complaints.handlers.observability import (
    BREACHES_RECORDED,
    SWEEP_ERRORS,
    count,
    count_letters,
    logger,
    metrics,
    private,
)


@logger.inject_lambda_context(correlation_id_path="execution_id", clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    event = event if isinstance(event, dict) else {}
    logger.append_keys(schedule=str(event.get("schedule", "")),
                       scheduled_time=str(event.get("scheduled_time", "")))
    run = str(event.get("execution_id") or "")[:64] or None
    report = sweep().run(datetime.now(UTC), run_id=run).to_json()
    breaches = sum(1 for a in report["actions"] if a.get("task") == "overdue")
    logger.info("sweep done", extra={"run": report["run"], "today": report["today"],
                                     "cases_read": report["cases_read"],
                                     "actions": len(report["actions"]), "breaches": breaches,
                                     "letters_sent": report["letters_sent"],
                                     "letters_not_sent": report["letters_not_sent"],
                                     "errors": len(report["errors"]),
                                     # the weekly digest's status on its day (no addresses)
                                     "digest": (report["digest"] or {}).get("status")})
    for error in report["errors"]:
        logger.warning("sweep case failed" if error.get("reference") else "sweep digest failed",
                       extra={"reference": error.get("reference"),
                              "error": private(error.get("error", ""))})
    count(BREACHES_RECORDED, breaches)
    count_letters(parts().post.take_counts())
    count(SWEEP_ERRORS, len(report["errors"]))
    return report
