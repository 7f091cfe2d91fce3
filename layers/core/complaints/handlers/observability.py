"""What the functions say about themselves: Powertools Logger and Metrics, without personal data.

One Logger and one Metrics object for every function (POWERTOOLS_SERVICE_NAME names the
service, POWERTOOLS_METRICS_NAMESPACE the namespace, default "Complaints"). Each handler is
wrapped by ``logger.inject_lambda_context`` with its correlation id (the SES message id, the
HTTP request id, the schedule's execution id) and by ``metrics.log_metrics``, which writes the
invocation's counts as one CloudWatch Embedded Metric Format line.

A log line never carries an address, a name or what anyone wrote: ``private`` replaces every
email address in a text with a short digest keyed by the deployment (the same address gives the
same digest in every line, so an operator can follow one sender without the address being in
the logs) and cuts the text; outcomes are logged by their kind, reference and a private reason,
an exception by its type, place and private message (never a traceback's text).
"""

from __future__ import annotations

import hashlib
import os
import re
import traceback
import warnings
from collections.abc import Iterable
from typing import Any, Final

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

# Metrics are flushed as EMF lines on stdout, which CloudWatch reads in Lambda; the CLI and the
# local stack call the same handlers, and there stdout is the command's own output.
if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

# an invocation that counted nothing (a web form GET) is normal, not worth a warning
warnings.filterwarnings("ignore", "No application metrics to publish")

logger: Final = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME") or "complaints")
metrics: Final = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Complaints",
                         service=os.environ.get("POWERTOOLS_SERVICE_NAME") or "complaints")

# What each function counts (Count units). Names are the dashboard's: keep them stable.
COMPLAINTS_OPENED: Final = "ComplaintsOpened"
MESSAGES_ADDED: Final = "MessagesAdded"
DUPLICATES: Final = "DuplicateDeliveries"
QUARANTINED: Final = "Quarantined"
LETTERS_SENT: Final = "LettersSent"
LETTERS_FAILED: Final = "LettersFailed"
LETTERS_HELD: Final = "LettersHeld"
BREACHES_RECORDED: Final = "BreachesRecorded"
SWEEP_ERRORS: Final = "SweepErrors"
FORM_COMPLAINTS: Final = "FormComplaints"
FORM_REFUSED: Final = "FormRefused"

_OUTCOME_METRIC: Final = {"created": COMPLAINTS_OPENED, "appended": MESSAGES_ADDED,
                          "duplicate": DUPLICATES, "quarantined": QUARANTINED}
_ADDRESS: Final = re.compile(r"[^\s<>()\[\],;:\"'@]+@[^\s<>()\[\],;:\"'@]+")


def private(text: object, limit: int = 300) -> str:
    """``text`` fit for a log line: each email address replaced by ``addr:<digest>``, cut."""
    return _ADDRESS.sub(lambda m: f"addr:{_digest(m.group(0))}", str(text))[:limit]


def _digest(address: str) -> str:
    # keyed by the deployment (its table name): the same address reads differently elsewhere
    key = (os.environ.get("COMPLAINTS_TABLE") or "complaints").encode()
    return hashlib.blake2s(address.strip().lower().encode(), key=key[:32], digest_size=6).hexdigest()


def count(name: str, value: int = 1) -> None:
    # Powertools never clears the metrics it does not flush: outside Lambda they would pile up
    if value and not is_metrics_disabled():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def count_outcomes(outcomes: Iterable[dict[str, Any]]) -> None:
    """One inbound delivery's outcomes, and the letters they sent, failed or held."""
    for outcome in outcomes:
        count(_OUTCOME_METRIC.get(str(outcome.get("outcome")), QUARANTINED))
        count_letters(outcome.get("letters") or {})


def count_letters(letters: dict[str, Any]) -> None:
    """{"sent": n, "failed": n, "held": n}, as the services report what Post did."""
    count(LETTERS_SENT, int(letters.get("sent") or 0))
    count(LETTERS_FAILED, int(letters.get("failed") or 0))
    count(LETTERS_HELD, int(letters.get("held") or 0))


def failure(exc: BaseException) -> dict[str, Any]:
    """An exception fit for a log line: its type, where it was raised, its message private."""
    frame = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f"{frame[0].filename.rsplit('/', 1)[-1]}:{frame[0].lineno}" if frame else ""
    return {"error": type(exc).__name__, "where": where, "message": private(exc)}


def outcome_line(outcome: dict[str, Any]) -> dict[str, Any]:
    """What the log says of an outcome: its kind, reference and a private reason."""
    return {"outcome": outcome.get("outcome"), "reference": outcome.get("reference"),
            "reason": private(outcome.get("reason", ""))}
