"""Inbound deliveries that failed, handed to the inbound handler again (`complaints redrive`).

Two places hold them, in one shape: Lambda's invocation record for an asynchronous invocation
that failed every attempt, as Lambda puts it on the function's on-failure destination
(template.yaml: InboundEmailFunction's EventInvokeConfig, the InboundFailures queue):

    {"version": "1.0", "timestamp": "...",
     "requestContext": {"requestId", "functionArn", "condition": "RetriesExhausted",
                        "approximateInvokeCount"},
     "requestPayload": <the SES event the function was invoked with>,
     "responseContext": {"statusCode", "executedVersion", "functionError"},
     "responsePayload": {"errorMessage", "errorType", ...}}

(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html). A
dead-letter queue gets the event alone (same page), so a message body that is an SES event
itself is taken as it is.

- In AWS: the on-failure queue (COMPLAINTS_INBOUND_FAILURES_QUEUE, the stack's
  InboundFailuresQueue output). A queue message is deleted only after the handler succeeded;
  one that fails again stays on the queue (invisible for the rest of this run).
- Locally: ``<data-dir>/dead-letters/*.json``, written by the local stack's SMTP server when
  every attempt at a message it accepted failed; a file is removed only after success.

Re-delivering is safe: the mailroom's one idempotency rule (the INBOUND#<key> marker written
with the case) makes a message already handled a "duplicate" that only finishes what the first
delivery left undone (one case, one receipt letter).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Invoke = Callable[[dict[str, Any]], dict[str, Any]]
DEAD_LETTERS = "dead-letters"
RECEIVE_BATCH = 10  # SQS ReceiveMessage's most
HIDE_SECONDS = 900  # a message that fails again stays out of this run's sight


def invocation_record(event: dict[str, Any], error: BaseException, attempts: int,
                      request_id: str, function_arn: str) -> dict[str, Any]:
    """What Lambda writes to an on-failure destination, for the local stack's dead letters."""
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {"requestId": request_id, "functionArn": function_arn,
                           "condition": "RetriesExhausted", "approximateInvokeCount": attempts},
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                            "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": str(error)[:2000], "errorType": type(error).__name__},
    }


def request_payload(record: Any) -> dict[str, Any]:
    """The event the failed invocation carried: an invocation record's requestPayload, or a
    dead-letter queue's bare event."""
    if isinstance(record, dict) and isinstance(record.get("requestPayload"), dict):
        payload: dict[str, Any] = record["requestPayload"]
        return payload
    if isinstance(record, dict) and isinstance(record.get("Records"), list):
        return record
    raise ValueError("neither a Lambda invocation record nor an SES event")


def write_dead_letter(directory: Path, name: str, record: dict[str, Any]) -> Path:
    """Write one record durably (temporary file, fsync, rename): it is there or it is not."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    tmp = directory / f".{name}.json.part"
    with tmp.open("wb") as fh:
        fh.write(json.dumps(record).encode())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)  # the rename itself survives a crash
    finally:
        os.close(fd)
    return path


def dead_letters(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def _run(source: str, ident: str, body: Any, invoke: Invoke) -> dict[str, Any]:
    try:
        result = invoke(request_payload(body))
    except Exception as exc:  # it stays where it is, for the next run
        return {"source": source, "id": ident, "ok": False,
                "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    return {"source": source, "id": ident, "ok": True, "outcomes": result.get("outcomes", [])}


def from_dead_letters(directory: Path, invoke: Invoke) -> Iterator[dict[str, Any]]:
    """Each local dead letter through the handler; removed once it succeeded."""
    for path in dead_letters(directory):
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:  # another redrive took it
            continue
        except (OSError, ValueError) as exc:
            yield {"source": "dead-letters", "id": path.stem, "ok": False,
                   "error": f"unreadable: {exc}"}
            continue
        result = _run("dead-letters", path.stem, body, invoke)
        if result["ok"]:
            path.unlink(missing_ok=True)
        yield result


def from_queue(sqs: Any, queue_url: str, invoke: Invoke) -> Iterator[dict[str, Any]]:
    """Each message on the on-failure queue through the handler; deleted once it succeeded."""
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=RECEIVE_BATCH,
                                    VisibilityTimeout=HIDE_SECONDS, WaitTimeSeconds=1)
        messages = batch.get("Messages") or []
        if not messages:
            return
        for message in messages:
            try:
                body = json.loads(message.get("Body") or "")
            except ValueError as exc:
                yield {"source": "queue", "id": message.get("MessageId"), "ok": False,
                       "error": f"not JSON: {exc}"}
                continue
            result = _run("queue", str(message.get("MessageId")), body, invoke)
            if result["ok"]:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            yield result
